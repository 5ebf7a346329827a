"""Revenue trend and lifecycle stage of each customer (VAL-7).

Two steps, both vectorised numpy over one row per customer:

1. `spend_rates` and `revenue_trend`: how the customer's spend rate in the last window
   compares with the window before, as the symmetric change (a - b) / (a + b) in [-1, 1];
2. `lifecycle_stages`: prospect, new, lost, declining, growth or mature by fixed rules
   on that trend, P(alive) from the BG/NBD model and the silence since the last purchase.

The rules and their thresholds (`kam_analytics.config.LifecycleConfig`) are documented in
docs/methods/tiers-and-scores.md; the first rule that applies wins, so every customer has
exactly one stage and the result does not depend on row order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from kam_analytics.config import LifecycleConfig
from kam_analytics.models.diagnostics import FloatArray

__all__ = [
    "STAGES",
    "LifecycleInputs",
    "SpendRates",
    "lifecycle_codes",
    "lifecycle_stages",
    "ratio_to_trend",
    "revenue_trend",
    "spend_rates",
    "usual_gap_days",
]

#: Stages in the order their rules are tried.
STAGES = ("prospect", "new", "lost", "declining", "growth", "mature")

BoolArray = npt.NDArray[np.bool_]


def ratio_to_trend(ratio: float) -> float:
    """The symmetric change (a - b) / (a + b) at which a / b equals ``ratio``."""
    return (ratio - 1.0) / (ratio + 1.0)


@dataclass(frozen=True)
class SpendRates:
    """Each customer's spend per time unit in the recent window and in the one before.

    ``previous`` counts only time after the first purchase and leaves the first purchase
    out when it falls in that window (the BG/NBD, too, counts repeat purchases only);
    ``measurable`` is False where the comparison would rest on too little history.
    """

    recent: FloatArray
    previous: FloatArray
    measurable: BoolArray


def spend_rates(
    *,
    revenue_recent: npt.ArrayLike,
    revenue_previous: npt.ArrayLike,
    first_day_revenue: npt.ArrayLike,
    T: npt.ArrayLike,
    window: float,
    unit_days: float,
    min_previous_exposure: float = 0.5,
) -> SpendRates:
    """Spend rates of the last ``window`` time units and of the ``window`` before.

    The recent rate is the spend of the recent window / ``window``; the earlier rate is
    the spend of the earlier window after the first purchase / the time in it after the
    first purchase. Negative spend (credit notes) counts as 0. Not measurable when the
    first purchase falls inside the recent window, or when less than
    ``min_previous_exposure`` of the earlier window lies after it. ``T`` is the time from
    the first purchase to the as-of date, in time units of ``unit_days`` days.
    """
    recent = np.maximum(np.asarray(revenue_recent, dtype=np.float64), 0.0)
    previous = np.asarray(revenue_previous, dtype=np.float64)
    first = np.asarray(first_day_revenue, dtype=np.float64)
    # Whole days, as the summary counts them: the windows are compared on the same grid.
    age_days = np.rint(np.asarray(T, dtype=np.float64) * unit_days)
    window_days = window * unit_days
    first_in_previous = (age_days >= window_days) & (age_days < 2.0 * window_days)
    previous = np.maximum(np.where(first_in_previous, previous - first, previous), 0.0)
    exposure = np.clip(age_days - window_days, 0.0, window_days) / unit_days
    measurable = (age_days >= window_days) & (exposure >= min_previous_exposure * window)
    rate_previous = np.divide(previous, exposure, out=np.zeros_like(previous), where=exposure > 0)
    return SpendRates(recent=recent / window, previous=rate_previous, measurable=measurable)


def revenue_trend(rates: SpendRates) -> FloatArray:
    """The symmetric change (a - b) / (a + b) of the spend rate, recent a against earlier b.

    In [-1, 1]: 0 for a flat rate, +1 for spend that started in the recent window, -1 for
    spend that stopped; 0 when both are 0; NaN where not measurable. Symmetric, so a rise
    by a factor k and a fall by 1/k are equally far from 0, and bounded, so one
    customer's jump from nothing cannot dominate a ranking.
    """
    total = rates.recent + rates.previous
    change = np.divide(
        rates.recent - rates.previous, total, out=np.zeros_like(total), where=total > 0
    )
    return np.where(rates.measurable, change, np.nan)


def usual_gap_days(*, frequency: npt.ArrayLike, recency_days: npt.ArrayLike) -> FloatArray:
    """Each customer's mean time between purchase days (days); NaN without a repeat purchase."""
    x = np.asarray(frequency, dtype=np.float64)
    span = np.asarray(recency_days, dtype=np.float64)
    return np.divide(span, x, out=np.full_like(span, np.nan), where=x > 0)


