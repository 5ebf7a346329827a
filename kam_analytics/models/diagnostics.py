"""Checks shared by the customer-lifetime-value estimators.

Input validation with messages a user can act on (which array, which index, what was
expected), compression of customers to unique rows, and standard errors from a numerical
Hessian. Nothing here knows a particular model.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]

# Relative slack when comparing recency with T: summaries computed in floating point
# (days / 7) may put the last purchase a rounding error after the as-of date.
_RECENCY_SLACK = 1e-9


def as_float_array(name: str, values: npt.ArrayLike) -> FloatArray:
    """A 1-D float64 copy of ``values``; every entry must be finite."""
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (got shape {array.shape}).")
    bad = np.flatnonzero(~np.isfinite(array))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"{name}[{i}] = {float(array[i])!r} is not a finite number.")
    return array


def _first_bad(mask: npt.NDArray[np.bool_]) -> int | None:
    bad = np.flatnonzero(mask)
    return int(bad[0]) if bad.size else None


def check_same_length(**arrays: FloatArray) -> int:
    """The common length of the arrays; a ValueError naming them all otherwise."""
    lengths = {name: array.shape[0] for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}={n}" for name, n in lengths.items())
        raise ValueError(f"The arrays must have the same length (got {listed}).")
    n = next(iter(lengths.values()))
    if n == 0:
        raise ValueError("No customers: the arrays are empty.")
    return n


def validate_frequency_recency_t(
    frequency: npt.ArrayLike,
    recency: npt.ArrayLike,
    T: npt.ArrayLike,
    *,
    allow_zero_t: bool = False,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Validated (x, t_x, T) arrays as in the BG/NBD paper's notation.

    frequency: whole numbers >= 0 (repeat purchases); T > 0; 0 <= recency <= T; and
    recency == 0 for customers without repeat purchases. The first offending index is
    named in the error.

    With ``allow_zero_t`` T may be 0: a customer whose first purchase is on the as-of date.
    Such a customer cannot have repeat purchases (x = 0) and their likelihood is exactly 1
    (FHL 2005 eq. (6) with x = 0, T = 0: alpha^r / alpha^r), so they carry no information
    for a fit; `select_new_customers` finds them so callers can treat them apart.
    """
    x = as_float_array("frequency", frequency)
    t_x = as_float_array("recency", recency)
    t_cal = as_float_array("T", T)
    check_same_length(frequency=x, recency=t_x, T=t_cal)

    i = _first_bad((x < 0) | (x != np.round(x)))
    if i is not None:
        raise ValueError(
            f"frequency[{i}] = {float(x[i])!r}: frequency counts repeat purchases and must be a "
            "whole number >= 0."
        )
    i = _first_bad(t_cal < 0 if allow_zero_t else t_cal <= 0)
    if i is not None:
        bound = ">= 0" if allow_zero_t else "> 0"
        raise ValueError(
            f"T[{i}] = {float(t_cal[i])!r}: T (time from the first purchase to the as-of date) "
            f"must be {bound}."
        )
    i = _first_bad((t_cal == 0) & (x != 0))
    if i is not None:
        raise ValueError(
            f"frequency[{i}] = {float(x[i])!r} but T[{i}] = 0: a customer whose first purchase "
            "is on the as-of date cannot have repeat purchases yet."
        )
    i = _first_bad(t_x < 0)
    if i is not None:
        raise ValueError(f"recency[{i}] = {float(t_x[i])!r}: recency must be >= 0.")
    i = _first_bad(t_x > t_cal * (1 + _RECENCY_SLACK) + _RECENCY_SLACK)
    if i is not None:
        raise ValueError(
            f"recency[{i}] = {float(t_x[i])!r} is greater than T[{i}] = "
            f"{float(t_cal[i])!r}: the last purchase cannot come after the as-of date."
        )
    i = _first_bad((x == 0) & (t_x != 0))
    if i is not None:
        raise ValueError(
            f"recency[{i}] = {float(t_x[i])!r} but frequency[{i}] = 0: a customer without repeat "
            "purchases has recency 0."
        )
    return x, np.minimum(t_x, t_cal), t_cal


