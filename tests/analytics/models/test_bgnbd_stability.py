"""BG/NBD predictions stay finite and correct where the textbook formulas break down.

Heavy buyers (x in the hundreds) over long histories (T up to 500 weeks) make the
hypergeometric function of eq. (10) overflow in SciPy; very long horizons push its argument
to 1; near-equal purchase rates (r in the hundred thousands) make its series cancel. Each
case is checked against the model's definition integrated numerically.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate, special

from kam_analytics.models import BGNBD, bgnbd

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


def integral_expected_if_alive(params: dict[str, float], x: float, T: float, t: float) -> float:
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    scale, shape = t / (alpha + T), r + x

    def integrand(p: float) -> float:
        if p == 0.0:
            return shape * scale
        return float(-np.expm1(-shape * np.log1p(p * scale)) / p)

    value, _ = integrate.quad(
        integrand, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b + x - 1.0), epsabs=0, epsrel=1e-12
    )
    return float(value / special.beta(a, b + x))


def if_alive(params: dict[str, float], x: float, T: float, t: float) -> float:
    """Eq. (10) for a customer who is surely alive: the last purchase on the as-of date."""
    t_x = T if x > 0 else 0.0
    expected = bgnbd.conditional_expected_purchases(
        params, t=t, frequency=[x], recency=[t_x], T=[T]
    )
    alive = bgnbd.probability_alive(params, frequency=[x], recency=[t_x], T=[T])
    return float(expected[0] / alive[0])


def test_it_stays_finite_for_three_hundred_purchases_over_five_hundred_weeks() -> None:
    x, t_x, T = 300, 450.0, 500.0
    alive = bgnbd.probability_alive(CDNOW, frequency=[x], recency=[t_x], T=[T])[0]
    expected = bgnbd.conditional_expected_purchases(
        CDNOW, t=52.0, frequency=[x], recency=[t_x], T=[T]
    )[0]

    assert 0.0 <= alive <= 1.0
    assert np.isfinite(expected) and expected >= 0.0
    assert if_alive(CDNOW, x, T, 52.0) == pytest.approx(
        integral_expected_if_alive(CDNOW, x, T, 52.0), rel=1e-9
    )


@pytest.mark.parametrize(
    ("params", "x", "T", "t"),
    [
        (CDNOW, 300, 500.0, 5200.0),  # heavy buyer, ten-year horizon
        (CDNOW, 0, 0.01, 1e4),  # z within 1e-6 of 1
        (CDNOW, 3, 0.01, 1e6),
        ({"r": 0.243, "alpha": 4.414, "a": 1.5, "b": 2.426}, 0, 0.01, 1e5),
        ({"r": 2e5, "alpha": 2e6, "a": 0.8, "b": 2.4}, 10, 100.0, 1000.0),  # near-equal rates
        ({"r": 2e5, "alpha": 2e6, "a": 0.8, "b": 2.4}, 1000, 10_000.0, 1000.0),
        ({"r": 0.243, "alpha": 4.414, "a": 0.3, "b": 0.5}, 0, 1.0, 100.0),  # a + b < 1
        ({"r": 0.5, "alpha": 3.0, "a": 1.0, "b": 2.0}, 4, 30.0, 52.0),  # a = 1 exactly
    ],
)
def test_it_matches_the_integral_in_hard_corners(
    params: dict[str, float], x: float, T: float, t: float
) -> None:
    ours = if_alive(params, x, T, t)
    assert np.isfinite(ours)
    assert ours == pytest.approx(integral_expected_if_alive(params, x, T, t), rel=1e-8)


def test_it_shows_that_the_naive_hypergeometric_overflows() -> None:
    # Why the package transforms the function: SciPy's hyp2f1 with eq. (10)'s raw
    # parameters returns inf for a heavy buyer with a long history.
    r, alpha, a, b = CDNOW.values()
    x, T, t = 300, 500.0, 5200.0
    raw = special.hyp2f1(r + x, b + x, a + b + x - 1, t / (alpha + T + t))
    assert not np.isfinite(raw)
    assert np.isfinite(if_alive(CDNOW, x, T, t))


@settings(max_examples=150, deadline=None)
@given(
    x=st.integers(min_value=0, max_value=1000),
    share=st.floats(min_value=0.0, max_value=1.0),
    T=st.floats(min_value=0.01, max_value=500.0),
    t=st.floats(min_value=0.0, max_value=2000.0),
    r=st.floats(min_value=0.01, max_value=50.0),
    alpha=st.floats(min_value=0.01, max_value=500.0),
    a=st.floats(min_value=0.01, max_value=20.0),
    b=st.floats(min_value=0.01, max_value=50.0),
)
def test_it_returns_finite_probabilities_and_non_negative_expectations(
    x: int, share: float, T: float, t: float, r: float, alpha: float, a: float, b: float
) -> None:
    params = {"r": r, "alpha": alpha, "a": a, "b": b}
    t_x = share * T if x > 0 else 0.0
    alive = bgnbd.probability_alive(params, frequency=[x], recency=[t_x], T=[T])[0]
    expected = bgnbd.conditional_expected_purchases(
        params, t=[t, 2 * t], frequency=[x, x], recency=[t_x, t_x], T=[T, T]
    )
    assert 0.0 <= alive <= 1.0
    assert np.all(np.isfinite(expected))
    assert np.all(expected >= 0.0)
    # More time never means fewer expected purchases.
    assert expected[1] >= expected[0] * (1 - 1e-9)


def test_it_fits_a_book_with_a_customer_of_hundreds_of_purchases(
    cdnow_weekly: pd.DataFrame,
) -> None:
    x = np.append(cdnow_weekly["frequency"].to_numpy(), 400)
    t_x = np.append(cdnow_weekly["recency"].to_numpy(), 38.0)
    T = np.append(cdnow_weekly["T"].to_numpy(), 38.86)
    model = BGNBD().fit(x, t_x, T)

    assert model.converged_
    assert not model.fallback_
    alive = model.conditional_probability_alive(frequency=x, recency=t_x, T=T)
    expected = model.conditional_expected_purchases(t=52.0, frequency=x, recency=t_x, T=T)
    assert np.all(np.isfinite(alive)) and np.all((alive >= 0) & (alive <= 1))
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    # The heavy buyer (about ten a week) outbuys everyone, but not beyond their own rate.
    assert expected[:-1].max() < expected[-1] < 52.0 * 400 / 38.0


def test_it_trusts_a_last_purchase_on_the_cut_off_date() -> None:
    # t_x = T: no silence at all, so P(alive) is the prior share 1 / (1 + a / (b + x - 1)).
    x = 5
    alive = bgnbd.probability_alive(CDNOW, frequency=[x], recency=[30.0], T=[30.0])[0]
    assert alive == pytest.approx(1.0 / (1.0 + CDNOW["a"] / (CDNOW["b"] + x - 1)))
    rule = bgnbd.silence_probability(
        {"r": 0.5, "alpha": 4.0}, frequency=[x], recency=[30.0], T=[30.0]
    )[0]
    assert rule == 1.0
