"""The fits use likelihoods summed over customers (a few logarithms per row); they must
give the same value and gradient as the per-customer terms written from the papers."""

from __future__ import annotations

import numpy as np
import pytest

from kam_analytics.models import bgnbd, gamma_gamma
from kam_analytics.models.diagnostics import compress_rows
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend

BGNBD_POINTS = [
    (0.243, 4.414, 0.793, 2.426),  # CDNOW
    (1.28, 6.34, 0.45, 8.8),
    (4e6, 1.8e7, 0.61, 69.0),  # almost equal purchase rates: r and alpha in the millions
    (1e-3, 0.1, 20.0, 1e4),
    (50.0, 300.0, 1e-4, 3.0),  # hardly any drop-out
]
SPEND_POINTS = [(6.25, 3.74, 15.44), (1.0, 3.0, 100.0), (0.01, 1.5, 1e4), (200.0, 50.0, 0.1)]


@pytest.fixture(scope="module")
def book() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(21)
    n = 3_000
    T = np.round(rng.uniform(10.0, 80.0, size=n) * 7) / 7
    summary = simulate_bgnbd(n, T=T, random_state=rng, r=0.8, alpha=5.0, a=0.6, b=3.0)
    summary["recency"] = np.minimum(np.round(summary["recency"] * 7) / 7, summary["T"])
    summary["monetary"] = simulate_spend(
        summary["frequency"], p=6.0, q=3.5, gamma=15.0, random_state=rng
    )
    return {name: summary[name].to_numpy(np.float64) for name in summary.columns}


def _close(summed: tuple[float, np.ndarray], value: float, gradient: np.ndarray) -> None:
    # With r in the millions the per-customer terms themselves lose about 9 digits to
    # cancellation (lnG(r+x) - lnG(r)); elsewhere the two agree to rounding.
    assert summed[0] == pytest.approx(value, rel=1e-9)
    scale = np.maximum(1.0, np.abs(gradient))
    assert np.max(np.abs(summed[1] - gradient) / scale) < 1e-7


@pytest.mark.parametrize("params", BGNBD_POINTS)
def test_the_summed_bgnbd_likelihood_is_the_sum_of_the_terms(
    book: dict[str, np.ndarray], params: tuple[float, ...]
) -> None:
    rows = compress_rows([book["frequency"], book["recency"], book["T"]])
    x, t_x, T = rows.columns
    fit_rows = bgnbd._FitRows.of(x, t_x, T, rows.weights)
    log_params = np.log(np.array(params))
    ll, gradient = bgnbd._loglik_terms(log_params, x, t_x, T)
    _close(bgnbd._loglik_sums(log_params, fit_rows), rows.weights @ ll, rows.weights @ gradient)
    nbd_ll, nbd_gradient = bgnbd._nbd_loglik_terms(log_params[:2], x, T)
    _close(
        bgnbd._nbd_loglik_sums(log_params[:2], fit_rows),
        rows.weights @ nbd_ll,
        rows.weights @ nbd_gradient,
    )


@pytest.mark.parametrize("params", SPEND_POINTS)
def test_the_summed_gamma_gamma_likelihood_is_the_sum_of_the_terms(
    book: dict[str, np.ndarray], params: tuple[float, ...]
) -> None:
    usable = (book["frequency"] > 0) & (book["monetary"] > 0)
    rows = compress_rows([book["frequency"][usable], book["monetary"][usable]])
    spend_rows = gamma_gamma._SpendRows.of(*rows.columns)
    log_params = np.log(np.array(params))
    ll, gradient = gamma_gamma._loglik_terms(log_params, spend_rows)
    summed = gamma_gamma._loglik_sums(
        log_params, gamma_gamma._SpendFit.of(spend_rows, rows.weights)
    )
    _close(summed, rows.weights @ ll, rows.weights @ gradient)
