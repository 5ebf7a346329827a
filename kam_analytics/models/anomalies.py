"""Order anomalies (RISK-5): orders far outside the account's own pattern.

Each order is compared with the same account's *earlier* orders only (the last
``history`` of them, 24 by default), so a flag is what an analyst could have seen on the
day the order came in, and a new pattern becomes the usual one as it repeats.

* **Amount** — the modified z-score of Iglewicz & Hoaglin (1993, *How to Detect and Handle
  Outliers*, ASQC Quality Press, section 3.3) on log amounts:
  z = 0.6745 (log a - median) / MAD, with the median and the median absolute deviation
  (MAD) of the log amounts of the previous orders; |z| > ``amount_z`` (3.5, their
  recommendation) is an anomaly (``amount_high`` / ``amount_low``). Logs make "10 times
  more" and "10 times less" equally far and tame the long right tail of order sizes. It
  needs ``min_history`` (5) previous orders with a positive amount; orders of 0 or less
  (credit notes) are neither tested nor part of the pattern. The MAD is floored at
  ``min_mad`` (0.1 in log units, about 10%): an account that always ordered the same
  amount would otherwise flag any change at all.
* **Timing** — on purchase days (all orders of one account on one day are one purchase,
  as in the customer summary). The usual gap is the median of the previous gaps between
  purchase days (``min_history`` purchase days before). ``gap_long``: the gap before
  this purchase is more than ``gap_ratio`` (3) times the usual one (the account came back
  after an unusual silence). ``burst``: ``burst_orders`` (3) or more purchase days within
  a usual gap / ``gap_ratio`` (an account that buys monthly buying three times in ten
  days). Flagged on the first order of the day.
* **Discount** — when the orders have ``discount_rate`` (0..1): the discount is
  ``discount_points`` (0.10, ten percentage points) or more above the usual one: the
  median of the account's previous discounts when it has ``min_history`` of them, else the
  median discount of the whole book (``discount_high``).

Every flag carries the figures (``value``, ``usual``, ``score``, ``history``) and the reason in
English and Chinese. See docs/methods/risk.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from kam_analytics.models.diagnostics import FloatArray
from kam_analytics.models.scoring import shown_value

__all__ = [
    "ANOMALY_KINDS",
    "AnomalySettings",
    "OrderAnomalies",
    "find_anomalies",
    "robust_z",
]

ANOMALY_KINDS = ("amount_high", "amount_low", "gap_long", "burst", "discount_high")
#: 0.6745 = the 75% point of the standard normal: MAD / 0.6745 estimates sigma.
_MAD_SCALE = 0.6745
_CHUNK = 100_000
ANOMALY_COLUMNS = (
    "row",
    "customer_id",
    "order_id",
    "date",
    "amount",
    "discount_rate",
    "kind",
    "value",
    "usual",
    "score",
    "history",
    "reason_en",
    "reason_zh",
)


@dataclass(frozen=True)
class AnomalySettings:
    """Thresholds of the anomaly tests (see the module docstring)."""

    min_history: int = 5
    history: int = 24
    amount_z: float = 3.5
    min_mad: float = 0.1
    gap_ratio: float = 3.0
    burst_orders: int = 3
    discount_points: float = 0.10

    def __post_init__(self) -> None:
        if not 2 <= self.min_history <= self.history:
            raise ValueError(
                "AnomalySettings needs 2 <= min_history <= history; got "
                f"{self.min_history!r} and {self.history!r}"
            )
        if not self.burst_orders >= 2:
            raise ValueError(
                f"AnomalySettings.burst_orders must be >= 2; got {self.burst_orders!r}"
            )
        for name in ("amount_z", "min_mad", "discount_points"):
            if not getattr(self, name) > 0:
                raise ValueError(f"AnomalySettings.{name} must be > 0; got {getattr(self, name)!r}")
        if not self.gap_ratio > 1:
            raise ValueError(f"AnomalySettings.gap_ratio must be > 1; got {self.gap_ratio!r}")


@dataclass(frozen=True)
class OrderAnomalies:
    """Every anomaly found: one row per order and kind (an order can have several).

    ``anomalies`` columns: ``row`` (position of the order in the input), ``customer_id``,
    ``order_id`` (when given), ``date``, ``amount``, ``discount_rate``, ``kind``
    (`ANOMALY_KINDS`), ``value`` (the amount, the gap in days, the purchase days in the
    burst, or the discount), ``usual`` (the account's usual amount, gap or discount),
    ``score`` (robust z for amounts; value / usual for gaps and bursts; points above the
    usual for discounts), ``history`` (earlier orders or purchase days compared with),
    ``reason_en``, ``reason_zh``. Ordered by date, customer, row, kind.
    """

    anomalies: pd.DataFrame
    settings: AnomalySettings
    orders_checked: int
    warnings: list[str]


def robust_z(
    values: npt.ArrayLike, reference: npt.ArrayLike, *, min_mad: float = 0.0
) -> FloatArray:
    """Modified z-score 0.6745 (x - median) / MAD of ``values`` against ``reference``
    (Iglewicz & Hoaglin 1993); the MAD is floored at ``min_mad``."""
    ref = np.asarray(reference, dtype=np.float64)
    centre = float(np.median(ref))
    mad = max(float(np.median(np.abs(ref - centre))), min_mad)
    x = np.asarray(values, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(_MAD_SCALE * (x - centre) / mad, dtype=np.float64)


# --------------------------------------------------------------------------- input


def _as_date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _orders(orders: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("customer_id", "date", "amount") if c not in orders.columns]
    if missing:
        raise ValueError(
            f"orders: the column(s) {', '.join(map(repr, missing))} are missing; they need "
            "customer_id, date, amount and optionally order_id and discount_rate (0 to 1); the "
            f"table has {', '.join(map(repr, map(str, orders.columns)))}"
        )
    when = pd.to_datetime(orders["date"], errors="coerce")
    _check(when.isna() & orders["date"].notna(), orders["date"], "date", "an ISO date")
    _check(orders["date"].isna(), orders["date"], "date", "a date (it is empty)")
    amount = pd.to_numeric(orders["amount"], errors="coerce")
    _check(amount.isna(), orders["amount"], "amount", "a number")
    frame = pd.DataFrame(
        {
            "row": np.arange(len(orders), dtype=np.int64),
            "customer_id": orders["customer_id"].astype(str).to_numpy(),
            "order_id": (orders["order_id"].to_numpy() if "order_id" in orders.columns else None),
            "date": when.dt.normalize().astype("datetime64[ns]").to_numpy(),
            "amount": amount.to_numpy(np.float64),
        }
    )
    if "discount_rate" in orders.columns:
        discount = pd.to_numeric(orders["discount_rate"], errors="coerce")
        _check(
            discount.isna() & orders["discount_rate"].notna(),
            orders["discount_rate"],
            "discount_rate",
            "a share from 0 to 1 (or empty)",
        )
        _check(
            (discount < 0) | (discount > 1),
            orders["discount_rate"],
            "discount_rate",
            "a share from 0 to 1 (or empty)",
        )
        frame["discount_rate"] = discount.to_numpy(np.float64)
    else:
        frame["discount_rate"] = np.nan
    return frame.sort_values(["customer_id", "date", "row"], kind="stable").reset_index(drop=True)


def _check(bad: pd.Series, column: pd.Series, name: str, expected: str) -> None:
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"orders: row {row + 1} has the {name} {shown_value(column.iloc[row])!r}; "
            f"expected {expected}"
        )


# --------------------------------------------------------------------------- windows


def _group_starts(keys: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    """For sorted ``keys``, the index where each element's run of equal keys starts."""
    n = len(keys)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    new = np.ones(n, dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new)
    return np.asarray(starts[np.cumsum(new) - 1], dtype=np.intp)


def _history_stats(
    values: FloatArray, starts: npt.NDArray[np.intp], depth: int
) -> tuple[FloatArray, FloatArray, npt.NDArray[np.intp]]:
    """Median and MAD of the (up to ``depth``) previous values in the same group, and how
    many there are; NaN without any. Worked in chunks to bound the lag matrix."""
    n = len(values)
    median = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    count = np.minimum(np.arange(n) - starts, depth).astype(np.intp)
    lags = np.arange(1, depth + 1)
    for begin in range(0, n, _CHUNK):
        end = min(begin + _CHUNK, n)
        index = np.arange(begin, end)[:, None] - lags[None, :]
        valid = index >= starts[begin:end, None]
        window = np.where(valid, values[np.maximum(index, 0)], np.nan)
        has = count[begin:end] > 0
        if not has.any():
            continue
        rows = window[has]
        centre = np.nanmedian(rows, axis=1)
        median[begin:end][has] = centre
        mad[begin:end][has] = np.nanmedian(np.abs(rows - centre[:, None]), axis=1)
    return median, mad, count


# --------------------------------------------------------------------------- tests


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _times(ratio: float) -> str:
    return f"{ratio:.0f}" if ratio >= 10 else f"{ratio:.1f}"


def _amount_anomalies(frame: pd.DataFrame, s: AnomalySettings) -> list[dict[str, Any]]:
    positive = frame.loc[frame["amount"] > 0]
    logs = np.log(positive["amount"].to_numpy(np.float64))
    starts = _group_starts(positive["customer_id"].to_numpy())
    median, mad, count = _history_stats(logs, starts, s.history)
    enough = count >= s.min_history
    with np.errstate(invalid="ignore"):
        z = _MAD_SCALE * (logs - median) / np.maximum(mad, s.min_mad)
    flagged = enough & (np.abs(z) > s.amount_z)
    found = []
    for i in np.flatnonzero(flagged):
        order = positive.iloc[i]
        usual = float(np.exp(median[i]))
        amount = float(order["amount"])
        ratio = amount / usual
        n = int(count[i])
        score = float(z[i])
        basis_en = f"median of the last {n} orders; robust z {score:.1f}"
        basis_zh = f"近{n}笔订单的中位数；稳健z值{score:.1f}"
        if score > 0:
            kind = "amount_high"
            en = (
                f"order of {_money(amount)} is {_times(ratio)}× the account's usual "
                f"{_money(usual)} ({basis_en})"
            )
            zh = (
                f"订单金额{_money(amount)}是该客户常规金额{_money(usual)}的{_times(ratio)}倍"
                f"（{basis_zh}）"
            )
        else:
            kind = "amount_low"
            pct = f"{100 * ratio:.0f}%" if ratio >= 0.01 else f"{100 * ratio:.2g}%"
            en = (
                f"order of {_money(amount)} is only {pct} of the account's usual "
                f"{_money(usual)} ({basis_en})"
            )
            zh = f"订单金额{_money(amount)}仅为该客户常规金额{_money(usual)}的{pct}（{basis_zh}）"
        found.append(_record(order, kind, amount, usual, score, n, en, zh))
    return found


def _timing_anomalies(frame: pd.DataFrame, s: AnomalySettings) -> list[dict[str, Any]]:
    first = frame.drop_duplicates(["customer_id", "date"], keep="first")
    customers = first["customer_id"].to_numpy()
    starts = _group_starts(customers)
    day = (first["date"].to_numpy("datetime64[D]").astype(np.int64)).astype(np.float64)
    index = np.arange(len(first))
    gap = np.where(index > starts, day - np.roll(day, 1), np.nan)
    # The previous gaps of purchase day j are the gaps of days starts+1 .. j-1.
    gap_starts = np.minimum(starts + 1, index)
    median, _, count = _history_stats(gap, gap_starts, s.history)
    enough = count >= s.min_history - 1
    usual = np.where(enough, median, np.nan)
    with np.errstate(invalid="ignore"):
        long_gap = enough & (gap > s.gap_ratio * usual)
    # Purchase days in the burst window (day - usual / gap_ratio, day]: a search on
    # (customer, day) keys, sorted as the rows are.
    group = np.cumsum(np.r_[True, customers[1:] != customers[:-1]]) if len(first) else index
    key = group.astype(np.float64) * 1e7 + day
    span = np.where(enough, usual / s.gap_ratio, 0.0)
    begin = np.searchsorted(key, key - span, side="right")
    within = index - begin + 1
    burst = enough & (within >= s.burst_orders)
    found = []
    for i in np.flatnonzero(long_gap | burst):
        order = first.iloc[i]
        n = int(count[i]) + 1
        u = round(float(usual[i]))
        if long_gap[i]:
            g = int(gap[i])
            found.append(
                _record(
                    order,
                    "gap_long",
                    float(g),
                    float(usual[i]),
                    float(gap[i] / usual[i]),
                    n,
                    f"first order after {g} days; the account usually orders every {u} days",
                    f"时隔{g}天才再次下单；该客户通常每{u}天下单一次",
                )
            )
        if burst[i]:
            k = int(within[i])
            days = int(day[i] - day[begin[i]])
            found.append(
                _record(
                    order,
                    "burst",
                    float(k),
                    float(usual[i]),
                    float(usual[i] * (k - 1) / max(days, 1)),
                    n,
                    f"{k} orders within {days} days; the account usually orders every {u} days",
                    f"{days}天内下单{k}次；该客户通常每{u}天下单一次",
                )
            )
    return found


def _discount_anomalies(frame: pd.DataFrame, s: AnomalySettings) -> list[dict[str, Any]]:
    rated = frame.loc[frame["discount_rate"].notna()]
    if rated.empty:
        return []
    values = rated["discount_rate"].to_numpy(np.float64)
    starts = _group_starts(rated["customer_id"].to_numpy())
    median, _, count = _history_stats(values, starts, s.history)
    book = float(np.median(values))
    own = count >= s.min_history
    usual = np.where(own, median, book)
    flagged = values - usual >= s.discount_points - 1e-12
    found = []
    for i in np.flatnonzero(flagged):
        order = rated.iloc[i]
        value, ref = float(values[i]), float(usual[i])
        points = value - ref
        pct, ref_pct = f"{100 * value:.0f}%", f"{100 * ref:.0f}%"
        if own[i]:
            n = int(count[i])
            en = (
                f"discount of {pct} against the account's usual {ref_pct} "
                f"(median of the last {n} orders)"
            )
            zh = f"折扣{pct}，高于该客户常规的{ref_pct}（近{n}笔订单的中位数）"
        else:
            n = len(values)
            en = f"discount of {pct} against the usual {ref_pct} across all customers"
            zh = f"折扣{pct}，高于全部客户常规的{ref_pct}"
        found.append(_record(order, "discount_high", value, ref, points, n, en, zh))
    return found


def _record(
    order: pd.Series,
    kind: str,
    value: float,
    usual: float,
    score: float,
    history: int,
    en: str,
    zh: str,
) -> dict[str, Any]:
    discount = order["discount_rate"]
    return {
        "row": int(order["row"]),
        "customer_id": order["customer_id"],
        "order_id": order["order_id"],
        "date": order["date"],
        "amount": float(order["amount"]),
        "discount_rate": None if pd.isna(discount) else float(discount),
        "kind": kind,
        "value": value,
        "usual": usual,
        "score": score,
        "history": history,
        "reason_en": en,
        "reason_zh": zh,
    }


def find_anomalies(
    orders: pd.DataFrame,
    *,
    since: date | str | None = None,
    settings: AnomalySettings | None = None,
) -> OrderAnomalies:
    """The amount, timing and discount anomalies of ``orders`` (see the module docstring).

    ``orders``: ``customer_id``, ``date``, ``amount``, optionally ``order_id`` and
    ``discount_rate``. Every order builds the pattern; only orders on or after ``since``
    are reported when it is given.
    """
    s = settings or AnomalySettings()
    frame = _orders(orders)
    found = [
        *_amount_anomalies(frame, s),
        *_timing_anomalies(frame, s),
        *_discount_anomalies(frame, s),
    ]
    table = pd.DataFrame(found, columns=list(ANOMALY_COLUMNS))
    checked = len(frame)
    if since is not None:
        start = pd.Timestamp(_as_date(since))
        table = table.loc[table["date"] >= start]
        checked = int((frame["date"] >= start).sum())
    kind_order = {kind: i for i, kind in enumerate(ANOMALY_KINDS)}
    table = table.assign(_kind=table["kind"].map(kind_order))
    table = table.sort_values(["date", "customer_id", "row", "_kind"], kind="stable")
    table = table.drop(columns="_kind").reset_index(drop=True)
    table["date"] = pd.to_datetime(table["date"])
    notes = []
    if frame["discount_rate"].isna().all():
        notes.append("The orders have no discount_rate: discounts are not checked.")
    return OrderAnomalies(anomalies=table, settings=s, orders_checked=checked, warnings=notes)
