"""Transactions -> one row per customer: the inputs of RFM, BG/NBD and Gamma-Gamma.

The conventions are those of Fader, Hardie & Lee (2005, "Counting your customers the easy
way", Marketing Science 24(2)) and of their CDNOW data set, so a BG/NBD fit on this summary
reproduces the published parameters:

* only purchases up to and including ``as_of`` count (later rows are the holdout);
* all purchases of one customer on one calendar day are one purchase (amounts summed);
* ``frequency`` = number of purchase days - 1 (repeat purchases only);
* ``recency`` = last purchase day - first purchase day, ``T`` = ``as_of`` - first
  purchase day, both in time units (day = 1, week = 7, month = 365.25 / 12 days);
* ``monetary`` = mean day total of the repeat purchase days, 0 without repeats.

Everything here is an Ibis expression: nothing runs until the caller executes it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

import ibis
import ibis.expr.datatypes as dt

__all__ = [
    "HOLDOUT_COLUMNS",
    "SUMMARY_COLUMNS",
    "UNIT_DAYS",
    "TimeUnit",
    "calibration_holdout_split",
    "customer_summary",
    "purchase_days",
    "unit_days",
]

TimeUnit = Literal["day", "week", "month"]

#: Length of one time unit in days. A month is the mean Gregorian month.
UNIT_DAYS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}

SUMMARY_COLUMNS = (
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
)

HOLDOUT_COLUMNS = (
    "customer_id",
    "frequency_holdout",
    "revenue_holdout",
    "monetary_holdout",
    "duration_holdout",
)

_REQUIRED = ("customer_id", "date", "amount")


def unit_days(time_unit: str) -> float:
    """Days in one ``time_unit`` ("day", "week" or "month")."""
    try:
        return UNIT_DAYS[time_unit]
    except KeyError:
        raise ValueError(
            f"time_unit must be one of {', '.join(UNIT_DAYS)}; got {time_unit!r}"
        ) from None


def customer_summary(
    transactions: ibis.Table,
    *,
    as_of: date,
    time_unit: TimeUnit = "week",
    recent_periods: int = 4,
) -> ibis.Table:
    """One row per customer who bought on or before ``as_of`` (see the module docstring).

    ``transactions`` has ``customer_id``, ``date``, ``amount`` and optionally ``margin``
    (as `kam_analytics.backends.read_transactions` makes them). Besides the model inputs
    the result has ``total_revenue``, ``total_margin`` (null without margins),
    ``n_transactions`` (rows, before same-day merging), ``first_purchase``,
    ``last_purchase``, ``days_since_last`` and a growth signal: ``purchases_recent`` and
    ``revenue_recent`` over the last ``recent_periods`` units before ``as_of``, and
    ``revenue_previous`` over the ``recent_periods`` units before those.
    """
    unit = unit_days(time_unit)
    if recent_periods < 1:
        raise ValueError(f"recent_periods must be at least 1; got {recent_periods}")
    days = purchase_days(transactions, as_of=as_of)
    return _summarise_days(
        days,
        unit=unit,
        window_days=recent_periods * unit,
        first_day=_first_day_rule(transactions),
    )


def purchase_days(transactions: ibis.Table, *, as_of: date) -> ibis.Table:
    """One row per customer and purchase day on or before ``as_of``.

    Columns: ``customer_id``, ``date``, ``day_total`` (sum of amounts, a missing amount
    counts as 0), ``day_margin`` (null when the day has no margin), ``n_rows`` and
    ``days_before`` (``as_of`` - ``date`` in days, 0 on ``as_of``).
    """
    as_of = _as_date(as_of)
    rows = _canonical(transactions)
    rows = rows.filter(rows.customer_id.notnull(), rows.date <= as_of)
    days = rows.group_by(["customer_id", "date"]).aggregate(
        day_total=rows.amount.sum().coalesce(0.0),
        day_margin=rows.margin.sum(),
        n_rows=rows.count(),
    )
    return days.mutate(days_before=ibis.literal(as_of).delta(days.date, unit="day"))


FirstDayRule = Literal["argmin", "window"]

#: Engines whose argmin cannot be trusted inside this summary. Ibis emulates argmin on
#: SQLite with SQLite's "bare column" rule, which only holds in a query with one MIN or
#: MAX; the summary has several, and SQLite then returns another day's spend.
_NO_ARGMIN = frozenset({"sqlite"})


def _first_day_rule(transactions: ibis.Table) -> FirstDayRule:
    """How the first purchase day's spend is found on the engine of ``transactions``."""
    try:
        engine = transactions.get_backend().name
    except Exception:  # an unbound expression runs on Ibis's default engine, DuckDB
        return "argmin"
    return "window" if engine in _NO_ARGMIN else "argmin"


def _first_day_totals(days: ibis.Table) -> ibis.Table:
    """``days`` with ``first_day_total``: the day's spend on the customer's first day, else 0.

    Summed per customer this is the first day's spend. "argmin" does it in the aggregate
    instead (see `_summarise_days`); "window" is the portable way, and costs a window
    over every purchase day.
    """
    first = days.date.min().over(group_by=days.customer_id)
    return days.mutate(first_day_total=ibis.ifelse(days.date == first, days.day_total, 0.0))


