"""A customer whose first purchase is on the as-of date has T = 0. Their BG/NBD likelihood
is exactly 1 (FHL 2005 eq. (6) with x = 0, T = 0), so they are left out of the fit and get
a new customer's expectations: P(alive) = 1, the unconditional E[X(t)] of eq. (9) and the
population's expected spend."""

from __future__ import annotations

from datetime import date

import ibis
import numpy as np
import pandas as pd
import pytest

from kam_analytics.backends import table_from_pandas
from kam_analytics.models import BGNBD, fit_clv
from kam_analytics.models.bgnbd import log_likelihood
from kam_analytics.models.clv import clv_schedule, customer_lifetime_value
from kam_analytics.models.diagnostics import validate_frequency_recency_t
from kam_analytics.transforms import customer_summary
from tests.analytics.conftest import Loader
from tests.analytics.pipeline.books import cdnow_book

WEEK = 7.0
HORIZON = 52.0
CALIBRATION_END = date(1997, 9, 30)


@pytest.fixture(scope="module")
def cdnow_summary(duckdb_backend: ibis.BaseBackend) -> pd.DataFrame:
    table = table_from_pandas(duckdb_backend, cdnow_book(), "cdnow_new_customers")
    summary = customer_summary(table, as_of=CALIBRATION_END, time_unit="week")
    return summary.execute().sort_values("customer_id").reset_index(drop=True)


def with_new_customers(summary: pd.DataFrame, n: int = 3) -> pd.DataFrame:
    new = pd.DataFrame(
        {
            "customer_id": [f"new-{i}" for i in range(n)],
            "frequency": 0,
            "recency": 0.0,
            "T": 0.0,
            "monetary": 0.0,
        }
    )
    columns = ["customer_id", "frequency", "recency", "T", "monetary"]
    return pd.concat([summary[columns], new], ignore_index=True)


def test_it_values_customers_first_seen_on_the_as_of_date(cdnow_summary: pd.DataFrame) -> None:
    book = with_new_customers(cdnow_summary)
    result = fit_clv(book, horizon=HORIZON, time_unit_days=WEEK)

    new = book["T"].to_numpy() == 0
    np.testing.assert_array_equal(result.p_alive[new], 1.0)
    unconditional = result.bgnbd.expected_purchases(t=[HORIZON])[0]
    np.testing.assert_allclose(result.expected_purchases[new], unconditional, rtol=1e-12)
    p, q, gamma = (result.gamma_gamma_params[k] for k in ("p", "q", "gamma"))
    np.testing.assert_allclose(result.expected_spend[new], p * gamma / (q - 1), rtol=1e-12)
    times, factors = clv_schedule(horizon=HORIZON, time_unit_days=WEEK)
    cumulative = result.bgnbd.expected_purchases(t=times)
    discounted = float((factors * np.diff(np.concatenate([[0.0], cumulative]))).sum())
    np.testing.assert_allclose(result.clv[new], p * gamma / (q - 1) * discounted, rtol=1e-12)
    assert result.to_frame()["customer_id"].tolist()[-3:] == ["new-0", "new-1", "new-2"]


def test_it_fits_exactly_as_without_them(cdnow_summary: pd.DataFrame) -> None:
    with_new = fit_clv(with_new_customers(cdnow_summary), horizon=HORIZON, time_unit_days=WEEK)
    without = fit_clv(cdnow_summary, horizon=HORIZON, time_unit_days=WEEK)

    assert with_new.bgnbd_params == without.bgnbd_params
    assert with_new.bgnbd.n_customers_ == len(cdnow_summary)
    n = len(cdnow_summary)
    np.testing.assert_array_equal(with_new.clv[:n], without.clv)
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert round(with_new.bgnbd_params[name], 2) == round(value, 2)


def test_their_likelihood_is_one_so_leaving_them_out_changes_nothing() -> None:
    # The T -> 0 limit of eq. (6) for x = 0 is alpha^r / alpha^r = 1.
    ll = log_likelihood((0.243, 4.414, 0.793, 2.426), frequency=[0], recency=[0], T=[1e-12])
    assert ll[0] == pytest.approx(0.0, abs=1e-12)


def test_their_values_are_the_limit_of_a_customer_seen_a_moment_ago(
    cdnow_summary: pd.DataFrame,
) -> None:
    result = fit_clv(with_new_customers(cdnow_summary, n=1), horizon=HORIZON, time_unit_days=WEEK)
    moment = customer_lifetime_value(
        result.bgnbd,
        result.gamma_gamma,
        [0],
        [0.0],
        [1e-9],
        [0.0],
        horizon=HORIZON,
        time_unit_days=WEEK,
    )
    assert result.clv[-1] == pytest.approx(moment[0], rel=1e-6)


def test_it_uses_the_purchase_rate_for_them_when_the_model_falls_back() -> None:
    rng = np.random.default_rng(5)
    # Everyone buys at the same steady rate and nobody leaves: no drop-out to identify.
    T = rng.uniform(20, 60, 400)
    x = rng.poisson(0.3 * T)
    book = pd.DataFrame(
        {
            "frequency": np.append(x, 0),
            "recency": np.append(np.where(x > 0, T * rng.uniform(0.9, 1.0, 400), 0.0), 0.0),
            "T": np.append(T, 0.0),
            "monetary": np.append(np.where(x > 0, rng.gamma(20, 2, 400), 0.0), 0.0),
        }
    )
    result = fit_clv(book, horizon=HORIZON, time_unit_days=WEEK)

    assert result.bgnbd.fallback_
    nbd = result.bgnbd.nbd_params_
    assert result.expected_purchases[-1] == pytest.approx(HORIZON * nbd["r"] / nbd["alpha"])
    assert result.p_alive[-1] == 1.0


def test_it_scores_a_book_from_transactions_with_a_first_purchase_on_the_cut_off(
    load: Loader,
) -> None:
    lines = cdnow_book()
    extra = pd.DataFrame(
        {"customer_id": ["late"], "date": [pd.Timestamp(CALIBRATION_END)], "amount": [25.0]}
    ).astype({"customer_id": object})
    table = load(pd.concat([lines, extra], ignore_index=True))
    summary = customer_summary(table, as_of=CALIBRATION_END, time_unit="week").execute()

    result = fit_clv(summary, horizon=HORIZON, time_unit_days=WEEK)

    row = int(np.flatnonzero(result.customer_id == "late")[0])
    assert summary.loc[row, "T"] == 0
    assert result.p_alive[row] == 1.0
    assert np.all(np.isfinite(result.clv)) and result.clv[row] > 0


def test_it_still_refuses_repeat_purchases_without_time() -> None:
    with pytest.raises(ValueError, match=r"frequency\[1\] = 2.0 but T\[1\] = 0"):
        validate_frequency_recency_t([0, 2], [0, 0], [3, 0], allow_zero_t=True)
    with pytest.raises(ValueError, match=r"T\[0\] = 0.0: .* must be > 0"):
        BGNBD().fit([0, 1], [0, 1], [0, 2])


def test_it_says_when_everyone_is_new() -> None:
    book = pd.DataFrame({"frequency": [0, 0], "recency": [0.0, 0.0], "T": [0.0, 0.0]})
    book["monetary"] = 0.0
    with pytest.raises(ValueError, match="Every customer made their first purchase on the as-of"):
        fit_clv(book, horizon=HORIZON, time_unit_days=WEEK)
