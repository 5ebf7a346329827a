"""Back-office service KPIs (SVC-4): per person, per department and for the company, over
a period — tickets handled, first-response and resolution times against their targets,
SLA attainment, breaches, escalations, reopens, handovers and satisfaction.

How a figure is counted (docs/how-to/service-kpis.md says it at length):

* The **period** is whole days in the installation's time zone, `first` to `last`
  inclusive; the default is the last three full calendar months.
* Tickets are **handed over**, so every figure is credited to whoever owned the ticket at
  the moment that counts, read from the ticket's history (created → handovers):
  the first owner for *received*, the owner at the first response for the response
  time, the owner at the resolution for *resolved*, and so on. A person's department is
  the one they are in now.
* **Resolved** (tickets handled): tickets with a resolution in the period, each counted
  once — at its last resolution in the period — for the owner at that resolution. Its
  resolution time (creation → that resolution, in working time of the ticket's SLA
  clock, paused time excluded: waiting for the customer, and resolved until reopened)
  is compared with the ticket's resolution target; **SLA attained** means both of its
  clocks met their targets.
* **First response**: tickets whose first response fell in the period, timed from
  creation in working time (the response clock never pauses).
* **Reopen rate**: of the resolutions given in the period, the share the customer
  reopened (up to the moment the report is made).
* **Breaches**: clocks that went over their target in the period while they were still
  running, credited to the owner at that moment — each of a ticket's two clocks counts.
* **Escalations**: clocks escalated to a manager (level 2) or further in the period.
* **Backlog**: tickets open at the end of the period (or now, for a period not over yet).
* **Satisfaction**: survey answers after a ticket, answered in the period, credited to
  the owner at the ticket's last resolution before the answer.

The business-time arithmetic is kam.service.sla's and kam.service.clock's. The pure part
(`ticket_facts`, `aggregate`) works on plain records, so it is tested on hand-made data;
`build_report` reads the database in a fixed number of queries, whatever the period.
"""

from __future__ import annotations

import datetime as dt
import io
import statistics
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from kam.core.models import Department, Role, Team, User
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.service.clock import WorkCalendar, working_seconds
from kam.service.models import (
    OPEN_STATUSES,
    ClockKind,
    EventKind,
    Survey,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketPause,
    TicketPriority,
    TicketStatus,
)
from kam.service.sla import Calendars, Span, elapsed, moment_after

#: The longest period a report covers (about three years).
MAX_DAYS = 3 * 366
#: Escalation levels that count as an escalation: 2 the manager, 3 the directors (level 1
#: only warns the owner that a clock is at risk).
MANAGER_LEVEL = 2
DIRECTORS_LEVEL = 3

# --- the period ---------------------------------------------------------------------------


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), local_zone())


