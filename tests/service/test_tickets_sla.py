"""SLA clocks of real tickets: business hours, holidays and make-up days, pauses while
waiting for the customer, reopening, and targets that follow a tier or policy change.

The right answers are counted by hand on the default calendar: Monday to Friday,
09:00–12:00 and 13:00–18:00 (8 working hours a day), Asia/Shanghai."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kam.accounts.models import Account
from kam.core.models import User
from kam.insights.models import ScoringRun, TierChange
from kam.insights.services import set_tier_override
from kam.service.models import (
    CalendarDay,
    ClockKind,
    DayKind,
    EventKind,
    ServicePolicy,
    SlaState,
    Ticket,
    TicketStatus,
)
from kam.service.policies import save_policy
from kam.service.sla import ticket_clocks
from kam.service.tickets import act, after_scoring, create_ticket
from tests.conftest import Cast

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: str, time: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


def make_diamond(cast: Cast, account: Account) -> None:
    set_tier_override(actor=cast.dora, account=account, tier="diamond", reason="top customer")


def record(user: User, account: Account, when: dt.datetime, **values: Any) -> Ticket:
    data = {"subject": "Broken rollers", "kind": "complaint", **values}
    return create_ticket(actor=user, account=account, values=data, now=when)


@pytest.fixture
def diamond(cast: Cast) -> Account:
    make_diamond(cast, cast.alice_steel)
    return cast.alice_steel


def test_a_diamond_ticket_logged_friday_1730_is_due_monday_0930(
    cast: Cast, diamond: Account
) -> None:
    ticket = record(cast.alice, diamond, at("2026-11-27", "17:30"))  # a Friday
    assert (ticket.tier, ticket.response_minutes, ticket.resolution_minutes) == (
        "diamond",
        60,
        480,
    )
    assert ticket.response_due_at == at("2026-11-30", "09:30")
    # 8 working hours: 30 min on Friday, then Monday 09:00–12:00 and 13:00–17:30.
    assert ticket.resolution_due_at == at("2026-11-30", "17:30")
    # At risk once 75 % (45 min) is used: Monday 09:15.
    assert ticket.response_risk_at == at("2026-11-30", "09:15")


def test_the_clock_states_over_the_weekend_and_monday(cast: Cast, diamond: Account) -> None:
    ticket = record(cast.alice, diamond, at("2026-11-27", "17:30"))

    def response(now: dt.datetime) -> Any:
        return ticket_clocks(ticket, now=now).response

    saturday = response(at("2026-11-28", "15:00"))
    assert (saturday.used, saturday.state) == (30 * 60, SlaState.ON_TRACK)
    assert saturday.remaining == 30 * 60
    assert response(at("2026-11-30", "09:14")).state == SlaState.ON_TRACK
    assert response(at("2026-11-30", "09:15")).state == SlaState.AT_RISK
    late = response(at("2026-11-30", "09:40"))
    assert (late.state, late.overdue) == (SlaState.BREACHED, 10 * 60)
    assert "10 min overdue" in late.left_text

    answered = act(actor=cast.alice, ticket=ticket, action="respond", now=at("2026-11-30", "09:20"))
    clock = ticket_clocks(answered, now=at("2026-11-30", "11:00")).response
    assert (clock.state, clock.used) == (SlaState.MET, 50 * 60)


def test_a_public_holiday_does_not_count(cast: Cast, diamond: Account) -> None:
    CalendarDay.objects.create(date=dt.date(2026, 11, 30), kind=DayKind.HOLIDAY, name="A holiday")
    ticket = record(cast.alice, diamond, at("2026-11-27", "17:30"))
    assert ticket.response_due_at == at("2026-12-01", "09:30")


def test_a_make_up_working_saturday_counts(cast: Cast, diamond: Account) -> None:
    CalendarDay.objects.create(date=dt.date(2026, 11, 28), kind=DayKind.WORKDAY, name="调休")
    ticket = record(cast.alice, diamond, at("2026-11-27", "17:30"))
    assert ticket.response_due_at == at("2026-11-28", "09:30")


def test_a_policy_around_the_clock_counts_every_hour(cast: Cast, diamond: Account) -> None:
    ServicePolicy.objects.filter(tier="diamond").update(clock=ClockKind.ALWAYS)
    ticket = record(cast.alice, diamond, at("2026-11-27", "17:30"))
    assert ticket.clock == ClockKind.ALWAYS
    assert ticket.response_due_at == at("2026-11-27", "18:30")
    assert ticket.resolution_due_at == at("2026-11-28", "01:30")


def test_two_working_hours_waiting_for_the_customer_move_the_resolution_due_by_two_hours(
    cast: Cast,
) -> None:
    # Alice Steel has no tier: the basic policy (48 h / 120 h) — use core's 24 h instead.
    set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="core", reason="core")
    ticket = record(cast.alice, cast.alice_steel, at("2026-11-23", "09:00"))  # a Monday
    # 24 working hours from Monday 09:00: Wednesday 18:00.
    assert ticket.resolution_due_at == at("2026-11-25", "18:00")

    ticket = act(actor=cast.alice, ticket=ticket, action="wait", now=at("2026-11-23", "10:00"))
    assert ticket.status == TicketStatus.WAITING_CUSTOMER
    assert ticket.first_response_at == at("2026-11-23", "10:00")  # asking is responding
    paused = ticket_clocks(ticket, now=at("2026-11-23", "12:30")).resolution
    assert (paused.state, paused.used, paused.paused) == (SlaState.PAUSED, 3600, True)
    assert ticket.resolution_due_at is None  # not due while it stands still
    assert ticket_clocks(ticket, now=at("2026-11-23", "12:30")).response.state == SlaState.MET

    # Resumed at 13:00: 10:00–12:00 were two working hours (the lunch break never counts).
    ticket = act(actor=cast.alice, ticket=ticket, action="resume", now=at("2026-11-23", "13:00"))
    assert ticket.resolution_due_at == at("2026-11-26", "11:00")  # Thursday, 2 h later
    clock = ticket_clocks(ticket, now=at("2026-11-23", "14:00")).resolution
    assert (clock.used, clock.state) == (2 * 3600, SlaState.ON_TRACK)

    events = [e.kind for e in ticket.events.order_by("at", "pk")]
    assert events == [
        EventKind.CREATED,
        EventKind.RESPONDED,
        EventKind.PAUSED,
        EventKind.RESUMED,
    ]


def test_the_resolution_clock_stands_still_between_resolving_and_reopening(
    cast: Cast, diamond: Account
) -> None:
    ticket = record(cast.alice, diamond, at("2026-11-23", "09:00"))
    ticket = act(actor=cast.alice, ticket=ticket, action="respond", now=at("2026-11-23", "09:10"))
    ticket = act(
        actor=cast.alice,
        ticket=ticket,
        action="resolve",
        resolution="Replaced the rollers",
        now=at("2026-11-23", "11:00"),
    )
    done = ticket_clocks(ticket, now=at("2026-11-24", "10:00")).resolution
    assert (done.state, done.used) == (SlaState.MET, 2 * 3600)
    ticket = act(
        actor=cast.alice,
        ticket=ticket,
        action="reopen",
        note="Still squeaking",
        now=at("2026-11-24", "10:00"),
    )
    assert (ticket.reopen_count, ticket.resolved_at, ticket.resolution) == (1, None, "")
    running = ticket_clocks(ticket, now=at("2026-11-24", "11:00")).resolution
    assert running.used == 3 * 3600  # 2 h before resolving, 1 h since reopening
    # 8 h target, 2 h used before and 6 h left from Tuesday 10:00: Tuesday 17:00.
    assert ticket.resolution_due_at == at("2026-11-24", "17:00")


def test_a_tier_change_from_basic_to_diamond_retargets_open_tickets(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = record(cast.alice, cast.alice_steel, at("2026-11-23", "09:00"))
    done = record(cast.alice, cast.alice_steel, at("2026-11-23", "09:05"))
    act(
        actor=cast.alice,
        ticket=done,
        action="resolve",
        resolution="ok",
        now=at("2026-11-23", "10:00"),
    )
    assert (ticket.tier, ticket.response_minutes) == ("basic", 48 * 60)
    assert ticket.response_due_at == at("2026-11-30", "18:00")  # 48 h = six working days

    with django_capture_on_commit_callbacks(execute=True):
        make_diamond(cast, cast.alice_steel)

    ticket.refresh_from_db()
    assert (ticket.tier, ticket.response_minutes, ticket.resolution_minutes) == (
        "diamond",
        60,
        480,
    )
    # Counted from the ticket's creation, not from the change.
    assert ticket.response_due_at == at("2026-11-23", "10:00")
    assert ticket.resolution_due_at == at("2026-11-23", "18:00")
    why = ticket.events.get(kind=EventKind.TARGETS_CHANGED)
    assert why.data["reason"] == "tier_change"
    assert (why.data["from_tier"], why.data["to_tier"]) == ("", "diamond")
    assert why.data["before"]["response_minutes"] == 48 * 60
    assert why.actor == cast.dora
    done.refresh_from_db()
    assert done.tier == "basic"  # a resolved ticket keeps the targets it was resolved under
    assert not done.events.filter(kind=EventKind.TARGETS_CHANGED).exists()


def test_a_first_response_given_keeps_its_target_after_a_tier_change(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    ticket = record(cast.alice, cast.alice_steel, at("2026-11-23", "09:00"))
    act(actor=cast.alice, ticket=ticket, action="respond", now=at("2026-11-23", "11:00"))
    with django_capture_on_commit_callbacks(execute=True):
        make_diamond(cast, cast.alice_steel)
    ticket.refresh_from_db()
    assert (ticket.response_minutes, ticket.resolution_minutes) == (48 * 60, 480)
    assert ticket_clocks(ticket, now=at("2026-11-23", "12:00")).response.state == SlaState.MET


def test_a_policy_change_retargets_the_open_tickets_of_its_tier(
    cast: Cast, diamond: Account
) -> None:
    ticket = record(cast.alice, diamond, at("2026-11-23", "09:00"))
    policy = ServicePolicy.objects.get(tier="diamond")
    values = {
        "first_response_minutes": 30,
        "resolution_minutes": 240,
        "clock": policy.clock,
        "service_model": policy.service_model,
        "visit_interval_days": policy.visit_interval_days,
        "customisation": policy.customisation,
        "discount_ceiling": policy.discount_ceiling,
    }
    save_policy(actor=cast.dora, policy=policy, values=values)
    ticket.refresh_from_db()
    assert (ticket.response_minutes, ticket.resolution_minutes) == (30, 240)
    assert ticket.response_due_at == at("2026-11-23", "09:30")
    assert ticket.resolution_due_at == at("2026-11-23", "14:00")
    why = ticket.events.get(kind=EventKind.TARGETS_CHANGED)
    assert (why.data["reason"], why.data["after"]["response_minutes"]) == ("policy_change", 30)


def test_tier_changes_of_a_scoring_run_retarget_too(cast: Cast) -> None:
    ticket = record(cast.bob, cast.bob_mining, at("2026-11-23", "09:00"))
    run = ScoringRun.objects.create(
        status="succeeded",
        as_of=dt.date(2026, 11, 22),
        time_unit="D",
        horizon=12,
        discount_rate=0.1,
    )
    # A scoring run writes its tier changes in bulk: no post_save for each.
    TierChange.objects.bulk_create(
        [TierChange(account=cast.bob_mining, from_tier="", to_tier="core", run=run)]
    )
    assert after_scoring(sender=ScoringRun, run=run) == 1
    ticket.refresh_from_db()
    assert (ticket.tier, ticket.response_minutes) == ("core", 240)
    assert ticket.response_due_at == at("2026-11-23", "14:00")  # 4 working hours, lunch aside
