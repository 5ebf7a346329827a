"""Escalation of tickets at risk of breaching, or breaching, their SLA (SVC-2).

`check_slas` looks at every open ticket's two clocks and escalates each clock up a ladder:

1. **at risk** (AT_RISK_SHARE of the target used): the ticket's owner and the account's
   owner are told;
2. **breached** (the target used up, the clock still running): the owner, the account
   owner and the account owner's sales manager (the team's sales manager);
3. **badly breached** (overdue by more than BADLY_BREACHED_SHARE of the target): the
   directors.

Each level is reached once per clock per ticket: the level reached is stored on the
ticket (under a row lock), so running the check twice tells nobody twice. A check that
finds a clock several levels up at once records each level in the history and tells
each person once, with the highest level's message. Notifications go through
kam.notifications (in-app, and email when a mail server is configured).

The check runs in the background (`kam worker` queues it every KAM_SLA_CHECK_MINUTES;
`kam service check-sla` runs it at once), never on page loads.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass

from django.db import transaction
from django.utils import timezone

from kam.core.models import Role, User
from kam.notifications.services import distinct_active, notify
from kam.service.models import OPEN_STATUSES, EventKind, Ticket
from kam.service.sla import Calendars, Clock, refresh_due, ticket_clocks
from kam.service.tickets import add_event

log = logging.getLogger(__name__)

LEVEL_NAMES = {1: "at_risk", 2: "breached", 3: "escalated"}


def message_code(clock: str, level: int) -> str:
    """e.g. service.response_at_risk, service.resolution_breached, service.resolution_escalated"""
    return f"service.{clock}_{LEVEL_NAMES[level]}"


@dataclass
class CheckReport:
    checked: int = 0  # open tickets looked at
    escalations: int = 0  # levels reached (history rows)
    notified: int = 0  # notifications written
    refreshed: int = 0  # tickets whose stored due moments moved (a calendar change)

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def sales_managers_of(user: User) -> list[User]:
    """The sales managers of the user's team (none without a team)."""
    if user.team_id is None:
        return []
    return list(
        User.objects.filter(role=Role.SALES_MANAGER, team_id=user.team_id, is_active=True)
        .exclude(pk=user.pk)
        .order_by("pk")
    )


def directors() -> list[User]:
    return list(User.objects.filter(role=Role.DIRECTOR, is_active=True).order_by("pk"))


def level_recipients(ticket: Ticket, level: int) -> list[User]:
    """Who is told when a clock reaches `level`."""
    account_owner = ticket.account.owner
    if level == 1:
        people = [ticket.owner, account_owner]
    elif level == 2:
        people = [ticket.owner, account_owner, *sales_managers_of(account_owner)]
    else:
        people = directors()
    return distinct_active(people)


def check_slas(now: dt.datetime | None = None) -> CheckReport:
    """Escalate every open ticket whose clocks call for it; refresh stored due moments."""
    now = now or timezone.now()
    report = CheckReport()
    calendars = Calendars()
    ids = list(
        Ticket.objects.filter(status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True)
    )
    for pk in ids:
        try:
            check_ticket(pk, now=now, calendars=calendars, report=report)
        except Exception:  # one broken ticket must not stop the others' escalations
            log.exception("SLA check of ticket %s failed", pk)
    return report


def check_ticket(
    pk: int, *, now: dt.datetime, calendars: Calendars, report: CheckReport | None = None
) -> list[int]:
    """Escalate one ticket as far as its clocks call for; the levels reached."""
    report = report if report is not None else CheckReport()
    reached: list[int] = []
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=pk, status__in=OPEN_STATUSES).first()
        if ticket is None:
            return reached
        report.checked += 1
        pauses = list(ticket.pauses.all())
        changed = refresh_due(ticket, calendars=calendars, pauses=pauses, now=now)
        if changed:
            report.refreshed += 1
        clocks = ticket_clocks(ticket, now=now, calendars=calendars, pauses=pauses)
        for clock in clocks:
            field = f"{clock.name}_escalation"
            stored = getattr(ticket, field)
            wanted = clock.escalation_level
            if wanted <= stored:
                continue
            escalate(ticket, clock, range(stored + 1, wanted + 1), now=now, report=report)
            setattr(ticket, field, wanted)
            changed.append(field)
            reached.extend(range(stored + 1, wanted + 1))
        if changed:
            ticket.save(update_fields=sorted(set(changed)))
    return reached


def escalate(
    ticket: Ticket, clock: Clock, levels: range, *, now: dt.datetime, report: CheckReport
) -> None:
    """Record each level in the history; tell everyone concerned once, with the highest
    level's message."""
    told: dict[int, User] = {}
    for level in levels:
        people = level_recipients(ticket, level)
        add_event(
            ticket,
            EventKind.ESCALATED,
            actor=None,
            at=now,
            clock=clock.name,
            level=level,
            data={
                "recipients": [person.username for person in people],
                "state": clock.state,
                "used_seconds": clock.used,
                "target_seconds": clock.target,
            },
        )
        report.escalations += 1
        for person in people:
            told.setdefault(person.pk, person)
    if not told:
        return
    due = timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M") if clock.due_at else ""
    notes = notify(
        list(told.values()),
        message_code(clock.name, levels[-1]),
        {
            "number": ticket.number,
            "subject": ticket.subject[:80],
            "account": ticket.account.name,
            "due": due,
        },
        link=ticket.get_absolute_url(),
        account_id=ticket.account_id,
    )
    report.notified += len(notes)
