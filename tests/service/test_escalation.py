"""Escalation order and idempotency: at risk → the ticket's owner and the account's owner;
breached → also the account owner's sales manager; overdue by more than half the target
→ the directors. Each level once per clock, however often the check runs.

The story: Alice (team East) records a complaint for Shared Telecom, a diamond account
owned by Bob (team North, manager Nick); Dora is the director."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from kam.core.models import User
from kam.insights.services import set_tier_override
from kam.notifications.models import Notification
from kam.service.escalation import check_slas
from kam.service.models import EventKind, SlaClock, Ticket
from kam.service.tasks import enqueue_sla_check
from kam.service.tickets import act, create_ticket
from tests.conftest import Cast

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(time: str, day: str = "2026-11-23") -> dt.datetime:  # a Monday
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def complaint(cast: Cast) -> Ticket:
    set_tier_override(actor=cast.dora, account=cast.shared_telecom, tier="diamond", reason="x")
    return create_ticket(
        actor=cast.alice,
        account=cast.shared_telecom,
        values={"subject": "Outage at the Beijing site", "kind": "complaint"},
        now=at("09:00"),
    )


def told(user: User) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user).order_by("pk").values_list("code", flat=True)
    )


def test_the_ladder_owner_and_account_owner_then_manager_then_directors(
    cast: Cast, complaint: Ticket
) -> None:
    check_slas(now=at("09:30"))  # 30 of 60 minutes used: on track
    assert Notification.objects.count() == 0

    report = check_slas(now=at("09:50"))  # 50 minutes: at risk
    assert (report.checked, report.escalations, report.notified) == (1, 1, 2)
    assert told(cast.alice) == ["service.response_at_risk"]
    assert told(cast.bob) == ["service.response_at_risk"]
    assert told(cast.nick) == [] and told(cast.dora) == []

    check_slas(now=at("10:05"))  # breached
    assert told(cast.nick) == ["service.response_breached"]
    assert told(cast.alice)[-1] == told(cast.bob)[-1] == "service.response_breached"
    assert told(cast.dora) == []
    assert told(cast.mary) == []  # Alice's manager: the account owner's manager is told

    check_slas(now=at("10:31"))  # 31 minutes overdue, more than half the 60-minute target
    assert told(cast.dora) == ["service.response_escalated"]
    assert told(cast.nick) == ["service.response_breached"]

    steps = complaint.events.filter(kind=EventKind.ESCALATED).order_by("level")
    assert [(e.clock, e.level) for e in steps] == [
        (SlaClock.RESPONSE, 1),
        (SlaClock.RESPONSE, 2),
        (SlaClock.RESPONSE, 3),
    ]
    assert sorted(steps[0].data["recipients"]) == ["alice", "bob"]
    assert sorted(steps[1].data["recipients"]) == ["alice", "bob", "nick"]
    assert steps[2].data["recipients"] == ["dora"]
    complaint.refresh_from_db()
    assert complaint.response_escalation == 3


def test_running_the_check_twice_tells_nobody_twice(cast: Cast, complaint: Ticket) -> None:
    check_slas(now=at("09:50"))
    again = check_slas(now=at("09:51"))
    assert (again.escalations, again.notified) == (0, 0)
    assert Notification.objects.count() == 2
    check_slas(now=at("10:05"))
    check_slas(now=at("10:06"))
    assert Notification.objects.count() == 5
    assert complaint.events.filter(kind=EventKind.ESCALATED).count() == 2


def test_a_check_that_finds_a_ticket_far_gone_records_each_level_and_tells_each_once(
    cast: Cast, complaint: Ticket
) -> None:
    check_slas(now=at("11:00"))
    assert complaint.events.filter(kind=EventKind.ESCALATED).count() == 3
    for person in (cast.alice, cast.bob, cast.nick, cast.dora):
        assert told(person) == ["service.response_escalated"], person
    # The resolution clock (8 h) is not at risk yet.
    assert not complaint.events.filter(clock=SlaClock.RESOLUTION).exists()


def test_the_resolution_clock_escalates_on_its_own_ladder(cast: Cast, complaint: Ticket) -> None:
    act(actor=cast.alice, ticket=complaint, action="respond", now=at("09:10"))
    check_slas(now=at("15:00"))  # 5 of 8 hours (lunch aside): on track
    assert Notification.objects.count() == 0
    check_slas(now=at("16:00"))  # 6 of 8 hours: at risk
    assert told(cast.alice) == ["service.resolution_at_risk"]
    assert told(cast.bob) == ["service.resolution_at_risk"]


def test_a_resolved_ticket_or_a_paused_clock_is_not_escalated(
    cast: Cast, complaint: Ticket
) -> None:
    waiting = act(actor=cast.alice, ticket=complaint, action="wait", now=at("09:10"))
    check_slas(now=at("17:55"))  # the resolution clock stands still while waiting
    assert Notification.objects.count() == 0
    act(actor=cast.alice, ticket=waiting, action="resolve", resolution="Fixed", now=at("17:56"))
    check_slas(now=at("18:00", "2026-11-30"))
    assert Notification.objects.count() == 0


def test_the_account_owner_without_a_manager_still_reaches_the_directors(
    cast: Cast, complaint: Ticket
) -> None:
    cast.nick.is_active = False
    cast.nick.save()
    check_slas(now=at("11:00"))
    assert told(cast.dora) == ["service.response_escalated"]
    step = complaint.events.get(kind=EventKind.ESCALATED, level=2)
    assert sorted(step.data["recipients"]) == ["alice", "bob"]


def test_escalations_are_emailed_through_the_mail_settings(
    cast: Cast, complaint: Ticket, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.KAM_EMAIL_NOTIFICATIONS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    User.objects.filter(pk__in=[cast.alice.pk, cast.bob.pk]).update(email="x@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        check_slas(now=at("09:50"))
    assert len(mail.outbox) == 2
    assert "T-" in mail.outbox[0].subject and "first-response" in mail.outbox[0].body


def test_the_worker_queues_one_check_at_a_time(cast: Cast, settings: Any) -> None:
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert enqueue_sla_check() is True
    assert enqueue_sla_check() is False  # one is waiting already
    assert DBTaskResult.objects.filter(task_path="kam.service.tasks.check_slas").count() == 1
