"""Credit risk (RISK-2): what each customer owes, how late, against which limit.

From the payments (one row per invoice or instalment: ``customer_id``, ``due_date``,
``paid_date`` empty while unpaid, ``amount``, optionally ``invoice_date``) as of a date:

* **open receivables**: amounts not paid by the as-of date (paid later or not at all),
  issued by then (``invoice_date`` <= as-of when the column is given; without it every
  unpaid row counts);
* **ageing**: open receivables by days past due d = as-of - due date: ``current``
  (d <= 0), 1-30, 31-60, 61-90 and over 90 days; ``overdue_amount`` is everything with
  d > 0;
* **DSO** (days sales outstanding, the "count-back-free" average method): open receivables
  / revenue of the last N days x N (N = ``dso_days``, 90). Revenue comes from the
  ``revenue`` frame (orders: customer_id, date, amount) when given, else from the
  payments by ``invoice_date``, else by ``due_date`` (an approximation shifted by the
  payment terms; a warning says so). No revenue in the period: DSO is empty;
* **payment-delay trend**: mean days late of the payments due in the last
  ``trend_days`` minus that of the ``trend_days`` before, amount-weighted, days late as
  `kam_analytics.models.scoring.payment_record` counts them (paid late: paid - due;
  unpaid: as-of - due). Unpaid recent items have had less time to be late, so the trend
  errs toward "improving": a worsening it shows is real;
* **credit-limit utilisation**: open receivables / credit limit (empty without a limit;
  a limit of 0 with anything open is infinitely over it);
* **flag**: ``stop`` when any amount is more than ``stop_overdue_days`` (90) past due or
  utilisation exceeds ``stop_utilisation`` (110%: over the limit by a material margin);
  ``watch`` when any amount is more than ``watch_overdue_days`` (30) past due, the delay
  trend worsened by more than ``watch_delay_increase_days`` (10) or utilisation exceeds
  ``watch_utilisation`` (80%, up to 110%); else ``ok``. Each reason comes as a code and in
  English and Chinese with its figures.

See docs/methods/risk.md.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd

from kam_analytics.models.scoring import clean_payments, parse_dates, payment_record, shown_value

__all__ = [
    "AGEING_BUCKETS",
    "CREDIT_FLAGS",
    "CREDIT_REASONS",
    "CreditRisk",
    "CreditSettings",
    "ageing",
    "credit_risk",
]

CREDIT_FLAGS = ("ok", "watch", "stop")
CreditFlag = Literal["ok", "watch", "stop"]
#: Column of each ageing bucket, with its range of days past due (inclusive).
AGEING_BUCKETS: dict[str, tuple[float, float]] = {
    "current": (-math.inf, 0),
    "overdue_1_30": (1, 30),
    "overdue_31_60": (31, 60),
    "overdue_61_90": (61, 90),
    "overdue_over_90": (91, math.inf),
}
#: Reason codes and the flag each one raises.
CREDIT_REASONS: dict[str, CreditFlag] = {
    "overdue_long": "stop",
    "over_credit_limit": "stop",
    "overdue": "watch",
    "payment_delay_worsening": "watch",
    "near_credit_limit": "watch",
}


@dataclass(frozen=True)
class CreditSettings:
    """Thresholds of the credit flag and the periods of DSO and the delay trend (days)."""

    dso_days: int = 90
    trend_days: int = 90
    stop_overdue_days: int = 90
    #: Over the limit by more than 10% stops; up to that it is the watch reason
    #: near_credit_limit (a limit to review, not deliveries to stop). docs/methods/risk.md.
    stop_utilisation: float = 1.1
    watch_overdue_days: int = 30
    watch_delay_increase_days: float = 10.0
    watch_utilisation: float = 0.8
    #: Overdue amounts at or below this are ignored (cents left by rounding).
    min_overdue_amount: float = 0.0

    def __post_init__(self) -> None:
        for name in ("dso_days", "trend_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(
                    f"CreditSettings.{name} must be a whole number >= 1; got {value!r}"
                )
        if not 0 <= self.watch_overdue_days <= self.stop_overdue_days:
            raise ValueError(
                "CreditSettings needs 0 <= watch_overdue_days <= stop_overdue_days; got "
                f"{self.watch_overdue_days!r} and {self.stop_overdue_days!r}"
            )
        if not 0 < self.watch_utilisation <= self.stop_utilisation:
            raise ValueError(
                "CreditSettings needs 0 < watch_utilisation <= stop_utilisation; got "
                f"{self.watch_utilisation!r} and {self.stop_utilisation!r}"
            )
        if not self.watch_delay_increase_days >= 0 or not self.min_overdue_amount >= 0:
            raise ValueError(
                "CreditSettings.watch_delay_increase_days and min_overdue_amount must be >= 0"
            )


@dataclass(frozen=True)
class CreditRisk:
    """Credit position of each customer as of ``as_of``.

    ``accounts`` (one row per customer of the payments or the credit limits, by id):
    ``customer_id``, ``open_receivables``, ``overdue_amount``, the `AGEING_BUCKETS`,
    ``max_days_past_due`` (of the open items; 0 when nothing is overdue),
    ``revenue_last_period``, ``dso_days``, ``mean_days_late_recent``,
    ``mean_days_late_previous``, ``delay_trend_days``, ``credit_limit``, ``utilisation``,
    ``flag`` (ok / watch / stop), ``reason_codes``, ``reasons_en``, ``reasons_zh``.
    """

    accounts: pd.DataFrame
    as_of: date
    settings: CreditSettings
    revenue_source: Literal["revenue", "invoice_date", "due_date"]
    warnings: list[str]


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _payments(payments: pd.DataFrame) -> pd.DataFrame:
    """The payments with checked types; ``invoice_date`` NaT when not given."""
    frame = clean_payments(payments)
    if "invoice_date" in payments.columns:
        frame["invoice_date"] = parse_dates(
            payments["invoice_date"], "invoice_date", allow_missing=True
        ).to_numpy()
    else:
        frame["invoice_date"] = pd.NaT
        frame["invoice_date"] = frame["invoice_date"].astype("datetime64[ns]")
    return frame


def ageing(payments: pd.DataFrame, *, as_of: date | str) -> pd.DataFrame:
    """Open receivables per customer by days past due (the `AGEING_BUCKETS`), with
    ``open_receivables``, ``overdue_amount`` and ``max_days_past_due``; indexed by id."""
    frame = _payments(payments)
    return _ageing(frame, pd.Timestamp(_as_date(as_of)))


def _open_items(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    unpaid = frame["paid_date"].isna() | (frame["paid_date"] > as_of)
    issued = frame["invoice_date"].isna() | (frame["invoice_date"] <= as_of)
    items = frame.loc[unpaid & issued].copy()
    items["days_past_due"] = (as_of - items["due_date"]).dt.days.astype("int64")
    return items


def _ageing(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    items = _open_items(frame, as_of)
    days = items["days_past_due"]
    columns: dict[str, Any] = {"open_receivables": items["amount"]}
    for name, (low, high) in AGEING_BUCKETS.items():
        columns[name] = items["amount"].where((days >= low) & (days <= high), 0.0)
    columns["overdue_amount"] = items["amount"].where(days > 0, 0.0)
    columns["max_days_past_due"] = days.clip(lower=0).where(items["amount"] > 0, 0)
    table = pd.DataFrame(columns)
    table["customer_id"] = items["customer_id"]
    grouped = table.groupby("customer_id", sort=True)
    sums = grouped.sum()
    sums["max_days_past_due"] = grouped["max_days_past_due"].max()
    return sums


def _overdue_beyond(frame: pd.DataFrame, as_of: pd.Timestamp, days: int) -> pd.Series:
    """Open amount more than ``days`` past due, per customer."""
    items = _open_items(frame, as_of)
    late = items.loc[items["days_past_due"] > days]
    return late.groupby("customer_id")["amount"].sum()


def _revenue(
    frame: pd.DataFrame,
    revenue: pd.DataFrame | None,
    as_of: pd.Timestamp,
    days: int,
) -> tuple[pd.Series, Literal["revenue", "invoice_date", "due_date"]]:
    start = as_of - pd.Timedelta(days=days)
    if revenue is not None:
        missing = [c for c in ("customer_id", "date", "amount") if c not in revenue.columns]
        if missing:
            raise ValueError(
                f"revenue: the column(s) {', '.join(map(repr, missing))} are missing; it needs "
                "customer_id, date and amount (one row per order or invoice)"
            )
        when = pd.to_datetime(revenue["date"], errors="coerce")
        amount = pd.to_numeric(revenue["amount"], errors="coerce").fillna(0.0)
        ids = revenue["customer_id"].astype(str)
        inside = ((when > start) & (when <= as_of)).to_numpy()
        sums = amount[inside].groupby(ids[inside].to_numpy()).sum()
        return sums, "revenue"
    source: Literal["invoice_date", "due_date"] = (
        "invoice_date" if frame["invoice_date"].notna().any() else "due_date"
    )
    when = frame[source]
    inside = (when > start) & (when <= as_of)
    return frame.loc[inside].groupby("customer_id")["amount"].sum(), source


def _limits(credit_limits: pd.DataFrame | Mapping[str, float] | None) -> pd.Series:
    if credit_limits is None:
        return pd.Series(dtype="float64")
    if isinstance(credit_limits, pd.DataFrame):
        missing = [c for c in ("customer_id", "credit_limit") if c not in credit_limits.columns]
        if missing:
            raise ValueError(
                f"credit_limits: the column(s) {', '.join(map(repr, missing))} are missing; "
                "it needs customer_id and credit_limit (empty for no limit)"
            )
        ids = credit_limits["customer_id"].astype(str).to_numpy()
        raw = credit_limits["credit_limit"]
    else:
        ids = np.asarray([str(k) for k in credit_limits])
        raw = pd.Series(list(credit_limits.values()), dtype="object")
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna().to_numpy() & raw.notna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"credit_limits: the limit of customer {ids[i]!r} is {shown_value(raw.iloc[i])!r}; "
            "expected an amount (or empty for no limit)"
        )
    if (values < 0).any():
        i = int(np.flatnonzero((values < 0).to_numpy())[0])
        raise ValueError(
            f"credit_limits: the limit of customer {ids[i]!r} is negative "
            f"({shown_value(values.iloc[i])!r})"
        )
    limits = pd.Series(values.to_numpy(np.float64), index=ids)
    if limits.index.duplicated().any():
        raise ValueError(
            f"credit_limits: customer {limits.index[limits.index.duplicated()][0]!r} has more "
            "than one limit"
        )
    return limits


def _delays(
    frame: pd.DataFrame, ids: pd.Index, as_of: pd.Timestamp, days: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mean days late of the payments due in the last ``days`` and in the ``days`` before."""
    recent_start = as_of - pd.Timedelta(days=days)
    previous_start = recent_start - pd.Timedelta(days=days)
    due = frame["due_date"]
    recent = frame.loc[(due > recent_start) & (due <= as_of)]
    previous = frame.loc[(due > previous_start) & (due <= recent_start)]
    late_recent = payment_record(recent, ids, as_of=as_of.date()).mean_days_late
    late_previous = payment_record(previous, ids, as_of=as_of.date()).mean_days_late
    return late_recent, late_previous


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _percent(value: float) -> str:
    return "∞" if math.isinf(value) else f"{100 * value:.0f}%"


