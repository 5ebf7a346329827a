"""A ticket's SLA clocks (SVC-2): how much of each target is used, when it is due, and
its state — on track, at risk, breached, paused, met or missed.

Two clocks run from the moment a ticket is recorded:

* **first response** stops at the first response (responding, asking the customer for
  something, or resolving at once). It never pauses.
* **resolution** stops when the ticket is resolved. It stands still while the ticket
  waits for the customer (status waiting_customer), and while a ticket is resolved until
  the customer reopens it; both stretches are TicketPause rows, so the paused working
  time is exact.

Both count in the business calendar (working weekdays, hours, holidays and make-up
working days; kam.service.clock) unless the tier's policy counts around the clock.
A clock is *at risk* once AT_RISK_SHARE of its target is used, *breached* once the whole
target is used and the clock still runs; a stopped clock is *met* or *missed*.

The functions here only compute; kam.service.tickets writes.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from kam.service.clock import WorkCalendar, add_working_seconds, working_seconds
from kam.service.models import (
    ClockKind,
    SlaClock,
    SlaState,
    Ticket,
    TicketPause,
    TicketStatus,
)

#: A running clock is at risk once this share of its target is used.
AT_RISK_SHARE = 0.75
#: A breached clock goes to the directors once it is overdue by this share of its target.
BADLY_BREACHED_SHARE = 0.5

Span = tuple[dt.datetime, dt.datetime | None]


class Calendars:
    """The business and the 24×7 calendar, each read from the database once (a list page
    computes many tickets' clocks with the same calendars)."""

    def __init__(self) -> None:
        self._found: dict[str, WorkCalendar] = {}

    def get(self, clock: str) -> WorkCalendar:
        if clock not in self._found:
            from kam.service.policies import work_calendar

            self._found[clock] = work_calendar(clock)
        return self._found[clock]


@dataclass(frozen=True)
class Clock:
    """One SLA clock of one ticket at one moment."""

    name: str  # SlaClock: response or resolution
    target: int  # working seconds allowed
    used: int  # working seconds counted so far (or until the clock stopped)
    due_at: dt.datetime | None  # when the target is (or was) used up; None while paused
    risk_at: dt.datetime | None  # when AT_RISK_SHARE of it is (or was) used up
    stopped_at: dt.datetime | None  # the first response / the resolution
    paused: bool
    state: str  # SlaState

    @property
    def running(self) -> bool:
        return self.stopped_at is None

    @property
    def remaining(self) -> int:
        """Working seconds left; negative when overdue."""
        return self.target - self.used

    @property
    def overdue(self) -> int:
        return max(0, self.used - self.target)

    @property
    def used_share(self) -> float:
        return self.used / self.target if self.target else 1.0

    @property
    def percent(self) -> int:
        """How much of the target is used, 0–100 (for a bar)."""
        return min(100, round(100 * self.used_share))

    @property
    def label(self) -> str:
        return str(SlaClock(self.name).label)

    @property
    def state_label(self) -> str:
        return str(SlaState(self.state).label)

    @property
    def left_text(self) -> str:
        """'3 h 20 min left', '45 min overdue' in working time, or how it ended."""
        if self.state in (SlaState.MET, SlaState.MISSED):
            if self.overdue:
                return _("%(time)s late") % {"time": duration_text(self.overdue)}
            return _("%(time)s to spare") % {"time": duration_text(self.remaining)}
        if self.overdue:
            return _("%(time)s overdue") % {"time": duration_text(self.overdue)}
        return _("%(time)s left") % {"time": duration_text(self.remaining)}

    @property
    def escalation_level(self) -> int:
        """The escalation this clock calls for now: 0 none, 1 at risk, 2 breached, 3 overdue
        by more than BADLY_BREACHED_SHARE of the target. Stopped clocks call for none."""
        if not self.running:
            return 0
        if self.state == SlaState.BREACHED:
            return 3 if self.overdue > BADLY_BREACHED_SHARE * self.target else 2
        if self.state == SlaState.AT_RISK:
            return 1
        return 0


@dataclass(frozen=True)
class Clocks:
    response: Clock
    resolution: Clock

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter((self.response, self.resolution))

    @property
    def worst(self) -> str:
        """The ticket's SLA state in one word: the worse of its two clocks."""
        order = [
            SlaState.BREACHED,
            SlaState.MISSED,
            SlaState.AT_RISK,
            SlaState.PAUSED,
            SlaState.ON_TRACK,
            SlaState.MET,
        ]
        states = {self.response.state, self.resolution.state}
        return next(state for state in order if state in states)


def duration_text(seconds: int) -> str:
    """Working time in words: '1 h 05 min', '40 min', '26 h'."""
    minutes = math.ceil(abs(seconds) / 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return _("%(hours)d h") % {"hours": hours}
    return _("%(minutes)d min") % {"minutes": minutes}


def target_text(minutes: int) -> str:
    return duration_text(minutes * 60)


# --- the arithmetic ------------------------------------------------------------------------


def merged(spans: Iterable[Span], start: dt.datetime, end: dt.datetime) -> list[Span]:
    """Pauses clipped to [start, end], sorted and merged; a pause still open stays open
    (it runs until `end`)."""
    out: list[tuple[dt.datetime, dt.datetime, bool]] = []
    for begin, finish in sorted(spans, key=lambda span: span[0]):
        low = max(begin, start)
        high = end if finish is None else min(finish, end)
        if low > end or high < low:
            continue
        is_open = finish is None
        if out and low <= out[-1][1]:
            first, last, was_open = out[-1]
            out[-1] = (first, max(last, high), was_open or is_open)
        else:
            out.append((low, high, is_open))
    return [(begin, None if is_open else finish) for begin, finish, is_open in out]


def elapsed(
    calendar: WorkCalendar, start: dt.datetime, end: dt.datetime, pauses: Sequence[Span] = ()
) -> int:
    """Working seconds from start to end, less those inside pauses."""
    total = working_seconds(calendar, start, end)
    for begin, finish in merged(pauses, start, end):
        total -= working_seconds(calendar, begin, finish or end)
    return max(0, total)


def moment_after(
    calendar: WorkCalendar, start: dt.datetime, seconds: int, pauses: Sequence[Span] = ()
) -> dt.datetime | None:
    """When `seconds` of unpaused working time have passed after `start`; None when the
    clock is paused (an open pause) before they have."""
    left = seconds
    cursor = start
    far = dt.datetime.max.replace(tzinfo=dt.UTC)
    for begin, finish in merged(pauses, start, far):
        if begin > cursor:
            room = working_seconds(calendar, cursor, begin)
            if room >= left:
                return add_working_seconds(calendar, cursor, left)
            left -= room
        if finish is None:
            return None
        cursor = max(cursor, finish)
    return add_working_seconds(calendar, cursor, left)


def clock_state(
    *, target: int, used: int, stopped: bool, paused: bool, risk_share: float = AT_RISK_SHARE
) -> str:
    if stopped:
        return SlaState.MET if used <= target else SlaState.MISSED
    if used > target:
        return SlaState.BREACHED
    if paused:
        return SlaState.PAUSED
    if used >= risk_share * target:
        return SlaState.AT_RISK
    return SlaState.ON_TRACK


def risk_seconds(target: int) -> int:
    return math.ceil(AT_RISK_SHARE * target)


def measure(
    calendar: WorkCalendar,
    *,
    name: str,
    start: dt.datetime,
    target: int,
    stopped_at: dt.datetime | None,
    pauses: Sequence[Span],
    now: dt.datetime,
) -> Clock:
    end = stopped_at or now
    used = elapsed(calendar, start, end, pauses)
    paused = stopped_at is None and any(
        finish is None for _begin, finish in merged(pauses, start, now)
    )
    return Clock(
        name=name,
        target=target,
        used=used,
        due_at=moment_after(calendar, start, target, pauses),
        risk_at=moment_after(calendar, start, risk_seconds(target), pauses),
        stopped_at=stopped_at,
        paused=paused,
        state=clock_state(target=target, used=used, stopped=stopped_at is not None, paused=paused),
    )


# --- a ticket's clocks -------------------------------------------------------------------------


def pause_spans(ticket: Ticket, pauses: Iterable[TicketPause] | None = None) -> list[Span]:
    """The ticket's pauses of the resolution clock (prefetched `pauses` if loaded)."""
    rows = pauses if pauses is not None else ticket.pauses.all()
    return [(pause.started_at, pause.ended_at) for pause in rows]


def ticket_clocks(
    ticket: Ticket,
    *,
    now: dt.datetime | None = None,
    calendars: Calendars | None = None,
    pauses: Iterable[TicketPause] | None = None,
) -> Clocks:
    """Both clocks of the ticket as of `now` (default: now), from its stored targets."""
    now = now or timezone.now()
    calendar = (calendars or Calendars()).get(ticket.clock or ClockKind.BUSINESS)
    spans = pause_spans(ticket, pauses)
    response = measure(
        calendar,
        name=SlaClock.RESPONSE,
        start=ticket.created_at,
        target=ticket.response_minutes * 60,
        stopped_at=ticket.first_response_at,
        pauses=(),
        now=now,
    )
    resolution = measure(
        calendar,
        name=SlaClock.RESOLUTION,
        start=ticket.created_at,
        target=ticket.resolution_minutes * 60,
        stopped_at=ticket.resolved_at if ticket.status in _STOPPED else None,
        pauses=spans,
        now=now,
    )
    return Clocks(response, resolution)


_STOPPED = (TicketStatus.RESOLVED, TicketStatus.CLOSED)

DUE_FIELDS = ["response_due_at", "response_risk_at", "resolution_due_at", "resolution_risk_at"]


def refresh_due(
    ticket: Ticket,
    *,
    calendars: Calendars | None = None,
    pauses: Iterable[TicketPause] | None = None,
    now: dt.datetime | None = None,
) -> list[str]:
    """Store the due moments the clocks have now on the ticket (not saved); the names of
    the fields that changed."""
    clocks = ticket_clocks(ticket, now=now, calendars=calendars, pauses=pauses)
    values = {
        "response_due_at": clocks.response.due_at,
        "response_risk_at": clocks.response.risk_at,
        "resolution_due_at": clocks.resolution.due_at,
        "resolution_risk_at": clocks.resolution.risk_at,
    }
    changed = []
    for name, value in values.items():
        if getattr(ticket, name) != value:
            setattr(ticket, name, value)
            changed.append(name)
    return changed
