"""Discounted customer lifetime value from a fitted BG/NBD and a fitted Gamma-Gamma model.

CLV_i = E[M_i] * sum_{k=1..K} d_k * (E[Y_i(t_k)] - E[Y_i(t_(k-1))])

with t_k = k * horizon / K (time units; t_0 = 0), E[Y_i(t)] the expected purchases in
(T_i, T_i + t] (BG/NBD, Fader, Hardie & Lee 2005, eq. (10)), E[M_i] the expected spend per
purchase (Gamma-Gamma) and d_k = (1 + annual_discount_rate) ** -(t_k * time_unit_days /
365.25) the discount factor at the end of step k. This is the method of the ``lifetimes``
package (expected purchases per month, times spend, discounted per month) with the step
and the rate made explicit. By default K is the number of months in the horizon (at least
one), so purchases are discounted month by month.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kam_analytics.models.bgnbd import BGNBD
from kam_analytics.models.diagnostics import (
    FloatArray,
    select_new_customers,
    validate_frequency_recency_t,
)
from kam_analytics.models.gamma_gamma import GammaGamma
from kam_analytics.notes import Note

__all__ = ["ClvResult", "clv_schedule", "customer_lifetime_value", "fit_clv"]

DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = DAYS_PER_YEAR / 12.0
# A horizon this many times longer than the longest observed history is extrapolation.
_EXTRAPOLATION_RATIO = 3.0
REQUIRED_COLUMNS = ("frequency", "recency", "T", "monetary")


def clv_schedule(
    *,
    horizon: float,
    time_unit_days: float,
    annual_discount_rate: float = 0.1,
    steps: int | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Step ends t_1..t_K (time units) and their discount factors d_1..d_K."""
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon must be > 0 time units (got {horizon!r}).")
    if not (math.isfinite(time_unit_days) and time_unit_days > 0):
        raise ValueError(f"time_unit_days must be > 0 (got {time_unit_days!r}).")
    if not (math.isfinite(annual_discount_rate) and annual_discount_rate > -1):
        raise ValueError(
            f"annual_discount_rate must be a finite rate > -1 (got {annual_discount_rate!r})."
        )
    if steps is None:
        steps = max(1, math.ceil(horizon * time_unit_days / DAYS_PER_MONTH - 1e-9))
    if steps < 1:
        raise ValueError(f"steps must be >= 1 (got {steps}).")
    times = horizon * np.arange(1, steps + 1, dtype=np.float64) / steps
    years = times * time_unit_days / DAYS_PER_YEAR
    factors = (1.0 + annual_discount_rate) ** (-years)
    return times, np.asarray(factors, dtype=np.float64)


def customer_lifetime_value(
    bgnbd: BGNBD,
    gamma_gamma: GammaGamma,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    horizon: float,
    time_unit_days: float,
    annual_discount_rate: float = 0.1,
    steps: int | None = None,
) -> FloatArray:
    """Discounted CLV over ``horizon`` time units (see the module docstring for the formula).

    Both models must be fitted on the same time unit as the arrays; ``time_unit_days`` says
    how long that unit is (1 day, 7 for weeks, 365.25 / 12 for months) for discounting.
    Uses each model's fallback when it has one (see their ``warnings_``). Customers with
    T = 0 (first purchase on the as-of date) get a new customer's expectations.
    """
    clv, _, _ = _clv_parts(
        bgnbd,
        gamma_gamma,
        frequency,
        recency,
        T,
        monetary,
        horizon=horizon,
        time_unit_days=time_unit_days,
        annual_discount_rate=annual_discount_rate,
        steps=steps,
    )
    return clv


