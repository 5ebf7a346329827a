"""The demo club (kam.club.demo.populate) on a small hand-made book: the diamond, core and
potential accounts are enrolled, their orders earn, some points are spent, two past events
have attendance and one upcoming event has invitations — and the ledger still adds up."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from kam.accounts.models import Account
from kam.club.demo import populate
from kam.club.models import ClubEvent, Invitation, Membership, PointsEntry
from kam.club.services import balances_of
from kam.contacts.models import Contact
from kam.insights.models import Tier
from kam.transactions.models import Order
from tests.club.conftest import set_tier
from tests.conftest import Cast


def test_populate_builds_a_club_that_adds_up(cast: Cast) -> None:
    today = timezone.localdate()
    tiers = [Tier.DIAMOND, Tier.DIAMOND, Tier.CORE, Tier.CORE, Tier.POTENTIAL, Tier.BASIC]
    accounts = []
    for number, tier in enumerate(tiers):
        account = Account.objects.create(name=f"Demo {number}", owner=cast.alice)
        set_tier(account, tier)
        for month in range(1, 13):
            Order.objects.create(
                account=account,
                order_date=today - dt.timedelta(days=30 * month),
                amount=Decimal(400_000 if tier == Tier.DIAMOND else 60_000),
            )
        for person in range(3):
            Contact.objects.create(account=account, name=f"Person {number}-{person}")
        accounts.append(account)

    made = populate(random.Random(7), accounts, {"director": cast.dora, "am": cast.alice}, today)

    members = Membership.objects.all()
    assert made["club members"] == members.count() == 5  # not the basic account
    assert made["points from orders"] > 0 and made["redemptions"] > 0
    assert made["benefits"] == 8 and made["club events"] == 3
    now = timezone.now()
    assert ClubEvent.objects.filter(starts_at__lt=now).count() == 2
    upcoming = ClubEvent.objects.get(starts_at__gte=now)
    assert Invitation.objects.filter(event=upcoming).exists()
    assert Invitation.objects.filter(status="attended").exists()
    balances = balances_of(m.pk for m in members)
    assert all(value >= 0 for value in balances.values())
    total = PointsEntry.objects.aggregate(t=Sum("delta"))["t"]
    assert sum(balances.values()) == total
    assert made["ledger rows"] == PointsEntry.objects.count()
