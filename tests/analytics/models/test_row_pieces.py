"""Likelihoods and predictions over many rows are computed in pieces on a few threads.

The pieces must change nothing but the speed: the same sums, the same predictions, the
same fitted parameters as one evaluation over all rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from kam_analytics.models import BGNBD, GammaGamma, diagnostics, fit_clv
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend


def test_pieces_cover_every_row_once() -> None:
    pieces = diagnostics.row_pieces(2 * diagnostics.CHUNK_ROWS + 5)
    covered = np.concatenate([np.arange(p.start, p.stop) for p in pieces])
    assert covered.tolist() == list(range(2 * diagnostics.CHUNK_ROWS + 5))
    assert diagnostics.row_pieces(0) == []


def test_summed_and_mapped_rows_equal_the_whole_computation() -> None:
    rng = np.random.default_rng(5)
    values = rng.normal(size=3 * diagnostics.CHUNK_ROWS + 17)

    def part(rows: slice) -> tuple[float, np.ndarray]:
        chunk = values[rows]
        return float(chunk.sum()), np.array([float((chunk**2).sum()), float(chunk.size)])

    total, gradient = diagnostics.summed_over_rows(part, values.shape[0])
    assert total == pytest.approx(values.sum(), rel=1e-12)
    assert gradient == pytest.approx([(values**2).sum(), values.size], rel=1e-12)
    mapped = diagnostics.mapped_over_rows(lambda rows: np.exp(values[rows]), values.shape[0])
    np.testing.assert_array_equal(mapped, np.exp(values))


def _book(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(8)
    T = np.round(rng.uniform(20.0, 60.0, size=n) * 7) / 7
    book = simulate_bgnbd(n, T=T, random_state=rng, r=0.8, alpha=5.0, a=0.6, b=3.0)
    book["recency"] = np.minimum(np.round(book["recency"] * 7) / 7, book["T"])
    book["monetary"] = simulate_spend(book["frequency"], p=6.0, q=3.5, gamma=15.0, random_state=rng)
    return book


@pytest.mark.slow
def test_fits_and_predictions_do_not_depend_on_the_pieces(monkeypatch: pytest.MonkeyPatch) -> None:
    book = _book(2 * diagnostics.CHUNK_ROWS + 1000)
    pieces = fit_clv(
        book, horizon=52.0, time_unit_days=7.0, bgnbd=BGNBD(), gamma_gamma=GammaGamma()
    )
    monkeypatch.setattr(diagnostics, "CHUNK_ROWS", 10**9)  # one piece, no threads
    whole = fit_clv(book, horizon=52.0, time_unit_days=7.0, bgnbd=BGNBD(), gamma_gamma=GammaGamma())
    for name, value in whole.bgnbd_params.items():
        assert pieces.bgnbd_params[name] == pytest.approx(value, rel=1e-6), name
    for name, value in whole.gamma_gamma_params.items():
        assert pieces.gamma_gamma_params[name] == pytest.approx(value, rel=1e-4), name
    assert pieces.bgnbd.loglik_ == pytest.approx(whole.bgnbd.loglik_, rel=1e-12)
    for name in ("p_alive", "expected_purchases", "clv"):
        np.testing.assert_allclose(getattr(pieces, name), getattr(whole, name), rtol=1e-4)
