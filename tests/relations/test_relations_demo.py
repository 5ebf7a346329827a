"""The demo activities: key accounts visited often, basic ones rarely, planned visits
ahead, gifts with one above the limit (acknowledged); the same seed, the same activities."""

from __future__ import annotations

import datetime as dt
import random

from kam.accounts.models import Account
from kam.core.models import User
from kam.relations.demo import populate
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from tests.conftest import Cast
from tests.relations.conftest import Centre, set_tier

AS_OF = dt.date(2026, 10, 31)


def test_it_makes_a_year_of_activities_by_tier(cast: Cast, centre: Centre) -> None:
    Activity.objects.all().delete()
    set_tier(cast.alice_steel, "diamond", cast.dora)
    counts = populate(random.Random(7), Account.objects.all(), User.objects.all(), AS_OF)
    steel = Activity.objects.filter(account=cast.alice_steel)
    visits = steel.filter(kind__in=["visit", "meeting"], status=ActivityStatus.DONE)
    assert visits.count() >= 13  # diamond: 10-14 visits and 3-6 meetings a year
    assert steel.filter(status=ActivityStatus.PLANNED).count() >= 1
    assert all(a.starts_at.date() > AS_OF for a in steel.filter(status=ActivityStatus.PLANNED))
    basic = Activity.objects.filter(account=cast.bob_mining, kind="visit").count()
    assert basic <= 1
    assert counts["gifts above the limit (acknowledged)"] == 1
    over = Activity.objects.get(limit_acknowledged_by__isnull=False)
    assert over.kind == ActivityKind.GIFT and over.account == cast.alice_steel
    assert list(over.recipients.all()) == [centre.boss]
    assert (
        counts["activities"] + counts["planned activities"]
        == Activity.objects.filter(created_by__isnull=False)
        .exclude(kind__in=["gift", "entertainment"])
        .count()
    )


def test_the_same_seed_makes_the_same_activities(cast: Cast, centre: Centre) -> None:
    Activity.objects.all().delete()

    def made() -> list[tuple[object, ...]]:
        populate(random.Random(3), Account.objects.all(), User.objects.all(), AS_OF)
        rows = list(Activity.objects.order_by("pk").values_list("kind", "starts_at", "subject"))
        Activity.objects.all().delete()
        return rows

    assert made() == made()
