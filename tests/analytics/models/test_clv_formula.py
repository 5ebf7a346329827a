"""Discounted CLV is exactly the documented sum, step by step (docs/methods/clv.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models import BGNBD, GammaGamma, customer_lifetime_value, fit_clv
from kam_analytics.models.clv import clv_schedule


@pytest.fixture(scope="module")
def fitted(cdnow_weekly: pd.DataFrame) -> tuple[BGNBD, GammaGamma, pd.DataFrame]:
    book = cdnow_weekly.iloc[::10].reset_index(drop=True)
    bgnbd = BGNBD().fit(cdnow_weekly["frequency"], cdnow_weekly["recency"], cdnow_weekly["T"])
    spend = GammaGamma().fit(cdnow_weekly["frequency"], cdnow_weekly["monetary"])
    return bgnbd, spend, book


def arrays(book: pd.DataFrame) -> tuple[np.ndarray, ...]:
    return tuple(book[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T", "monetary"))


def test_it_discounts_monthly_steps_by_default() -> None:
    times, factors = clv_schedule(horizon=52.0, time_unit_days=7.0, annual_discount_rate=0.1)

    assert len(times) == 12  # 364 days is (just under) twelve months
    assert times[-1] == 52.0
    np.testing.assert_allclose(np.diff(times), 52.0 / 12)
    np.testing.assert_allclose(factors, 1.1 ** -(times * 7.0 / 365.25))
    months, _ = clv_schedule(horizon=24.0, time_unit_days=365.25 / 12)
    assert len(months) == 24


def test_it_sums_discounted_expected_purchases_times_expected_spend(
    fitted: tuple[BGNBD, GammaGamma, pd.DataFrame],
) -> None:
    bgnbd, spend, book = fitted
    x, t_x, T, m = arrays(book)
    clv = customer_lifetime_value(
        bgnbd, spend, x, t_x, T, m, horizon=26.0, time_unit_days=7.0, annual_discount_rate=0.15
    )

    times, factors = clv_schedule(horizon=26.0, time_unit_days=7.0, annual_discount_rate=0.15)
    by_hand = np.zeros_like(x)
    previous = np.zeros_like(x)
    for t_k, d_k in zip(times, factors, strict=True):
        current = bgnbd.conditional_expected_purchases(t=t_k, frequency=x, recency=t_x, T=T)
        by_hand += d_k * (current - previous)
        previous = current
    by_hand *= spend.conditional_expected_average_profit(frequency=x, monetary=m)
    np.testing.assert_allclose(clv, by_hand, rtol=1e-12)


def test_it_is_spend_times_purchases_without_discounting(
    fitted: tuple[BGNBD, GammaGamma, pd.DataFrame],
) -> None:
    bgnbd, spend, book = fitted
    x, t_x, T, m = arrays(book)
    clv = customer_lifetime_value(
        bgnbd, spend, x, t_x, T, m, horizon=39.0, time_unit_days=7.0, annual_discount_rate=0.0
    )
    expected = bgnbd.conditional_expected_purchases(t=39.0, frequency=x, recency=t_x, T=T)
    np.testing.assert_allclose(
        clv, expected * spend.conditional_expected_average_profit(frequency=x, monetary=m)
    )


def test_it_values_less_at_a_higher_discount_rate(
    fitted: tuple[BGNBD, GammaGamma, pd.DataFrame],
) -> None:
    bgnbd, spend, book = fitted
    x, t_x, T, m = arrays(book)

    def value(rate: float) -> np.ndarray:
        return customer_lifetime_value(
            bgnbd, spend, x, t_x, T, m, horizon=104.0, time_unit_days=7.0, annual_discount_rate=rate
        )

    low, high = value(0.05), value(0.25)
    assert np.all(high <= low)
    assert high.sum() < low.sum()


def test_it_does_not_depend_on_the_time_unit(cdnow_weekly: pd.DataFrame) -> None:
    weeks = fit_clv(cdnow_weekly, horizon=52.0, time_unit_days=7.0)
    in_days = cdnow_weekly.assign(recency=cdnow_weekly["recency"] * 7, T=cdnow_weekly["T"] * 7)
    days = fit_clv(in_days, horizon=364.0, time_unit_days=1.0, steps=12)

    assert days.bgnbd_params["alpha"] == pytest.approx(7 * weeks.bgnbd_params["alpha"], rel=1e-4)
    np.testing.assert_allclose(days.p_alive, weeks.p_alive, rtol=1e-4, atol=1e-8)
    np.testing.assert_allclose(days.clv, weeks.clv, rtol=1e-3, atol=1e-6)


def test_it_takes_the_customer_id_from_the_index(cdnow_weekly: pd.DataFrame) -> None:
    book = cdnow_weekly.drop(columns="customer_id").set_index(cdnow_weekly["customer_id"] * 10)
    result = fit_clv(book, horizon=13.0, time_unit_days=7.0)

    assert list(result.to_frame()["customer_id"][:3]) == [10, 20, 30]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"horizon": 0.0, "time_unit_days": 7.0}, "horizon must be > 0"),
        ({"horizon": 10.0, "time_unit_days": 0.0}, "time_unit_days must be > 0"),
        ({"horizon": 10.0, "time_unit_days": 7.0, "annual_discount_rate": -1.0}, "rate > -1"),
        ({"horizon": 10.0, "time_unit_days": 7.0, "steps": 0}, "steps must be >= 1"),
    ],
)
def test_it_rejects_a_meaningless_schedule(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clv_schedule(**kwargs)  # type: ignore[arg-type]