def _summarise_days(
    days: ibis.Table, *, unit: float, window_days: float, first_day: FirstDayRule = "argmin"
) -> ibis.Table:
    if first_day == "window":
        days = _first_day_totals(days)
        first_day_total = days.first_day_total.sum()
    else:
        # An argmin inside the aggregate: a window over every purchase day (MIN(date) OVER
        # customer) would cost as much as the whole summary.
        first_day_total = days.day_total.argmin(days.date)
    recent = days.days_before < window_days
    previous = (days.days_before >= window_days) & (days.days_before < 2 * window_days)
    per_customer = days.group_by("customer_id").aggregate(
        n_days=days.count(),
        first_purchase=days.date.min(),
        last_purchase=days.date.max(),
        age_days=days.days_before.max(),
        days_since_last=days.days_before.min(),
        first_day_total=first_day_total,
        total_revenue=days.day_total.sum(),
        total_margin=days.day_margin.sum(),
        n_transactions=days.n_rows.sum(),
        purchases_recent=days.count(where=recent),
        revenue_recent=days.day_total.sum(where=recent),
        revenue_previous=days.day_total.sum(where=previous),
    )
    c = per_customer
    frequency = (c.n_days - 1).cast(dt.int64)
    return c.select(
        customer_id=c.customer_id.cast(dt.string),
        frequency=frequency,
        recency=(c.age_days - c.days_since_last).cast(dt.float64) / unit,
        T=c.age_days.cast(dt.float64) / unit,
        monetary=ibis.ifelse(
            frequency > 0,
            (c.total_revenue - c.first_day_total).cast(dt.float64) / frequency.cast(dt.float64),
            0.0,
        ),
        total_revenue=c.total_revenue.cast(dt.float64),
        total_margin=c.total_margin.cast(dt.float64),
        n_transactions=c.n_transactions.cast(dt.int64),
        first_purchase=c.first_purchase,
        last_purchase=c.last_purchase,
        days_since_last=c.days_since_last.cast(dt.int64),
        purchases_recent=c.purchases_recent.cast(dt.int64),
        revenue_recent=c.revenue_recent.coalesce(0.0).cast(dt.float64),
        revenue_previous=c.revenue_previous.coalesce(0.0).cast(dt.float64),
    )


def calibration_holdout_split(
    transactions: ibis.Table,
    *,
    calibration_end: date,
    holdout_end: date,
    time_unit: TimeUnit = "week",
    recent_periods: int = 4,
) -> tuple[ibis.Table, ibis.Table]:
    """The summary as of ``calibration_end`` and what the same customers did afterwards.

    The holdout table has one row per customer of the calibration summary (customers
    whose first purchase is after ``calibration_end`` are not in the cohort):
    ``frequency_holdout`` = purchase days in (``calibration_end``, ``holdout_end``] (all of
    them: the first purchase is already behind these customers), ``revenue_holdout`` (the
    spend), ``monetary_holdout`` (spend per purchase day, 0 without purchases) and
    ``duration_holdout`` (the holdout length in time units, the same for everyone).
    """
    calibration_end, holdout_end = _as_date(calibration_end), _as_date(holdout_end)
    if holdout_end <= calibration_end:
        raise ValueError(
            f"holdout_end ({holdout_end}) must be after calibration_end ({calibration_end})"
        )
    calibration = customer_summary(
        transactions, as_of=calibration_end, time_unit=time_unit, recent_periods=recent_periods
    )
    duration = (holdout_end - calibration_end).days / unit_days(time_unit)
    activity = _holdout_activity(transactions, after=calibration_end, until=holdout_end)
    cohort = calibration.select("customer_id")
    joined = cohort.left_join(activity, cohort.customer_id == activity.customer_id)
    purchases = joined.purchases.coalesce(0).cast(dt.int64)
    spend = joined.spend.coalesce(0.0).cast(dt.float64)
    holdout = joined.select(
        customer_id=cohort.customer_id,
        frequency_holdout=purchases,
        revenue_holdout=spend,
        monetary_holdout=ibis.ifelse(purchases > 0, spend / purchases.cast(dt.float64), 0.0),
        duration_holdout=ibis.literal(duration, type=dt.float64),
    )
    return calibration, holdout


def _holdout_activity(transactions: ibis.Table, *, after: date, until: date) -> ibis.Table:
    rows = _canonical(transactions)
    rows = rows.filter(rows.customer_id.notnull(), rows.date > after, rows.date <= until)
    days = rows.group_by(["customer_id", "date"]).aggregate(
        day_total=rows.amount.sum().coalesce(0.0)
    )
    activity = days.group_by("customer_id").aggregate(
        purchases=days.count(), spend=days.day_total.sum()
    )
    return activity.mutate(customer_id=activity.customer_id.cast(dt.string))


def _canonical(transactions: ibis.Table) -> ibis.Table:
    """The canonical columns with their types; ``margin`` is null when absent."""
    missing = [name for name in _REQUIRED if name not in transactions.columns]
    if missing:
        raise ValueError(
            f"transactions lack the column(s) {', '.join(missing)}; they have "
            f"{', '.join(transactions.columns)} (read them with read_transactions)"
        )
    t = transactions
    day = t.date.date() if t.date.type().is_timestamp() else t.date
    has_margin = "margin" in t.columns
    # Whole-number ids stay numbers until the summary has grouped them (to text at the end:
    # grouping 20 million rows by number instead of text saves a third of the query).
    customer = t.customer_id if t.customer_id.type().is_integer() else t.customer_id.cast(dt.string)
    return t.select(
        customer_id=customer,
        date=day,
        amount=t.amount.cast(dt.float64),
        margin=t.margin.cast(dt.float64) if has_margin else ibis.null().cast(dt.float64),
    )


def _as_date(value: date) -> date:
    # datetime is a subclass of date; a time of day would make the literal a timestamp.
    return value.date() if isinstance(value, datetime) else value
