"""Checks shared by the customer-lifetime-value estimators.

Input validation with messages a user can act on (which array, which index, what was
expected), compression of customers to unique rows, per-row work split over threads, and
standard errors from a numerical Hessian. Nothing here knows a particular model.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import optimize

FloatArray = npt.NDArray[np.float64]
_Item = TypeVar("_Item")
_Result = TypeVar("_Result")
IntArray = npt.NDArray[np.intp]

# TNC's status for "linear search failed", and how often a fit restarts from there.
_TNC_LINE_SEARCH_FAILED = 4
_LINE_SEARCH_RESTARTS = 2

# Newton steps after the optimiser (see `_newton_polished`); two reach rounding level.
# Convergence is quadratic: after a step of at most 1e-4 in log-parameters the remaining
# error is of the order of 1e-8, and no second step is needed.
_NEWTON_STEPS = 2
_NEWTON_SETTLED = 1e-4

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
    million rows. The last result is remembered by content: fitting and then predicting
    on the same customers compresses them once.
    """
    key = _content_key(columns, weights)
    cached = _last_compression.get(key)
    if cached is not None:
        return cached
    result = _compress(columns, weights)
    _last_compression.clear()
    _last_compression[key] = result
    return result


_last_compression: dict[bytes, CompressedRows] = {}


def _content_key(columns: Sequence[FloatArray], weights: FloatArray | None) -> bytes:
    digest = hashlib.blake2b(digest_size=32)
    for column in (*columns, weights):
        if column is None:
            digest.update(b"none")
            continue
        array = np.ascontiguousarray(column)
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(array.tobytes() if not array.flags.c_contiguous else array.data.cast("B"))
    return digest.digest()


def _compress(columns: Sequence[FloatArray], weights: FloatArray | None) -> CompressedRows:
    frame = pd.DataFrame({f"c{j}": column for j, column in enumerate(columns)})
    codes = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy(dtype=np.intp)
    n_groups = int(codes.max()) + 1
    first = np.empty(n_groups, dtype=np.intp)
    # Reversed assignment leaves the first occurrence of each group in place.
    first[codes[::-1]] = np.arange(codes.shape[0] - 1, -1, -1, dtype=np.intp)
    summed = np.bincount(codes, weights=weights, minlength=n_groups).astype(np.float64)
    unique = tuple(np.ascontiguousarray(column[first]) for column in columns)
    for array in (*unique, summed, codes):
        array.flags.writeable = False  # shared through the cache: never changed in place
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


