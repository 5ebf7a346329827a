"""Churn early warning (RISK-1): which accounts are about to stop buying, and why.

**Label.** An account *churns* at a cut-off date T when it bought on or before T and makes
no purchase in the outcome window (T, T + w] (``ChurnSettings.window_days``, 180 days by
default: a fixed window, so every account is judged over the same time and the label is
known w days after T).

**Features** of every account as of T, from its transactions (the customer summary of
`kam_analytics.transforms.summary`, in days):

* ``days_since_last_purchase`` (recency);
* ``purchase_days`` (frequency + 1: distinct purchase days so far);
* ``revenue_trend``: the symmetric change (a - b) / (a + b) of the spend rate in the last
  ``trend_days`` against the ``trend_days`` before (`kam_analytics.models.lifecycle`;
  not measurable -> 0, flat);
* ``p_alive`` and ``expected_purchases`` over the outcome window, from the BG/NBD model
  (Fader, Hardie & Lee 2005) fitted by `kam_analytics.models.clv.fit_clv` on the
  summary as of T (in weeks);

and, when the application provides them (`EXTRA_FEATURES`; each may be present or not):
``days_since_last_activity``, ``open_complaints``, ``complaints_last_90_days``,
``payment_mean_days_late`` and ``payment_overdue_share``.

**Model.** A logistic regression on standardised features with an L2 penalty (scikit-learn;
Hosmer, Lemeshow & Sturdivant 2013, *Applied Logistic Regression*, 3rd ed.). Skewed
counts and durations enter as log(1 + x). Every feature has the direction of risk it is
expected to have (`FEATURES`); a feature whose fitted coefficient points the other way
(a side effect of correlated features) is dropped and the model refitted, so that every
contribution reads the right way round. The log-odds of an account are the intercept plus
its contributions coefficient x standardised value: how far each feature moves the
account's risk away from that of the average training account. The features that push
risk up, largest first, become the reasons in English and Chinese.

**Time split.** The model is trained on features as of T - w with outcomes in (T - w, T]
and applied to the features as of T (`churn_risk`). `evaluate_churn_model` measures it out
of time: trained at T1, tested at T2 = T1 + w on the outcomes in (T2, T2 + w] — AUC, the
lift in the top decile (Neslin, Gupta, Kamakura, Lu & Mason 2006, "Defection detection",
Journal of Marketing Research 43(2), 204-211), a calibration table by decile and the Brier
score (Brier 1950, Monthly Weather Review 78(1)).

**Fallback.** With too few accounts, churners or non-churners to train on, the score is the
rule ``1 - P(alive) x (1 - d / 2)`` with d = max(-revenue_trend, 0) in [0, 1] the size
of the revenue decline: the BG/NBD chance that the account has already left, raised
toward 1 by up to half of what is left when its spend is falling. A warning says so.

See docs/methods/risk.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeAlias

import ibis
import numpy as np
import numpy.typing as npt
import pandas as pd
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import brier_score_loss, roc_auc_score

from kam_analytics.models.clv import fit_clv
from kam_analytics.models.diagnostics import FloatArray
from kam_analytics.models.lifecycle import revenue_trend, spend_rates
from kam_analytics.models.scoring import shown_value
from kam_analytics.transforms.summary import calibration_holdout_split, customer_summary

__all__ = [
    "BASE_FEATURES",
    "EXTRA_FEATURES",
    "FEATURES",
    "RISK_BANDS",
    "ChurnEvaluation",
    "ChurnFeatures",
    "ChurnModel",
    "ChurnRisk",
    "ChurnSettings",
    "ExtraFeatures",
    "Feature",
    "calibration_table",
    "churn_features",
    "churn_outcomes",
    "churn_reasons",
    "churn_risk",
    "evaluate_churn_model",
    "risk_bands",
    "rule_based_risk",
    "silent_probability",
    "top_decile_lift",
]

RISK_BANDS = ("low", "medium", "high")
Method = Literal["logistic", "rules"]
Transactions: TypeAlias = ibis.Table | pd.DataFrame
#: Per-account columns the application adds: a frame (``customer_id`` and any of
#: `EXTRA_FEATURES`, optionally an ``as_of`` column holding one snapshot per date) or a
#: function returning that frame as of a date (or None when it has nothing).
ExtraFeatures: TypeAlias = pd.DataFrame | Callable[[date], pd.DataFrame | None]

_WEEK = 7.0
_WRONG_WAY = "its coefficient pointed against the expected direction of risk"
_YEAR_DAYS = (364, 365, 366)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ChurnSettings:
    """Settings of the churn warning; every one has a default (docs/methods/risk.md).

    ``window_days``: the outcome window w (no purchase in it = churned). ``trend_days``:
    the two windows the revenue trend compares (365: year over year). ``C``: inverse L2
    strength of the logistic regression. ``min_accounts`` / ``min_per_class``: below these
    (training accounts; churners and non-churners each) the rule-based score is used.
    ``high_band`` / ``medium_band``: probability thresholds of the risk bands.
    ``min_reason_contribution``: the smallest contribution (log-odds) that becomes a
    reason; ``max_reasons`` per account.
    """

    window_days: int = 180
    trend_days: int = 365
    C: float = 1.0
    random_state: int = 0
    min_accounts: int = 30
    min_per_class: int = 5
    high_band: float = 0.5
    medium_band: float = 0.25
    min_reason_contribution: float = 0.1
    max_reasons: int = 4

    def __post_init__(self) -> None:
        for name in ("window_days", "trend_days", "min_accounts", "min_per_class", "max_reasons"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"ChurnSettings.{name} must be a whole number >= 1; got {value!r}")
        if not (math.isfinite(self.C) and self.C > 0):
            raise ValueError(f"ChurnSettings.C must be > 0; got {self.C!r}")
        if not (0 < self.medium_band <= self.high_band < 1):
            raise ValueError(
                "ChurnSettings needs 0 < medium_band <= high_band < 1; got "
                f"medium_band={self.medium_band!r}, high_band={self.high_band!r}"
            )
        if not self.min_reason_contribution >= 0:
            raise ValueError(
                "ChurnSettings.min_reason_contribution must be >= 0; got "
                f"{self.min_reason_contribution!r}"
            )


# --------------------------------------------------------------------------- features


Reason = tuple[str, str]


@dataclass(frozen=True)
class Feature:
    """A model input: its risk direction (+1: more is riskier), how it enters the model,
    how a missing value is filled and how it reads as a reason."""

    name: str
    direction: int
    log: bool  # enters as log(1 + max(x, 0))
    missing_is_zero: bool  # else the training median
    reason: Callable[[Mapping[str, Any], ChurnSettings], Reason | None]


def _days(value: float) -> int:
    return round(float(value))


def _recency_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    days = _days(row["days_since_last_purchase"])
    return (f"no purchase for {days} days", f"{days}天未下单")


def _frequency_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    n = int(row["purchase_days"])
    times = "once" if n == 1 else f"{n} times"
    return (f"bought only {times} so far", f"迄今仅购买{n}次")


def _trend_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    change = row.get("revenue_change")
    if change is None or not np.isfinite(change) or change > -0.05:
        return None
    pct = round(-100.0 * float(change))
    if s.trend_days in _YEAR_DAYS:
        return (f"revenue down {pct}% year over year", f"销售额同比下降{pct}%")
    n = s.trend_days
    return (
        f"revenue down {pct}% (last {n} days against the {n} days before)",
        f"销售额下降{pct}%（近{n}天对比此前{n}天）",
    )


def _share(value: float) -> str:
    """A probability as a whole percentage, never a misleading 0% or 100%."""
    pct = 100.0 * value
    if pct < 1:
        return "<1%"
    if pct > 99:
        return ">99%"
    return f"{round(pct)}%"


def _p_alive_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    share = _share(float(row["p_alive"]))
    return (
        f"BG/NBD: a {share} chance the account is still buying",
        f"BG/NBD模型：仍在购买的概率为{share}",
    )


def _expected_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = float(row["expected_purchases"])
    if not np.isfinite(value):
        return None
    n = s.window_days
    return (
        f"expected to buy only {value:.1f} times in the next {n} days",
        f"预计未来{n}天仅购买{value:.1f}次",
    )


def _silent_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = float(row["p_no_purchase"])
    if not np.isfinite(value):
        return None
    share, n = _share(value), s.window_days
    return (
        f"BG/NBD: a {share} chance of no purchase in the next {n} days",
        f"BG/NBD模型：未来{n}天不下单的概率为{share}",
    )


def _activity_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = row.get("days_since_last_activity")
    if value is None or not np.isfinite(value):
        return ("no visit or contact on record", "没有拜访或联系记录")
    days = _days(value)
    return (f"no visit or contact in {days} days", f"{days}天无拜访或联系")


def _open_complaints_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = row.get("open_complaints")
    if value is None or not np.isfinite(value) or value < 1:
        return None
    n = int(value)
    return (f"{n} open complaint{'s' if n != 1 else ''}", f"{n}个未结投诉")


def _recent_complaints_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = row.get("complaints_last_90_days")
    if value is None or not np.isfinite(value) or value < 1:
        return None
    n = int(value)
    return (f"{n} complaint{'s' if n != 1 else ''} in the last 90 days", f"近90天{n}次投诉")


def _days_late_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = row.get("payment_mean_days_late")
    if value is None or not np.isfinite(value) or value < 1:
        return None
    days = _days(value)
    return (f"pays {days} days late on average", f"平均逾期{days}天付款")


def _overdue_share_reason(row: Mapping[str, Any], s: ChurnSettings) -> Reason | None:
    value = row.get("payment_overdue_share")
    if value is None or not np.isfinite(value) or value <= 0:
        return None
    pct = round(100.0 * float(value))
    return (f"{pct}% of the amount due is overdue", f"到期应付款的{pct}%已逾期")


#: Every feature the model knows, with its expected direction of risk.
FEATURES: dict[str, Feature] = {
    f.name: f
    for f in (
        Feature("days_since_last_purchase", +1, True, False, _recency_reason),
        Feature("purchase_days", -1, True, False, _frequency_reason),
        Feature("revenue_trend", -1, False, True, _trend_reason),
        Feature("p_alive", -1, False, False, _p_alive_reason),
        Feature("expected_purchases", -1, True, False, _expected_reason),
        Feature("p_no_purchase", +1, False, False, _silent_reason),
        Feature("days_since_last_activity", +1, True, False, _activity_reason),
        Feature("open_complaints", +1, True, True, _open_complaints_reason),
        Feature("complaints_last_90_days", +1, True, True, _recent_complaints_reason),
        Feature("payment_mean_days_late", +1, True, False, _days_late_reason),
        Feature("payment_overdue_share", +1, False, False, _overdue_share_reason),
    )
}
#: Features computed from the transactions.
BASE_FEATURES = (
    "days_since_last_purchase",
    "purchase_days",
    "revenue_trend",
    "p_alive",
    "expected_purchases",
    "p_no_purchase",
)
#: Optional per-account columns the application provides.
EXTRA_FEATURES = tuple(name for name in FEATURES if name not in BASE_FEATURES)


@dataclass(frozen=True)
class ChurnFeatures:
    """The features of every account that bought on or before ``as_of``.

    ``frame`` has ``customer_id`` (text, sorted), the `BASE_FEATURES`, ``revenue_change``
    (recent / earlier spend rate - 1, for the reasons; NaN when not measurable) and the
    `EXTRA_FEATURES` the application gave; ``extra`` names those.
    """

    frame: pd.DataFrame
    as_of: date
    extra: tuple[str, ...]
    warnings: list[str]


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _as_table(transactions: Transactions) -> ibis.Table:
    if isinstance(transactions, pd.DataFrame):
        return ibis.memtable(transactions)
    return transactions


def _execute(expr: ibis.Table) -> pd.DataFrame:
    frame: pd.DataFrame = expr.to_pyarrow().to_pandas(date_as_object=False)
    return frame


def _summary_frame(
    transactions: Transactions, *, as_of: date, trend_days: int, holdout_end: date | None
) -> pd.DataFrame:
    """The customer summary in days as of ``as_of`` (with ``frequency_holdout`` when a
    ``holdout_end`` is given), sorted by customer id, money rounded to 6 decimals."""
    table = _as_table(transactions)
    if holdout_end is None:
        expr = customer_summary(table, as_of=as_of, time_unit="day", recent_periods=trend_days)
    else:
        summary, holdout = calibration_holdout_split(
            table,
            calibration_end=as_of,
            holdout_end=holdout_end,
            time_unit="day",
            recent_periods=trend_days,
        )
        expr = summary.join(holdout.select("customer_id", "frequency_holdout"), "customer_id")
    frame = _execute(expr.order_by("customer_id"))
    # Engines add in different orders: the last bits must not change a ranking.
    for name in ("total_revenue", "revenue_recent", "revenue_previous", "monetary"):
        frame[name] = frame[name].astype("float64").round(6)
    frame["customer_id"] = frame["customer_id"].astype(str)
    return frame.reset_index(drop=True)


def _clv_columns(
    summary: pd.DataFrame, *, horizon_days: int
) -> tuple[dict[str, FloatArray], list[str]]:
    """P(alive), expected purchases and P(no purchase) over the horizon, from a BG/NBD fit
    in weeks (`silent_probability`)."""
    n = len(summary)
    x = summary["frequency"].to_numpy(np.float64)
    t_x = summary["recency"].to_numpy(np.float64) / _WEEK
    t_cal = summary["T"].to_numpy(np.float64) / _WEEK
    weeks = pd.DataFrame(
        {
            "frequency": x,
            "recency": t_x,
            "T": t_cal,
            "monetary": np.maximum(summary["monetary"].to_numpy(np.float64), 0.0),
        }
    )
    horizon = horizon_days / _WEEK
    try:
        clv = fit_clv(weeks, horizon=horizon, time_unit_days=_WEEK)
    except ValueError as error:
        columns = {
            "p_alive": np.ones(n),
            "expected_purchases": np.full(n, np.nan),
            "p_no_purchase": np.full(n, np.nan),
        }
        return columns, [
            f"P(alive) could not be estimated ({error}); it counts as 1 for every account."
        ]
    model = clv.bgnbd
    if model.fallback_:
        # No drop-out identified: everyone is alive and buys at the NBD rate (fit_clv's
        # P(alive) is then the recency rule, a chance of the silence, not of being alive).
        params, alive = model.nbd_params_, np.ones(n)
    else:
        params, alive = model.params_, clv.p_alive
    silent = silent_probability(
        alive, r=params["r"], alpha=params["alpha"], frequency=x, T=t_cal, t=horizon
    )
    # Only the purchase model is used here: the spend model's notes do not concern churn.
    notes = [note for note in clv.warnings if str(getattr(note, "code", "")).startswith("bgnbd")]
    columns = {
        "p_alive": clv.p_alive,
        "expected_purchases": clv.expected_purchases,
        "p_no_purchase": silent,
    }
    return columns, notes


def silent_probability(
    p_alive: npt.ArrayLike,
    *,
    r: float,
    alpha: float,
    frequency: npt.ArrayLike,
    T: npt.ArrayLike,
    t: float,
) -> FloatArray:
    """BG/NBD chance of no purchase in (T, T + t]: the churn label's own probability.

    P(X(T, T + t) = 0 | x, t_x, T) = (1 - P(alive)) + P(alive) ((alpha + T) /
    (alpha + T + t))^(r + x): a customer who has left buys nothing; one still alive has
    the purchase rate lambda ~ Gamma(r + x, alpha + T) given the history (FHL 2005,
    section 3; drop-out happens only right after a purchase, so an account alive at T that
    buys nothing in the window is still alive at its end).
    """
    alive = np.clip(np.asarray(p_alive, dtype=np.float64), 0.0, 1.0)
    x = np.asarray(frequency, dtype=np.float64)
    t_cal = np.asarray(T, dtype=np.float64)
    quiet = np.exp(-(r + x) * np.log1p(t / (alpha + t_cal)))
    return np.asarray((1.0 - alive) + alive * quiet, dtype=np.float64)


def _trend_columns(summary: pd.DataFrame, trend_days: int) -> tuple[FloatArray, FloatArray]:
    """The revenue trend (NaN when not measurable) and the relative change of spend rate."""
    frequency = summary["frequency"].to_numpy(np.float64)
    total = summary["total_revenue"].to_numpy(np.float64)
    repeat = summary["monetary"].to_numpy(np.float64) * frequency
    rates = spend_rates(
        revenue_recent=summary["revenue_recent"].to_numpy(np.float64),
        revenue_previous=summary["revenue_previous"].to_numpy(np.float64),
        first_day_revenue=total - repeat,
        T=summary["T"].to_numpy(np.float64),
        window=float(trend_days),
        unit_days=1.0,
    )
    trend = revenue_trend(rates)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(
            rates.measurable & (rates.previous > 0), rates.recent / rates.previous - 1.0, np.nan
        )
    return trend, change


def _base_features(
    summary: pd.DataFrame, settings: ChurnSettings
) -> tuple[pd.DataFrame, list[str]]:
    bgnbd, notes = _clv_columns(summary, horizon_days=settings.window_days)
    trend, change = _trend_columns(summary, settings.trend_days)
    unmeasured = float(np.isnan(trend).mean()) if trend.size else 0.0
    if unmeasured > 0.5:
        notes.append(
            f"The revenue trend compares the last {settings.trend_days} days with the "
            f"{settings.trend_days} before; {100 * unmeasured:.0f}% of the accounts have too "
            "little history for that, and their trend counts as flat."
        )
    frame = pd.DataFrame(
        {
            "customer_id": summary["customer_id"].to_numpy(),
            "days_since_last_purchase": summary["days_since_last"].to_numpy(np.float64),
            "purchase_days": summary["frequency"].to_numpy(np.float64) + 1.0,
            "revenue_trend": trend,
            "p_alive": bgnbd["p_alive"],
            "expected_purchases": bgnbd["expected_purchases"],
            "p_no_purchase": bgnbd["p_no_purchase"],
            "revenue_change": change,
        }
    )
    return frame, notes


def _extra_at(extra: ExtraFeatures | None, cutoff: date) -> tuple[pd.DataFrame | None, list[str]]:
    """The extra columns as of ``cutoff``: a function's answer, a frame's snapshot, or the
    frame itself when it has no ``as_of`` column."""
    if extra is None:
        return None, []
    if callable(extra) and not isinstance(extra, pd.DataFrame):
        return extra(cutoff), []
    if "as_of" not in extra.columns:
        return extra, []
    stamps = pd.to_datetime(extra["as_of"]).dt.date
    rows = extra.loc[(stamps == cutoff).to_numpy()].drop(columns="as_of")
    if rows.empty:
        return None, [
            f"The extra account columns have no snapshot as of {cutoff.isoformat()}: the "
            "model does without them on that date."
        ]
    return rows, []


def _join_extra(
    frame: pd.DataFrame, extra: pd.DataFrame | None
) -> tuple[pd.DataFrame, tuple[str, ...], list[str]]:
    if extra is None:
        return frame, (), []
    if "customer_id" not in extra.columns:
        raise ValueError(
            "extra account columns: the column 'customer_id' is missing; the frame has "
            f"{', '.join(map(repr, map(str, extra.columns)))}"
        )
    unknown = [c for c in extra.columns if c != "customer_id" and c not in EXTRA_FEATURES]
    if unknown:
        raise ValueError(
            f"extra account columns: unknown column(s) {', '.join(map(repr, map(str, unknown)))};"
            f" expected customer_id and any of {', '.join(EXTRA_FEATURES)}"
        )
    ids = extra["customer_id"].astype(str)
    if ids.duplicated().any():
        raise ValueError(
            "extra account columns: customer "
            f"{shown_value(ids[ids.duplicated()].iloc[0])!r} has more than one row; "
            "give one row per customer"
        )
    names = tuple(c for c in EXTRA_FEATURES if c in extra.columns)
    values = pd.DataFrame(
        {name: pd.to_numeric(extra[name], errors="coerce").to_numpy(np.float64) for name in names},
        index=pd.Index(ids.to_numpy(), name="customer_id"),
    )
    for name in names:
        bad = pd.to_numeric(extra[name], errors="coerce").isna() & extra[name].notna()
        if bad.any():
            raise ValueError(
                f"extra account columns: {name} of customer {shown_value(ids[bad].iloc[0])!r} is "
                f"{shown_value(extra[name][bad].iloc[0])!r}; expected a number (or empty)"
            )
    aligned = values.reindex(frame["customer_id"].to_numpy())
    joined = frame.copy()
    for name in names:
        joined[name] = aligned[name].to_numpy()
    notes = []
    unmatched = int((~ids.isin(frame["customer_id"])).sum())
    if unmatched:
        notes.append(
            f"{unmatched} account(s) of the extra columns have no purchase on or before the "
            "cut-off and are not scored."
        )
    return joined, names, notes


def churn_features(
    transactions: Transactions,
    *,
    as_of: date | str,
    settings: ChurnSettings | None = None,
    extra: ExtraFeatures | None = None,
) -> ChurnFeatures:
    """The features of every account that bought on or before ``as_of`` (module docstring).

    ``transactions`` is an Ibis table or a pandas frame with ``customer_id``, ``date`` and
    ``amount``; rows after ``as_of`` are ignored.
    """
    s = settings or ChurnSettings()
    cutoff = _as_date(as_of)
    summary = _summary_frame(transactions, as_of=cutoff, trend_days=s.trend_days, holdout_end=None)
    return _features_from_summary(summary, cutoff, s, extra)


def _features_from_summary(
    summary: pd.DataFrame, cutoff: date, s: ChurnSettings, extra: ExtraFeatures | None
) -> ChurnFeatures:
    if summary.empty:
        raise ValueError(f"No purchases on or before {cutoff.isoformat()}: no account to score.")
    frame, notes = _base_features(summary, s)
    extra_frame, extra_notes = _extra_at(extra, cutoff)
    frame, names, join_notes = _join_extra(frame, extra_frame)
    return ChurnFeatures(
        frame=frame, as_of=cutoff, extra=names, warnings=[*notes, *extra_notes, *join_notes]
    )


def churn_outcomes(
    transactions: Transactions, *, as_of: date | str, window_days: int = 180
) -> pd.Series:
    """Whether each account that bought on or before ``as_of`` made no purchase in
    (``as_of``, ``as_of`` + ``window_days``]: True = churned. Indexed by customer id."""
    cutoff = _as_date(as_of)
    summary = _summary_frame(
        transactions,
        as_of=cutoff,
        trend_days=1,
        holdout_end=cutoff + timedelta(days=window_days),
    )
    return pd.Series(
        summary["frequency_holdout"].to_numpy() == 0,
        index=pd.Index(summary["customer_id"].to_numpy(), name="customer_id"),
        name="churned",
    )


# --------------------------------------------------------------------------- the model


class ChurnModel:
    """Standardised L2 logistic regression whose coefficients all point the expected way.

    ``fit(features, churned)`` takes a frame with any of `FEATURES` (other columns are
    ignored). Learned: ``features_`` (used), ``dropped_`` (name -> why), ``medians_``
    (fill values for missing entries), ``means_`` / ``scales_`` (of the model inputs),
    ``coef_`` (per standardised input), ``intercept_``, ``base_rate_``.
    """

    def __init__(self, *, C: float = 1.0, random_state: int = 0) -> None:
        self.C = C
        self.random_state = random_state

    def fit(self, features: pd.DataFrame, churned: npt.ArrayLike) -> ChurnModel:
        y = np.asarray(churned, dtype=bool)
        if len(y) != len(features):
            raise ValueError(
                f"churned has {len(y)} entries but the features have {len(features)} rows"
            )
        if y.all() or not y.any():
            raise ValueError("Both churned and retained accounts are needed to fit the model.")
        names = [name for name in FEATURES if name in features.columns]
        dropped: dict[str, str] = {}
        medians: dict[str, float] = {}
        for name in names:
            column = features[name].to_numpy(np.float64)
            known = column[np.isfinite(column)]
            if known.size == 0:
                dropped[name] = "no value"
            medians[name] = (
                0.0
                if FEATURES[name].missing_is_zero or known.size == 0
                else (float(np.median(known)))
            )
        self.medians_ = medians
        names = [n for n in names if n not in dropped]
        inputs = self._inputs(features, names)
        scales = inputs.std(axis=0)
        for name, scale in zip(names, scales, strict=True):
            if not scale > 1e-12:
                dropped[name] = "the same value for every account"
        names = [n for n in names if n not in dropped]
        while True:
            model, means, scales = self._fitted(features, names, y)
            coef = model.coef_[0]
            wrong = [
                (abs(c), name)
                for name, c in zip(names, coef, strict=True)
                if np.sign(c) == -FEATURES[name].direction and c != 0
            ]
            if not wrong:
                break
            _, name = max(wrong)
            dropped[name] = _WRONG_WAY
            names.remove(name)
        self.features_ = tuple(names)
        self.dropped_ = dropped
        self.means_ = means
        self.scales_ = scales
        self.coef_ = np.asarray(coef, dtype=np.float64)
        self.intercept_ = float(model.intercept_[0])
        self.base_rate_ = float(y.mean())
        return self

    def _fitted(
        self, features: pd.DataFrame, names: list[str], y: npt.NDArray[np.bool_]
    ) -> tuple[LogisticRegression, FloatArray, FloatArray]:
        inputs = self._inputs(features, names)
        means = inputs.mean(axis=0)
        scales = inputs.std(axis=0)
        scales = np.where(scales > 0, scales, 1.0)
        z = (inputs - means) / scales
        if not names:  # only an intercept: the base rate
            z = np.zeros((len(y), 1))
        model = LogisticRegression(
            C=self.C, solver="lbfgs", max_iter=1000, random_state=self.random_state
        ).fit(z, y)
        if not names:
            model.coef_ = np.zeros((1, 0))
        return model, means, scales

    def _inputs(self, features: pd.DataFrame, names: Sequence[str]) -> FloatArray:
        columns = []
        for name in names:
            feature = FEATURES[name]
            if name in features.columns:
                column = features[name].to_numpy(np.float64).copy()
            else:
                column = np.full(len(features), np.nan)
            column[~np.isfinite(column)] = self.medians_[name]
            if feature.log:
                column = np.log1p(np.maximum(column, 0.0))
            columns.append(column)
        if not columns:
            return np.zeros((len(features), 0))
        return np.column_stack(columns)

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise RuntimeError("This ChurnModel is not fitted yet: call fit() first.")

    def contributions(self, features: pd.DataFrame) -> pd.DataFrame:
        """coefficient x standardised value per account (rows) and feature (columns)."""
        self._check_fitted()
        z = (self._inputs(features, self.features_) - self.means_) / self.scales_
        return pd.DataFrame(z * self.coef_, columns=list(self.features_), index=features.index)

    def predict_proba(self, features: pd.DataFrame) -> FloatArray:
        """P(churn) per account: the logistic of the intercept plus the contributions."""
        logit = self.intercept_ + self.contributions(features).to_numpy().sum(axis=1)
        return np.asarray(1.0 / (1.0 + np.exp(-logit)), dtype=np.float64)

    @property
    def coefficients(self) -> dict[str, float]:
        """Coefficient per standardised feature, and the intercept."""
        self._check_fitted()
        values = {n: float(c) for n, c in zip(self.features_, self.coef_, strict=True)}
        return {"intercept": self.intercept_, **values}

    def __repr__(self) -> str:
        if not hasattr(self, "coef_"):
            return f"ChurnModel(C={self.C})"
        shown = ", ".join(f"{k}={v:+.3f}" for k, v in self.coefficients.items())
        return f"ChurnModel({shown})"


def rule_based_risk(features: pd.DataFrame) -> tuple[FloatArray, pd.DataFrame]:
    """The fallback score ``q + (1 - q) d / 2``: q = the BG/NBD chance of no purchase in
    the window (`silent_probability`), d = max(-revenue_trend, 0) the size of the decline.

    Returns the score and its two parts (``p_no_purchase``: q; ``revenue_trend``:
    (1 - q) d / 2), which sum to it. Without q (no BG/NBD fit) q is 1 - P(alive).
    """
    silent = features["p_no_purchase"].to_numpy(np.float64)
    alive = features["p_alive"].to_numpy(np.float64)
    q = np.clip(np.where(np.isfinite(silent), silent, 1.0 - alive), 0.0, 1.0)
    trend = np.nan_to_num(features["revenue_trend"].to_numpy(np.float64), nan=0.0)
    decline = np.clip(-trend, 0.0, 1.0)
    parts = pd.DataFrame(
        {"p_no_purchase": q, "revenue_trend": (1.0 - q) * decline / 2.0},
        index=features.index,
    )
    return parts.to_numpy().sum(axis=1), parts


def risk_bands(probability: npt.ArrayLike, settings: ChurnSettings | None = None) -> list[str]:
    """ "high" from ``high_band`` up, "medium" from ``medium_band`` up, else "low"."""
    s = settings or ChurnSettings()
    p = np.asarray(probability, dtype=np.float64)
    codes = (p >= s.medium_band).astype(int) + (p >= s.high_band).astype(int)
    return [RISK_BANDS[c] for c in codes]


def churn_reasons(
    features: pd.DataFrame,
    contributions: pd.DataFrame,
    settings: ChurnSettings | None = None,
    *,
    min_contribution: float | None = None,
) -> tuple[list[list[str]], list[list[str]]]:
    """Reasons in English and Chinese per account: the features whose contribution pushes
    risk up by at least ``min_contribution``, largest first, at most ``max_reasons``."""
    s = settings or ChurnSettings()
    floor = s.min_reason_contribution if min_contribution is None else min_contribution
    values = contributions.to_numpy(np.float64)
    names = list(contributions.columns)
    records = features.to_dict("records")
    english: list[list[str]] = []
    chinese: list[list[str]] = []
    for row, contribution in zip(records, values, strict=True):
        order = np.argsort(-contribution, kind="stable")
        en: list[str] = []
        zh: list[str] = []
        for j in order:
            if len(en) >= s.max_reasons or not contribution[j] >= floor or contribution[j] <= 0:
                break
            reason = FEATURES[names[j]].reason(row, s)
            if reason is not None:
                en.append(reason[0])
                zh.append(reason[1])
        english.append(en)
        chinese.append(zh)
    return english, chinese


# --------------------------------------------------------------------------- scoring


@dataclass(frozen=True)
class ChurnRisk:
    """The churn risk of every account as of ``as_of``.

    ``accounts``: ``customer_id``, ``churn_probability``, ``risk_band`` (low / medium /
    high), ``reasons_en`` and ``reasons_zh`` (lists of phrases, strongest first; empty
    in the low band),
    ``contributions`` (feature -> log-odds, or the parts of the rule), then the features.
    ``method`` is "logistic" or "rules" (the fallback); the model was trained at
    ``training_cutoff`` with outcomes up to ``as_of``.
    """

    accounts: pd.DataFrame
    method: Method
    as_of: date
    training_cutoff: date
    settings: ChurnSettings
    coefficients: dict[str, float]
    dropped_features: dict[str, str]
    n_training_accounts: int
    training_churn_rate: float
    warnings: list[str]
    model: ChurnModel | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Trained:
    method: Method
    model: ChurnModel | None
    n: int
    rate: float
    warnings: list[str]


def _train(features: ChurnFeatures, churned: pd.Series, s: ChurnSettings) -> _Trained:
    y = churned.reindex(features.frame["customer_id"].to_numpy()).to_numpy(bool)
    n, churners = len(y), int(y.sum())
    rate = churners / n if n else math.nan
    reasons = []
    if n < s.min_accounts:
        reasons.append(f"only {n} accounts (at least {s.min_accounts} are needed)")
    if churners < s.min_per_class:
        reasons.append(f"{churners} of them stopped buying (at least {s.min_per_class} are needed)")
    if n - churners < s.min_per_class:
        reasons.append(
            f"{n - churners} of them kept buying (at least {s.min_per_class} are needed)"
        )
    if reasons:
        note = (
            f"Too little history to train the churn model at {features.as_of.isoformat()}: "
            f"{'; '.join(reasons)}. The churn risk is the rule q + (1 - q) x decline / 2 instead "
            "(q: the BG/NBD chance of no purchase in the window; decline: the fall of the "
            "revenue trend)."
        )
        return _Trained("rules", None, n, rate, [note])
    model = ChurnModel(C=s.C, random_state=s.random_state).fit(features.frame, y)
    return _Trained("logistic", model, n, rate, [])


def _scored(
    features: ChurnFeatures, trained: _Trained, s: ChurnSettings
) -> tuple[FloatArray, pd.DataFrame]:
    if trained.model is None:
        return rule_based_risk(features.frame)
    return trained.model.predict_proba(features.frame), trained.model.contributions(features.frame)


def _missing_in_scoring(features: ChurnFeatures, trained: _Trained) -> list[str]:
    if trained.model is None:
        return []
    missing = [n for n in trained.model.features_ if n not in features.frame.columns]
    if not missing:
        return []
    return [
        f"The churn model was trained with {', '.join(missing)}, which the accounts to score "
        "lack: those count as the training median."
    ]


def churn_risk(
    transactions: Transactions,
    as_of: date | str,
    extra: ExtraFeatures | None = None,
    *,
    settings: ChurnSettings | None = None,
) -> ChurnRisk:
    """Score every account that bought on or before ``as_of`` (see the module docstring).

    The model is trained on the features as of ``as_of`` - w with the outcomes in
    (``as_of`` - w, ``as_of``] and applied to the features as of ``as_of``. ``extra`` gives
    the optional per-account columns (`ExtraFeatures`): pass a function of the date so
    that the training sees them as they were at its cut-off.
    """
    s = settings or ChurnSettings()
    today = _as_date(as_of)
    training_cutoff = today - timedelta(days=s.window_days)
    notes = _look_ahead(extra, training_cutoff)
    train_summary = _summary_frame(
        transactions, as_of=training_cutoff, trend_days=s.trend_days, holdout_end=today
    )
    current = churn_features(transactions, as_of=today, settings=s, extra=extra)
    if train_summary.empty:
        trained = _Trained(
            "rules",
            None,
            0,
            math.nan,
            [
                f"No purchases on or before the training cut-off {training_cutoff.isoformat()}:"
                " the churn model cannot be trained; the churn risk is the rule q + (1 - q) x "
                "decline / 2 instead (docs/methods/risk.md)."
            ],
        )
    else:
        train = _features_from_summary(train_summary, training_cutoff, s, extra)
        churned = pd.Series(
            train_summary["frequency_holdout"].to_numpy() == 0,
            index=train_summary["customer_id"].to_numpy(),
        )
        trained = _train(train, churned, s)
        notes = [*_not_bgnbd(train.warnings), *notes]
    notes.extend([*current.warnings, *trained.warnings, *_missing_in_scoring(current, trained)])
    probability, contributions = _scored(current, trained, s)
    accounts = _risk_frame(current, probability, contributions, trained, s)
    model = trained.model
    return ChurnRisk(
        accounts=accounts,
        method=trained.method,
        as_of=today,
        training_cutoff=training_cutoff,
        settings=s,
        coefficients=model.coefficients if model is not None else {},
        dropped_features=dict(model.dropped_) if model is not None else {},
        n_training_accounts=trained.n,
        training_churn_rate=trained.rate,
        warnings=_unique(notes),
        model=model,
    )


def _risk_frame(
    features: ChurnFeatures,
    probability: FloatArray,
    contributions: pd.DataFrame,
    trained: _Trained,
    s: ChurnSettings,
) -> pd.DataFrame:
    # The rule's parts are probabilities, not log-odds: any visible part is a reason.
    floor = 0.05 if trained.model is None else None
    english, chinese = churn_reasons(features.frame, contributions, s, min_contribution=floor)
    # A low risk needs no explanation: reasons are for the watch list (medium and high).
    bands = risk_bands(probability, s)
    english = [en if band != "low" else [] for en, band in zip(english, bands, strict=True)]
    chinese = [zh if band != "low" else [] for zh, band in zip(chinese, bands, strict=True)]
    parts = contributions.to_dict("records")
    head = pd.DataFrame(
        {
            "customer_id": features.frame["customer_id"].to_numpy(),
            "churn_probability": probability,
            "risk_band": bands,
            "reasons_en": english,
            "reasons_zh": chinese,
            "contributions": [{k: float(v) + 0.0 for k, v in row.items()} for row in parts],
        }
    )
    rest = features.frame.drop(columns="customer_id").reset_index(drop=True)
    return pd.concat([head, rest], axis=1)


def _look_ahead(extra: ExtraFeatures | None, training_cutoff: date) -> list[str]:
    """A warning when one frame of extra columns stands for every date."""
    if not isinstance(extra, pd.DataFrame):
        return []
    if "as_of" in extra.columns:
        return []
    return [
        "The extra account columns are a single frame: the model learns from these values as "
        f"if they had been known at the training cut-off {training_cutoff.isoformat()}. Pass "
        "a function of the date (or an as_of column with one snapshot per date) to avoid "
        "this look-ahead."
    ]


def _not_bgnbd(notes: list[str]) -> list[str]:
    """The notes that are not about the BG/NBD fit (those of the scoring date are kept)."""
    return [note for note in notes if not str(getattr(note, "code", "")).startswith("bgnbd")]


def _unique(notes: list[str]) -> list[str]:
    return list(dict.fromkeys(notes))


# --------------------------------------------------------------------------- evaluation


def top_decile_lift(churned: npt.ArrayLike, score: npt.ArrayLike) -> float:
    """Churn rate among the top 10% of scores (ceil(n / 10) accounts, ties broken by order)
    divided by the overall churn rate (Neslin et al. 2006); NaN without churners."""
    y = np.asarray(churned, dtype=np.float64)
    p = np.asarray(score, dtype=np.float64)
    if y.size == 0 or y.sum() == 0:
        return math.nan
    top = np.argsort(-p, kind="stable")[: math.ceil(y.size / 10)]
    return float(y[top].mean() / y.mean())


def calibration_table(
    churned: npt.ArrayLike, probability: npt.ArrayLike, *, bins: int = 10
) -> pd.DataFrame:
    """Accounts in ``bins`` groups of equal size by predicted probability (lowest first):
    ``decile``, ``accounts``, ``mean_predicted``, ``observed_rate``."""
    y = np.asarray(churned, dtype=np.float64)
    p = np.asarray(probability, dtype=np.float64)
    order = np.argsort(p, kind="stable")
    group = np.empty(p.size, dtype=np.int64)
    group[order] = (np.arange(p.size) * bins) // max(p.size, 1)
    frame = pd.DataFrame({"decile": group + 1, "p": p, "y": y})
    table = frame.groupby("decile").agg(
        accounts=("y", "size"), mean_predicted=("p", "mean"), observed_rate=("y", "mean")
    )
    return table.reset_index()


@dataclass(frozen=True)
class ChurnEvaluation:
    """Out-of-time evaluation: trained at ``first_cutoff`` (outcomes up to
    ``second_cutoff``), tested at ``second_cutoff`` (outcomes up to ``test_end``).

    ``auc`` (ROC), ``top_decile_lift``, ``brier`` and ``calibration`` are of the shipped
    method on the test accounts; ``brier_reference`` is the Brier score of predicting the
    training churn rate for everyone; ``rule_auc`` is the fallback rule's AUC and
    ``boosting_auc`` a gradient-boosting classifier's on the same split (for comparison).
    """

    first_cutoff: date
    second_cutoff: date
    test_end: date
    window_days: int
    trend_days: int
    method: Method
    n_train: int
    n_test: int
    train_churn_rate: float
    test_churn_rate: float
    auc: float
    train_auc: float
    top_decile_lift: float
    brier: float
    brier_reference: float
    calibration: pd.DataFrame
    rule_auc: float
    boosting_auc: float | None
    coefficients: dict[str, float]
    dropped_features: dict[str, str]
    warnings: list[str]

    def summary(self) -> dict[str, Any]:
        """The figures as plain values (for a report or JSON)."""
        return {
            "first_cutoff": self.first_cutoff.isoformat(),
            "second_cutoff": self.second_cutoff.isoformat(),
            "test_end": self.test_end.isoformat(),
            "window_days": self.window_days,
            "method": self.method,
            "n_train": self.n_train,
            "n_test": self.n_test,
            "train_churn_rate": self.train_churn_rate,
            "test_churn_rate": self.test_churn_rate,
            "auc": self.auc,
            "train_auc": self.train_auc,
            "top_decile_lift": self.top_decile_lift,
            "brier": self.brier,
            "brier_reference": self.brier_reference,
            "rule_auc": self.rule_auc,
            "boosting_auc": self.boosting_auc,
        }


def _auc(y: npt.NDArray[np.bool_], score: FloatArray) -> float:
    if y.all() or not y.any():
        return math.nan
    return float(roc_auc_score(y, score))


def _boosting_auc(
    train: ChurnFeatures,
    y_train: npt.NDArray[np.bool_],
    test: ChurnFeatures,
    y_test: npt.NDArray[np.bool_],
    model: ChurnModel,
    s: ChurnSettings,
) -> float:
    """AUC of gradient boosting (Friedman 2001) on every usable feature, for comparison."""
    names = [
        n
        for n in FEATURES
        if n in train.frame.columns and model.dropped_.get(n) in (None, _WRONG_WAY)
    ]
    booster = GradientBoostingClassifier(random_state=s.random_state)
    booster.fit(model._inputs(train.frame, names), y_train)
    score = booster.predict_proba(model._inputs(test.frame, names))[:, 1]
    return _auc(y_test, np.asarray(score, dtype=np.float64))


def evaluate_churn_model(
    transactions: Transactions,
    *,
    first_cutoff: date | str,
    window: int | timedelta | None = None,
    settings: ChurnSettings | None = None,
    extra: ExtraFeatures | None = None,
    compare_boosting: bool = False,
) -> ChurnEvaluation:
    """Train at ``first_cutoff`` = T1 on the outcomes in (T1, T1 + w], test at T2 = T1 + w
    on the outcomes in (T2, T2 + w] (out of time). ``window`` (days or a timedelta)
    overrides ``settings.window_days``. ``extra`` as in `churn_risk` (a function of the
    date gives each cut-off its own values)."""
    s = settings or ChurnSettings()
    if window is not None:
        days = window.days if isinstance(window, timedelta) else int(window)
        s = replace(s, window_days=days)
    t1 = _as_date(first_cutoff)
    t2 = t1 + timedelta(days=s.window_days)
    end = t2 + timedelta(days=s.window_days)
    notes = _look_ahead(extra, t1)
    train_summary = _summary_frame(transactions, as_of=t1, trend_days=s.trend_days, holdout_end=t2)
    test_summary = _summary_frame(transactions, as_of=t2, trend_days=s.trend_days, holdout_end=end)
    last = _last_date(transactions)
    if last is not None and last < end:
        notes.append(
            f"The test outcomes run to {end.isoformat()} but the transactions end on "
            f"{last.isoformat()}: accounts that buy after that count as churned."
        )
    train = _features_from_summary(train_summary, t1, s, extra)
    test = _features_from_summary(test_summary, t2, s, extra)
    y_train = train_summary["frequency_holdout"].to_numpy() == 0
    y_test = test_summary["frequency_holdout"].to_numpy() == 0
    trained = _train(train, pd.Series(y_train, index=train_summary["customer_id"].to_numpy()), s)
    notes = [*_not_bgnbd(train.warnings), *test.warnings, *trained.warnings, *notes]
    probability, _ = _scored(test, trained, s)
    train_probability, _ = _scored(train, trained, s)
    rule_score, _ = rule_based_risk(test.frame)
    boosting = None
    if compare_boosting and trained.model is not None:
        boosting = _boosting_auc(train, y_train, test, y_test, trained.model, s)
    if y_test.all() or not y_test.any():
        notes.append("The test accounts all have the same outcome: the AUC is not defined.")
    base = float(y_train.mean()) if y_train.size else math.nan
    model = trained.model
    return ChurnEvaluation(
        first_cutoff=t1,
        second_cutoff=t2,
        test_end=end,
        window_days=s.window_days,
        trend_days=s.trend_days,
        method=trained.method,
        n_train=int(y_train.size),
        n_test=int(y_test.size),
        train_churn_rate=base,
        test_churn_rate=float(y_test.mean()),
        auc=_auc(y_test, probability),
        train_auc=_auc(y_train, train_probability),
        top_decile_lift=top_decile_lift(y_test, probability),
        brier=float(brier_score_loss(y_test, probability)),
        brier_reference=float(np.mean((y_test - base) ** 2)),
        calibration=calibration_table(y_test, probability),
        rule_auc=_auc(y_test, rule_score),
        boosting_auc=boosting,
        coefficients=model.coefficients if model is not None else {},
        dropped_features=dict(model.dropped_) if model is not None else {},
        warnings=_unique(notes),
    )


def _last_date(transactions: Transactions) -> date | None:
    if isinstance(transactions, pd.DataFrame):
        value = pd.to_datetime(transactions["date"]).max()
    else:
        value = pd.Timestamp(transactions["date"].max().to_pyarrow().as_py())
    return None if pd.isna(value) else pd.Timestamp(value).date()