def _reasons(row: Mapping[str, Any], s: CreditSettings) -> list[tuple[str, str, str]]:
    """(code, English, Chinese) for every reason that applies, the most serious first."""
    found: list[tuple[str, str, str]] = []
    long_days, watch_days = s.stop_overdue_days, s.watch_overdue_days
    long_amount = float(row["overdue_beyond_stop"])
    if long_amount > s.min_overdue_amount:
        oldest = int(row["max_days_past_due"])
        found.append(
            (
                "overdue_long",
                f"{_money(long_amount)} more than {long_days} days overdue "
                f"(the oldest {oldest} days)",
                f"逾期超过{long_days}天的金额{_money(long_amount)}（最长逾期{oldest}天）",
            )
        )
    utilisation, limit = float(row["utilisation"]), float(row["credit_limit"])
    receivables = float(row["open_receivables"])
    if utilisation > s.stop_utilisation:
        found.append(
            (
                "over_credit_limit",
                f"open receivables {_money(receivables)} are {_percent(utilisation)} of the "
                f"credit limit {_money(limit)}",
                f"未收款{_money(receivables)}，为信用额度{_money(limit)}的{_percent(utilisation)}",
            )
        )
    watch_amount = float(row["overdue_beyond_watch"])
    if long_amount <= s.min_overdue_amount and watch_amount > s.min_overdue_amount:
        oldest = int(row["max_days_past_due"])
        found.append(
            (
                "overdue",
                f"{_money(watch_amount)} more than {watch_days} days overdue "
                f"(the oldest {oldest} days)",
                f"逾期超过{watch_days}天的金额{_money(watch_amount)}（最长逾期{oldest}天）",
            )
        )
    trend = float(row["delay_trend_days"])
    if trend > s.watch_delay_increase_days:
        n = s.trend_days
        now, before = float(row["mean_days_late_recent"]), float(row["mean_days_late_previous"])
        found.append(
            (
                "payment_delay_worsening",
                f"paying {trend:.0f} days later than before: {now:.0f} days late on average "
                f"for the payments due in the last {n} days against {before:.0f} in the {n} "
                "days before",
                f"付款拖延加剧{trend:.0f}天：近{n}天到期款项平均逾期{now:.0f}天，此前{n}天为"
                f"{before:.0f}天",
            )
        )
    if s.watch_utilisation < utilisation <= s.stop_utilisation:
        found.append(
            (
                "near_credit_limit",
                f"open receivables {_money(receivables)} use {_percent(utilisation)} of the "
                f"credit limit {_money(limit)}",
                f"未收款{_money(receivables)}，已占用信用额度{_money(limit)}的"
                f"{_percent(utilisation)}",
            )
        )
    return found


