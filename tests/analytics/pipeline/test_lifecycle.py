"""Lifecycle stages from hand-made histories: each rule, its threshold and their order."""

from __future__ import annotations

import numpy as np
import pytest

from kam_analytics.config import LifecycleConfig
from kam_analytics.models.lifecycle import (
    LifecycleInputs,
    lifecycle_stages,
    ratio_to_trend,
    revenue_trend,
    spend_rates,
)

WEEK = 7.0


def stage(
    *,
    purchase_days: int = 20,
    days_since_first: float = 700,
    days_since_last: float = 20,
    recency_days: float | None = None,
    p_alive: float = 0.95,
    trend: float = float("nan"),
    config: LifecycleConfig | None = None,
) -> str:
    span = days_since_first - days_since_last if recency_days is None else recency_days
    inputs = LifecycleInputs(
        purchase_days=[purchase_days],
        days_since_first=[days_since_first],
        days_since_last=[days_since_last],
        recency_days=[span],
        p_alive=[p_alive],
        trend=[trend],
    )
    return str(lifecycle_stages(inputs, config)[0])


def test_a_prospect_has_not_bought() -> None:
    assert stage(purchase_days=0, p_alive=1.0) == "prospect"


def test_a_new_customer_bought_first_within_two_quarters() -> None:
    assert stage(days_since_first=182, days_since_last=5) == "new"
    assert stage(days_since_first=183, days_since_last=5) == "mature"
    # New wins over the other rules: too early to call a trend or a silence.
    assert stage(days_since_first=100, days_since_last=100, purchase_days=1, p_alive=1) == "new"


def test_a_lost_customer_has_a_low_p_alive() -> None:
    assert stage(p_alive=0.09) == "lost"
    assert stage(p_alive=0.1) == "declining"


def test_a_lost_customer_is_silent_for_three_usual_gaps() -> None:
    # 21 purchase days over 600 days: a purchase every 30 days; 90 days is the limit.
    assert stage(purchase_days=21, days_since_first=700, days_since_last=100) == "lost"
    assert stage(purchase_days=21, days_since_first=690, days_since_last=90) == "mature"


def test_silence_is_never_lost_before_the_minimum() -> None:
    # Daily buyers: three gaps are three days, but 90 days is the floor.
    assert stage(purchase_days=500, days_since_first=560, days_since_last=60) == "mature"
    assert stage(purchase_days=500, days_since_first=591, days_since_last=91) == "lost"


def test_one_time_buyers_are_measured_against_the_books_usual_gap() -> None:
    inputs = LifecycleInputs(
        purchase_days=[11, 11, 1, 1],
        days_since_first=[400, 400, 400, 400],
        days_since_last=[0, 0, 100, 400],
        recency_days=[400, 400, 0, 0],  # repeat buyers: a purchase every 40 days
        p_alive=[1.0, 1.0, 1.0, 1.0],  # the BG/NBD's value for one-time buyers
        trend=[np.nan] * 4,
    )
    stages = lifecycle_stages(inputs)
    # Limit max(3 x 40, 90) = 120 days.
    assert list(stages) == ["mature", "mature", "mature", "lost"]


def test_declining_is_a_falling_p_alive_or_a_clear_drop() -> None:
    assert stage(p_alive=0.49) == "declining"
    assert stage(trend=ratio_to_trend(0.8)) == "declining"
    assert stage(trend=ratio_to_trend(0.85)) == "mature"


def test_growth_is_a_clear_rise() -> None:
    assert stage(trend=ratio_to_trend(1.25)) == "growth"
    assert stage(trend=ratio_to_trend(1.2)) == "mature"
    # A falling P(alive) outranks a rising trend.
    assert stage(trend=0.9, p_alive=0.3) == "declining"


def test_the_thresholds_come_from_the_config() -> None:
    strict = LifecycleConfig(growth_ratio=2.0, new_within_days=30, lost_p_alive=0.3)
    assert stage(trend=ratio_to_trend(1.5), config=strict) == "mature"
    assert stage(days_since_first=60, days_since_last=5, config=strict) == "mature"
    assert stage(p_alive=0.25, config=strict) == "lost"


def test_stages_do_not_depend_on_row_order() -> None:
    rng = np.random.default_rng(2)
    n = 500
    first = rng.uniform(0, 1000, n)
    last = first * rng.uniform(0, 1, n)
    inputs = LifecycleInputs(
        purchase_days=rng.integers(0, 30, n),
        days_since_first=first,
        days_since_last=last,
        recency_days=first - last,
        p_alive=rng.uniform(0, 1, n),
        trend=np.where(rng.uniform(size=n) < 0.3, np.nan, rng.uniform(-1, 1, n)),
    )
    order = rng.permutation(n)
    shuffled = LifecycleInputs(
        **{name: np.asarray(getattr(inputs, name))[order] for name in inputs.__dataclass_fields__}
    )
    np.testing.assert_array_equal(lifecycle_stages(shuffled), lifecycle_stages(inputs)[order])


def test_the_trend_compares_spend_rates_of_two_windows() -> None:
    rates = spend_rates(
        revenue_recent=[1200.0, 600.0, 0.0, 0.0, 500.0],
        revenue_previous=[600.0, 600.0, 900.0, 0.0, 0.0],
        first_day_revenue=[50.0, 50.0, 50.0, 50.0, 50.0],
        T=[150.0, 150.0, 150.0, 150.0, 30.0],
        window=52,
        unit_days=WEEK,
    )
    trend = revenue_trend(rates)

    np.testing.assert_allclose(trend[:4], [1 / 3, 0.0, -1.0, 0.0])
    assert np.isnan(trend[4])  # first purchase in the recent window: too new
    np.testing.assert_allclose(rates.recent[0], 1200.0 / 52)


def test_the_trend_leaves_out_the_first_purchase_and_the_time_before_it() -> None:
    # First purchase 78 weeks ago, worth 400: the earlier window holds 26 weeks of custom.
    rates = spend_rates(
        revenue_recent=[520.0],
        revenue_previous=[660.0],
        first_day_revenue=[400.0],
        T=[78.0],
        window=52,
        unit_days=WEEK,
    )
    np.testing.assert_allclose(rates.previous, [260.0 / 26])
    np.testing.assert_allclose(rates.recent, [10.0])
    assert revenue_trend(rates)[0] == pytest.approx(0.0)


def test_the_trend_needs_half_of_the_earlier_window() -> None:
    rates = spend_rates(
        revenue_recent=[100.0, 100.0],
        revenue_previous=[100.0, 100.0],
        first_day_revenue=[0.0, 0.0],
        T=[77.0, 78.0],
        window=52,
        unit_days=WEEK,
    )
    assert list(rates.measurable) == [False, True]


def test_credit_notes_do_not_make_a_negative_rate() -> None:
    rates = spend_rates(
        revenue_recent=[-500.0],
        revenue_previous=[520.0],
        first_day_revenue=[0.0],
        T=[200.0],
        window=52,
        unit_days=WEEK,
    )
    assert rates.recent[0] == 0.0
    assert revenue_trend(rates)[0] == -1.0
