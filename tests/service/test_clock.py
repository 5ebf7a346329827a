"""SLA clock arithmetic on hand-made calendars whose right answers are counted by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kam.service.clock import (
    CalendarError,
    WorkCalendar,
    add_working_seconds,
    format_hours,
    parse_hours,
    paused_working_seconds,
    working_seconds,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOUR = 3600


def at(day: str, time: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


@pytest.fixture
def office() -> WorkCalendar:
    """Mon–Fri 09:00–12:00 and 13:00–18:00 (8 working hours a day)."""
    return WorkCalendar(zone=SHANGHAI)


def test_one_hour_inside_the_morning(office: WorkCalendar) -> None:
    # Monday 2026-11-23 10:00 + 1 h = 11:00
    assert add_working_seconds(office, at("2026-11-23", "10:00"), HOUR) == at("2026-11-23", "11:00")


def test_the_lunch_break_does_not_count(office: WorkCalendar) -> None:
    assert add_working_seconds(office, at("2026-11-23", "11:30"), HOUR) == at("2026-11-23", "13:30")
    assert working_seconds(office, at("2026-11-23", "11:00"), at("2026-11-23", "14:00")) == 2 * HOUR


def test_a_ticket_logged_friday_evening_is_due_monday_morning(office: WorkCalendar) -> None:
    # Friday 2026-11-27 17:30, 1 h: 30 min on Friday, 30 min on Monday.
    due = add_working_seconds(office, at("2026-11-27", "17:30"), HOUR)
    assert due == at("2026-11-30", "09:30")


def test_logged_at_night_the_clock_starts_next_morning(office: WorkCalendar) -> None:
    assert add_working_seconds(office, at("2026-11-24", "22:00"), 4 * HOUR) == at(
        "2026-11-25", "14:00"
    )


def test_twenty_four_working_hours_are_three_working_days(office: WorkCalendar) -> None:
    assert add_working_seconds(office, at("2026-11-23", "09:00"), 24 * HOUR) == at(
        "2026-11-25", "18:00"
    )


def test_ending_exactly_at_the_end_of_a_period(office: WorkCalendar) -> None:
    assert add_working_seconds(office, at("2026-11-23", "09:00"), 3 * HOUR) == at(
        "2026-11-23", "12:00"
    )


def test_holidays_and_make_up_days() -> None:
    """National Day 2026: 1–7 October off, Saturday 10 October worked."""
    holidays = frozenset(dt.date(2026, 10, day) for day in range(1, 8))
    calendar = WorkCalendar(
        zone=SHANGHAI, holidays=holidays, workdays=frozenset({dt.date(2026, 10, 10)})
    )
    # Wednesday 30 September 17:00 + 2 h: 1 h that day, then the holiday week, then
    # Thursday 8 October 09:00 + 1 h.
    assert add_working_seconds(calendar, at("2026-09-30", "17:00"), 2 * HOUR) == at(
        "2026-10-08", "10:00"
    )
    # Friday 9 October 17:00 + 2 h lands on the make-up Saturday.
    assert add_working_seconds(calendar, at("2026-10-09", "17:00"), 2 * HOUR) == at(
        "2026-10-10", "10:00"
    )
    assert working_seconds(calendar, at("2026-09-30"), at("2026-10-11")) == 4 * 8 * HOUR


def test_working_seconds_and_adding_agree(office: WorkCalendar) -> None:
    start = at("2026-11-26", "15:20")
    for seconds in (1, 59 * 60, HOUR, 7 * HOUR, 9 * HOUR + 17, 40 * HOUR):
        due = add_working_seconds(office, start, seconds)
        assert working_seconds(office, start, due) == seconds


def test_around_the_clock_counts_every_hour() -> None:
    always = WorkCalendar(zone=SHANGHAI, always=True)
    assert add_working_seconds(always, at("2026-11-28", "23:30"), HOUR) == at("2026-11-29", "00:30")
    assert working_seconds(always, at("2026-11-28"), at("2026-11-29")) == 24 * HOUR


def test_pauses_count_once_and_an_open_pause_runs_until_now(office: WorkCalendar) -> None:
    pauses = [
        (at("2026-11-23", "10:00"), at("2026-11-23", "11:00")),
        (at("2026-11-23", "10:30"), at("2026-11-23", "14:00")),  # overlaps the first
        (at("2026-11-24", "17:00"), None),  # still waiting for the customer
    ]
    now = at("2026-11-25", "10:00")
    # 10:00–14:00 Monday = 3 h (lunch excluded); Tuesday 17:00–18:00 = 1 h; Wednesday
    # 09:00–10:00 = 1 h.
    assert paused_working_seconds(office, pauses, now) == 5 * HOUR


def test_other_time_zones_are_converted(office: WorkCalendar) -> None:
    utc = dt.datetime(2026, 11, 23, 1, 0, tzinfo=dt.UTC)  # 09:00 in Shanghai
    assert add_working_seconds(office, utc, HOUR) == at("2026-11-23", "10:00")


def test_naive_datetimes_are_refused(office: WorkCalendar) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        working_seconds(office, dt.datetime(2026, 11, 23), at("2026-11-24"))


def test_a_calendar_without_working_days_says_so() -> None:
    never = WorkCalendar(zone=SHANGHAI, weekdays=frozenset())
    with pytest.raises(CalendarError):
        add_working_seconds(never, at("2026-11-23"), HOUR)


def test_hours_are_parsed_and_checked() -> None:
    hours = parse_hours("08:30-12:00, 13:30-17:30")
    assert format_hours(hours) == "08:30-12:00, 13:30-17:30"
    assert WorkCalendar(zone=SHANGHAI, hours=hours).seconds_per_day() == 7.5 * HOUR
    for bad, message in [
        ("9-12", "not a period"),
        ("12:00-09:00", "ends before"),
        ("09:00-12:00, 11:00-13:00", "overlaps"),
        ("", "at least one"),
    ]:
        with pytest.raises(ValueError, match=message):
            parse_hours(bad)
