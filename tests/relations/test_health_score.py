"""The relationship health score and its trend (kam.relations.scoring, no database):
0.4 × coverage + 0.3 × contact recency + 0.3 × sentiment, as of any day from dated data;
and the next visit due per tier policy."""

from __future__ import annotations

import datetime as dt

from kam.relations.scoring import (
    Person,
    SurveyAnswer,
    Touch,
    health,
    month_ends,
    next_visit_due,
    recency_score,
    sentiment_score,
    survey_value,
    trend,
)

AS_OF = dt.date(2026, 6, 30)


def days_ago(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


def test_recency_is_full_within_the_interval_and_falls_to_zero_at_three() -> None:
    assert recency_score(days_ago(30), 30, AS_OF) == 100.0
    assert recency_score(days_ago(60), 30, AS_OF) == 50.0  # halfway from 30 to 90 days
    assert recency_score(days_ago(90), 30, AS_OF) == 0.0
    assert recency_score(None, 30, AS_OF) == 0.0
    # No visit interval (basic): measured against 180 days.
    assert recency_score(days_ago(180), None, AS_OF) == 100.0
    assert recency_score(days_ago(360), None, AS_OF) == 50.0


def test_surveys_count_csat_and_nps_on_a_hundred() -> None:
    assert survey_value(SurveyAnswer(AS_OF, csat=5)) == 100.0
    assert survey_value(SurveyAnswer(AS_OF, csat=3)) == 50.0
    assert survey_value(SurveyAnswer(AS_OF, nps=9)) == 100.0
    assert survey_value(SurveyAnswer(AS_OF, nps=7)) == 50.0
    assert survey_value(SurveyAnswer(AS_OF, nps=6)) == 0.0
    assert survey_value(SurveyAnswer(AS_OF, csat=4, nps=6)) == 37.5


def test_sentiment_is_half_activities_half_surveys_of_the_last_year() -> None:
    touches = [
        Touch(days_ago(10), "visit", "positive"),
        Touch(days_ago(20), "call", "negative"),
        Touch(days_ago(30), "call", ""),  # not rated: not counted
        Touch(days_ago(400), "visit", "negative"),  # older than a year
    ]
    surveys = [SurveyAnswer(days_ago(5), csat=5), SurveyAnswer(days_ago(500), csat=1)]
    assert sentiment_score(touches, surveys, AS_OF) == 75.0  # (50 + 100) / 2
    assert sentiment_score(touches, [], AS_OF) == 50.0
    assert sentiment_score([], [], AS_OF) is None


def test_health_weighs_coverage_recency_and_sentiment() -> None:
    people = [
        Person(
            1, role="economic_buyer", influence="high", stance="supporter", meetings=(days_ago(10),)
        ),
        Person(2, role="coach", influence="high", stance="supporter", meetings=(days_ago(10),)),
    ]
    touches = [Touch(days_ago(10), "visit", "positive")]
    found = health(people, touches, [], 30, AS_OF)
    # coverage 50, recency 100, sentiment 100: 0.4 × 50 + 0.3 × 100 + 0.3 × 100 = 80
    assert found.score == 80
    assert found.band == "good"
    assert found.days_since_touch == 10
    assert found.reference_days == 30


def test_health_without_sentiment_counts_it_neutral() -> None:
    found = health([], [], [], 90, AS_OF)
    assert found.sentiment is None
    assert found.score == 15  # 0.3 × 50
    assert found.band == "poor"


def test_month_ends_are_the_six_before_the_month() -> None:
    assert month_ends(dt.date(2026, 3, 15)) == [
        dt.date(2025, 9, 30),
        dt.date(2025, 10, 31),
        dt.date(2025, 11, 30),
        dt.date(2025, 12, 31),
        dt.date(2026, 1, 31),
        dt.date(2026, 2, 28),
    ]


def test_the_trend_uses_only_what_was_dated_by_each_month_end() -> None:
    met = dt.date(2026, 4, 10)
    people = [
        Person(1, role="economic_buyer", influence="high", stance="supporter", meetings=(met,)),
        Person(2, role="coach", influence="high", stance="supporter", meetings=(met,)),
    ]
    touches = [Touch(met, "visit", "positive")]
    points = trend(people, touches, [], 30, dt.date(2026, 6, 15))
    assert [p.day for p in points][-2:] == [dt.date(2026, 5, 31), dt.date(2026, 6, 15)]
    scores = {p.day: p.score for p in points}
    # Before the meeting: no coverage, never contacted, no sentiment: 15.
    assert scores[dt.date(2026, 3, 31)] == 15
    # On 30 April: coverage 50, contacted 20 days ago, positive: 80.
    assert scores[dt.date(2026, 4, 30)] == 80
    # On 15 June: 66 days since the visit: recency (90 - 66) / 60 = 40 → 20 + 12 + 30 = 62.
    assert scores[dt.date(2026, 6, 15)] == 62


def test_the_next_visit_is_due_one_interval_after_the_last() -> None:
    today = dt.date(2026, 6, 30)
    monthly = next_visit_due(dt.date(2026, 5, 1), 30, today)
    assert monthly.due == dt.date(2026, 5, 31)
    assert monthly.status == "overdue" and monthly.days_overdue == 30
    quarterly = next_visit_due(dt.date(2026, 5, 1), 90, today)
    assert (quarterly.due, quarterly.status) == (dt.date(2026, 7, 30), "ok")
    soon = next_visit_due(dt.date(2026, 6, 5), 30, today)
    assert (soon.due, soon.status) == (dt.date(2026, 7, 5), "due_soon")


def test_never_visited_is_due_now_and_no_interval_means_no_due_date() -> None:
    never = next_visit_due(None, 30, AS_OF)
    assert (never.due, never.status) == (AS_OF, "never")
    none = next_visit_due(dt.date(2026, 1, 1), None, AS_OF)
    assert (none.due, none.status) == (None, "none")