@dataclass(frozen=True)
class LifecycleInputs:
    """One entry per customer. Days are calendar days up to the as-of date.

    ``purchase_days``: distinct purchase days (0 for a prospect); ``days_since_first`` and
    ``days_since_last``: from the first / last purchase to the as-of date (anything for a
    prospect); ``recency_days``: first to last purchase; ``p_alive`` (1 for a prospect);
    ``trend``: `revenue_trend` (NaN when not measurable).
    """

    purchase_days: npt.ArrayLike
    days_since_first: npt.ArrayLike
    days_since_last: npt.ArrayLike
    recency_days: npt.ArrayLike
    p_alive: npt.ArrayLike
    trend: npt.ArrayLike


def lifecycle_stages(
    inputs: LifecycleInputs, config: LifecycleConfig | None = None
) -> npt.NDArray[np.str_]:
    """The lifecycle stage of each customer as text (see `lifecycle_codes`)."""
    return np.asarray(STAGES)[lifecycle_codes(inputs, config)]


def lifecycle_codes(
    inputs: LifecycleInputs, config: LifecycleConfig | None = None
) -> npt.NDArray[np.int8]:
    """The lifecycle stage of each customer as its position in `STAGES`.

    The first rule that holds wins:

    1. prospect: no purchase yet.
    2. new: first purchase within ``new_within_days`` (two quarters).
    3. lost: P(alive) < ``lost_p_alive`` (0.1), or silent for longer than
       ``lost_silence_multiple`` (3) times the customer's usual gap between purchase days,
       and at least ``lost_min_silence_days`` (90). One-time buyers have no gap of their
       own (and the BG/NBD gives them P(alive) = 1), so the book's median gap stands in.
    4. declining: P(alive) < ``declining_p_alive`` (0.5), or the trend at or below the
       change that a spend-rate ratio of ``decline_ratio`` (0.8) gives.
    5. growth: the trend at or above the change of ``growth_ratio`` (1.25).
    6. mature: bought before, still active, no clear trend either way (or none measurable).
    """
    cfg = config if config is not None else LifecycleConfig()
    purchases = np.asarray(inputs.purchase_days, dtype=np.float64)
    since_first = np.asarray(inputs.days_since_first, dtype=np.float64)
    since_last = np.asarray(inputs.days_since_last, dtype=np.float64)
    p_alive = np.asarray(inputs.p_alive, dtype=np.float64)
    trend = np.asarray(inputs.trend, dtype=np.float64)
    gap = usual_gap_days(
        frequency=np.maximum(purchases - 1.0, 0.0), recency_days=inputs.recency_days
    )
    book_gap = _book_gap(gap, default=cfg.lost_min_silence_days)
    gap = np.where(np.isnan(gap), book_gap, gap)
    silence_limit = np.maximum(cfg.lost_silence_multiple * gap, cfg.lost_min_silence_days)

    known_trend = ~np.isnan(trend)
    rules: dict[str, BoolArray] = {
        "prospect": purchases <= 0,
        "new": since_first <= cfg.new_within_days,
        "lost": (p_alive < cfg.lost_p_alive) | (since_last > silence_limit),
        "declining": (p_alive < cfg.declining_p_alive)
        | (known_trend & (trend <= ratio_to_trend(cfg.decline_ratio) + 1e-12)),
        "growth": known_trend & (trend >= ratio_to_trend(cfg.growth_ratio) - 1e-12),
    }
    codes = np.select(
        list(rules.values()),
        [STAGES.index(stage) for stage in rules],
        default=STAGES.index("mature"),
    )
    return np.asarray(codes, dtype=np.int8)


def _book_gap(gap: FloatArray, *, default: float) -> float:
    """The median usual gap of the repeat buyers; ``default`` when there are none."""
    known = gap[~np.isnan(gap)]
    return float(np.median(known)) if known.size else default