def _clv_parts(
    bgnbd: BGNBD,
    gamma_gamma: GammaGamma,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    monetary: npt.ArrayLike,
    *,
    horizon: float,
    time_unit_days: float,
    annual_discount_rate: float,
    steps: int | None,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """(clv, expected purchases over the horizon, expected spend per purchase).

    Customers first seen on the as-of date (T = 0) get a new customer's expectations:
    E[X(t)] of FHL 2005 eq. (9) (eq. (10) in the limit x = 0, T -> 0, where P(alive) = 1)
    and the population's expected spend (Gamma-Gamma with x = 0, or the fallback's mean).
    """
    times, factors = clv_schedule(
        horizon=horizon,
        time_unit_days=time_unit_days,
        annual_discount_rate=annual_discount_rate,
        steps=steps,
    )
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T, allow_zero_t=True)
    spend = gamma_gamma.conditional_expected_average_profit(frequency=x, monetary=monetary)
    new = select_new_customers(t_cal)
    discounted = np.empty_like(t_cal)
    purchases = np.empty_like(t_cal)
    if np.any(new):
        discounted[new], purchases[new] = _new_customer_purchases(bgnbd, times, factors)
    seen = ~new
    if np.any(seen):
        discounted[seen], purchases[seen] = bgnbd.discounted_expected_purchases(
            times=times,
            discount_factors=factors,
            frequency=x[seen],
            recency=t_x[seen],
            T=t_cal[seen],
        )
    return spend * discounted, purchases, spend


def _new_customer_purchases(
    bgnbd: BGNBD, times: FloatArray, factors: FloatArray
) -> tuple[float, float]:
    """Discounted and plain expected purchases over the schedule of a customer just acquired.

    sum_k d_k (E[X(t_k)] - E[X(t_(k-1))]) and E[X(t_K)], with E[X(t)] the unconditional
    expectation of FHL 2005 eq. (9) (the NBD rate r t / alpha when the model fell back).
    """
    cumulative = bgnbd.expected_purchases(t=times)
    increments = np.maximum(np.diff(np.concatenate([[0.0], cumulative])), 0.0)
    return float((factors * increments).sum()), float(cumulative[-1])


def _probability_alive(
    bgnbd: BGNBD, x: FloatArray, t_x: FloatArray, t_cal: FloatArray
) -> FloatArray:
    """P(alive) per customer; 1 for customers first seen on the as-of date (T = 0)."""
    p_alive = np.ones_like(t_cal)
    seen = ~select_new_customers(t_cal)
    if np.any(seen):
        p_alive[seen] = bgnbd.conditional_probability_alive(
            frequency=x[seen], recency=t_x[seen], T=t_cal[seen]
        )
    return p_alive


