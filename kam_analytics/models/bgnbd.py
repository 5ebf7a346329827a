"""The BG/NBD model of repeat buying: P(alive) and expected purchases.

References
----------
FHL 2005
    P. S. Fader, B. G. S. Hardie, K. L. Lee, "'Counting Your Customers' the Easy Way: An
    Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005, 275-284.
FHL 2008
    P. S. Fader, B. G. S. Hardie, K. L. Lee, "Computing P(alive) Using the BG/NBD Model",
    research note, 2008.
FH 2013
    P. S. Fader, B. G. S. Hardie, "Overcoming the BG/NBD Model's #NUM! Error Problem",
    research note, 2013 (why the likelihood is evaluated in log space).

Notation as in FHL 2005: a customer made ``x`` repeat purchases, the last one at ``t_x``,
and has been observed for ``T``, all measured from the first purchase in one time unit
(days, weeks, months: ``alpha`` carries that unit, the other parameters are unit-free).
While alive, a customer buys at Poisson rate lambda ~ Gamma(r, alpha); after each repeat
purchase they drop out with probability p ~ Beta(a, b).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from kam_analytics.models.diagnostics import (
    LOG_PARAM_BOUND,
    Distinct,
    FloatArray,
    as_float_array,
    compress_rows,
    distinct_values,
    mapped_over_rows,
    minimise_in_log_space,
    standard_errors_from_log_hessian,
    summed_over_rows,
    total_hessian,
    validate_frequency_recency_t,
    validate_weights,
)
from kam_analytics.notes import Note

__all__ = [
    "BGNBD",
    "conditional_expected_purchases",
    "expected_purchases",
    "log_likelihood",
    "nbd_conditional_expected_purchases",
    "probability_alive",
    "silence_probability",
]

PARAM_NAMES = ("r", "alpha", "a", "b")
NBD_PARAM_NAMES = ("r", "alpha")

# A mean drop-out probability per purchase E[p] = a / (a + b) below this means customers
# would make a thousand purchases before leaving: drop-out has run to the boundary a -> 0.
_MIN_MEAN_DROPOUT = 1e-3
# Likelihood-ratio statistic of BG/NBD against the NBD without drop-out (a = 0) below which
# the book shows no evidence of drop-out: the 5% point of the 50:50 chi-square(0)/(1)
# mixture used for a parameter on its boundary.
_DROPOUT_LR_THRESHOLD = 2.71
# Gamma shape r above which every customer has practically the same purchase rate (its
# coefficient of variation 1/sqrt(r) is under 1%).
_HOMOGENEOUS_R = 1e4
# Standard errors above half the estimate for both r and alpha: the fit sits on the ridge
# r/alpha = constant that leads to equal purchase rates.
_LOOSE_RELATIVE_ERROR = 0.5
_FEW_REPEAT_BUYERS = 20

# Hypergeometric series control.
_SERIES_EPS = 1e-16
_SERIES_MAX_TERMS = 50_000
_SERIES_CHUNK = 16
_MAX_CONDITION = 1e8


# --------------------------------------------------------------------------------------
# Likelihood
# --------------------------------------------------------------------------------------


def _unpack(params: Mapping[str, float] | Sequence[float]) -> tuple[float, float, float, float]:
    if isinstance(params, Mapping):
        values = tuple(float(params[name]) for name in PARAM_NAMES)
    else:
        values = tuple(float(v) for v in params)
    if len(values) != 4 or not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(f"BG/NBD parameters (r, alpha, a, b) must be four numbers > 0: {values}")
    return values[0], values[1], values[2], values[3]


def _loglik_terms(
    log_params: FloatArray,
    x: FloatArray,
    t_x: FloatArray,
    T: FloatArray,
    distinct: Distinct | None = None,
) -> tuple[FloatArray, FloatArray]:
    """Per-row ln L of FHL 2005 eq. (6) and its gradient with respect to log-parameters.

    ln L = ln A1 + ln A2 + ln(A3 + delta(x>0) A4) with
      ln A1 = ln Gamma(r+x) - ln Gamma(r) + r ln alpha
      ln A2 = ln B(a, b+x) - ln B(a, b)
      ln A3 = -(r+x) ln(alpha+T)
      ln A4 = ln a - ln(b+x-1) - (r+x) ln(alpha+t_x)
    (B(a+1, b+x-1) / B(a, b+x) = a / (b+x-1)); the sum of two exponentials is a
    log-sum-exp, which keeps large x and T finite (FH 2013). The gamma-function terms depend
    on x alone and are evaluated once per distinct x (``distinct``, from :func:`distinct_values`).
    """
    r, alpha, a, b = np.exp(log_params)
    values, index = distinct if distinct is not None else distinct_values(x)
    gammaln_rx = special.gammaln(r + values)[index]
    digamma_rx = special.digamma(r + values)[index]
    betaln_abx = special.betaln(a, b + values)[index]
    digamma_bx = special.digamma(b + values)[index]
    digamma_abx = special.digamma(a + b + values)[index]

    repeat = x > 0
    rx = r + x
    log_alpha_T = np.log(alpha + T)
    log_alpha_tx = np.log(alpha + t_x)
    log_a3 = -rx * log_alpha_T
    b_x_1 = np.where(repeat, b + x - 1.0, 1.0)
    log_a4 = np.where(repeat, np.log(a) - np.log(b_x_1) - rx * log_alpha_tx, -np.inf)
    ll = (
        gammaln_rx
        - special.gammaln(r)
        + r * np.log(alpha)
        + betaln_abx
        - special.betaln(a, b)
        + np.logaddexp(log_a3, log_a4)
    )
    # Share of the "dropped out after the last purchase" branch in the likelihood.
    w4 = np.where(repeat, special.expit(log_a4 - log_a3), 0.0)
    w3 = 1.0 - w4
    d_r = digamma_rx - special.digamma(r) + np.log(alpha) - (w3 * log_alpha_T + w4 * log_alpha_tx)
    d_alpha = r / alpha - rx * (w3 / (alpha + T) + w4 / (alpha + t_x))
    psi_ab = special.digamma(a + b)
    d_a = psi_ab - digamma_abx + w4 / a
    d_b = digamma_bx - digamma_abx - special.digamma(b) + psi_ab - w4 / b_x_1
    gradient = np.column_stack([d_r * r, d_alpha * alpha, d_a * a, d_b * b])
    return ll, gradient


@dataclass(frozen=True)
class _FitRows:
    """The compressed fitting data, split for the summed likelihood (`_loglik_sums`).

    Repeat buyers (x > 0) and one-time buyers (x = 0) are kept apart: for the latter the
    "dropped out after the last purchase" branch is empty and each row costs one
    logarithm. ``frequencies`` are the distinct x and ``frequency_weights`` the summed
    counts of each, for the terms that depend on x alone.
    """

    x: FloatArray  # repeat buyers
    t_x: FloatArray
    T: FloatArray
    weights: FloatArray
    once_T: FloatArray  # one-time buyers
    once_weights: FloatArray
    frequencies: FloatArray
    frequency_weights: FloatArray

    @classmethod
    def of(cls, x: FloatArray, t_x: FloatArray, T: FloatArray, counts: FloatArray) -> _FitRows:
        values, index = distinct_values(x)
        repeat = x > 0
        once = ~repeat
        return cls(
            x=x[repeat],
            t_x=t_x[repeat],
            T=T[repeat],
            weights=counts[repeat],
            once_T=T[once],
            once_weights=counts[once],
            frequencies=values,
            frequency_weights=np.bincount(index, weights=counts, minlength=values.shape[0]).astype(
                np.float64
            ),
        )


def _loglik_sums(log_params: FloatArray, rows: _FitRows) -> tuple[float, FloatArray]:
    """Sum over customers of ln L (FHL 2005 eq. (6)) and of its gradient in log-parameters.

    The same numbers as the weighted sum of `_loglik_terms`, arranged so that each row
    costs a few logarithms and no two large numbers cancel (r and alpha run to millions
    when purchase rates hardly vary): with u_T = ln(1 + T/alpha), u_tx = ln(1 + t_x/alpha)
    and d = ln(a/(b+x-1)) + (r+x) (u_T - u_tx) = ln A4 - ln A3,

      ln L = lnG(r+x) - lnG(r) - x ln alpha + lnB(a, b+x) - lnB(a, b)
             - (r+x) u_T + delta(x>0) softplus(d),

    whose first four terms depend on x alone and are summed per distinct x (weights W_v).
    The share of the A4 branch is w4 = sigmoid(d), w3 = 1 - w4, and the gradient is

      r d/dr         = r [sum_v W_v (psi(r+v) - psi(r)) - sum w (w3 u_T + w4 u_tx)]
      alpha d/dalpha = sum w [w3 (r T - x alpha)/(alpha+T) + w4 (r t_x - x alpha)/(alpha+t_x)]
      d/da           = sum_v W_v (psi(a+b) - psi(a+b+v)) + sum w w4 / a
      d/db           = sum_v W_v (psi(b+v) - psi(a+b+v) - psi(b) + psi(a+b))
                       - sum w w4/(b+x-1)
    """
    r, alpha, a, b = np.exp(log_params)
    v, weight_v = rows.frequencies, rows.frequency_weights
    repeat = summed_over_rows(
        lambda part: _repeat_buyer_sums(r, alpha, a, b, rows, part), rows.weights.shape[0]
    )
    once = summed_over_rows(
        lambda part: _one_time_buyer_sums(r, alpha, rows, part), rows.once_weights.shape[0]
    )
    row_ll = repeat[0] + once[0]
    s_r, alpha_gradient, s_a, s_b = repeat[1] + once[1]
    per_frequency = (
        special.gammaln(r + v)
        - special.gammaln(r)
        - v * np.log(alpha)
        + special.betaln(a, b + v)
        - special.betaln(a, b)
    )
    psi_ab = special.digamma(a + b)
    psi_abv = special.digamma(a + b + v)
    d_r = float(weight_v @ (special.digamma(r + v) - special.digamma(r))) - s_r
    d_a = float(weight_v @ (psi_ab - psi_abv)) + s_a / a
    d_b = float(weight_v @ (special.digamma(b + v) - psi_abv - special.digamma(b) + psi_ab)) - s_b
    ll = float(weight_v @ per_frequency) + row_ll
    return ll, np.array([d_r * r, alpha_gradient, d_a * a, d_b * b])


def _repeat_buyer_sums(
    r: float, alpha: float, a: float, b: float, rows: _FitRows, part: slice
) -> tuple[float, FloatArray]:
    """Row sums for repeat buyers: of -(r+x) u_T + softplus(d), of w3 u_T + w4 u_tx, of
    the alpha gradient's terms, of w4 and of w4/(b+x-1) (see `_loglik_sums`)."""
    x, weights = rows.x[part], rows.weights[part]
    T, t_x = rows.T[part], rows.t_x[part]
    rx = r + x
    u_T = np.log1p(T / alpha)
    u_tx = np.log1p(t_x / alpha)
    b_x_1 = b + x - 1.0
    # ln((alpha+T)/(alpha+t_x)) = u_T - u_tx: when T is close to t_x the difference loses
    # relative precision, but d only needs absolute precision, which it keeps.
    d = np.log(a / b_x_1) + rx * (u_T - u_tx)
    small = np.exp(-np.abs(d))
    softplus = np.maximum(d, 0.0) + np.log1p(small)
    w4 = np.where(d >= 0.0, 1.0, small) / (1.0 + small)
    w3 = 1.0 - w4
    x_alpha = x * alpha
    alpha_terms = w3 * (r * T - x_alpha) / (alpha + T) + w4 * (r * t_x - x_alpha) / (alpha + t_x)
    weighted_w4 = weights * w4
    sums = np.array(
        [
            float(weights @ (w3 * u_T + w4 * u_tx)),
            float(weights @ alpha_terms),
            float(weighted_w4.sum()),
            float(weighted_w4 @ (1.0 / b_x_1)),
        ]
    )
    return float(weights @ (softplus - rx * u_T)), sums