@dataclass(frozen=True)
class Period:
    """Whole days, `first` to `last` inclusive, in the installation's time zone."""

    first: dt.date
    last: dt.date

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first)

    @property
    def end(self) -> dt.datetime:
        """The first moment after the period."""
        return local_midnight(self.last + dt.timedelta(days=1))

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def __str__(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def month_start(day: dt.date, months_back: int = 0) -> dt.date:
    index = day.year * 12 + day.month - 1 - months_back
    return dt.date(index // 12, index % 12 + 1, 1)


def default_period(today: dt.date) -> Period:
    """The last three full calendar months: figures that no longer move, comparable with
    the monthly reports."""
    return Period(month_start(today, 3), month_start(today) - dt.timedelta(days=1))


def preset_periods(today: dt.date) -> list[tuple[str, Promise, Period]]:
    """Periods offered with one click: (code, label, period)."""
    quarter = month_start(today, (today.month - 1) % 3)
    return [
        ("last_3_months", gettext_lazy("Last 3 full months"), default_period(today)),
        (
            "last_month",
            gettext_lazy("Last month"),
            Period(month_start(today, 1), month_start(today) - dt.timedelta(days=1)),
        ),
        ("this_month", gettext_lazy("This month"), Period(month_start(today), today)),
        (
            "last_quarter",
            gettext_lazy("Last quarter"),
            Period(month_start(quarter, 3), quarter - dt.timedelta(days=1)),
        ),
        ("this_quarter", gettext_lazy("This quarter"), Period(quarter, today)),
        ("this_year", gettext_lazy("This year"), Period(dt.date(today.year, 1, 1), today)),
        (
            "last_12_months",
            gettext_lazy("Last 12 full months"),
            Period(month_start(today, 12), month_start(today) - dt.timedelta(days=1)),
        ),
    ]


def check_period(
    first: dt.date | None, last: dt.date | None, *, today: dt.date | None = None
) -> Period:
    """The period asked for; a missing end is today (or the default's), a missing start
    the default's. RecordInvalid names the field that is wrong."""
    today = today or timezone.localdate()
    default = default_period(today)
    if first is None and last is None:
        return default
    if first is None:
        assert last is not None
        first = min(default.first, last)
    if last is None:
        last = max(today, first)
    if last < first:
        raise RecordInvalid(
            [
                Problem(
                    None,
                    "to",
                    f"{last.isoformat()} is before the start {first.isoformat()} "
                    "(expected a day on or after 'from')",
                )
            ]
        )
    if (last - first).days + 1 > MAX_DAYS:
        raise RecordInvalid(
            [
                Problem(
                    None,
                    "from",
                    f"the period has {(last - first).days + 1} days "
                    f"(expected at most {MAX_DAYS} days)",
                )
            ]
        )
    return Period(first, last)


@dataclass(frozen=True)
class KpiFilters:
    """Which tickets count: by kind, priority and tier (as the ticket has them now); and
    whose rows are shown: one department (its code; "none" for people without one)."""

    kind: str = ""
    priority: str = ""
    tier: str = ""
    department: str = ""


NO_DEPARTMENT = "none"


def check_filters(
    kind: str = "", priority: str = "", tier: str = "", department: str = ""
) -> KpiFilters:
    problems: list[Problem] = []
    choices: list[tuple[str, str, Sequence[str]]] = [
        ("kind", kind, TicketKind.values),
        ("priority", priority, TicketPriority.values),
        ("tier", tier, Tier.values),
    ]
    for name, value, allowed in choices:
        if value and value not in allowed:
            problems.append(
                Problem(
                    None, name, f"unknown value '{value}' (expected one of: {', '.join(allowed)})"
                )
            )
    known = department in ("", NO_DEPARTMENT) or (
        Department.objects.filter(code=department).exists()
    )
    if not known:
        problems.append(
            Problem(
                None,
                "department",
                f"no department '{department}' (expected a department's code, "
                f"or '{NO_DEPARTMENT}')",
            )
        )
    if problems:
        raise RecordInvalid(problems)
    return KpiFilters(kind=kind, priority=priority, tier=tier, department=department)


# --- a ticket's history, as the figures need it ---------------------------------------------


@dataclass(frozen=True, order=True)
class Step:
    """A moment in the history; `seq` (the event's id) orders steps at the same moment."""

    at: dt.datetime
    seq: int = 0


@dataclass(frozen=True)
class Handover:
    at: dt.datetime
    seq: int
    from_user: int | None
    to_user: int | None


@dataclass(frozen=True)
class Escalation:
    at: dt.datetime
    seq: int
    clock: str  # SlaClock
    level: int


@dataclass(frozen=True)
class Answer:
    """A survey answered after the ticket."""

    at: dt.datetime
    csat: int | None = None
    nps: int | None = None


#: Compares after every step at the same moment.
LAST_SEQ = 2**62


@dataclass
class TicketRecord:
    """What the figures need of one ticket: its targets (working seconds of its clock),
    and its history in order."""

    pk: int
    created_at: dt.datetime
    owner: int | None  # now
    response_target: int
    resolution_target: int
    first_response_at: dt.datetime | None = None
    clock: str = ClockKind.BUSINESS
    resolutions: list[Step] = field(default_factory=list)
    reopens: list[Step] = field(default_factory=list)
    handovers: list[Handover] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    pauses: list[Span] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)

    @property
    def first_owner(self) -> int | None:
        """Whoever recorded it: the giver of the first handover, else the owner now."""
        return self.handovers[0].from_user if self.handovers else self.owner

    def owner_at(self, at: dt.datetime, seq: int = LAST_SEQ) -> int | None:
        """Who owned the ticket at that step (a handover at the same moment but recorded
        before the step counts as before it)."""
        current = self.first_owner
        for handover in self.handovers:
            if (handover.at, handover.seq) > (at, seq):
                break
            current = handover.to_user
        return current

    def open_at(self, at: dt.datetime) -> bool:
        """Recorded, and not resolved (or reopened since) at that moment."""
        if self.created_at > at:
            return False
        steps = [(s.at, s.seq, True) for s in self.resolutions if s.at <= at]
        steps += [(s.at, s.seq, False) for s in self.reopens if s.at <= at]
        return not steps or not max(steps)[2]

    def reopened_after(self, step: Step) -> bool:
        return any((r.at, r.seq) > (step.at, step.seq) for r in self.reopens)


# --- facts: what one ticket contributes to a period's figures --------------------------------

RECEIVED = "received"
RESPONSE = "response"
RESOLVED = "resolved"
RESOLUTION = "resolution"  # one resolution given (a ticket may be resolved twice)
RESPONSE_BREACH = "response_breach"
RESOLUTION_BREACH = "resolution_breach"
ESCALATION = "escalation"
HANDOVER_OUT = "handover_out"
HANDOVER_IN = "handover_in"
BACKLOG = "backlog"
ANSWER = "answer"


@dataclass(frozen=True)
class Fact:
    """One thing a person is credited with. `seconds`/`target`/`met` for the times;
    `flag`: SLA attained (resolved), reopened (resolution), overdue (backlog), went to the
    directors (escalation)."""

    kind: str
    person: int | None
    ticket: int
    seconds: int | None = None
    target: int | None = None
    met: bool | None = None
    flag: bool = False
    csat: int | None = None
    nps: int | None = None


def ticket_facts(
    ticket: TicketRecord,
    calendar: WorkCalendar,
    start: dt.datetime,
    end: dt.datetime,
    now: dt.datetime,
) -> list[Fact]:
    """What the ticket contributes to the period [start, end) as known at `now`."""
    facts: list[Fact] = []
    cutoff = min(end, now)

    def inside(moment: dt.datetime) -> bool:
        return start <= moment < end

    pk = ticket.pk
    if inside(ticket.created_at):
        facts.append(Fact(RECEIVED, ticket.first_owner, pk))
    responded = ticket.first_response_at
    if responded is not None and inside(responded):
        seconds = working_seconds(calendar, ticket.created_at, responded)
        facts.append(
            Fact(
                RESPONSE,
                ticket.owner_at(responded),
                pk,
                seconds=seconds,
                target=ticket.response_target,
                met=seconds <= ticket.response_target,
            )
        )
    resolutions = [step for step in sorted(ticket.resolutions) if inside(step.at)]
    for step in resolutions:
        facts.append(
            Fact(
                RESOLUTION,
                ticket.owner_at(step.at, step.seq),
                pk,
                flag=ticket.reopened_after(step),
            )
        )
    if resolutions:
        last = resolutions[-1]
        seconds = elapsed(calendar, ticket.created_at, last.at, ticket.pauses)
        met = seconds <= ticket.resolution_target
        first = responded if responded is not None and responded <= last.at else last.at
        response_met = working_seconds(calendar, ticket.created_at, first) <= (
            ticket.response_target
        )
        facts.append(
            Fact(
                RESOLVED,
                ticket.owner_at(last.at, last.seq),
                pk,
                seconds=seconds,
                target=ticket.resolution_target,
                met=met,
                flag=met and response_met,
            )
        )
    if cutoff <= start:
        return facts  # a period not begun: nothing is due or open in it yet
    # A clock is breached once it has used more than its target: from the first working
    # second after the target ran out (a target used up at 18:00 breaches at 09:00 the
    # next working day, as the ticket's own clock says).
    created = ticket.created_at
    response_over = moment_after(calendar, created, ticket.response_target + 1)
    response_late = responded is None or (
        working_seconds(calendar, created, responded) > ticket.response_target
    )
    if response_late and response_over is not None and start <= response_over < cutoff:
        facts.append(Fact(RESPONSE_BREACH, ticket.owner_at(response_over), pk))
    resolution_over = moment_after(calendar, created, ticket.resolution_target + 1, ticket.pauses)
    if (
        resolution_over is not None
        and start <= resolution_over < cutoff
        and ticket.open_at(resolution_over)
    ):
        facts.append(Fact(RESOLUTION_BREACH, ticket.owner_at(resolution_over), pk))
    if ticket.open_at(cutoff):
        # Overdue then: still awaiting a first response past its target, or past the
        # resolution's (a late response already given no longer makes it overdue).
        awaiting = responded is None or responded > cutoff
        overdue = (awaiting and response_over is not None and response_over <= cutoff) or (
            resolution_over is not None and resolution_over <= cutoff
        )
        facts.append(Fact(BACKLOG, ticket.owner_at(cutoff), pk, flag=overdue))
    escalated: dict[str, list[Escalation]] = {}
    for escalation in sorted(ticket.escalations, key=lambda e: (e.at, e.seq)):
        if escalation.level >= MANAGER_LEVEL and inside(escalation.at):
            escalated.setdefault(escalation.clock, []).append(escalation)
    for steps in escalated.values():
        facts.append(
            Fact(
                ESCALATION,
                ticket.owner_at(steps[0].at, steps[0].seq),
                pk,
                flag=any(e.level >= DIRECTORS_LEVEL for e in steps),
            )
        )
    for handover in ticket.handovers:
        if inside(handover.at):
            facts.append(Fact(HANDOVER_OUT, handover.from_user, pk))
            facts.append(Fact(HANDOVER_IN, handover.to_user, pk))
    for answer in ticket.answers:
        if inside(answer.at):
            before = [step for step in sorted(ticket.resolutions) if step.at <= answer.at]
            person = (
                ticket.owner_at(before[-1].at, before[-1].seq)
                if before
                else ticket.owner_at(answer.at)
            )
            facts.append(Fact(ANSWER, person, pk, csat=answer.csat, nps=answer.nps))
    return facts


# --- figures: facts added up -------------------------------------------------------------------


def share(part: int, whole: int) -> float | None:
    """Percent, None without a whole."""
    return 100.0 * part / whole if whole else None


def median(values: Sequence[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def mean(values: Sequence[int]) -> float | None:
    return float(statistics.fmean(values)) if values else None


@dataclass
class Figures:
    """The figures of a person, a department or the company. Times are working seconds
    of the tickets' SLA clocks; shares are percent (None when there is nothing to count)."""

    received: int = 0
    resolved: int = 0
    sla_attained: int = 0
    response_times: list[int] = field(default_factory=list)
    response_targets: list[int] = field(default_factory=list)
    response_met: int = 0
    resolution_times: list[int] = field(default_factory=list)
    resolution_targets: list[int] = field(default_factory=list)
    resolution_met: int = 0
    response_breaches: int = 0
    resolution_breaches: int = 0
    escalations: int = 0
    escalations_to_directors: int = 0
    resolutions: int = 0
    reopened: int = 0
    handovers_out: int = 0
    handovers_in: int = 0
    backlog: int = 0
    backlog_overdue: int = 0
    answers: int = 0
    csat: list[int] = field(default_factory=list)
    nps: list[int] = field(default_factory=list)

    def add(self, fact: Fact) -> None:
        kind = fact.kind
        if kind == RECEIVED:
            self.received += 1
        elif kind == RESPONSE:
            self.response_times.append(fact.seconds or 0)
            self.response_targets.append(fact.target or 0)
            self.response_met += bool(fact.met)
        elif kind == RESOLVED:
            self.resolved += 1
            self.resolution_times.append(fact.seconds or 0)
            self.resolution_targets.append(fact.target or 0)
            self.resolution_met += bool(fact.met)
            self.sla_attained += fact.flag
        elif kind == RESOLUTION:
            self.resolutions += 1
            self.reopened += fact.flag
        elif kind == RESPONSE_BREACH:
            self.response_breaches += 1
        elif kind == RESOLUTION_BREACH:
            self.resolution_breaches += 1
        elif kind == ESCALATION:
            self.escalations += 1
            self.escalations_to_directors += fact.flag
        elif kind == HANDOVER_OUT:
            self.handovers_out += 1
        elif kind == HANDOVER_IN:
            self.handovers_in += 1
        elif kind == BACKLOG:
            self.backlog += 1
            self.backlog_overdue += fact.flag
        elif kind == ANSWER:
            self.answers += 1
            if fact.csat is not None:
                self.csat.append(fact.csat)
            if fact.nps is not None:
                self.nps.append(fact.nps)

    # first response
    @property
    def responses(self) -> int:
        return len(self.response_times)

    @property
    def response_median(self) -> float | None:
        return median(self.response_times)

    @property
    def response_mean(self) -> float | None:
        return mean(self.response_times)

    @property
    def response_target_median(self) -> float | None:
        return median(self.response_targets)

    @property
    def response_within(self) -> float | None:
        return share(self.response_met, self.responses)

    # resolution
    @property
    def resolution_median(self) -> float | None:
        return median(self.resolution_times)

    @property
    def resolution_mean(self) -> float | None:
        return mean(self.resolution_times)

    @property
    def resolution_target_median(self) -> float | None:
        return median(self.resolution_targets)

    @property
    def resolution_within(self) -> float | None:
        return share(self.resolution_met, self.resolved)

    @property
    def sla_attainment(self) -> float | None:
        return share(self.sla_attained, self.resolved)

    @property
    def breaches(self) -> int:
        return self.response_breaches + self.resolution_breaches

    @property
    def reopen_rate(self) -> float | None:
        return share(self.reopened, self.resolutions)

    # satisfaction
    @property
    def csat_average(self) -> float | None:
        return mean(self.csat)

    @property
    def csat_satisfied(self) -> float | None:
        """Share of CSAT answers of 4 or 5."""
        return share(sum(1 for score in self.csat if score >= 4), len(self.csat))

    @property
    def promoters(self) -> int:
        return sum(1 for score in self.nps if score >= 9)

    @property
    def detractors(self) -> int:
        return sum(1 for score in self.nps if score <= 6)

    @property
    def nps_score(self) -> float | None:
        """Net promoter score: % promoters (9–10) − % detractors (0–6), −100 to 100."""
        if not self.nps:
            return None
        return 100.0 * (self.promoters - self.detractors) / len(self.nps)

    @property
    def is_empty(self) -> bool:
        return not (
            self.received
            or self.resolved
            or self.responses
            or self.resolutions
            or self.breaches
            or self.escalations
            or self.handovers_out
            or self.handovers_in
            or self.backlog
            or self.answers
        )


def aggregate(facts: Iterable[Fact]) -> Figures:
    figures = Figures()
    for fact in facts:
        figures.add(fact)
    return figures


def grouped(facts: Iterable[Fact], key: Callable[[Fact], Hashable | None]) -> dict[Any, Figures]:
    """Figures per key (facts whose key is None are left out)."""
    out: dict[Any, Figures] = {}
    for fact in facts:
        group = key(fact)
        if group is None:
            continue
        out.setdefault(group, Figures()).add(fact)
    return out


# --- goals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Goals:
    """What the service aims for (settings KAM_SERVICE_GOAL_*): the page colours a figure
    that misses its goal."""

    within_target: int = 90  # % of first responses, resolutions and tickets within target
    reopened: int = 5  # % of resolutions reopened, at most
    satisfied: int = 80  # % of CSAT answers 4 or 5
    nps: int = 30  # net promoter score, at least

    @classmethod
    def from_settings(cls) -> Goals:
        return cls(
            within_target=int(getattr(settings, "KAM_SERVICE_GOAL_WITHIN_TARGET", 90)),
            reopened=int(getattr(settings, "KAM_SERVICE_GOAL_REOPENED", 5)),
            satisfied=int(getattr(settings, "KAM_SERVICE_GOAL_SATISFIED", 80)),
            nps=int(getattr(settings, "KAM_SERVICE_GOAL_NPS", 30)),
        )

    def judge(self, figures: Figures) -> dict[str, str]:
        """'ok' or 'below' for each figure with a goal ('' when there is nothing yet)."""

        def at_least(value: float | None, goal: float) -> str:
            if value is None:
                return ""
            return "ok" if value >= goal else "below"

        reopen = figures.reopen_rate
        return {
            "response_within": at_least(figures.response_within, self.within_target),
            "resolution_within": at_least(figures.resolution_within, self.within_target),
            "sla_attainment": at_least(figures.sla_attainment, self.within_target),
            "reopen_rate": "" if reopen is None else ("ok" if reopen <= self.reopened else "below"),
            "csat_satisfied": at_least(figures.csat_satisfied, self.satisfied),
            "nps_score": at_least(figures.nps_score, self.nps),
        }


# --- who sees whose figures --------------------------------------------------------------------


@dataclass(frozen=True)
class KpiScope:
    """Directors, administrators and analysts see everyone and the company. A sales manager
    sees the people of the team and of their own department, the team's and that
    department's totals. Anyone else sees their own row and their department's total."""

    everyone: bool
    people: frozenset[int] = frozenset()
    departments: frozenset[int] = frozenset()
    team: int | None = None

    def sees_person(self, user: User) -> bool:
        return self.everyone or user.pk in self.people


def kpi_scope(user: User) -> KpiScope:
    if not user.is_authenticated or not user.is_active:
        return KpiScope(everyone=False)
    if user.sees_all_accounts:
        return KpiScope(everyone=True)
    departments = frozenset({user.department_id}) if user.department_id else frozenset()
    if user.role == Role.SALES_MANAGER:
        mates = Q(pk=user.pk)
        if user.team_id is not None:
            mates |= Q(team_id=user.team_id)
        if user.department_id is not None:
            mates |= Q(department_id=user.department_id)
        people = frozenset(User.objects.filter(mates).values_list("pk", flat=True))
        return KpiScope(everyone=False, people=people, departments=departments, team=user.team_id)
    return KpiScope(everyone=False, people=frozenset({user.pk}), departments=departments)


def visible_departments(user: User, scope: KpiScope | None = None) -> list[Department]:
    """The departments whose rows the user may ask for (the filter's choices)."""
    scope = scope or kpi_scope(user)
    rows = Department.objects.order_by("name", "pk")
    if scope.everyone:
        return list(rows)
    return list(rows.filter(pk__in=scope.departments))


# --- reading the database ------------------------------------------------------------------------

TICKET_FIELDS = (
    "pk",
    "created_at",
    "first_response_at",
    "resolved_at",
    "status",
    "clock",
    "response_minutes",
    "resolution_minutes",
    "owner_id",
)
EVENT_KINDS = (EventKind.RESOLVED, EventKind.REOPENED, EventKind.HANDED_OVER, EventKind.ESCALATED)


def counted_tickets(period: Period, filters: KpiFilters) -> Any:
    """Tickets that may count in the period: recorded before its end and open now, or with
    a step in its history since its start, or a survey answered in it (ids, a subquery)."""
    start, end = period.start, period.end
    rows = Ticket.objects.filter(created_at__lt=end)
    for name in ("kind", "priority", "tier"):
        value = getattr(filters, name)
        if value:
            rows = rows.filter(**{name: value})
    touched = TicketEvent.objects.filter(at__gte=start).values("ticket_id")
    answered = Survey.objects.filter(
        ticket__isnull=False, responded_at__gte=start, responded_at__lt=end
    ).values("ticket_id")
    rows = rows.filter(
        Q(status__in=OPEN_STATUSES)
        | Q(resolved_at__gte=start)
        | Q(pk__in=touched)
        | Q(pk__in=answered)
    )
    return rows.order_by().values("pk")


def load_records(period: Period, filters: KpiFilters) -> list[TicketRecord]:
    """The tickets that may count, with their history: four queries."""
    ids = counted_tickets(period, filters)
    records: dict[int, TicketRecord] = {}
    stopped: dict[int, dt.datetime] = {}
    for (
        pk,
        created_at,
        first_response_at,
        resolved_at,
        status,
        clock,
        response_minutes,
        resolution_minutes,
        owner_id,
    ) in Ticket.objects.filter(pk__in=ids).order_by("pk").values_list(*TICKET_FIELDS):
        records[pk] = TicketRecord(
            pk=pk,
            created_at=created_at,
            owner=owner_id,
            response_target=response_minutes * 60,
            resolution_target=resolution_minutes * 60,
            first_response_at=first_response_at,
            clock=clock or ClockKind.BUSINESS,
        )
        if status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and resolved_at is not None:
            stopped[pk] = resolved_at
    events = (
        TicketEvent.objects.filter(ticket_id__in=ids, kind__in=EVENT_KINDS)
        .order_by("at", "pk")
        .values_list(
            "ticket_id", "pk", "kind", "at", "from_user_id", "to_user_id", "clock", "level"
        )
    )
    for ticket_id, pk, kind, at, from_user, to_user, clock, level in events:
        record = records.get(ticket_id)
        if record is None:
            continue
        if kind == EventKind.RESOLVED:
            record.resolutions.append(Step(at, pk))
        elif kind == EventKind.REOPENED:
            record.reopens.append(Step(at, pk))
        elif kind == EventKind.HANDED_OVER:
            record.handovers.append(Handover(at, pk, from_user, to_user))
        elif kind == EventKind.ESCALATED and clock:
            record.escalations.append(Escalation(at, pk, clock, level or 0))
    for pk, resolved_at in stopped.items():  # a resolution with no history row (imported)
        if not records[pk].resolutions:
            records[pk].resolutions.append(Step(resolved_at, 0))
    pauses = TicketPause.objects.filter(ticket_id__in=ids).values_list(
        "ticket_id", "started_at", "ended_at"
    )
    for ticket_id, started_at, ended_at in pauses:
        if ticket_id in records:
            records[ticket_id].pauses.append((started_at, ended_at))
    answers = Survey.objects.filter(
        ticket_id__in=ids, responded_at__gte=period.start, responded_at__lt=period.end
    ).values_list("ticket_id", "responded_at", "csat", "nps")
    for ticket_id, responded_at, csat, nps in answers:
        if ticket_id in records:
            records[ticket_id].answers.append(Answer(responded_at, csat, nps))
    return list(records.values())


def period_facts(
    records: Iterable[TicketRecord],
    period: Period,
    now: dt.datetime,
    calendars: Calendars | None = None,
) -> list[Fact]:
    calendars = calendars or Calendars()
    facts: list[Fact] = []
    for record in records:
        calendar = calendars.get(record.clock)
        facts.extend(ticket_facts(record, calendar, period.start, period.end, now))
    return facts


# --- the report ----------------------------------------------------------------------------------

COMPANY = "company"
DEPARTMENT = "department"
TEAM = "team"
PERSON = "person"


def department_label(department: Department | None) -> str:
    if department is None:
        return str(_("No department"))
    if department.name_zh and (get_language() or "").startswith("zh"):
        return department.name_zh
    return department.name


def person_label(user: User) -> str:
    name = user.get_full_name() or user.username
    return name if user.is_active else f"{name} ({_('deactivated')})"


@dataclass
class Row:
    """One line of a table: a person, a department (or a team), or the company."""

    level: str  # COMPANY, DEPARTMENT, TEAM or PERSON
    key: str  # the department's code, the team's name, the username; "" for the company
    label: str
    figures: Figures
    department: str = ""  # a person's department (its label)
    department_code: str = ""
    user: User | None = None
    judged: dict[str, str] = field(default_factory=dict)


@dataclass
class KpiReport:
    period: Period
    filters: KpiFilters
    goals: Goals
    made_at: dt.datetime
    everyone: bool
    total: Row | None  # the company (directors, administrators, analysts)
    groups: list[Row]  # departments (or the viewer's department and team)
    people: list[Row]

    @property
    def headline(self) -> Row | None:
        """The row the summary shows: the company, else the first group, else one's own."""
        if self.total is not None:
            return self.total
        if self.groups:
            return self.groups[0]
        return self.people[0] if self.people else None

    @property
    def is_current(self) -> bool:
        """The period reaches today: the backlog is the open tickets now."""
        return self.period.end > self.made_at


class _Tables:
    """The rows of one report: facts grouped by person, department and team."""

    def __init__(
        self, facts: list[Fact], people: dict[int, User], filters: KpiFilters, goals: Goals
    ) -> None:
        self.facts = facts
        self.people = people
        self.goals = goals
        self.by_person = grouped(facts, lambda fact: fact.person)
        self.by_department = grouped(facts, lambda fact: self.department_of(fact.person))
        self.departments = {p.department_id: p.department for p in people.values()}
        self.chosen = filters.department
        self.chosen_id: int | None = None
        if self.chosen and self.chosen != NO_DEPARTMENT:
            found = next(
                (d for d in self.departments.values() if d and d.code == self.chosen), None
            )
            if found is None:
                found = Department.objects.filter(code=self.chosen).first()
            self.chosen_id = found.pk if found is not None else None

    def department_of(self, pk: int | None) -> int | str:
        """A person's department id; NO_DEPARTMENT without one (or an unknown person)."""
        person = self.people.get(pk) if pk is not None else None
        if person is None or person.department_id is None:
            return NO_DEPARTMENT
        return person.department_id

    def in_chosen(self, department_id: int | None) -> bool:
        """In the department the filter chose (any, without a filter)."""
        if not self.chosen:
            return True
        if self.chosen == NO_DEPARTMENT:
            return department_id is None
        return self.chosen_id is not None and department_id == self.chosen_id

    def row(self, level: str, key: str, label: str, figures: Figures, **extra: Any) -> Row:
        return Row(level, key, label, figures, judged=self.goals.judge(figures), **extra)

    def company(self) -> Row:
        return self.row(COMPANY, "", str(_("Company total")), aggregate(self.facts))

    def department(self, department: Department) -> Row:
        figures = self.by_department.get(department.pk, Figures())
        return self.row(DEPARTMENT, department.code, department_label(department), figures)

    def all_departments(self) -> list[Row]:
        """Every department with members or figures, then No department (if it has any)."""
        known = [d for d in self.departments.values() if d is not None and self.in_chosen(d.pk)]
        rows = [
            self.department(d) for d in sorted(known, key=lambda d: department_label(d).lower())
        ]
        if NO_DEPARTMENT in self.by_department and self.in_chosen(None):
            rows.append(
                self.row(
                    DEPARTMENT,
                    NO_DEPARTMENT,
                    department_label(None),
                    self.by_department[NO_DEPARTMENT],
                )
            )
        return rows

    def team(self, team_id: int) -> Row | None:
        team = next((p.team for p in self.people.values() if p.team_id == team_id), None)
        team = team or Team.objects.filter(pk=team_id).first()
        if team is None:
            return None
        members = {pk for pk, person in self.people.items() if person.team_id == team_id}
        figures = aggregate(fact for fact in self.facts if fact.person in members)
        return self.row(TEAM, team.name, _("Team %(name)s") % {"name": team.name}, figures)

    def person_rows(self, scope: KpiScope, viewer: User) -> list[Row]:
        """The people the viewer sees: those with figures, the active members of a
        department, and (outside the full view) the viewer."""
        rows: list[Row] = []
        for pk, person in self.people.items():
            if not scope.sees_person(person) or not self.in_chosen(person.department_id):
                continue
            figures = self.by_person.get(pk)
            if figures is None:
                on_staff = person.department_id is not None and person.is_active
                own = pk == viewer.pk and not scope.everyone
                if not on_staff and not own:
                    continue
                figures = Figures()
            department = person.department
            rows.append(
                self.row(
                    PERSON,
                    person.username,
                    person_label(person),
                    figures,
                    department=department_label(department),
                    department_code=department.code if department else "",
                    user=person,
                )
            )
        rows.sort(key=lambda r: (r.department_code == "", r.department.lower(), r.label.lower()))
        return rows


def build_report(
    user: User,
    period: Period,
    filters: KpiFilters | None = None,
    *,
    now: dt.datetime | None = None,
    goals: Goals | None = None,
    scope: KpiScope | None = None,
) -> KpiReport:
    """The figures `user` may see for the period (`scope`: kpi_scope(user), if known)."""
    filters = filters or KpiFilters()
    now = now or timezone.now()
    goals = goals or Goals.from_settings()
    scope = scope or kpi_scope(user)
    facts = period_facts(load_records(period, filters), period, now)
    people = {p.pk: p for p in User.objects.select_related("department", "team").order_by("pk")}
    tables = _Tables(facts, people, filters, goals)
    if scope.everyone:
        total: Row | None = tables.company()
        groups = tables.all_departments()
    else:
        total = None
        groups = [
            tables.department(department)
            for department_id in sorted(scope.departments)
            if (department := tables.departments.get(department_id)) is not None
            and tables.in_chosen(department_id)
        ]
        team = tables.team(scope.team) if scope.team is not None else None
        groups += [team] if team is not None else []
    return KpiReport(
        period=period,
        filters=filters,
        goals=goals,
        made_at=now,
        everyone=scope.everyone,
        total=total,
        groups=groups,
        people=tables.person_rows(scope, user),
    )


# --- ordering the people ----------------------------------------------------------------------

SORTS: dict[str, Callable[[Figures], float | None]] = {
    "received": lambda f: f.received,
    "resolved": lambda f: f.resolved,
    "backlog": lambda f: f.backlog,
    "response": lambda f: f.response_median,
    "resolution": lambda f: f.resolution_median,
    "sla": lambda f: f.sla_attainment,
    "breaches": lambda f: f.breaches,
    "reopen": lambda f: f.reopen_rate,
    "csat": lambda f: f.csat_average,
    "nps": lambda f: f.nps_score,
}


def sort_people(rows: list[Row], sort: str) -> tuple[list[Row], str]:
    """The people ordered by a figure ('-name' descending); rows without the figure last.
    The default (and an unknown sort) is by department and name."""
    key = sort.lstrip("-")
    if key not in SORTS:
        return rows, ""
    measure = SORTS[key]
    descending = sort.startswith("-")
    known = [r for r in rows if measure(r.figures) is not None]
    unknown = [r for r in rows if measure(r.figures) is None]
    known.sort(key=lambda r: (measure(r.figures) or 0, r.label.lower()), reverse=descending)
    return known + unknown, sort


# --- export ------------------------------------------------------------------------------------

EXPORT_HEADER = [
    "level",
    "key",
    "name",
    "department",
    "period_from",
    "period_to",
    "received",
    "resolved",
    "backlog",
    "backlog_overdue",
    "first_responses",
    "response_median_hours",
    "response_mean_hours",
    "response_target_median_hours",
    "response_within_target_pct",
    "resolution_median_hours",
    "resolution_mean_hours",
    "resolution_target_median_hours",
    "resolution_within_target_pct",
    "sla_attained",
    "sla_attainment_pct",
    "response_breaches",
    "resolution_breaches",
    "escalations",
    "escalations_to_directors",
    "resolutions",
    "reopened",
    "reopen_rate_pct",
    "handovers_out",
    "handovers_in",
    "survey_answers",
    "csat_answers",
    "csat_average",
    "csat_satisfied_pct",
    "nps_answers",
    "nps",
]


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def export_row(report: KpiReport, row: Row) -> list[Any]:
    f = row.figures
    return [
        row.level,
        row.key,
        row.label,
        row.department if row.level == PERSON else "",
        report.period.first.isoformat(),
        report.period.last.isoformat(),
        f.received,
        f.resolved,
        f.backlog,
        f.backlog_overdue,
        f.responses,
        hours(f.response_median),
        hours(f.response_mean),
        hours(f.response_target_median),
        rounded(f.response_within),
        hours(f.resolution_median),
        hours(f.resolution_mean),
        hours(f.resolution_target_median),
        rounded(f.resolution_within),
        f.sla_attained,
        rounded(f.sla_attainment),
        f.response_breaches,
        f.resolution_breaches,
        f.escalations,
        f.escalations_to_directors,
        f.resolutions,
        f.reopened,
        rounded(f.reopen_rate),
        f.handovers_out,
        f.handovers_in,
        f.answers,
        len(f.csat),
        rounded(f.csat_average, 2),
        rounded(f.csat_satisfied),
        len(f.nps),
        rounded(f.nps_score),
    ]


def export_tables(report: KpiReport) -> tuple[list[list[Any]], list[list[Any]]]:
    """(the company and group rows, the people rows), each row in EXPORT_HEADER order."""
    groups = [report.total] if report.total is not None else []
    groups += report.groups
    return (
        [export_row(report, row) for row in groups],
        [export_row(report, row) for row in report.people],
    )


def csv_text(report: KpiReport) -> str:
    """Both tables in one CSV: the level column says which row is which."""
    from kam.dataio.export import write_csv

    groups, people = export_tables(report)
    text = io.StringIO()
    cells = [[("" if value is None else value) for value in row] for row in groups + people]
    write_csv(text, EXPORT_HEADER, cells)
    return text.getvalue()


def write_workbook(report: KpiReport, target: Any) -> None:
    """Two sheets, departments and people; figures are numbers, names are text (never a
    formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    groups, people = export_tables(report)
    book = Workbook(write_only=True)
    for title, rows in (("Departments", groups), ("People", people)):
        sheet = book.create_sheet(title)
        sheet.append(EXPORT_HEADER)
        for values in rows:
            cells = []
            for value in values:
                if isinstance(value, str):
                    cell = WriteOnlyCell(sheet, value=value)
                    cell.data_type = "s"
                    cells.append(cell)
                else:
                    cells.append(WriteOnlyCell(sheet, value=value))
            sheet.append(cells)
    book.save(target)


def export_bytes(report: KpiReport, fmt: str) -> bytes:
    """CSV (UTF-8 with BOM, for Excel) or XLSX."""
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_workbook(report, buffer)
        return buffer.getvalue()
    return ("\ufeff" + csv_text(report)).encode("utf-8")


def export_file(report: KpiReport, path: Path) -> int:
    """Write the report to a .csv or .xlsx file; the number of rows written."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ValueError(
            f"cannot export to '{path.name}' (expected a file ending in .csv or .xlsx)"
        )
    path.write_bytes(export_bytes(report, suffix.lstrip(".")))
    groups, people = export_tables(report)
    return len(groups) + len(people)


def export_name(report: KpiReport, fmt: str) -> str:
    period = report.period
    return f"service-kpis-{period.first:%Y%m%d}-{period.last:%Y%m%d}.{fmt}"


# --- showing figures ------------------------------------------------------------------------


def hours_text(seconds: float | None) -> str:
    """Working time, short enough for a table: '40 min' under an hour, else hours with
    one decimal ('3.2 h'); '—' when there is none."""
    from django.utils.formats import number_format

    if seconds is None:
        return "—"
    if seconds < 3600:
        return _("%(minutes)d min") % {"minutes": round(seconds / 60)}
    tenths = round(seconds / 360)
    shown = number_format(tenths // 10) if tenths % 10 == 0 else number_format(tenths / 10, 1)
    return _("%(hours)s h") % {"hours": shown}


def percent_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"
