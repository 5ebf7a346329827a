"""customer_summary: the same numbers as the pandas reference, on every engine."""

from __future__ import annotations

from datetime import date

import ibis
import pandas as pd
import pytest

from kam_analytics.transforms import SUMMARY_COLUMNS, TimeUnit, customer_summary
from tests.analytics.conftest import Loader
from tests.analytics.transforms.reference import (
    AS_OF,
    assert_same_rows,
    normalised,
    random_transactions,
    reference_summary,
    story_transactions,
)


def summary_of(
    load: Loader, frame: pd.DataFrame, *, as_of: date, time_unit: TimeUnit = "week"
) -> pd.DataFrame:
    table = customer_summary(load(frame), as_of=as_of, time_unit=time_unit)
    return normalised(table.execute()).set_index("customer_id")


@pytest.mark.parametrize("time_unit", ["day", "week", "month"])
def test_it_matches_the_pandas_reference_in_every_time_unit(
    load: Loader, time_unit: TimeUnit
) -> None:
    frame = story_transactions()
    actual = customer_summary(load(frame), as_of=AS_OF, time_unit=time_unit).execute()
    expected = reference_summary(frame, as_of=AS_OF, time_unit=time_unit)
    assert_same_rows(actual, expected)


def test_it_matches_the_reference_on_random_orders_with_returns(load: Loader) -> None:
    frame = random_transactions(seed=11)
    as_of = date(2024, 3, 15)
    actual = customer_summary(load(frame), as_of=as_of, time_unit="month", recent_periods=2)
    expected = reference_summary(frame, as_of=as_of, time_unit="month", recent_periods=2)
    assert_same_rows(actual.execute(), expected)


def test_it_returns_the_documented_columns(load: Loader) -> None:
    table = customer_summary(load(story_transactions()), as_of=AS_OF)
    assert tuple(table.columns) == SUMMARY_COLUMNS


def test_it_merges_purchases_on_the_same_day(load: Loader) -> None:
    row = summary_of(load, story_transactions(), as_of=AS_OF).loc["same-day"]
    assert row.frequency == 1  # two purchase days, five rows
    assert row.n_transactions == 5
    assert row.monetary == pytest.approx(42.5)  # the second day's total
    assert row.total_revenue == pytest.approx(72.5)
    assert row.total_margin == pytest.approx(7.5)  # the missing margin is skipped


def test_it_ignores_the_holdout_and_counts_a_purchase_on_as_of(load: Loader) -> None:
    summary = summary_of(load, story_transactions(), as_of=AS_OF, time_unit="day")
    assert "late" not in summary.index
    holdout = summary.loc["holdout"]
    assert (holdout.frequency, holdout.total_revenue) == (0, 100.0)
    on_as_of = summary.loc["on-as-of"]
    assert on_as_of.frequency == 1
    assert on_as_of.recency == on_as_of["T"] == 122  # 2024-02-29 .. 2024-06-30
    assert on_as_of.days_since_last == 0
    assert on_as_of.last_purchase == pd.Timestamp(AS_OF)


def test_it_keeps_negative_and_zero_day_totals_in_revenue(load: Loader) -> None:
    summary = summary_of(load, story_transactions(), as_of=AS_OF)
    returner = summary.loc["returner"]
    assert returner.total_revenue == pytest.approx(-30.0)
    assert returner.monetary == pytest.approx(-80.0)
    zero_day = summary.loc["zero-day"]
    assert zero_day.frequency == 2  # the cancelled-out day is still a purchase day
    assert zero_day.monetary == pytest.approx(6.0)  # (0 + 12) / 2


def test_it_reports_a_single_purchase_with_zero_monetary_and_no_margin(load: Loader) -> None:
    one_timer = summary_of(load, story_transactions(), as_of=AS_OF).loc["one-timer"]
    assert (one_timer.frequency, one_timer.recency, one_timer.monetary) == (0, 0.0, 0.0)
    assert pd.isna(one_timer.total_margin)


def test_it_handles_a_customer_with_hundreds_of_purchases(load: Loader) -> None:
    regular = summary_of(load, story_transactions(), as_of=AS_OF).loc["regular"]
    assert regular.frequency == 243  # every third day for two years: 244 purchase days
    assert regular.n_transactions == 244 + 25  # plus a second order every 30th day
    assert regular.days_since_last == 1  # 2024-06-29
    assert regular.purchases_recent == 9  # 1, 4, ..., 25 days before as_of (< 4 weeks)
    assert regular.recency == pytest.approx(729 / 7)


def test_it_rejects_an_unknown_time_unit() -> None:
    table = ibis.memtable(story_transactions())
    with pytest.raises(ValueError, match="time_unit must be one of day, week, month; got 'year'"):
        customer_summary(table, as_of=AS_OF, time_unit="year")  # type: ignore[arg-type]


def test_it_names_the_missing_columns() -> None:
    table = ibis.memtable(story_transactions().rename(columns={"amount": "value"}))
    with pytest.raises(ValueError, match="lack the column\\(s\\) amount; they have customer_id"):
        customer_summary(table, as_of=AS_OF)


@pytest.mark.parametrize("seed", [11, 12])
def test_the_apps_sqlite_engine_gives_the_reference_summary(seed: int) -> None:
    # SQLite has no trustworthy argmin (Ibis emulates it with SQLite's bare-column rule,
    # wrong in a query with several MIN/MAX): the first day's spend must come out right.
    frame = random_transactions(seed=seed)
    as_of = date(2024, 3, 15)
    sqlite = ibis.sqlite.connect()
    table = sqlite.create_table(f"orders_{seed}", frame)
    actual = customer_summary(table, as_of=as_of, time_unit="week").execute()
    expected = reference_summary(frame, as_of=as_of, time_unit="week")
    assert_same_rows(actual, expected)