def select_new_customers(T: FloatArray) -> npt.NDArray[np.bool_]:
    """Customers first seen on the as-of date (T == 0): no history to fit or condition on.

    For them the models' predictions are the unconditional ones of a customer just
    acquired: P(alive) = 1 and E[X(t)] of FHL 2005 eq. (9).
    """
    return np.asarray(T == 0, dtype=np.bool_)


def validate_weights(weights: npt.ArrayLike | None, n: int) -> FloatArray:
    """Non-negative finite case weights of length ``n`` (all ones when None)."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    w = as_float_array("weights", weights)
    if w.shape[0] != n:
        raise ValueError(f"weights must have one entry per customer (got {w.shape[0]}, {n}).")
    i = _first_bad(w < 0)
    if i is not None:
        raise ValueError(f"weights[{i}] = {float(w[i])!r}: weights must be >= 0.")
    if not np.any(w > 0):
        raise ValueError("All weights are zero: there is nothing to fit.")
    return w


@dataclass(frozen=True)
class CompressedRows:
    """Unique rows of several columns with summed weights, and the way back."""

    columns: tuple[FloatArray, ...]
    weights: FloatArray
    inverse: IntArray


def compress_rows(
    columns: Sequence[FloatArray], weights: FloatArray | None = None
) -> CompressedRows:
    """Collapse identical rows: a million customers become a few thousand likelihood terms.

    The same result as ``np.unique(axis=0, return_inverse=True, return_counts=True)``
    (up to row order), through a hash-based pandas group-by that is ~50 times faster on a
    million rows.
    """
    frame = pd.DataFrame({f"c{j}": column for j, column in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    n_groups = int(codes.max()) + 1
    first = np.empty(n_groups, dtype=np.intp)
    # Reversed assignment leaves the first occurrence of each group in place.
    first[codes[::-1]] = np.arange(codes.shape[0] - 1, -1, -1, dtype=np.intp)
    summed = np.bincount(codes, weights=weights, minlength=n_groups).astype(np.float64)
    unique = tuple(np.ascontiguousarray(column[first]) for column in columns)
    return CompressedRows(columns=unique, weights=summed, inverse=codes)


Distinct = tuple[FloatArray, IntArray]


def distinct_values(values: FloatArray) -> Distinct:
    """The sorted distinct values and, per entry, the position of its value among them.

    Likelihood terms that depend on frequency alone (gamma functions) are computed once per
    distinct frequency, a few hundred at most, instead of once per row.
    """
    unique, index = np.unique(values, return_inverse=True)
    return unique, index.reshape(-1).astype(np.intp)


def numerical_hessian(
    gradient: Callable[[FloatArray], FloatArray], point: FloatArray, step: float = 1e-5
) -> FloatArray:
    """Central finite differences of an analytic gradient, symmetrised."""
    k = point.shape[0]
    hessian = np.empty((k, k), dtype=np.float64)
    for j in range(k):
        h = step * max(1.0, abs(float(point[j])))
        up, down = point.copy(), point.copy()
        up[j] += h
        down[j] -= h
        hessian[:, j] = (gradient(up) - gradient(down)) / (2.0 * h)
    return 0.5 * (hessian + hessian.T)


def standard_errors_from_log_hessian(
    hessian_log: FloatArray, params: FloatArray
) -> tuple[FloatArray, bool]:
    """Standard errors of natural parameters from the Hessian in log-parameter space.

    ``hessian_log`` is the Hessian of the *negative* total log-likelihood with respect to
    log(params). At a stationary point the covariance of the natural parameters is
    D H_log^-1 D with D = diag(params) (the delta method; exactly the inverse Hessian in
    natural parameters there). Returns NaN entries and False when the Hessian is not
    positive definite: the likelihood is flat in some direction and the errors are not
    defined.
    """
    if not np.all(np.isfinite(hessian_log)):
        return np.full(params.shape, np.nan), False
    eigenvalues = np.linalg.eigvalsh(hessian_log)
    if eigenvalues.min() <= 1e-10 * max(1.0, float(np.abs(eigenvalues).max())):
        return np.full(params.shape, np.nan), False
    covariance_log = np.linalg.inv(hessian_log)
    variances = np.diag(covariance_log) * params**2
    return np.sqrt(np.where(variances > 0, variances, np.nan)), True


def weighted_pearson(x: FloatArray, y: FloatArray, weights: FloatArray | None = None) -> float:
    """Pearson correlation of x and y (weighted); 0.0 when either does not vary."""
    w = np.ones_like(x) if weights is None else weights
    total = w.sum()
    if total <= 0:
        return 0.0
    mx, my = (w * x).sum() / total, (w * y).sum() / total
    cov = (w * (x - mx) * (y - my)).sum()
    vx, vy = (w * (x - mx) ** 2).sum(), (w * (y - my) ** 2).sum()
    if vx <= 0 or vy <= 0:
        return 0.0
    return float(cov / np.sqrt(vx * vy))


# Search range of every parameter in log space: exp(+-20) spans 2e-9 .. 5e8, far outside
# any sensible estimate in any time unit, so a fit that ends here has run to a boundary.
LOG_PARAM_BOUND = 20.0


@dataclass(frozen=True)
class LogSpaceFit:
    """The best of several bounded quasi-Newton runs over log-parameters."""

    log_params: FloatArray
    objective: float
    converged: bool
    message: str
    at_bound: npt.NDArray[np.bool_]


def minimise_in_log_space(
    objective: Callable[[FloatArray], tuple[float, FloatArray]],
    starts: Sequence[FloatArray],
    *,
    tol: float,
    max_iter: int,
) -> LogSpaceFit:
    """Minimise a smooth objective (value, gradient) over log-parameters.

    Starts are tried in order; the next start is only tried while no run has converged
    to an interior point, and the best run is returned.

    SciPy's truncated-Newton method with bounds (TNC): a bounded quasi-Newton method like
    L-BFGS-B, but implemented without BLAS calls, whose thread start-up made each L-BFGS-B
    iteration cost milliseconds on a busy machine. ``max_iter`` caps function evaluations.
    Convergence is TNC's own verdict or, when it stops on a rounding-level plateau (flat
    likelihoods at a boundary), a projected gradient below 1e-5 (the objective is a mean per
    customer, so this is scale-free).
    """
    best: LogSpaceFit | None = None
    for start in starts:
        x0 = np.clip(np.asarray(start, dtype=np.float64), -LOG_PARAM_BOUND, LOG_PARAM_BOUND)
        bounds = [(-LOG_PARAM_BOUND, LOG_PARAM_BOUND)] * x0.shape[0]
        result = optimize.minimize(
            objective,
            x0,
            jac=True,
            method="TNC",
            bounds=bounds,
            options={"maxfun": max_iter, "ftol": tol, "xtol": 1e-10, "gtol": 1e-10},
        )
        value = float(result.fun)
        if not np.isfinite(value):
            continue
        point = np.asarray(result.x, dtype=np.float64)
        at_bound = np.abs(point) >= LOG_PARAM_BOUND - 1e-6
        _, gradient = objective(point)
        free_gradient = np.where(at_bound, 0.0, gradient)
        converged = bool(result.success) or bool(np.max(np.abs(free_gradient)) < 1e-5)
        candidate = LogSpaceFit(point, value, converged, str(result.message), at_bound)
        if best is None or candidate.objective < best.objective - 1e-12:
            best = candidate
        if best.converged and not np.any(best.at_bound):
            break
    if best is None:
        raise FloatingPointError("The likelihood is not finite at any starting point.")
    return best
