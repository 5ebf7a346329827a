"""The visit cadence from the tier policies: next visit due = last done visit or meeting +
the tier's visit interval (diamond 30, core 90, potential 180 days, basic none); never
visited = due now; the daily reminder tells each owner once."""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from kam.accounts.models import Account
from kam.notifications.models import Notification
from kam.relations.models import ActivityKind, ActivityStatus, VisitReminder
from kam.relations.services import cadence, cadence_for_user, remind_overdue_visits
from kam.service.models import ServicePolicy
from kam.service.policies import ensure_policies
from tests.conftest import Cast
from tests.relations.conftest import Centre, log, set_tier
from tests.web.conftest import client_for


def rows_by_name(today: dt.date) -> dict[str, object]:
    return {row.account.name: row for row in cadence(Account.objects.all(), today=today)}


def test_the_due_date_follows_each_tiers_interval(cast: Cast, centre: Centre) -> None:
    today = timezone.localdate()
    last = today - dt.timedelta(days=20)
    set_tier(cast.shared_telecom, "diamond", cast.dora)
    log(cast.shared_telecom, cast.bob, ActivityKind.MEETING, today - dt.timedelta(days=45))
    log(cast.shared_telecom, cast.bob, ActivityKind.CALL, today - dt.timedelta(days=2))  # no visit
    rows = rows_by_name(today)
    steel = rows["Alice Steel Co., Ltd."]  # core: 90 days after the visit 20 days ago
    assert (steel.interval, steel.last_visit, steel.due.due, steel.status) == (
        90,
        last,
        last + dt.timedelta(days=90),
        "ok",
    )
    telecom = rows["Shared Telecom"]  # diamond: 30 days after the meeting 45 days ago
    assert telecom.due.due == today - dt.timedelta(days=15)
    assert (telecom.status, telecom.due.days_overdue) == ("overdue", 15)
    mining = rows["Bob Mining"]  # no tier yet: basic, no regular visits
    assert (mining.interval, mining.due.due, mining.status) == (None, None, "none")


def test_never_visited_is_due_now_and_planned_visits_show(cast: Cast, centre: Centre) -> None:
    today = timezone.localdate()
    set_tier(cast.bob_mining, "potential", cast.dora)
    log(
        cast.bob_mining,
        cast.bob,
        ActivityKind.VISIT,
        today + dt.timedelta(days=5),
        status=ActivityStatus.PLANNED,
    )
    log(
        cast.bob_mining,
        cast.bob,
        ActivityKind.VISIT,
        today - dt.timedelta(days=5),
        status=ActivityStatus.CANCELLED,
    )
    mining = rows_by_name(today)["Bob Mining"]
    assert (mining.interval, mining.status, mining.due.due) == (180, "never", today)
    assert mining.next_planned == today + dt.timedelta(days=5)


def test_a_changed_policy_moves_the_due_date(cast: Cast, centre: Centre) -> None:
    ensure_policies()
    ServicePolicy.objects.filter(tier="core").update(visit_interval_days=14)
    steel = rows_by_name(timezone.localdate())["Alice Steel Co., Ltd."]
    assert steel.status == "overdue" and steel.due.days_overdue == 6


def test_the_team_view_filters_by_tier_and_owner(cast: Cast, centre: Centre) -> None:
    set_tier(cast.shared_telecom, "diamond", cast.dora)
    rows = cadence_for_user(cast.dora, tier="diamond", show="all")
    assert [row.account.name for row in rows] == ["Shared Telecom"]
    mine = cadence_for_user(cast.dora, owner="alice", show="all")
    assert [row.account.name for row in mine] == ["Alice Steel Co., Ltd."]
    page = client_for(cast.dora).get(reverse("relations:cadence"), {"show": "overdue"})
    html = page.content.decode()
    assert "Shared Telecom" in html and "Never visited" in html
    assert "Alice Steel" not in html  # on schedule


def test_the_reminder_tells_each_owner_once(cast: Cast, centre: Centre) -> None:
    set_tier(cast.shared_telecom, "diamond", cast.dora)  # Bob's, never visited
    today = timezone.localdate()
    assert remind_overdue_visits(today=today) == 1
    note = Notification.objects.get()
    assert note.recipient == cast.bob and note.code == "relations.never_visited"
    assert note.account_id == cast.shared_telecom.pk
    assert remind_overdue_visits(today=today) == 0
    assert remind_overdue_visits(today=today + dt.timedelta(days=1)) == 0
    # Alice Steel becomes overdue 91 days after its visit: told once, for that due date.
    later = today + dt.timedelta(days=71)
    assert remind_overdue_visits(today=later) == 1
    steel = Notification.objects.get(recipient=cast.alice)
    assert steel.code == "relations.visit_overdue"
    assert steel.params["due"] == (today + dt.timedelta(days=70)).isoformat()
    assert remind_overdue_visits(today=later + dt.timedelta(days=3)) == 0
    assert VisitReminder.objects.count() == 2
