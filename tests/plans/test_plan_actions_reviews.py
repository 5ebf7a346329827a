"""Actions past their due date are overdue until done or dropped; the next review is due a
cadence after the last; `kam plans remind` tells owners once per due date."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from kam.notifications.models import Notification
from kam.notifications.services import notifications_for
from kam.plans.models import AccountPlan, PlanAction
from kam.plans.services import PARTS, clean_part, plan_list, remind, save_part
from tests.conftest import Cast
from tests.plans.conftest import Planned
from tests.web.conftest import client_for


def test_an_open_action_past_its_due_date_is_overdue(planned: Planned) -> None:
    today = timezone.localdate()
    assert planned.late_action.is_overdue(today)
    assert not planned.done_action.is_overdue(today)  # done long ago
    assert not planned.future_action.is_overdue(today)
    assert planned.future_action.is_overdue(today + dt.timedelta(days=31))
    row = plan_list(planned.plan.owner).get(pk=planned.plan.pk)
    assert (row.open_actions, row.overdue_actions) == (2, 1)  # type: ignore[attr-defined]


def test_overdue_actions_are_highlighted_on_the_plan_and_counted_on_the_list(
    planned: Planned, cast: Cast
) -> None:
    client = client_for(cast.alice)
    html = client.get(planned.plan.get_absolute_url()).content.decode()
    late = html[html.index(f'data-action="{planned.late_action.pk}"') - 30 :]
    assert late.startswith('<tr class="overdue"') or 'class="overdue"' in late[:60]
    done = html[html.index(f'data-action="{planned.done_action.pk}"') - 40 :]
    assert "overdue" not in done[:60]
    listing = client.get(reverse("plans:list")).content.decode()
    row = listing[listing.index(f'data-plan="{planned.plan.pk}"') :]
    row = row[: row.index("</tr>")]
    assert '<span class="state state-overdue">1</span>' in row  # one overdue action
    assert "2026-08-30" in row and "overdue" in row  # the review, too


def test_the_next_review_is_due_a_cadence_after_the_last_one(planned: Planned, cast: Cast) -> None:
    plan = planned.plan
    assert plan.reviews.count() == 1
    plan.refresh_from_db()
    assert plan.next_review_due == dt.date(2026, 8, 30)  # 2026-06-01 + 90 days
    assert plan.review_overdue(dt.date(2026, 8, 31))
    assert not plan.review_overdue(dt.date(2026, 8, 30))
    kind = PARTS["reviews"]
    values = clean_part(
        kind, {"reviewed_on": "2026-11-01", "notes": "Q4"}, actor=cast.mary, plan=plan
    )
    review = save_part(kind, actor=cast.mary, plan=plan, values=values)
    assert review.reviewer == cast.mary
    plan.refresh_from_db()
    assert plan.next_review_due == dt.date(2027, 1, 30)
    # A longer cadence moves it again.
    plan_values = {"review_every_days": 120}
    from kam.plans.services import clean_plan, save_plan

    save_plan(
        actor=cast.alice, values=clean_plan(plan_values, actor=cast.alice, plan=plan), plan=plan
    )
    plan.refresh_from_db()
    assert plan.next_review_due == dt.date(2027, 3, 1)


def test_a_plan_without_reviews_is_due_a_cadence_after_it_started(cast: Cast) -> None:
    from kam.plans.services import clean_plan, save_plan

    values = clean_plan(
        {"year": 2026, "review_every_days": 30}, actor=cast.alice, account=cast.alice_steel
    )
    plan = save_plan(actor=cast.alice, values=values)
    assert plan.next_review_due == timezone.localdate() + dt.timedelta(days=30)


def test_reminders_tell_each_owner_once_per_due_date(planned: Planned, cast: Cast) -> None:
    as_of = timezone.localdate()
    first = remind(as_of)
    assert (first.reviews, first.actions) == (1, 1)
    [review_note] = notifications_for(cast.alice).filter(code="plans.review_overdue")
    assert review_note.params == {
        "account": "Alice Steel Co., Ltd.",
        "year": 2026,
        "due": "2026-08-30",
    }
    assert review_note.link == planned.plan.get_absolute_url()
    assert review_note.account_id == cast.alice_steel.pk
    [action_note] = notifications_for(cast.alice).filter(code="plans.action_overdue")
    assert action_note.params["action"] == "Workshop with the CTO"
    # Again: nobody is told twice.
    again = remind(as_of)
    assert (again.reviews, again.actions) == (0, 0)
    assert Notification.objects.count() == 2
    # A review moves the due date; when that one passes, the owner is told again.
    kind = PARTS["reviews"]
    save_part(
        kind,
        actor=cast.alice,
        plan=planned.plan,
        values=clean_part(kind, {"reviewed_on": "2026-09-01"}, actor=cast.alice, plan=planned.plan),
    )
    planned.plan.refresh_from_db()
    assert planned.plan.next_review_due == dt.date(2026, 11, 30)
    assert remind(dt.date(2026, 11, 30)).reviews == 0
    assert remind(dt.date(2026, 12, 1)).reviews == 1
    assert remind(dt.date(2026, 12, 2)).reviews == 0


def test_reminders_leave_drafts_archived_plans_and_finished_actions_alone(
    planned: Planned, cast: Cast
) -> None:
    AccountPlan.objects.filter(pk=planned.plan.pk).update(status="draft")
    found = remind(timezone.localdate())
    assert (found.reviews, found.actions) == (0, 0)
    AccountPlan.objects.filter(pk=planned.plan.pk).update(status="active")
    PlanAction.objects.filter(pk=planned.late_action.pk).update(status="done")
    found = remind(timezone.localdate())
    assert (found.reviews, found.actions) == (1, 0)


def test_the_remind_command_is_idempotent(planned: Planned, kam: Any) -> None:
    first = kam("plans", "remind")
    assert first.exit_code == 0, first.output
    assert "Reminded 1 overdue reviews and 1 overdue actions" in first.stdout
    second = kam("plans", "remind")
    assert "Reminded 0 overdue reviews and 0 overdue actions" in second.stdout
    assert Notification.objects.count() == 2


def test_the_notifications_read_in_the_reader_s_language(planned: Planned, cast: Cast) -> None:
    from django.utils import translation

    from kam.notifications.messages import render

    remind(timezone.localdate())
    note = notifications_for(cast.alice).get(code="plans.review_overdue")
    with translation.override("en"):
        assert render(note.code, note.params) == (
            "The review of the 2026 account plan for Alice Steel Co., Ltd. was due on 2026-08-30."
        )