def total_hessian(
    fit: LogSpaceFit,
    total_gradient: Callable[[FloatArray], FloatArray],
    penalizer: float,
    total_weight: float,
) -> FloatArray:
    """Hessian of the negative total log-likelihood at the fit, in log-parameters.

    The optimiser minimised the mean over customers; without a penalty its own final
    Hessian, times the number of customers, is this one and saves a fresh evaluation.
    """
    if fit.hessian is not None and penalizer == 0:
        return fit.hessian * total_weight
    return numerical_hessian(total_gradient, fit.log_params)


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
    #: Hessian of the objective in log-parameters at the answer (to within 1e-4 of it), when
    #: the final Newton steps computed one; None otherwise.
    hessian: FloatArray | None = None


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
        options = {"maxfun": max_iter, "ftol": tol, "xtol": 1e-10, "gtol": 1e-10}
        result = optimize.minimize(
            objective, x0, jac=True, method="TNC", bounds=bounds, options=options
        )
        for _ in range(_LINE_SEARCH_RESTARTS):
            # TNC gives up when a line search finds no decrease, which happens on a nearly
            # flat ridge where rounding hides the slope; a fresh start from there (a new
            # quasi-Newton model) usually goes on.
            if result.success or result.status != _TNC_LINE_SEARCH_FAILED:
                break
            result = optimize.minimize(
                objective, result.x, jac=True, method="TNC", bounds=bounds, options=options
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
    return _newton_polished(objective, best)


def _newton_polished(
    objective: Callable[[FloatArray], tuple[float, FloatArray]], fit: LogSpaceFit
) -> LogSpaceFit:
    """Up to `_NEWTON_STEPS` Newton steps from where the optimiser stopped.

    Likelihoods of these models are often nearly flat along a ridge (Gamma-Gamma's p, q
    and gamma above all), and the optimiser stops anywhere on the ridge where its
    tolerance is met: the last digits then depend on the order in which an engine added
    the customers' sums. Newton's method with the Hessian at that point lands on the
    maximum itself, so the fitted parameters are the same to many digits whatever the
    engine or the rounding. A step is kept only where the Hessian is positive definite and
    the step makes the gradient smaller; parameters at a bound are left alone.
    """
    free = ~fit.at_bound
    if not (fit.converged and np.any(free)):
        return fit
    point = fit.log_params.copy()
    value, gradient = objective(point)
    known: FloatArray | None = None  # the Hessian at (or within _NEWTON_SETTLED of) point
    for _ in range(_NEWTON_STEPS):
        full = numerical_hessian(lambda p: objective(p)[1], point)
        known = full
        hessian = full[np.ix_(free, free)]
        try:
            np.linalg.cholesky(hessian)
        except np.linalg.LinAlgError:
            break
        step = np.linalg.solve(hessian, gradient[free])
        candidate = point.copy()
        candidate[free] -= step
        if np.any(np.abs(candidate) >= LOG_PARAM_BOUND):
            break
        new_value, new_gradient = objective(candidate)
        if not (
            np.isfinite(new_value)
            and np.max(np.abs(new_gradient[free])) < np.max(np.abs(gradient[free]))
        ):
            break
        point, value, gradient = candidate, new_value, new_gradient
        if np.max(np.abs(step)) < _NEWTON_SETTLED:
            break
        known = None
    return LogSpaceFit(point, value, fit.converged, fit.message, fit.at_bound, known)


# -- per-row work in pieces, on a few threads ------------------------------------------

#: Rows per piece of a per-row computation: small enough for numpy's temporaries to stay
#: in the CPU cache, large enough for the cost of each numpy call to vanish. Fixed, so a
#: sum over pieces is added in the same order on every machine.
CHUNK_ROWS = 65_536
_MAX_THREADS = 4


@cache
def _row_pool() -> ThreadPoolExecutor:
    # numpy and scipy.special release the GIL inside their loops, so pieces of one
    # likelihood evaluation run in parallel on threads.
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return ThreadPoolExecutor(max_workers=max(1, min(_MAX_THREADS, cores)))


def row_pieces(n_rows: int) -> list[slice]:
    """Consecutive slices of at most `CHUNK_ROWS` rows covering ``0..n_rows``."""
    return [slice(start, min(n_rows, start + CHUNK_ROWS)) for start in range(0, n_rows, CHUNK_ROWS)]


def summed_over_rows(
    part: Callable[[slice], tuple[float, FloatArray]], n_rows: int
) -> tuple[float, FloatArray]:
    """``part(piece)`` gives a (value, gradient) sum over the rows of one piece; their total.

    Pieces run on a small thread pool; they are added in row order, so the result does
    not depend on the number of threads. ``part`` must not itself use the pool.
    """
    pieces = row_pieces(n_rows)
    if len(pieces) <= 1:
        return part(slice(0, n_rows))
    results = list(_row_pool().map(part, pieces))
    value = 0.0
    gradient = np.zeros_like(results[0][1])
    for piece_value, piece_gradient in results:
        value += piece_value
        gradient = gradient + piece_gradient
    return value, gradient


def mapped_over_rows(function: Callable[[slice], FloatArray], n_rows: int) -> FloatArray:
    """``function(piece)`` gives one value per row of the piece; all rows, in order."""
    pieces = row_pieces(n_rows)
    if len(pieces) <= 1:
        return np.asarray(function(slice(0, n_rows)), dtype=np.float64)
    return np.concatenate(list(_row_pool().map(function, pieces)))


def parallel_map(function: Callable[[_Item], _Result], items: Sequence[_Item]) -> list[_Result]:
    """``function`` over independent ``items`` on the same threads, results in order.

    For numpy work that releases the GIL (sorts, ufuncs over large arrays). ``function``
    must not itself use the pool.
    """
    if len(items) <= 1:
        return [function(item) for item in items]
    return list(_row_pool().map(function, items))