def _one_time_buyer_sums(
    r: float, alpha: float, rows: _FitRows, part: slice
) -> tuple[float, FloatArray]:
    """The same sums for customers without a repeat purchase (x = 0, so w4 = 0)."""
    weights, T = rows.once_weights[part], rows.once_T[part]
    weighted_u = float(weights @ np.log1p(T / alpha))
    return -r * weighted_u, np.array([weighted_u, r * float(weights @ (T / (alpha + T))), 0.0, 0.0])


def _nbd_loglik_sums(log_params: FloatArray, rows: _FitRows) -> tuple[float, FloatArray]:
    """Sum over customers of the NBD ln L (see `_nbd_loglik_terms`) and its gradient.

    ln L = lnG(r+x) - lnG(r) - x ln alpha - (r+x) u_T with u_T = ln(1 + T/alpha), as in
    `_loglik_sums` without the drop-out terms:
      r d/dr         = r [sum_v W_v (psi(r+v) - psi(r)) - sum w u_T]
      alpha d/dalpha = sum w (r T - x alpha)/(alpha+T)
    """
    r, alpha = np.exp(log_params)
    v, weight_v = rows.frequencies, rows.frequency_weights

    def part_of(x: FloatArray, T: FloatArray, weights: FloatArray) -> Callable[[slice], Any]:
        def part(piece: slice) -> tuple[float, FloatArray]:
            x_p, T_p, w_p = x[piece], T[piece], weights[piece]
            u_T = np.log1p(T_p / alpha)
            ll = -float(w_p @ ((r + x_p) * u_T))
            alpha_terms = (r * T_p - x_p * alpha) / (alpha + T_p)
            return ll, np.array([float(w_p @ u_T), float(w_p @ alpha_terms)])

        return part

    repeat = summed_over_rows(part_of(rows.x, rows.T, rows.weights), rows.weights.shape[0])
    zeros = np.zeros_like(rows.once_T)
    once = summed_over_rows(
        part_of(zeros, rows.once_T, rows.once_weights), rows.once_weights.shape[0]
    )
    s_u, alpha_gradient = repeat[1] + once[1]
    per_frequency = special.gammaln(r + v) - special.gammaln(r) - v * np.log(alpha)
    d_r = float(weight_v @ (special.digamma(r + v) - special.digamma(r))) - s_u
    ll = float(weight_v @ per_frequency) + repeat[0] + once[0]
    return ll, np.array([d_r * r, alpha_gradient])


