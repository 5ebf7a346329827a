"""The models reproduce the published CDNOW numbers (MISSION VAL-2, ARCHITECTURE habit 10).

Fader, Hardie & Lee (2005, Marketing Science): BG/NBD on the CDNOW 1/10 sample, 39-week
calibration ending 1997-09-30, weeks: r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
log-likelihood -9582.4. Gamma-Gamma (FHL 2005, JMR; Fader & Hardie 2013 note) on the 946
repeat buyers' average spend per repeat purchase: p = 6.25, q = 3.74, gamma = 15.44.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.datasets import load_cdnow_summary
from kam_analytics.models import BGNBD, GammaGamma, fit_clv

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_LOGLIK = -9582.4
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


def test_it_rebuilds_the_published_cdnow_summary_from_raw_transactions(
    cdnow_weekly: pd.DataFrame,
) -> None:
    published = load_cdnow_summary()
    ours = cdnow_weekly.set_index("customer_id").loc[published["customer_id"]]
    assert len(ours) == 2357
    np.testing.assert_array_equal(ours["frequency"].to_numpy(), published["frequency"])
    np.testing.assert_allclose(ours["recency"].round(2).to_numpy(), published["recency"])
    np.testing.assert_allclose(ours["T"].round(2).to_numpy(), published["T"])
    assert int((ours["frequency"] > 0).sum()) == 946


def test_it_reproduces_the_published_bgnbd_parameters_on_cdnow(cdnow_weekly: pd.DataFrame) -> None:
    model = BGNBD().fit(cdnow_weekly["frequency"], cdnow_weekly["recency"], cdnow_weekly["T"])

    for name, value in PUBLISHED_BGNBD.items():
        assert model.params_[name] == pytest.approx(value, abs=1e-3), name
        assert round(model.params_[name], 2) == round(value, 2), name
    assert model.loglik_ == pytest.approx(PUBLISHED_LOGLIK, abs=0.05)
    assert model.converged_
    assert model.warnings_ == []
    assert not model.fallback_
    assert model.n_customers_ == 2357
    assert all(0 < se < 1 for se in model.standard_errors_.values())


def test_it_gets_the_same_bgnbd_fit_from_the_distributed_summary_file() -> None:
    published = load_cdnow_summary()
    model = BGNBD().fit(published["frequency"], published["recency"], published["T"])

    for name, value in PUBLISHED_BGNBD.items():
        assert round(model.params_[name], 2) == round(value, 2), name


def test_it_reproduces_the_published_gamma_gamma_parameters_on_cdnow(
    cdnow_weekly: pd.DataFrame,
) -> None:
    model = GammaGamma().fit(cdnow_weekly["frequency"], cdnow_weekly["monetary"])

    for name, value in PUBLISHED_GAMMA_GAMMA.items():
        assert model.params_[name] == pytest.approx(value, abs=5e-3), name
    assert model.n_fitted_ == 946
    assert model.warnings_ == []
    assert not model.fallback_
    # The independence check the model relies on holds on CDNOW (about 0.11).
    assert abs(model.spend_frequency_correlation_) < 0.3


def test_it_values_the_cdnow_book_without_warnings(cdnow_weekly: pd.DataFrame) -> None:
    result = fit_clv(cdnow_weekly, horizon=52.0, time_unit_days=7.0)
    frame = result.to_frame()

    assert result.warnings == []
    assert list(frame.columns) == [
        "customer_id",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
    ]
    assert np.isfinite(frame.drop(columns="customer_id").to_numpy()).all()
    assert (frame["clv"] >= 0).all()
    assert frame["p_alive"].between(0, 1).all()
    # One-time buyers: the BG/NBD lets customers leave only after a repeat purchase.
    one_time = cdnow_weekly["frequency"].to_numpy() == 0
    assert np.all(result.p_alive[one_time] == 1.0)
    assert np.all(result.p_alive[~one_time] < 1.0)
    # A one-time buyer's expected spend is the model's population mean p gamma / (q - 1).
    p, q, gamma = (result.gamma_gamma_params[k] for k in ("p", "q", "gamma"))
    assert result.expected_spend[one_time] == pytest.approx(p * gamma / (q - 1))
