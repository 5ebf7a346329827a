"""Business-time arithmetic for SLA clocks, with no database: which moments count as
working time under a calendar (working weekdays, daily working hours with breaks,
public holidays and make-up working days), how much working time lies between two
moments, and when a given amount of working time will have passed.

Every datetime given must be timezone-aware; answers are in the calendar's time zone.
A calendar with `always=True` counts every second (a 24×7 service).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

#: Longest stretch of calendar searched for working time: a calendar with (almost) no
#: working days is a configuration error, not an endless loop.
MAX_DAYS = 3 * 366

Hours = tuple[tuple[dt.time, dt.time], ...]


class CalendarError(ValueError):
    """The calendar has no working time to count with."""


@dataclass(frozen=True)
class WorkCalendar:
    zone: ZoneInfo
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})  # Monday = 0
    hours: Hours = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    holidays: frozenset[dt.date] = field(default_factory=frozenset)
    workdays: frozenset[dt.date] = field(default_factory=frozenset)  # make-up working days
    always: bool = False

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.weekdays

    def periods(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working periods of a day, as aware datetimes."""
        if self.always:
            start = dt.datetime.combine(day, dt.time(0), self.zone)
            return [(start, dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), self.zone))]
        if not self.is_working_day(day):
            return []
        return [
            (dt.datetime.combine(day, begin, self.zone), dt.datetime.combine(day, end, self.zone))
            for begin, end in self.hours
        ]

    def seconds_per_day(self) -> int:
        if self.always:
            return 86_400
        return sum(_seconds(begin, end) for begin, end in self.hours)


def _seconds(begin: dt.time, end: dt.time) -> int:
    return (end.hour * 3600 + end.minute * 60) - (begin.hour * 3600 + begin.minute * 60)


def _aware(moment: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("business time needs timezone-aware datetimes")
    return moment.astimezone(zone)


def _days(start: dt.date, stop: dt.date | None = None) -> Iterator[dt.date]:
    day = start
    for _ in range(MAX_DAYS):
        if stop is not None and day > stop:
            return
        yield day
        day += dt.timedelta(days=1)
    if stop is None:
        raise CalendarError(f"no working time within {MAX_DAYS} days of {start}")


def working_seconds(calendar: WorkCalendar, start: dt.datetime, end: dt.datetime) -> int:
    """Working seconds between two moments (0 when end is not after start)."""
    start, end = _aware(start, calendar.zone), _aware(end, calendar.zone)
    if end <= start:
        return 0
    if calendar.always:
        return int((end - start).total_seconds())
    if (end.date() - start.date()).days > MAX_DAYS * 10:
        raise CalendarError("the interval is too long to count in working time")
    total = 0.0
    for day in _days_between(start.date(), end.date()):
        for begin, finish in calendar.periods(day):
            low, high = max(begin, start), min(finish, end)
            if high > low:
                total += (high - low).total_seconds()
    return int(total)


def _days_between(first: dt.date, last: dt.date) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def add_working_seconds(calendar: WorkCalendar, start: dt.datetime, seconds: int) -> dt.datetime:
    """The moment when `seconds` of working time have passed after `start`. Starting
    outside working time, the clock starts at the next working period."""
    start = _aware(start, calendar.zone)
    if seconds < 0:
        raise ValueError("cannot add negative working time")
    if calendar.always or seconds == 0:
        return start + dt.timedelta(seconds=seconds)
    left = float(seconds)
    for day in _days(start.date()):
        for begin, finish in calendar.periods(day):
            if finish <= start:
                continue
            begin = max(begin, start)
            room = (finish - begin).total_seconds()
            if left <= room:
                return begin + dt.timedelta(seconds=left)
            left -= room
    raise CalendarError("no working time in the calendar")  # pragma: no cover (_days raises)


def paused_working_seconds(
    calendar: WorkCalendar,
    pauses: Iterable[tuple[dt.datetime, dt.datetime | None]],
    now: dt.datetime,
) -> int:
    """Working seconds inside pauses (an open pause runs until `now`); overlapping
    pauses count once."""
    spans = sorted((begin, end or now) for begin, end in pauses)
    merged: list[tuple[dt.datetime, dt.datetime]] = []
    for begin, end in spans:
        if merged and begin <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((begin, end))
    return sum(working_seconds(calendar, begin, end) for begin, end in merged)


def parse_hours(text: str) -> Hours:
    """'09:00-12:00, 13:00-18:00' → periods; they must be ordered and not overlap."""
    periods: list[tuple[dt.time, dt.time]] = []
    for part in (piece.strip() for piece in text.split(",")):
        if not part:
            continue
        try:
            begin_text, end_text = (bound.strip() for bound in part.split("-"))
            begin, end = dt.time.fromisoformat(begin_text), dt.time.fromisoformat(end_text)
        except ValueError:
            raise ValueError(f"'{part}' is not a period like 09:00-12:00") from None
        if end <= begin:
            raise ValueError(f"'{part}' ends before it begins")
        if periods and begin < periods[-1][1]:
            raise ValueError(f"'{part}' overlaps the period before it")
        periods.append((begin, end))
    if not periods:
        raise ValueError("give at least one working period, like 09:00-18:00")
    return tuple(periods)


def format_hours(hours: Hours) -> str:
    return ", ".join(f"{begin:%H:%M}-{end:%H:%M}" for begin, end in hours)