@dataclass
class ClvResult:
    """Per-customer outputs of :func:`fit_clv`, with the fitted models and every warning.

    ``expected_purchases`` are over the horizon (undiscounted); ``expected_spend`` is per
    purchase; ``clv`` is discounted. All arrays are finite and non-negative.
    """

    customer_id: npt.NDArray[Any] | None
    p_alive: FloatArray
    expected_purchases: FloatArray
    expected_spend: FloatArray
    clv: FloatArray
    bgnbd_params: dict[str, float]
    bgnbd_standard_errors: dict[str, float]
    gamma_gamma_params: dict[str, float]
    gamma_gamma_standard_errors: dict[str, float]
    warnings: list[str]
    horizon: float
    time_unit_days: float
    annual_discount_rate: float
    bgnbd: BGNBD = field(repr=False)
    gamma_gamma: GammaGamma = field(repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row per customer: customer_id (when known), p_alive, expected_purchases,
        expected_spend, clv."""
        columns: dict[str, Any] = {}
        if self.customer_id is not None:
            columns["customer_id"] = self.customer_id
        columns.update(
            p_alive=self.p_alive,
            expected_purchases=self.expected_purchases,
            expected_spend=self.expected_spend,
            clv=self.clv,
        )
        return pd.DataFrame(columns)


def _columns(
    data: pd.DataFrame | Mapping[str, npt.ArrayLike],
) -> tuple[dict[str, FloatArray], npt.NDArray[Any] | None]:
    missing = [name for name in REQUIRED_COLUMNS if name not in data]
    if missing:
        raise ValueError(
            f"The summary lacks the column(s) {', '.join(missing)}; it needs "
            f"{', '.join(REQUIRED_COLUMNS)} (one row per customer)."
        )
    arrays = {name: np.asarray(data[name], dtype=np.float64) for name in REQUIRED_COLUMNS}
    customer_id: npt.NDArray[Any] | None = None
    if "customer_id" in data:
        customer_id = np.asarray(data["customer_id"])
    elif isinstance(data, pd.DataFrame) and not data.index.equals(pd.RangeIndex(len(data))):
        customer_id = data.index.to_numpy()
    return arrays, customer_id


def fit_clv(
    data: pd.DataFrame | Mapping[str, npt.ArrayLike],
    *,
    horizon: float,
    time_unit_days: float,
    annual_discount_rate: float = 0.1,
    steps: int | None = None,
    bgnbd: BGNBD | None = None,
    gamma_gamma: GammaGamma | None = None,
) -> ClvResult:
    """Fit BG/NBD and Gamma-Gamma on a customer summary and compute P(alive), expected
    purchases over ``horizon``, expected spend per purchase and discounted CLV.

    ``data`` has columns frequency, recency, T (in one time unit of ``time_unit_days``
    days), monetary (mean spend of the repeat purchases, 0 without one) and optionally
    customer_id (else an index other than 0..n-1 is taken as the id). Pass configured, unfitted
    ``bgnbd`` / ``gamma_gamma`` estimators to change their settings.

    Customers whose first purchase is on the as-of date (T = 0, necessarily frequency 0)
    have a likelihood of exactly 1: they are left out of the BG/NBD fit and get the fitted
    model's outputs at T -> 0: P(alive) = 1, the unconditional E[X(horizon)] of a new
    customer (FHL 2005 eq. (9)) and the population's expected spend.
    """
    arrays, customer_id = _columns(data)
    x, t_x, t_cal = validate_frequency_recency_t(
        arrays["frequency"], arrays["recency"], arrays["T"], allow_zero_t=True
    )
    seen = ~select_new_customers(t_cal)
    if not np.any(seen):
        raise ValueError(
            "Every customer made their first purchase on the as-of date (T = 0): there is no "
            "purchase history to fit the models on; choose a later as-of date."
        )
    monetary = arrays["monetary"]
    transaction_model = (bgnbd if bgnbd is not None else BGNBD()).fit(
        x[seen], t_x[seen], t_cal[seen]
    )
    spend_model = (gamma_gamma if gamma_gamma is not None else GammaGamma()).fit(x, monetary)
    clv, purchases, spend = _clv_parts(
        transaction_model,
        spend_model,
        x,
        t_x,
        t_cal,
        monetary,
        horizon=horizon,
        time_unit_days=time_unit_days,
        annual_discount_rate=annual_discount_rate,
        steps=steps,
    )
    p_alive = _probability_alive(transaction_model, x, t_x, t_cal)
    notes = [*transaction_model.warnings_, *spend_model.warnings_]
    longest = float(t_cal.max())
    if horizon > _EXTRAPOLATION_RATIO * longest:
        notes.append(
            Note(
                "clv_extrapolation",
                f"The horizon ({horizon:g} time units) is more than {_EXTRAPOLATION_RATIO:g} "
                f"times the longest customer history ({longest:.3g}): the forecast "
                "extrapolates far beyond the data.",
                horizon=horizon,
                ratio=_EXTRAPOLATION_RATIO,
                longest=longest,
            )
        )
    return ClvResult(
        customer_id=customer_id,
        p_alive=p_alive,
        expected_purchases=purchases,
        expected_spend=spend,
        clv=clv,
        bgnbd_params=dict(transaction_model.params_),
        bgnbd_standard_errors=dict(transaction_model.standard_errors_),
        gamma_gamma_params=dict(spend_model.params_),
        gamma_gamma_standard_errors=dict(spend_model.standard_errors_),
        warnings=notes,
        horizon=float(horizon),
        time_unit_days=float(time_unit_days),
        annual_discount_rate=float(annual_discount_rate),
        bgnbd=transaction_model,
        gamma_gamma=spend_model,
    )
