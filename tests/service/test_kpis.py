"""The service KPIs' arithmetic on hand-made tickets, with no database: who is credited
with what (handovers), working time with pauses and reopens, breaches, backlog,
escalations, satisfaction, the aggregation, the goals, the period and the sort.

Business time is counted by hand on the default calendar: Monday to Friday, 09:00–12:00
and 13:00–18:00 (8 working hours a day), Asia/Shanghai. March 2026 starts on a Monday.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kam.dataio.records import RecordInvalid
from kam.service.clock import WorkCalendar
from kam.service.kpis import (
    ANSWER,
    BACKLOG,
    ESCALATION,
    HANDOVER_IN,
    HANDOVER_OUT,
    RECEIVED,
    RESOLUTION,
    RESOLUTION_BREACH,
    RESOLVED,
    RESPONSE,
    RESPONSE_BREACH,
    Answer,
    Escalation,
    Fact,
    Figures,
    Goals,
    Handover,
    Row,
    Step,
    TicketRecord,
    aggregate,
    check_period,
    default_period,
    grouped,
    preset_periods,
    sort_people,
    ticket_facts,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
CALENDAR = WorkCalendar(zone=SHANGHAI)
ALWAYS = WorkCalendar(zone=SHANGHAI, always=True)
HOUR = 3600
ANN, BEN, CAT = 1, 2, 3  # people, by id


def at(day: str, time: str = "00:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{time}").replace(tzinfo=SHANGHAI)


MARCH = (at("2026-03-01"), at("2026-04-01"))
LATER = at("2026-04-15", "12:00")


def facts_of(record: TicketRecord, period: tuple[dt.datetime, dt.datetime] = MARCH) -> list[Fact]:
    return ticket_facts(record, CALENDAR, period[0], period[1], LATER)


def only(facts: list[Fact], kind: str) -> list[Fact]:
    return [fact for fact in facts if fact.kind == kind]


def diamond(pk: int, created: dt.datetime, owner: int, **history: object) -> TicketRecord:
    """A diamond ticket: first response within 1 working hour, resolution within 8."""
    return TicketRecord(
        pk=pk,
        created_at=created,
        owner=owner,
        response_target=HOUR,
        resolution_target=8 * HOUR,
        **history,  # type: ignore[arg-type]
    )


def handed_over_and_paused() -> TicketRecord:
    """Recorded by Ann on Monday 09:00, handed to Ben at 09:10; Ben responds at 09:40,
    waits for the customer 10:00–14:00 (3 working hours) and resolves Tuesday 10:00."""
    return diamond(
        1,
        at("2026-03-02", "09:00"),
        BEN,
        first_response_at=at("2026-03-02", "09:40"),
        handovers=[Handover(at("2026-03-02", "09:10"), 11, ANN, BEN)],
        resolutions=[Step(at("2026-03-03", "10:00"), 14)],
        pauses=[(at("2026-03-02", "10:00"), at("2026-03-02", "14:00"))],
        answers=[Answer(at("2026-03-04", "10:00"), csat=5, nps=10)],
    )


def test_the_credit_follows_the_owner_at_each_moment() -> None:
    facts = facts_of(handed_over_and_paused())
    assert only(facts, RECEIVED) == [Fact(RECEIVED, ANN, 1)]
    (response,) = only(facts, RESPONSE)
    assert (response.person, response.seconds, response.met) == (BEN, 40 * 60, True)
    (resolved,) = only(facts, RESOLVED)
    # Monday 8 h less 3 h waiting, Tuesday 09:00–10:00: 6 working hours of 8.
    assert (resolved.person, resolved.seconds, resolved.met, resolved.flag) == (
        BEN,
        6 * HOUR,
        True,
        True,
    )
    assert only(facts, HANDOVER_OUT) == [Fact(HANDOVER_OUT, ANN, 1)]
    assert only(facts, HANDOVER_IN) == [Fact(HANDOVER_IN, BEN, 1)]
    assert only(facts, ANSWER) == [Fact(ANSWER, BEN, 1, csat=5, nps=10)]
    assert not only(facts, RESPONSE_BREACH) and not only(facts, RESOLUTION_BREACH)
    assert not only(facts, BACKLOG)


def reopened() -> TicketRecord:
    """Recorded and owned by Ann on Tuesday 09:00, answered at 11:00 (1 h late), resolved
    Wednesday 10:00, reopened Thursday 09:00 and handed to Ben at 09:30, who resolves it
    at 11:00. A survey after each resolution."""
    return diamond(
        2,
        at("2026-03-03", "09:00"),
        BEN,
        first_response_at=at("2026-03-03", "11:00"),
        resolutions=[Step(at("2026-03-04", "10:00"), 21), Step(at("2026-03-05", "11:00"), 24)],
        reopens=[Step(at("2026-03-05", "09:00"), 22)],
        handovers=[Handover(at("2026-03-05", "09:30"), 23, ANN, BEN)],
        pauses=[(at("2026-03-04", "10:00"), at("2026-03-05", "09:00"))],
        answers=[
            Answer(at("2026-03-04", "12:00"), csat=3, nps=6),
            Answer(at("2026-03-06", "10:00"), csat=2, nps=3),
        ],
    )


def test_a_reopened_ticket_counts_once_for_the_last_resolver() -> None:
    facts = facts_of(reopened())
    assert only(facts, RESOLUTION) == [
        Fact(RESOLUTION, ANN, 2, flag=True),  # reopened by the customer
        Fact(RESOLUTION, BEN, 2, flag=False),
    ]
    (resolved,) = only(facts, RESOLVED)
    # Tuesday 8 h + Wednesday 09:00–10:00 + Thursday 09:00–11:00; resolved in between
    # (Wednesday 10:00 to Thursday 09:00) does not count: 11 working hours of 8.
    assert (resolved.person, resolved.seconds, resolved.met, resolved.flag) == (
        BEN,
        11 * HOUR,
        False,
        False,
    )
    (response,) = only(facts, RESPONSE)
    assert (response.person, response.seconds, response.met) == (ANN, 2 * HOUR, False)
    # Both clocks went over while Ann owned the ticket: the response at 10:00 on Tuesday,
    # the resolution when Wednesday's work began (its 8 hours ran out at Tuesday's close).
    assert only(facts, RESPONSE_BREACH) == [Fact(RESPONSE_BREACH, ANN, 2)]
    assert only(facts, RESOLUTION_BREACH) == [Fact(RESOLUTION_BREACH, ANN, 2)]
    # The first answer rates Ann's resolution, the second Ben's.
    assert [(f.person, f.csat) for f in only(facts, ANSWER)] == [(ANN, 3), (BEN, 2)]


def test_a_resolution_reopened_after_the_period_still_counts_as_reopened() -> None:
    record = diamond(
        3,
        at("2026-03-30", "09:00"),
        ANN,
        first_response_at=at("2026-03-30", "09:30"),
        resolutions=[Step(at("2026-03-30", "12:00"), 31)],
        reopens=[Step(at("2026-04-02", "09:00"), 32)],
    )
    facts = facts_of(record)
    assert only(facts, RESOLUTION) == [Fact(RESOLUTION, ANN, 3, flag=True)]
    # Open again at the report's moment, but not at the end of March: no backlog in March.
    assert not only(facts, BACKLOG)


def test_an_open_ticket_is_backlog_at_the_end_and_breaches_when_its_clocks_run_out() -> None:
    record = TicketRecord(
        pk=4,
        created_at=at("2026-03-02", "09:00"),
        owner=CAT,
        response_target=48 * HOUR,
        resolution_target=120 * HOUR,
        escalations=[
            Escalation(at("2026-03-25", "12:00"), 41, "response", 1),
            Escalation(at("2026-03-25", "12:00"), 42, "response", 2),
            Escalation(at("2026-03-25", "12:00"), 43, "response", 3),
            Escalation(at("2026-03-25", "12:00"), 44, "resolution", 1),
            Escalation(at("2026-03-25", "12:00"), 45, "resolution", 2),
            Escalation(at("2026-02-25", "12:00"), 40, "resolution", 3),  # another period
        ],
    )
    facts = facts_of(record)
    assert only(facts, RECEIVED) == [Fact(RECEIVED, CAT, 4)]
    assert only(facts, RESPONSE_BREACH) == [Fact(RESPONSE_BREACH, CAT, 4)]  # Mon 9th, 18:00
    assert only(facts, RESOLUTION_BREACH) == [Fact(RESOLUTION_BREACH, CAT, 4)]  # Fri 20th
    assert only(facts, BACKLOG) == [Fact(BACKLOG, CAT, 4, flag=True)]
    # One escalation per clock (level 2 or more); the response clock reached the directors.
    assert sorted(f.flag for f in only(facts, ESCALATION)) == [False, True]
    # The week before the 48 working hours ran out: open, not yet overdue, no breach.
    early = facts_of(record, (at("2026-03-02"), at("2026-03-07")))
    assert only(early, BACKLOG) == [Fact(BACKLOG, CAT, 4, flag=False)]
    assert not only(early, RESPONSE_BREACH)


def test_a_ticket_waiting_for_the_customer_does_not_breach_its_resolution() -> None:
    record = diamond(
        5,
        at("2026-03-02", "09:00"),
        ANN,
        first_response_at=at("2026-03-02", "09:30"),
        pauses=[(at("2026-03-02", "10:00"), None)],  # still waiting
    )
    facts = facts_of(record)
    assert not only(facts, RESOLUTION_BREACH)
    assert only(facts, BACKLOG) == [Fact(BACKLOG, ANN, 5, flag=False)]


def test_a_period_not_begun_has_no_breaches_or_backlog() -> None:
    record = diamond(6, at("2026-03-02", "09:00"), ANN)
    facts = ticket_facts(record, CALENDAR, at("2026-05-01"), at("2026-06-01"), LATER)
    assert facts == []


def test_around_the_clock_tickets_count_every_hour() -> None:
    record = diamond(
        7,
        at("2026-03-07", "09:00"),  # a Saturday
        ANN,
        first_response_at=at("2026-03-07", "09:45"),
        resolutions=[Step(at("2026-03-07", "19:00"), 71)],
    )
    facts = ticket_facts(record, ALWAYS, *MARCH, LATER)
    assert only(facts, RESPONSE)[0].seconds == 45 * 60
    assert only(facts, RESOLVED)[0].seconds == 10 * HOUR
    assert only(facts, RESOLVED)[0].met is False


def test_figures_add_up() -> None:
    facts = facts_of(handed_over_and_paused()) + facts_of(reopened())
    people = grouped(facts, lambda fact: fact.person)
    ben, ann = people[BEN], people[ANN]
    assert (ben.resolved, ben.resolution_median, ben.resolution_mean) == (2, 8.5 * HOUR, 8.5 * HOUR)
    assert (ben.resolution_within, ben.sla_attainment) == (50.0, 50.0)
    assert ben.resolution_target_median == 8 * HOUR
    assert (ben.responses, ben.response_within) == (1, 100.0)
    assert (ben.resolutions, ben.reopened, ben.reopen_rate) == (2, 0, 0.0)
    assert (ben.handovers_in, ben.handovers_out) == (2, 0)
    assert (ben.answers, ben.csat_average, ben.csat_satisfied) == (2, 3.5, 50.0)
    assert ben.nps_score == 0.0  # one promoter, one detractor
    assert (ann.received, ann.resolved, ann.sla_attainment) == (2, 0, None)
    assert (ann.reopen_rate, ann.breaches, ann.nps_score) == (100.0, 2, -100.0)
    everyone = aggregate(facts)
    assert (everyone.received, everyone.resolved, everyone.resolutions) == (2, 2, 3)
    assert everyone.response_median == 80 * 60  # 40 min and 2 h
    assert everyone.reopen_rate == pytest.approx(100 / 3)


def test_nps_and_csat() -> None:
    figures = aggregate(
        Fact(ANSWER, ANN, n, csat=csat, nps=nps)
        for n, (csat, nps) in enumerate([(5, 10), (4, 9), (4, 8), (3, 7), (1, 0), (None, 5)])
    )
    assert figures.answers == 6
    assert figures.csat_average == pytest.approx(17 / 5)
    assert figures.csat_satisfied == 60.0
    assert (figures.promoters, figures.detractors) == (2, 2)
    assert figures.nps_score == 0.0
    empty = Figures()
    assert (empty.nps_score, empty.csat_average, empty.response_median) == (None, None, None)
    assert empty.is_empty


def test_goals_judge_each_figure() -> None:
    goals = Goals(within_target=90, reopened=5, satisfied=80, nps=30)
    figures = aggregate(
        [
            Fact(RESPONSE, ANN, 1, seconds=60, target=HOUR, met=True),
            Fact(RESOLVED, ANN, 1, seconds=60, target=HOUR, met=True, flag=True),
            Fact(RESOLVED, ANN, 2, seconds=2 * HOUR, target=HOUR, met=False, flag=False),
            Fact(RESOLUTION, ANN, 1),
            Fact(ANSWER, ANN, 1, csat=5, nps=10),
        ]
    )
    assert goals.judge(figures) == {
        "response_within": "ok",
        "resolution_within": "below",
        "sla_attainment": "below",
        "reopen_rate": "ok",
        "csat_satisfied": "ok",
        "nps_score": "ok",
    }
    assert set(goals.judge(Figures()).values()) == {""}


def test_the_default_period_is_the_last_three_full_months() -> None:
    assert default_period(dt.date(2026, 5, 15)) == check_period(
        dt.date(2026, 2, 1), dt.date(2026, 4, 30)
    )
    january = default_period(dt.date(2026, 1, 10))
    assert (january.first, january.last) == (dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert check_period(None, None, today=dt.date(2026, 5, 15)) == default_period(
        dt.date(2026, 5, 15)
    )
    # From a day on: until today.
    since = check_period(dt.date(2026, 5, 1), None, today=dt.date(2026, 5, 15))
    assert (since.last, since.days) == (dt.date(2026, 5, 15), 15)
    assert since.start == at("2026-05-01") and since.end == at("2026-05-16")
    presets = {code: period for code, _label, period in preset_periods(dt.date(2026, 5, 15))}
    assert presets["last_quarter"] == check_period(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert presets["this_quarter"].first == dt.date(2026, 4, 1)
    assert presets["last_month"].first == dt.date(2026, 4, 1)


def test_a_wrong_period_names_its_field() -> None:
    with pytest.raises(RecordInvalid) as backwards:
        check_period(dt.date(2026, 5, 1), dt.date(2026, 4, 1))
    assert backwards.value.problems[0].column == "to"
    assert "before the start 2026-05-01" in backwards.value.problems[0].message
    with pytest.raises(RecordInvalid) as long:
        check_period(dt.date(2020, 1, 1), dt.date(2026, 1, 1))
    assert long.value.problems[0].column == "from"
    assert "expected at most 1098 days" in long.value.problems[0].message


def test_people_sort_by_a_figure_with_the_unknown_last() -> None:
    def row(name: str, *seconds: int) -> Row:
        figures = aggregate(
            Fact(RESPONSE, ANN, n, seconds=s, target=HOUR, met=True) for n, s in enumerate(seconds)
        )
        return Row("person", name, name, figures)

    rows = [row("a", 300), row("b"), row("c", 100, 200)]
    fastest, sort = sort_people(rows, "response")
    assert ([r.key for r in fastest], sort) == (["c", "a", "b"], "response")
    slowest, _sort = sort_people(rows, "-response")
    assert [r.key for r in slowest] == ["a", "c", "b"]
    unchanged, sort = sort_people(rows, "bogus")
    assert ([r.key for r in unchanged], sort) == (["a", "b", "c"], "")


def test_owner_at_reads_the_handovers_in_order() -> None:
    record = diamond(
        8,
        at("2026-03-02", "09:00"),
        CAT,
        handovers=[
            Handover(at("2026-03-02", "10:00"), 81, ANN, BEN),
            Handover(at("2026-03-02", "11:00"), 83, BEN, CAT),
        ],
    )
    assert record.first_owner == ANN
    assert record.owner_at(at("2026-03-02", "09:59")) == ANN
    assert record.owner_at(at("2026-03-02", "10:00")) == BEN
    # A step at the same moment as the second handover but recorded before it.
    assert record.owner_at(at("2026-03-02", "11:00"), 82) == BEN
    assert record.owner_at(at("2026-03-02", "11:00")) == CAT


def test_a_late_response_already_given_no_longer_makes_the_backlog_overdue() -> None:
    record = diamond(
        9,
        at("2026-03-31", "09:00"),
        ANN,
        first_response_at=at("2026-03-31", "11:00"),  # an hour late
    )
    facts = facts_of(record)
    assert only(facts, RESPONSE_BREACH) == [Fact(RESPONSE_BREACH, ANN, 9)]
    # At the end of March (Tuesday 24:00) its 8 working hours are used up, not exceeded.
    assert only(facts, BACKLOG) == [Fact(BACKLOG, ANN, 9, flag=False)]
    unanswered = diamond(10, at("2026-03-31", "09:00"), ANN)
    assert only(facts_of(unanswered), BACKLOG) == [Fact(BACKLOG, ANN, 10, flag=True)]


def test_a_clock_breaches_at_the_first_working_second_past_its_target() -> None:
    record = diamond(
        11, at("2026-03-02", "09:00"), ANN, first_response_at=at("2026-03-02", "09:05")
    )
    monday = (at("2026-03-02"), at("2026-03-03"))  # the 8 hours run out at 18:00
    assert not only(facts_of(record, monday), RESOLUTION_BREACH)
    assert only(facts_of(record, monday), BACKLOG) == [Fact(BACKLOG, ANN, 11, flag=False)]
    tuesday = (at("2026-03-03"), at("2026-03-04"))  # over at 09:00:01
    assert only(facts_of(record, tuesday), RESOLUTION_BREACH) == [Fact(RESOLUTION_BREACH, ANN, 11)]
    assert only(facts_of(record, tuesday), BACKLOG) == [Fact(BACKLOG, ANN, 11, flag=True)]
