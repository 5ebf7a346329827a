"""Score a whole book of customers: RFM, CLV, Pareto, composite score, tiers and lifecycle.

`score_book` is the one entry point the CLI (and later the app's scoring task) calls. The
table work (the per-customer summary and the RFM scores) stays an Ibis expression until a
single execute brings one row per customer to pandas through Arrow; everything after that
is vectorised numpy on those rows:

1. summary + RFM (Ibis, any engine) -> one customer-sized frame, ordered by customer id;
2. BG/NBD + Gamma-Gamma + discounted CLV (`kam_analytics.models.clv.fit_clv`);
3. Pareto / ABC on revenue (and profit when there are margins);
4. revenue trend, payment record, ratings -> composite score with its breakdown;
5. tiers and lifecycle stages.

See docs/methods/tiers-and-scores.md for the definitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from kam_analytics.config import CRITERIA, RATING_CRITERIA, TIERS, ValueConfig
from kam_analytics.models.clv import ClvResult, fit_clv
from kam_analytics.models.diagnostics import FloatArray, parallel_map
from kam_analytics.models.lifecycle import (
    STAGES,
    LifecycleInputs,
    lifecycle_codes,
    revenue_trend,
    spend_rates,
)
from kam_analytics.models.pareto import ParetoReport, pareto_analysis
from kam_analytics.models.rfm import rfm_scores
from kam_analytics.models.scoring import (
    composite_score,
    payment_percentiles,
    payment_record,
    percentile_rank,
    rating_values,
)
from kam_analytics.models.tiering import MEASURE_COLUMNS, TierInputs, assign_tiers, id_order
from kam_analytics.notes import Note
from kam_analytics.transforms.summary import TimeUnit, customer_summary, unit_days

__all__ = [
    "OUTPUT_COLUMNS",
    "ProgressCallback",
    "ScoreResult",
    "book_frame",
    "horizon_words",
    "score_book",
]

#: progress(description of the step now starting, steps done, total steps).
ProgressCallback = Callable[[str, int, int], None]

STEPS = (
    "summarising the transactions",
    "fitting BG/NBD and Gamma-Gamma",
    "Pareto and concentration",
    "scores, tiers and lifecycle",
)

#: Columns every scored book has, in this order (payment and rating columns follow the
#: score breakdown when payments or ratings are given).
OUTPUT_COLUMNS = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary",
    "total_revenue",
    "total_margin",
    "n_transactions",
    "first_purchase",
    "last_purchase",
    "days_since_last",
    "purchases_recent",
    "revenue_recent",
    "revenue_previous",
    "r_score",
    "f_score",
    "m_score",
    "rfm_code",
    "rfm_segment",
    "abc_class",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "predicted_value",
    "growth_trend",
    "growth_observed",
    "growth_from",
    "growth_to",
    "value_growth",
    "score",
    *(f"score_{name}" for name in CRITERIA),
    "tier",
    "tier_reason_code",
    "tier_reason",
    "lifecycle",
)

_MONEY_SUMS = ("total_revenue", "total_margin", "revenue_recent", "revenue_previous")
_UNIT_WORDS = {"day": "days", "week": "weeks", "month": "months"}
# Share of customers without a measurable trend above which the book is called too short.
_SHORT_TREND_SHARE = 0.5


@dataclass
class ScoreResult:
    """The scored book: one row per customer, the Pareto report, the CLV fit, warnings."""

    customers: pd.DataFrame
    pareto: ParetoReport
    clv: ClvResult
    warnings: list[str]
    as_of: date
    time_unit: str
    horizon: float
    config: ValueConfig = field(repr=False)

    @property
    def tier_counts(self) -> dict[str, int]:
        counts = self.customers["tier"].value_counts()
        return {tier: int(counts.get(tier, 0)) for tier in TIERS}

    @property
    def params(self) -> dict[str, dict[str, float]]:
        """Fitted BG/NBD and Gamma-Gamma parameters."""
        return {"bgnbd": self.clv.bgnbd_params, "gamma_gamma": self.clv.gamma_gamma_params}


def score_book(
    transactions: ibis.Table,
    *,
    as_of: date,
    time_unit: TimeUnit = "week",
    horizon: float = 52,
    annual_discount_rate: float = 0.1,
    config: ValueConfig | None = None,
    payments: pd.DataFrame | None = None,
    ratings: pd.DataFrame | None = None,
    progress: ProgressCallback | None = None,
) -> ScoreResult:
    """Score every customer who bought on or before ``as_of``.

    ``transactions`` has the canonical columns (customer_id, date, amount, optional
    margin; see `kam_analytics.backends.read_transactions`); later rows are ignored.
    ``horizon`` (in ``time_unit``) is what expected purchases, CLV and the growth test
    cover; ``annual_discount_rate`` discounts CLV. ``payments`` (customer_id, due_date,
    paid_date, amount) and ``ratings`` (customer_id and 1-5 columns of
    `kam_analytics.config.RATING_CRITERIA`) are optional pandas frames. ``progress`` is
    called as each step starts.
    """
    cfg = config if config is not None else ValueConfig()
    if not (math.isfinite(horizon) and horizon > 0):
        raise ValueError(f"horizon must be > 0 time units; got {horizon!r}")
    as_of = as_of.date() if isinstance(as_of, datetime) else as_of
    unit = unit_days(time_unit)
    window = cfg.trend.window_periods or max(1, round(horizon))
    step = _stepper(progress)

    step(0)
    frame = book_frame(transactions, as_of=as_of, time_unit=time_unit, window=window, cfg=cfg)
    step(1)
    clv = fit_clv(
        frame,
        horizon=horizon,
        time_unit_days=unit,
        annual_discount_rate=annual_discount_rate,
    )
    step(2)
    pareto = pareto_analysis(frame)
    step(3)
    notes = list(clv.warnings)
    columns = _value_columns(frame, clv, horizon=horizon, window=window, unit=unit, cfg=cfg)
    notes.extend(_trend_notes(columns["growth_trend"], window, time_unit))
    score_columns, score_notes = _score_columns(
        frame, columns, cfg=cfg, as_of=as_of, payments=payments, ratings=ratings
    )
    notes.extend(score_notes)
    customers = pd.concat([frame, pd.DataFrame(columns, index=frame.index), score_columns], axis=1)
    notes.extend(
        _classify(customers, pareto, cfg=cfg, unit=unit, words=horizon_words(horizon, time_unit))
    )
    step(len(STEPS))
    return ScoreResult(
        customers=_ordered(customers),
        pareto=pareto,
        clv=clv,
        warnings=notes,
        as_of=as_of,
        time_unit=time_unit,
        horizon=float(horizon),
        config=cfg,
    )


def _stepper(progress: ProgressCallback | None) -> Callable[[int], None]:
    def step(done: int) -> None:
        if progress is not None:
            description = STEPS[done] if done < len(STEPS) else "done"
            progress(description, done, len(STEPS))

    return step


def book_frame(
    transactions: ibis.Table,
    *,
    as_of: date,
    time_unit: TimeUnit,
    window: int,
    cfg: ValueConfig,
) -> pd.DataFrame:
    """The per-customer summary with RFM scores, executed once and ordered by customer id.

    Comes to pandas through Arrow (columnar, dates as datetime64). Sums of money are
    rounded to 6 decimals: engines add in different orders (DuckDB's threads too), and
    the last bits must not make two runs, or DuckDB and Spark, differ.
    """
    summary = customer_summary(
        transactions, as_of=as_of, time_unit=time_unit, recent_periods=window
    )
    rfm = rfm_scores(summary, bins=cfg.rfm_bins)
    expr = rfm.select(
        *summary.columns,
        "r_score",
        "f_score",
        "m_score",
        "rfm_code",
        rfm_segment=rfm.segment,
    ).order_by("customer_id")
    table: pa.Table = expr.to_pyarrow()
    if table.num_rows == 0:
        raise ValueError(f"No purchases on or before {as_of.isoformat()}: nothing to score.")
    frame = table.to_pandas(date_as_object=False)
    return _rounded_money(frame)


def _rounded_money(frame: pd.DataFrame) -> pd.DataFrame:
    """Sums of money rounded to 6 decimals; ``monetary`` recomputed from its rounded sum.

    A mean is not rounded itself: a 6-decimal sum divided by 2 lands exactly halfway
    between two 6-decimal values, where the last bit decides the rounding.
    """
    for name in _MONEY_SUMS:
        frame[name] = frame[name].astype("float64").round(6)
    frequency = frame["frequency"].to_numpy(np.float64)
    repeat = np.round(frame["monetary"].to_numpy(np.float64) * frequency, 6)
    frame["monetary"] = np.divide(repeat, frequency, out=np.zeros_like(repeat), where=frequency > 0)
    return frame


def _value_columns(
    frame: pd.DataFrame,
    clv: ClvResult,
    *,
    horizon: float,
    window: int,
    unit: float,
    cfg: ValueConfig,
) -> dict[str, np.ndarray]:
    """CLV outputs, the revenue trend and the growth test's values, one entry per row.

    ``growth_from`` / ``growth_to`` are the values of two consecutive horizon-long
    periods: observed (the spend rates of the trend windows times the horizon) where the
    trend is measurable, else the last period's revenue and the model's prediction for
    the next one. ``value_growth`` is their difference (see `kam_analytics.models.tiering`).
    """
    frequency = frame["frequency"].to_numpy(np.float64)
    total = frame["total_revenue"].to_numpy(np.float64)
    recent = frame["revenue_recent"].to_numpy(np.float64)
    repeat = frame["monetary"].to_numpy(np.float64) * frequency
    rates = spend_rates(
        revenue_recent=recent,
        revenue_previous=frame["revenue_previous"].to_numpy(np.float64),
        first_day_revenue=total - repeat,
        T=frame["T"].to_numpy(np.float64),
        window=window,
        unit_days=unit,
        min_previous_exposure=cfg.trend.min_previous_exposure,
    )
    predicted = clv.expected_purchases * clv.expected_spend
    # The last period as long as the horizon, scaled from the trend window.
    last_period = np.maximum(recent, 0.0) * horizon / window
    growth_from = np.where(rates.measurable, rates.previous * horizon, last_period)
    growth_to = np.where(rates.measurable, rates.recent * horizon, predicted)
    return {
        "p_alive": clv.p_alive,
        "expected_purchases": clv.expected_purchases,
        "expected_spend": clv.expected_spend,
        "clv": clv.clv,
        "predicted_value": predicted,
        "growth_trend": revenue_trend(rates),
        "growth_from": growth_from,
        "growth_to": growth_to,
        "value_growth": growth_to - growth_from,
        "growth_observed": rates.measurable,
    }


def _trend_notes(trend: FloatArray, window: int, time_unit: str) -> list[str]:
    missing = float(np.isnan(trend).mean()) if trend.size else 0.0
    if missing <= _SHORT_TREND_SHARE:
        return []
    words = horizon_words(window, time_unit)
    return [
        Note(
            "trend_short_history",
            f"The revenue trend compares the last {words} with the {words} before; "
            f"{100 * missing:.0f}% of the customers have too little history for that: their "
            "trend counts as flat in the score and their lifecycle stage rests on P(alive) "
            "and recency. A longer book (or a shorter trend window) measures more trends.",
            period=words,
            share=100 * missing,
        )
    ]


def _score_columns(
    frame: pd.DataFrame,
    columns: dict[str, np.ndarray],
    *,
    cfg: ValueConfig,
    as_of: date,
    payments: pd.DataFrame | None,
    ratings: pd.DataFrame | None,
) -> tuple[pd.DataFrame, list[str]]:
    """The score, its breakdown and the payment / rating inputs, with notes on gaps."""
    n = len(frame)
    ids = pd.Index(frame["customer_id"])
    trend = columns["growth_trend"]
    measures = {
        "volume": frame["total_revenue"].to_numpy(np.float64),
        "frequency": frame["frequency"].to_numpy(np.float64),
        "clv": columns["clv"],
        # Not measurable counts as flat: neither rewarded nor punished.
        "growth": np.where(np.isnan(trend), 0.0, trend),
    }
    # Four sorts of a million numbers: they run side by side.
    ranked = parallel_map(percentile_rank, list(measures.values()))
    percentiles: dict[str, FloatArray] = dict(zip(measures, ranked, strict=True))
    extra: dict[str, np.ndarray] = {}
    notes: list[str] = []
    if payments is not None:
        record = payment_record(payments, ids, as_of=as_of)
        percentiles["payment"] = payment_percentiles(record)
        extra.update(on_time_share=record.on_time_share, mean_days_late=record.mean_days_late)
        without = int(np.isnan(record.on_time_share).sum())
        if without:
            notes.append(
                Note(
                    "payments_none_due",
                    f"{without} customers have no payment due by {as_of.isoformat()}: their "
                    "payment record counts as neutral (50 of 100).",
                    count=without,
                    as_of=as_of.isoformat(),
                )
            )
        if record.unmatched_customers:
            notes.append(
                Note(
                    "payments_unmatched",
                    f"{record.unmatched_customers} customers in the payments have no purchase "
                    f"up to {as_of.isoformat()} and are not scored.",
                    count=record.unmatched_customers,
                    as_of=as_of.isoformat(),
                )
            )
    if ratings is not None:
        values, missing, unmatched = rating_values(ratings, ids)
        for name, rated in values.items():
            percentiles[name] = percentile_rank(rated)
            extra[name] = rated
            if missing[name]:
                notes.append(
                    Note(
                        "ratings_missing",
                        f"{missing[name]} customers have no {_words(name)} rating: counted "
                        "as neutral (3 of 5).",
                        count=missing[name],
                        criterion=name,
                    )
                )
        if unmatched:
            notes.append(
                Note(
                    "ratings_unmatched",
                    f"{unmatched} rated customers have no purchase up to {as_of.isoformat()} "
                    "and are not scored.",
                    count=unmatched,
                    as_of=as_of.isoformat(),
                )
            )
    result = composite_score(percentiles, cfg.weights, n)
    notes.extend(_absent_notes(result.absent))
    if not result.weights:
        notes.append(
            Note("score_no_data", "None of the weighted criteria has data: every score is 0.")
        )
    table = {"score": result.score}
    table.update({f"score_{name}": result.contributions[name] for name in CRITERIA})
    table.update(extra)
    return pd.DataFrame(table, index=frame.index), notes


def _absent_notes(absent: tuple[str, ...]) -> list[str]:
    notes: list[str] = []
    if "payment" in absent:
        notes.append(
            Note(
                "score_no_payments",
                "No payments given: the payment record is left out of the score and the other "
                "weights are renormalised.",
            )
        )
    ratings = [name for name in absent if name in RATING_CRITERIA]
    if ratings:
        notes.append(
            Note(
                "score_no_ratings",
                f"No ratings given for {', '.join(_words(name) for name in ratings)}: left out "
                "of the score and the other weights are renormalised.",
                criteria=ratings,
            )
        )
    return notes


def _words(name: str) -> str:
    return name.replace("_", " ")


def _classify(
    customers: pd.DataFrame, pareto: ParetoReport, *, cfg: ValueConfig, unit: float, words: str
) -> list[str]:
    """Add the ABC class, tier (with reasons) and lifecycle stage; return the tier notes.

    Labels are categoricals: a million of them cost a byte each, not a Python string each.
    """
    ids = pd.Index(customers["customer_id"])
    customers["abc_class"] = _aligned_classes(pareto, ids)
    tiers = assign_tiers(_tier_inputs(customers, cfg, ids), cfg.tiers, horizon_words=words)
    stages = lifecycle_codes(_lifecycle_inputs(customers, unit), cfg.lifecycle)
    customers["tier"] = pd.Categorical.from_codes(tiers.tier_code, TIERS)
    customers["tier_reason_code"] = pd.Categorical.from_codes(
        tiers.reason_code_index, tiers.reason_codes
    )
    customers["tier_reason"] = pd.Series(tiers.reason, index=customers.index, dtype=object)
    customers["lifecycle"] = pd.Categorical.from_codes(stages, STAGES)
    return tiers.warnings


def _aligned_classes(pareto: ParetoReport, ids: pd.Index) -> pd.Categorical:
    """The revenue ABC class of each row (the report is indexed by customer id)."""
    classes = pareto.revenue.classes
    if not classes.index.equals(ids):
        classes = classes.reindex(ids)
    return pd.Categorical(classes.to_numpy(), categories=["A", "B", "C"])


def _tier_inputs(customers: pd.DataFrame, cfg: ValueConfig, ids: pd.Index) -> TierInputs:
    measure = MEASURE_COLUMNS[cfg.tiers.measure]
    return TierInputs(
        id_order=id_order(ids),
        measure=customers[measure].to_numpy(np.float64),
        p_alive=customers["p_alive"].to_numpy(np.float64),
        growth_from=customers["growth_from"].to_numpy(np.float64),
        growth_to=customers["growth_to"].to_numpy(np.float64),
        growth_observed=customers["growth_observed"].to_numpy(np.bool_),
    )


def _lifecycle_inputs(customers: pd.DataFrame, unit: float) -> LifecycleInputs:
    return LifecycleInputs(
        purchase_days=customers["frequency"].to_numpy(np.float64) + 1.0,
        days_since_first=np.rint(customers["T"].to_numpy(np.float64) * unit),
        days_since_last=customers["days_since_last"].to_numpy(np.float64),
        recency_days=np.rint(customers["recency"].to_numpy(np.float64) * unit),
        p_alive=customers["p_alive"].to_numpy(np.float64),
        trend=customers["growth_trend"].to_numpy(np.float64),
    )


def _ordered(customers: pd.DataFrame) -> pd.DataFrame:
    rest = [name for name in customers.columns if name not in OUTPUT_COLUMNS]
    return customers[[*OUTPUT_COLUMNS, *rest]]


def horizon_words(horizon: float, time_unit: str) -> str:
    """ "52 weeks", "12 months", "1 day"."""
    plural = _UNIT_WORDS.get(time_unit, time_unit)
    word = plural[:-1] if horizon == 1 else plural
    return f"{horizon:g} {word}"
