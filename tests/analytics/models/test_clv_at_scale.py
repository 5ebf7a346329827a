"""A million customers fit in seconds because identical histories share one likelihood
term. Timings belong in the benchmarks; this only checks that it runs and is right."""

from __future__ import annotations

import numpy as np
import pytest

from kam_analytics.models import BGNBD, GammaGamma, fit_clv
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend

TRUE = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}


@pytest.mark.slow
def test_it_fits_a_million_customers() -> None:
    rng = np.random.default_rng(2024)
    n = 1_000_000
    # Whole days in weeks, as a daily summary gives them.
    T = np.round(rng.uniform(27.0, 39.0, size=n) * 7) / 7
    book = simulate_bgnbd(n, T=T, random_state=rng, **TRUE)
    book["recency"] = np.minimum(np.round(book["recency"] * 7) / 7, book["T"])
    book["monetary"] = simulate_spend(
        book["frequency"], p=6.25, q=3.74, gamma=15.44, random_state=rng
    )

    result = fit_clv(
        book, horizon=52.0, time_unit_days=7.0, bgnbd=BGNBD(), gamma_gamma=GammaGamma()
    )

    assert result.bgnbd.converged_ and not result.bgnbd.fallback_
    assert result.bgnbd.n_customers_ == n
    for name, value in TRUE.items():
        # Rounding to whole days biases the estimates a little; the rest is noise.
        assert result.bgnbd_params[name] == pytest.approx(value, rel=0.05), name
    assert result.gamma_gamma_params["q"] > 1
    for name in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        values = getattr(result, name)
        assert values.shape == (n,)
        assert np.all(np.isfinite(values)) and np.all(values >= 0), name