def _nbd_loglik_terms(
    log_params: FloatArray, x: FloatArray, T: FloatArray, distinct: Distinct | None = None
) -> tuple[FloatArray, FloatArray]:
    """ln L of the NBD without drop-out: FHL 2005 eq. (6) in the limit a -> 0.

    ln L = ln Gamma(r+x) - ln Gamma(r) + r ln alpha - (r+x) ln(alpha+T), on the same scale as
    the BG/NBD likelihood, so the two log-likelihoods can be compared directly.
    """
    r, alpha = np.exp(log_params)
    values, index = distinct if distinct is not None else distinct_values(x)
    rx = r + x
    log_alpha_T = np.log(alpha + T)
    ll = (
        special.gammaln(r + values)[index]
        - special.gammaln(r)
        + r * np.log(alpha)
        - rx * log_alpha_T
    )
    d_r = special.digamma(r + values)[index] - special.digamma(r) + np.log(alpha) - log_alpha_T
    d_alpha = r / alpha - rx / (alpha + T)
    return ll, np.column_stack([d_r * r, d_alpha * alpha])


def log_likelihood(
    params: Mapping[str, float] | Sequence[float],
    *,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Per-customer log-likelihood ln L(r, alpha, a, b | x, t_x, T), FHL 2005 eq. (6).

    The sample log-likelihood of eq. (7) is its sum.
    """
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
    ll, _ = _loglik_terms(np.log(np.array(_unpack(params))), x, t_x, t_cal)
    return ll


# --------------------------------------------------------------------------------------
# Predictions
# --------------------------------------------------------------------------------------


def probability_alive(
    params: Mapping[str, float] | Sequence[float],
    *,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """P(alive at T | x, t_x, T): FHL 2008, the denominator of FHL 2005 eq. (10).

    P = 1 / (1 + delta(x>0) * a / (b+x-1) * ((alpha+T) / (alpha+t_x))^(r+x)), evaluated as
    expit(-log-odds) so that large x and T neither overflow nor round to 0/0.
    """
    r, alpha, a, b = _unpack(params)
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
    return _probability_alive(r, alpha, a, b, x, t_x, t_cal)


def _probability_alive(
    r: float, alpha: float, a: float, b: float, x: FloatArray, t_x: FloatArray, T: FloatArray
) -> FloatArray:
    repeat = x > 0
    b_x_1 = np.where(repeat, b + x - 1.0, 1.0)
    log_odds_gone = np.log(a) - np.log(b_x_1) + (r + x) * np.log1p((T - t_x) / (alpha + t_x))
    return np.where(repeat, special.expit(-log_odds_gone), 1.0)


def expected_purchases(
    params: Mapping[str, float] | Sequence[float], *, t: npt.ArrayLike
) -> FloatArray:
    """E[X(t)], the expected repeat purchases of a new customer in (0, t]: FHL 2005 eq. (9).

    E[X(t)] = (a+b-1)/(a-1) * [1 - (alpha/(alpha+t))^r 2F1(r, b; a+b-1; t/(alpha+t))],
    computed as eq. (10) for a customer just acquired (x = 0, T = 0, alive for sure).
    """
    r, alpha, a, b = _unpack(params)
    horizon = _validate_horizon(t)
    zeros = np.zeros_like(horizon)
    return _expected_if_alive(r, alpha, a, b, zeros, zeros, horizon)


def conditional_expected_purchases(
    params: Mapping[str, float] | Sequence[float],
    *,
    t: npt.ArrayLike,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """E[Y(t) | x, t_x, T], expected purchases in (T, T+t]: FHL 2005 eq. (10).

    E[Y(t) | ...] = P(alive) * (a+b+x-1)/(a-1)
                    * [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)],
    z = t / (alpha+T+t). ``t`` is a scalar or one value per customer. See
    :func:`_expected_if_alive` for how the hypergeometric function is kept stable.
    """
    r, alpha, a, b = _unpack(params)
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
    horizon = np.broadcast_to(_validate_horizon(t), x.shape).astype(np.float64)
    alive = _probability_alive(r, alpha, a, b, x, t_x, t_cal)
    return alive * _expected_if_alive(r, alpha, a, b, x, t_cal, horizon)


def _validate_horizon(t: npt.ArrayLike) -> FloatArray:
    horizon = as_float_array("t", t)
    bad = np.flatnonzero(horizon < 0)
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"t[{i}] = {float(horizon[i])!r}: the prediction horizon must be >= 0.")
    return horizon


def _expected_if_alive(
    r: float,
    alpha: float,
    a: float,
    b: float,
    x: FloatArray,
    T: FloatArray,
    t: FloatArray,
) -> FloatArray:
    """Expected purchases in (T, T+t] of a customer alive at T: eq. (10) without P(alive).

    Euler's transformation 2F1(A', B'; c; z) = (1-z)^(c-A'-B') 2F1(c-A', c-B'; c; z) with
    c = a+b+x-1 turns eq. (10)'s bracket into 1 - (1-z)^(a-1) 2F1(a+b-1-r, a-1; c; z),
    whose parameters no longer grow with x, and whose terms for large x shrink like
    k^(a-r-x-2) instead of growing. Dividing the k-th term by (a-1) exactly,

      N = c * (1 - w^B) / B - w^B * sum_{k>=1} (A)_k (a)_{k-1} z^k / ((c+1)_{k-1} k!),

    with A = a+b-1-r, B = a-1, w = 1-z = (alpha+T)/(alpha+T+t). This has no pole at a = 1
    nor at c = 0. When r is very large (almost equal purchase rates) A is very negative
    and the series alternates with huge terms; those rows (detected from the ratio of the
    absolute sum to the result) use the original series instead, whose terms are all
    positive, summed in log space. Rows whose series does not settle within 50,000 terms
    (z within ~1e-3 of 1) use SciPy's hyp2f1 on the transformed parameters.
    """
    shape = np.broadcast_shapes(x.shape, T.shape, t.shape)
    x, T, t = (np.broadcast_to(v, shape).astype(np.float64).ravel() for v in (x, T, t))
    result = np.zeros(x.shape[0], dtype=np.float64)
    todo = np.flatnonzero(t > 0)
    if todo.size == 0:
        return result.reshape(shape)
    x, T, t = x[todo], T[todo], t[todo]
    log_w = -np.log1p(t / (alpha + T))
    z = t / (alpha + T + t)
    c = a + b + x - 1.0
    big_a = a + b - 1.0 - r
    big_b = a - 1.0
    w_b = np.exp(big_b * log_w)
    g = _one_minus_w_pow_over_b(big_b, log_w)
    head = c * g
    with np.errstate(divide="ignore", over="ignore"):  # w^B = 0: an infinite scale is right
        scale = np.abs(head) / w_b
    series, abs_series, settled = _euler_series(big_a, a, c, z, scale=scale)
    value = head - w_b * series
    condition = (np.abs(head) + w_b * abs_series) / np.maximum(np.abs(value), 1e-300)
    cancelled = settled & ((condition > _MAX_CONDITION) | ~np.isfinite(value))
    if np.any(cancelled):
        value[cancelled] = _expected_if_alive_direct(
            r, a, b, x[cancelled], z[cancelled], log_w[cancelled]
        )
    unsettled = ~settled
    if np.any(unsettled):
        value[unsettled] = _expected_if_alive_scipy(
            r, a, b, x[unsettled], z[unsettled], log_w[unsettled]
        )
    # Last resort, never reached in the tests: the purchase rate alone, an upper bound.
    broken = ~np.isfinite(value)
    value[broken] = t[broken] * (r + x[broken]) / (alpha + T[broken])
    result[todo] = np.maximum(value, 0.0)
    return result.reshape(shape)


def _expected_if_alive_scipy(
    r: float, a: float, b: float, x: FloatArray, z: FloatArray, log_w: FloatArray
) -> FloatArray:
    """Eq. (10)'s bracket with SciPy's hyp2f1 on Euler-transformed parameters.

    For z within ~1e-3 of 1 (horizons hundreds of times longer than alpha + T) the power
    series needs too many terms; hyp2f1 switches to its 1 - z expansions there, and with
    the transformed parameters (which do not grow with x) it stays accurate.
    """
    c = a + b + x - 1.0
    big_b = a - 1.0
    transformed = special.hyp2f1(a + b - 1.0 - r, big_b, c, z)
    if abs(big_b) < 1e-12:
        big_b = 1e-12
    return np.asarray(c * (1.0 - np.exp(big_b * log_w) * transformed) / big_b, dtype=np.float64)


def _one_minus_w_pow_over_b(big_b: float, log_w: FloatArray) -> FloatArray:
    """(1 - w^B) / B without the 0/0 at B = 0 (a = 1), where it tends to -ln w."""
    product = big_b * log_w
    small = np.abs(product) < 1e-8
    safe_b = big_b if big_b != 0.0 else 1.0
    regular = -np.expm1(product) / safe_b
    return np.where(small, -log_w * (1.0 + 0.5 * product), regular)


def _euler_series(
    big_a: float, a: float, c: FloatArray, z: FloatArray, *, scale: FloatArray
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
    """S = sum_{k>=1} (A)_k (a)_{k-1} z^k / ((c+1)_{k-1} k!), with sum |terms| and a settled flag.

    Terms follow u_1 = A z, u_{k+1} = u_k (A+k)(a+k-1) z / ((c+k)(k+1)). Rows stop once the
    sign pattern has settled and a geometric bound on the tail is below 1e-16 of the
    magnitude of the result; finished rows drop out of the loop.
    """
    term = big_a * z
    total = term.copy()
    abs_total = np.abs(term)
    settled = term == 0.0
    k_settled = max(0.0, -big_a, 1.0 - a) + 1.0
    active = np.flatnonzero(~settled)
    k = 1
    while active.size and k < _SERIES_MAX_TERMS:
        zz, cc = z[active], c[active]
        u, s, s_abs = term[active], total[active], abs_total[active]
        ratio = np.zeros_like(zz)
        for _ in range(_SERIES_CHUNK):
            ratio = (big_a + k) * (a + k - 1.0) * zz / ((cc + k) * (k + 1.0))
            u = u * ratio
            s = s + u
            s_abs = s_abs + np.abs(u)
            k += 1
        term[active], total[active], abs_total[active] = u, s, s_abs
        rho = np.maximum(np.abs(ratio), zz)
        with np.errstate(divide="ignore", invalid="ignore"):
            tail = np.where(rho < 1.0, np.abs(u) * rho / (1.0 - rho), np.inf)
        done = (u == 0.0) | ((k > k_settled) & (tail <= _SERIES_EPS * (s_abs + scale[active])))
        done |= ~np.isfinite(s)
        settled[active[done]] = True
        active = active[~done]
    settled &= np.isfinite(total)
    return total, abs_total, settled


def _expected_if_alive_direct(
    r: float, a: float, b: float, x: FloatArray, z: FloatArray, log_w: FloatArray
) -> FloatArray:
    """Eq. (10)'s bracket from the untransformed 2F1(r+x, b+x; c; z), summed in log space.

    All terms are positive when c = a+b+x-1 > 0, so there is no cancellation inside the
    sum; ln 2F1 is accumulated as a running log-sum-exp. Used where the transformed
    series cancels badly (very large r); uses SciPy's hyp2f1 on the transformed parameters
    when c <= 0 or the sum does not settle.
    """
    c = a + b + x - 1.0
    big_b = a - 1.0
    log_f = np.full(x.shape[0], np.nan)
    usable = np.flatnonzero(c > 0)
    if usable.size:
        log_f[usable] = _log_hyp2f1_positive(r + x[usable], b + x[usable], c[usable], z[usable])
    exponent = (r + x) * log_w + log_f
    safe_b = big_b if abs(big_b) > 1e-12 else 1e-12
    value = np.asarray(c * (-np.expm1(exponent)) / safe_b, dtype=np.float64)
    missing = ~np.isfinite(value)
    if np.any(missing):
        value[missing] = _expected_if_alive_scipy(r, a, b, x[missing], z[missing], log_w[missing])
    return value


def _log_hyp2f1_positive(p: FloatArray, q: FloatArray, c: FloatArray, z: FloatArray) -> FloatArray:
    """ln 2F1(p, q; c; z) for p, q, c > 0 and 0 <= z < 1, by a log-space power series."""
    log_term = np.zeros_like(z)
    log_max = np.zeros_like(z)
    scaled_sum = np.ones_like(z)
    log_z = np.log(np.where(z > 0, z, 1.0))
    out = np.full(z.shape[0], np.nan)
    out[z == 0] = 0.0
    active = np.flatnonzero(z > 0)
    k = 0
    while active.size and k < _SERIES_MAX_TERMS:
        pp, qq, cc, lz = p[active], q[active], c[active], log_z[active]
        lt, lm, ss = log_term[active], log_max[active], scaled_sum[active]
        step = np.zeros_like(lt)
        for _ in range(_SERIES_CHUNK):
            step = np.log(pp + k) + np.log(qq + k) - np.log(cc + k) - np.log(k + 1.0) + lz
            lt = lt + step
            new_max = np.maximum(lm, lt)
            ss = ss * np.exp(lm - new_max) + np.exp(lt - new_max)
            lm = new_max
            k += 1
        log_term[active], log_max[active], scaled_sum[active] = lt, lm, ss
        ratio = np.exp(step)
        rho = np.maximum(ratio, np.exp(lz))
        log_total = lm + np.log(ss)
        with np.errstate(divide="ignore"):
            log_tail = lt + np.log(rho) - np.log1p(-np.minimum(rho, 1.0))
        done = (rho < 1.0) & (log_tail - log_total < np.log(_SERIES_EPS))
        out[active[done]] = log_total[done]
        active = active[~done]
    return out


# --- the NBD without drop-out, used when the book shows no drop-out ---------------------


def nbd_conditional_expected_purchases(
    params: Mapping[str, float], *, t: npt.ArrayLike, frequency: npt.ArrayLike, T: npt.ArrayLike
) -> FloatArray:
    """E[Y(t) | x, T] = t (r+x) / (alpha+T) under the NBD: purchase rate only, no drop-out.

    The gamma posterior of the purchase rate after x purchases in T has mean
    (r+x)/(alpha+T) (FHL 2005, eq. (10) in the limit a -> 0).
    """
    r, alpha = float(params["r"]), float(params["alpha"])
    x = as_float_array("frequency", frequency)
    t_cal = as_float_array("T", T)
    horizon = np.broadcast_to(_validate_horizon(t), x.shape)
    return horizon * (r + x) / (alpha + t_cal)


def silence_probability(
    params: Mapping[str, float],
    *,
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """The recency rule: how likely the current silence is for a customer still buying.

    With the NBD purchase rate learnt up to the last purchase, lambda ~ Gamma(r+x, alpha+t_x),
    the chance of no purchase in the gap (t_x, T] is ((alpha+t_x) / (alpha+T))^(r+x). It is 1
    for a purchase on the as-of date and falls faster for customers who used to buy often.
    It is the factor the BG/NBD P(alive) would weigh against the prior odds of drop-out
    a/(b+x-1); with no identifiable drop-out it is the honest remaining signal.
    """
    r, alpha = float(params["r"]), float(params["alpha"])
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
    return np.exp(-(r + x) * np.log1p((t_cal - t_x) / (alpha + t_x)))


# --------------------------------------------------------------------------------------
# The estimator
# --------------------------------------------------------------------------------------


class BGNBD:
    """BG/NBD estimator (FHL 2005) fitted by maximum likelihood, scikit-learn style.

    Parameters
    ----------
    penalizer
        L2 penalty ``penalizer * (r^2 + alpha^2 + a^2 + b^2)`` added to the mean negative
        log-likelihood per customer (as the ``lifetimes`` package does); 0 for plain ML.
    tol
        Tolerance on the objective for the optimiser (SciPy's bounded TNC).
    max_iter
        Limit on likelihood evaluations of each optimiser run.
    initial_params
        Starting values {r, alpha, a, b}. By default the run starts from the NBD fit's
        (r, alpha) with a = 1, b = 3, and again from all ones if that run does not
        converge to an interior point; the better optimum is kept.
    allow_fallback
        When the book shows no drop-out (a -> 0) or the fit fails, predict with the NBD
        purchase rate and the recency rule instead (see :meth:`fit`); warnings say so.

    Learned attributes
    ------------------
    params_, standard_errors_ : dict r, alpha, a, b
    loglik_ : total (unpenalised) log-likelihood, FHL 2005 eq. (7)
    nbd_params_, nbd_loglik_ : the nested NBD without drop-out (a = 0)
    dropout_lr_statistic_ : 2 (loglik_ - nbd_loglik_)
    n_customers_, n_repeat_buyers_, converged_, fallback_, warnings_
    """

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        tol: float = 1e-12,
        max_iter: int = 5000,
        initial_params: Mapping[str, float] | None = None,
        allow_fallback: bool = True,
    ) -> None:
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params
        self.allow_fallback = allow_fallback

    # -- fitting ------------------------------------------------------------------------

    def fit(
        self,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> BGNBD:
        """Maximise the log-likelihood eq. (7) over (r, alpha, a, b); returns ``self``.

        Customers with equal (x, t_x, T) share one likelihood term weighted by their count.
        The optimisation runs over log-parameters with a bounded quasi-Newton method (SciPy's
        TNC) and the analytic gradient. Standard errors come from the inverse of a
        central-difference Hessian (of the analytic gradient) of the unpenalised negative
        log-likelihood, mapped to natural parameters by the delta method.

        The nested NBD without drop-out (a = 0) is fitted too. When the book shows no
        drop-out (mean drop-out chance a/(a+b) < 1e-3, or the likelihood-ratio statistic
        against the NBD < 2.71) or the fit does not converge, ``fallback_`` is set:
        predictions then use the NBD purchase rate, t (r+x)/(alpha+T), and the recency rule
        of :func:`silence_probability` for P(alive). ``warnings_`` explains every finding
        (see docs/methods/clv.md).
        """
        if self.penalizer < 0:
            raise ValueError(f"penalizer must be >= 0 (got {self.penalizer}).")
        x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
        w = validate_weights(weights, x.shape[0])
        rows = compress_rows([x, t_x, t_cal], w if weights is not None else None)
        ux, utx, uT = rows.columns
        counts = rows.weights
        total_weight = float(counts.sum())

        fit_rows = _FitRows.of(ux, utx, uT, counts)

        def nbd_sums(log_params: FloatArray) -> tuple[float, FloatArray]:
            return _nbd_loglik_sums(log_params, fit_rows)

        def bgnbd_sums(log_params: FloatArray) -> tuple[float, FloatArray]:
            return _loglik_sums(log_params, fit_rows)

        nbd = minimise_in_log_space(
            lambda lp: _mean_negative(nbd_sums(lp), total_weight),
            self._nbd_starts(ux, uT, counts),
            tol=self.tol,
            max_iter=self.max_iter,
        )

        penalizer = float(self.penalizer)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            value, gradient = _mean_negative(bgnbd_sums(log_params), total_weight)
            natural = np.exp(log_params)
            value += penalizer * float(np.sum(natural**2))
            gradient = gradient + penalizer * 2.0 * natural**2
            return value, gradient

        fit = minimise_in_log_space(
            objective, self._starts(nbd.log_params), tol=self.tol, max_iter=self.max_iter
        )

        def total_gradient(log_params: FloatArray) -> FloatArray:
            return np.asarray(-bgnbd_sums(log_params)[1], dtype=np.float64)

        natural = np.exp(fit.log_params)
        errors, errors_ok = standard_errors_from_log_hessian(
            total_hessian(fit, total_gradient, penalizer, total_weight), natural
        )

        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in natural), strict=True))
        self.standard_errors_ = dict(zip(PARAM_NAMES, (float(v) for v in errors), strict=True))
        self.loglik_ = bgnbd_sums(fit.log_params)[0]
        self.nbd_params_ = dict(
            zip(NBD_PARAM_NAMES, (float(v) for v in np.exp(nbd.log_params)), strict=True)
        )
        self.nbd_loglik_ = nbd_sums(nbd.log_params)[0]
        self.dropout_lr_statistic_ = max(0.0, 2.0 * (self.loglik_ - self.nbd_loglik_))
        self.n_customers_ = int(x.shape[0])
        self.converged_ = bool(fit.converged and np.all(np.isfinite(natural)))
        self.n_repeat_buyers_ = int(np.count_nonzero(x > 0))
        self.warnings_, self.fallback_ = self._diagnose(fit.at_bound, fit.message, errors_ok)
        return self

    def _nbd_starts(self, x: FloatArray, T: FloatArray, counts: FloatArray) -> list[FloatArray]:
        rate = max(float((counts * x).sum()) / float((counts * T).sum()), 1e-6)
        return [np.zeros(2), np.log(np.array([1.0, 1.0 / rate]))]

    def _starts(self, nbd_log_params: FloatArray) -> list[FloatArray]:
        if self.initial_params is not None:
            return [np.log(np.array(_unpack(self.initial_params)))]
        scaled = np.concatenate([nbd_log_params, np.log(np.array([1.0, 3.0]))])
        return [scaled, np.zeros(4)]

    def _diagnose(
        self, at_bound: npt.NDArray[np.bool_], message: str, errors_ok: bool
    ) -> tuple[list[str], bool]:
        """Plain-English warnings, and whether predictions must use the fallback."""
        notes: list[str] = []
        p = self.params_
        mean_dropout = p["a"] / (p["a"] + p["b"])
        no_dropout = (
            mean_dropout < _MIN_MEAN_DROPOUT or self.dropout_lr_statistic_ < _DROPOUT_LR_THRESHOLD
        )
        fallback = False
        if self.n_repeat_buyers_ == 0:
            notes.append(
                Note(
                    "bgnbd_no_repeat_buyers",
                    "No customer made a repeat purchase: the BG/NBD model cannot be estimated; "
                    "expected purchases are close to zero and P(alive) is not informative.",
                )
            )
        elif self.n_repeat_buyers_ < _FEW_REPEAT_BUYERS:
            notes.append(
                Note(
                    "bgnbd_few_repeat_buyers",
                    f"Only {self.n_repeat_buyers_} customers made a repeat purchase: the BG/NBD "
                    "estimates are very uncertain.",
                    count=self.n_repeat_buyers_,
                )
            )
        if not self.converged_:
            notes.append(
                Note(
                    "bgnbd_not_converged",
                    f"The BG/NBD fit did not converge ({message}); expected purchases use the "
                    "purchase rate only (NBD) and P(alive) uses the recency rule.",
                    message=message,
                )
            )
            fallback = True
        elif no_dropout:
            notes.append(
                Note(
                    "bgnbd_no_dropout",
                    "No drop-out can be identified in this book (a → 0): P(alive) is not "
                    "informative; expected purchases use the purchase rate only. P(alive) is "
                    "replaced by the recency rule: the chance of the current silence for a "
                    "customer still buying at their usual rate. (Mean drop-out chance per "
                    f"purchase {mean_dropout:.2g}; likelihood-ratio statistic against no "
                    f"drop-out {self.dropout_lr_statistic_:.2f}.)",
                    mean_dropout=mean_dropout,
                    lr_statistic=self.dropout_lr_statistic_,
                )
            )
            fallback = True
            # a and b are not identified (only that drop-out is negligible): whatever
            # curvature the Hessian shows along them is numerical noise, not precision.
            self.standard_errors_ = {**self.standard_errors_, "a": np.nan, "b": np.nan}
        rate_params = self.nbd_params_ if fallback else p
        errors = self.standard_errors_
        ridge = not fallback and all(
            errors[name] > _LOOSE_RELATIVE_ERROR * p[name] for name in ("r", "alpha")
        )
        if rate_params["r"] > _HOMOGENEOUS_R or ridge:
            r, rate = rate_params["r"], rate_params["r"] / rate_params["alpha"]
            code, how = (
                ("bgnbd_same_rates_unbounded", f"run towards infinity (r = {r:.3g})")
                if r > _HOMOGENEOUS_R
                else (
                    "bgnbd_same_rates_uncertain",
                    "are poorly determined (standard errors above half their values)",
                )
            )
            notes.append(
                Note(
                    code,
                    f"Purchase rates look (nearly) the same for every customer: r and alpha "
                    f"{how}, and only their ratio, the common purchase rate r/alpha = "
                    f"{rate:.3g} per time unit, is measured. Predictions rest on that rate and "
                    "remain usable; the standard errors of r and alpha are not meaningful.",
                    r=r,
                    rate=rate,
                )
            )
        stuck = [
            name
            for name, flag in zip(PARAM_NAMES, at_bound, strict=True)
            if flag and not (fallback and name in ("a", "b"))
        ]
        if stuck:
            notes.append(
                Note(
                    "bgnbd_at_bound",
                    "The BG/NBD fit ran to the edge of the search range for "
                    f"{', '.join(stuck)} (|log value| = {LOG_PARAM_BOUND:g}): those estimates "
                    "are limits, not measurements.",
                    names=stuck,
                    bound=LOG_PARAM_BOUND,
                )
            )
        if not errors_ok:
            notes.append(
                Note(
                    "bgnbd_no_standard_errors",
                    "BG/NBD standard errors are not available: the likelihood is flat in some "
                    "direction (the parameters are not all identifiable from this book).",
                )
            )
        if not self.allow_fallback and fallback:
            notes.append(
                Note(
                    "bgnbd_fallback_off",
                    "The fallback is switched off: predictions use the BG/NBD estimates.",
                )
            )
            fallback = False
        return notes, fallback

    # -- predictions --------------------------------------------------------------------

    def _check_fitted(self) -> None:
        if not hasattr(self, "params_"):
            raise RuntimeError("This BGNBD is not fitted yet: call fit() first.")

    def conditional_probability_alive(
        self, *, frequency: npt.ArrayLike, recency: npt.ArrayLike, T: npt.ArrayLike
    ) -> FloatArray:
        """P(alive at T | x, t_x, T) (FHL 2008); the recency rule when ``fallback_``."""
        self._check_fitted()
        if self.fallback_:
            return silence_probability(self.nbd_params_, frequency=frequency, recency=recency, T=T)
        return _compressed_call(
            lambda x, t_x, t_cal: _probability_alive(*self._param_tuple(), x, t_x, t_cal),
            frequency,
            recency,
            T,
        )

    def expected_purchases(self, *, t: npt.ArrayLike) -> FloatArray:
        """Unconditional E[X(t)] for a new customer (FHL 2005 eq. (9)); r t / alpha if fallback."""
        self._check_fitted()
        if self.fallback_:
            horizon = _validate_horizon(t)
            return horizon * self.nbd_params_["r"] / self.nbd_params_["alpha"]
        return expected_purchases(self.params_, t=t)

    def conditional_expected_purchases(
        self,
        *,
        t: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> FloatArray:
        """E[Y(t) | x, t_x, T] in (T, T+t] (FHL 2005 eq. (10)); NBD rate only if fallback."""
        self._check_fitted()
        if self.fallback_:
            validate_frequency_recency_t(frequency, recency, T)
            return nbd_conditional_expected_purchases(
                self.nbd_params_, t=t, frequency=frequency, T=T
            )
        horizon = _validate_horizon(t)
        params = self._param_tuple()
        x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
        if horizon.shape[0] == 1:
            return _compressed_call(
                lambda ux, utx, uT: (
                    _probability_alive(*params, ux, utx, uT)
                    * _expected_if_alive(*params, ux, uT, np.full(ux.shape, horizon[0]))
                ),
                x,
                t_x,
                t_cal,
            )
        if horizon.shape[0] != x.shape[0]:
            raise ValueError(f"t must be a scalar or have one value per customer ({x.shape[0]}).")
        alive = _probability_alive(*params, x, t_x, t_cal)
        return alive * _expected_if_alive(*params, x, t_cal, horizon)

    def discounted_expected_purchases(
        self,
        *,
        times: npt.ArrayLike,
        discount_factors: npt.ArrayLike,
        frequency: npt.ArrayLike,
        recency: npt.ArrayLike,
        T: npt.ArrayLike,
    ) -> tuple[FloatArray, FloatArray]:
        """Sum over steps of discount_k * (E[Y(t_k)] - E[Y(t_(k-1))]), and E[Y(t_K)].

        ``times`` t_1 < ... < t_K are step ends (t_0 = 0) and ``discount_factors`` the
        factor applied to the purchases of each step. E[Y(t)] is eq. (10) (or the NBD rate
        when ``fallback_``); it is evaluated once per unique (x, t_x, T) and step, so a
        million customers cost what their distinct histories cost.
        """
        self._check_fitted()
        steps = as_float_array("times", times)
        factors = as_float_array("discount_factors", discount_factors)
        if steps.shape != factors.shape:
            raise ValueError("times and discount_factors must have the same length.")
        if np.any(steps <= 0) or np.any(np.diff(steps) <= 0):
            raise ValueError("times must be positive and increasing.")
        x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
        rows = compress_rows([x, t_x, t_cal])
        ux, utx, uT = rows.columns
        if self.fallback_:
            rate = (self.nbd_params_["r"] + ux) / (self.nbd_params_["alpha"] + uT)
            increments = np.diff(np.concatenate([[0.0], steps]))
            discounted = rate * float((increments * factors).sum())
            final = rate * steps[-1]
        else:
            params = self._param_tuple()

            def piece(part: slice) -> FloatArray:
                x_p, t_x_p, T_p = ux[part], utx[part], uT[part]
                alive = _probability_alive(*params, x_p, t_x_p, T_p)
                discounted = np.zeros_like(x_p)
                previous = np.zeros_like(x_p)
                for t_k, factor in zip(steps, factors, strict=True):
                    current = alive * _expected_if_alive(*params, x_p, T_p, np.full(x_p.shape, t_k))
                    discounted += factor * np.maximum(current - previous, 0.0)
                    previous = current
                return np.column_stack([discounted, previous])

            both = mapped_over_rows(piece, ux.shape[0])
            discounted, final = both[:, 0], both[:, 1]
        return discounted[rows.inverse], final[rows.inverse]

    def _param_tuple(self) -> tuple[float, float, float, float]:
        return _unpack(self.params_)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"BGNBD(penalizer={self.penalizer})"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"BGNBD({shown}, loglik={self.loglik_:.2f}, fallback={self.fallback_})"


def _mean_negative(sums: tuple[float, FloatArray], total_weight: float) -> tuple[float, FloatArray]:
    """The mean negative log-likelihood per customer and its gradient (inf if not finite)."""
    value = -sums[0] / total_weight
    grad = -sums[1] / total_weight
    if not np.isfinite(value):
        return np.inf, np.zeros_like(grad)
    return value, np.asarray(grad, dtype=np.float64)


def _compressed_call(
    function: Callable[[FloatArray, FloatArray, FloatArray], FloatArray],
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
) -> FloatArray:
    """Evaluate ``function(x, t_x, T)`` once per unique customer row and expand back."""
    x, t_x, t_cal = validate_frequency_recency_t(frequency, recency, T)
    rows = compress_rows([x, t_x, t_cal])
    ux, utx, uT = rows.columns
    values = mapped_over_rows(lambda part: function(ux[part], utx[part], uT[part]), ux.shape[0])
    return values[rows.inverse]