def credit_risk(
    payments: pd.DataFrame,
    *,
    as_of: date | str,
    credit_limits: pd.DataFrame | Mapping[str, float] | None = None,
    revenue: pd.DataFrame | None = None,
    settings: CreditSettings | None = None,
) -> CreditRisk:
    """Ageing, DSO, delay trend, utilisation and the credit flag of each customer (see the
    module docstring). ``credit_limits``: a frame (customer_id, credit_limit) or a mapping
    id -> limit; ``revenue``: orders (customer_id, date, amount) for the DSO."""
    s = settings or CreditSettings()
    today = _as_date(as_of)
    stamp = pd.Timestamp(today)
    frame = _payments(payments)
    limits = _limits(credit_limits)
    ids = pd.Index(sorted(set(frame["customer_id"]) | set(limits.index)), name="customer_id")
    table = _ageing(frame, stamp).reindex(ids, fill_value=0.0)
    table["max_days_past_due"] = table["max_days_past_due"].astype("int64")
    for name, days in (
        ("overdue_beyond_stop", s.stop_overdue_days),
        ("overdue_beyond_watch", s.watch_overdue_days),
    ):
        table[name] = _overdue_beyond(frame, stamp, days).reindex(ids, fill_value=0.0)
    sales, source = _revenue(frame, revenue, stamp, s.dso_days)
    table["revenue_last_period"] = sales.reindex(ids, fill_value=0.0).astype("float64")
    receivables = table["open_receivables"].to_numpy(np.float64)
    period = table["revenue_last_period"].to_numpy(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        table["dso_days"] = np.where(period > 0, receivables / period * s.dso_days, np.nan)
    recent, previous = _delays(frame, ids, stamp, s.trend_days)
    table["mean_days_late_recent"] = recent
    table["mean_days_late_previous"] = previous
    table["delay_trend_days"] = recent - previous
    limit = limits.reindex(ids).to_numpy(np.float64)
    table["credit_limit"] = limit
    with np.errstate(divide="ignore", invalid="ignore"):
        table["utilisation"] = np.where(
            limit > 0,
            receivables / limit,
            np.where(np.isnan(limit), np.nan, np.where(receivables > 0, np.inf, 0.0)),
        )
    codes, english, chinese, flags = [], [], [], []
    for row in table.to_dict("records"):
        found = _reasons(row, s)
        codes.append([code for code, _, _ in found])
        english.append([en for _, en, _ in found])
        chinese.append([zh for _, _, zh in found])
        flags.append(_flag([code for code, _, _ in found]))
    table["flag"] = flags
    table["reason_codes"] = codes
    table["reasons_en"] = english
    table["reasons_zh"] = chinese
    accounts = table.drop(columns=["overdue_beyond_stop", "overdue_beyond_watch"]).reset_index()
    notes = []
    if revenue is None and source == "due_date":
        notes.append(
            f"DSO uses the amounts falling due in the last {s.dso_days} days as the revenue of "
            "the period (the payments have no invoice_date and no revenue was given): it is "
            "shifted by the payment terms."
        )
    return CreditRisk(
        accounts=accounts, as_of=today, settings=s, revenue_source=source, warnings=notes
    )


def _flag(codes: list[str]) -> CreditFlag:
    raised = {CREDIT_REASONS[code] for code in codes}
    if "stop" in raised:
        return "stop"
    return "watch" if "watch" in raised else "ok"
