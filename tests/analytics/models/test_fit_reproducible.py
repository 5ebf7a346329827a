"""Fitted parameters must not depend on rounding noise in the summary.

Engines add a customer's purchases in their own order, so the summaries they give differ
in the last bits. Where a likelihood is nearly flat (Gamma-Gamma's ridge in p, q, gamma)
an optimiser that stops on its tolerance lands somewhere else on the ridge for each; the
fits finish with Newton steps so that they land on the maximum itself.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models import BGNBD, GammaGamma


def _jittered(values: pd.Series, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    array = values.to_numpy(np.float64)
    return array * (1.0 + rng.uniform(-1e-12, 1e-12, size=array.shape))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_gamma_gamma_gives_the_same_parameters_on_rounding_noise(
    cdnow_weekly: pd.DataFrame, seed: int
) -> None:
    exact = GammaGamma().fit(cdnow_weekly["frequency"], cdnow_weekly["monetary"])
    noisy = GammaGamma().fit(cdnow_weekly["frequency"], _jittered(cdnow_weekly["monetary"], seed))
    for name, value in exact.params_.items():
        assert noisy.params_[name] == pytest.approx(value, rel=1e-7), name


@pytest.mark.parametrize("seed", [1, 2])
def test_bgnbd_gives_the_same_parameters_on_rounding_noise(
    cdnow_weekly: pd.DataFrame, seed: int
) -> None:
    exact = BGNBD().fit(cdnow_weekly["frequency"], cdnow_weekly["recency"], cdnow_weekly["T"])
    recency = np.minimum(_jittered(cdnow_weekly["recency"], seed), cdnow_weekly["T"])
    noisy = BGNBD().fit(cdnow_weekly["frequency"], recency, cdnow_weekly["T"])
    for name, value in exact.params_.items():
        assert noisy.params_[name] == pytest.approx(value, rel=1e-7), name
