"""Pareto (80/20), ABC and concentration of revenue and profit (VAL-3, RISK-3).

Works on per-customer totals after execution (one number per customer is small even for
millions of customers): `pareto_analysis` takes the customer summary as an Ibis table or
a pandas frame and returns every figure for both revenue and, when there are margins,
profit. The building blocks take a pandas Series of totals indexed by customer id.

Customers whose total is negative (net returners: more credit notes than invoices) cannot
have a share of the revenue: their totals are clipped at 0 for every share, curve, Gini
and HHI (they rank last, in class C) and are listed separately in ``net_returners``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

if TYPE_CHECKING:
    import ibis

__all__ = [
    "DEFAULT_TOP_FRACTIONS",
    "Concentration",
    "ParetoReport",
    "abc_classes",
    "concentration",
    "cumulative_curve",
    "downsample_curve",
    "gini",
    "hhi",
    "pareto_analysis",
    "top_n_share",
    "top_share",
]

DEFAULT_TOP_FRACTIONS = (0.01, 0.05, 0.10, 0.20)
DEFAULT_MAX_POINTS = 200


@dataclass(frozen=True)
class Concentration:
    """How concentrated one measure (revenue or profit) is across customers."""

    n_customers: int
    total: float  # sum of the positive totals: the base of every share
    curve: pd.DataFrame  # customer_share, value_share; at most max_points rows
    top_shares: dict[float, float]  # fraction of customers -> share of the total
    top_n: int
    top_n_share: float
    gini: float
    hhi: float  # 0..1
    hhi_points: float  # 0..10,000, the antitrust convention
    classes: pd.Series  # customer id -> "A" / "B" / "C"
    class_summary: pd.DataFrame  # per class: customers, customer_share, value, value_share
    net_returners: pd.Series  # customer id -> negative total, most negative first


@dataclass(frozen=True)
class ParetoReport:
    revenue: Concentration
    profit: Concentration | None  # None when the transactions carry no margin


def pareto_analysis(
    summary: ibis.Table | pd.DataFrame,
    *,
    customer_col: str = "customer_id",
    revenue_col: str = "total_revenue",
    margin_col: str | None = "total_margin",
    a_share: float = 0.80,
    b_share: float = 0.95,
    top_fractions: tuple[float, ...] = DEFAULT_TOP_FRACTIONS,
    top_n: int = 10,
    max_points: int = DEFAULT_MAX_POINTS,
) -> ParetoReport:
    """Revenue and profit concentration of the customers in ``summary``.

    ``summary`` is the output of `customer_summary` (or any table with one row per
    customer); an Ibis table is executed here. Profit is analysed when ``margin_col``
    exists and has at least one value.
    """
    frame = _to_frame(summary, customer_col, revenue_col, margin_col)
    measure = partial(
        concentration,
        a_share=a_share,
        b_share=b_share,
        top_fractions=top_fractions,
        top_n=top_n,
        max_points=max_points,
    )
    profit = None
    if margin_col is not None and margin_col in frame and frame[margin_col].notna().any():
        profit = measure(_totals(frame, customer_col, margin_col))
    return ParetoReport(revenue=measure(_totals(frame, customer_col, revenue_col)), profit=profit)


def concentration(
    totals: pd.Series,
    *,
    a_share: float = 0.80,
    b_share: float = 0.95,
    top_fractions: tuple[float, ...] = DEFAULT_TOP_FRACTIONS,
    top_n: int = 10,
    max_points: int = DEFAULT_MAX_POINTS,
) -> Concentration:
    """Every concentration figure of one measure; ``totals`` is indexed by customer id.

    The customers are put in order once (one sort of numbers), and every figure is read
    from that order.
    """
    ranking = _Ranking.of(totals)
    classes = _abc_classes(ranking, totals.index, a_share=a_share, b_share=b_share)
    curve = _curve(ranking)
    hhi_value = _hhi(ranking.clipped)
    return Concentration(
        n_customers=len(totals),
        total=ranking.total,
        curve=downsample_curve(curve, max_points=max_points),
        top_shares={fraction: _share_at(curve, fraction) for fraction in top_fractions},
        top_n=top_n,
        top_n_share=_top_n_share(ranking, top_n),
        gini=_gini(ranking),
        hhi=hhi_value,
        hhi_points=hhi_value * 10_000,
        classes=classes,
        class_summary=_class_summary(ranking.clipped, classes.to_numpy()),
        net_returners=totals[totals < 0].sort_values(kind="stable"),
    )


@dataclass(frozen=True)
class _Ranking:
    """Totals clipped at 0 (in the caller's order) and the order largest first.

    Equal totals are ordered by customer id (as text), so the order is reproducible.
    """

    clipped: npt.NDArray[np.float64]
    order: npt.NDArray[np.intp]

    @classmethod
    def of(cls, totals: pd.Series) -> _Ranking:
        clipped = totals.astype("float64").fillna(0.0).clip(lower=0.0).to_numpy(np.float64)
        order = np.lexsort((_id_ranks(totals.index), -clipped))
        return cls(clipped, order.astype(np.intp))

    @property
    def ordered(self) -> npt.NDArray[np.float64]:
        return self.clipped[self.order]

    @property
    def total(self) -> float:
        return float(self.clipped.sum())


def _id_ranks(index: pd.Index) -> npt.NDArray[np.intp]:
    """Each customer id's place among the ids sorted as text."""
    keys = index.astype(str)
    if keys.is_monotonic_increasing:  # the usual case: the summary comes sorted by id
        return np.arange(len(keys), dtype=np.intp)
    ranks = np.empty(len(keys), dtype=np.intp)
    ranks[np.argsort(keys.to_numpy(dtype=object), kind="stable")] = np.arange(len(keys))
    return ranks


def cumulative_curve(totals: pd.Series) -> pd.DataFrame:
    """The Pareto curve: customers sorted by total, largest first, from (0, 0) to (1, 1).

    Row k (k = 0..n) holds the share of customers in the top k (k / n) and their share of
    the positive total. With no positive total the value share stays 0.
    """
    return _curve(_Ranking.of(totals))


def _curve(ranking: _Ranking) -> pd.DataFrame:
    ordered = ranking.ordered
    n = ordered.shape[0]
    cumulative = np.concatenate([[0.0], np.cumsum(ordered)])
    total = cumulative[-1]
    value_share = cumulative / total if total > 0 else np.zeros_like(cumulative)
    customer_share = np.arange(n + 1) / n if n else np.zeros(1)
    return pd.DataFrame({"customer_share": customer_share, "value_share": value_share})


def downsample_curve(curve: pd.DataFrame, *, max_points: int = DEFAULT_MAX_POINTS) -> pd.DataFrame:
    """At most ``max_points`` evenly spaced rows of ``curve``, keeping the first and last."""
    if max_points < 2:
        raise ValueError(f"max_points must be at least 2; got {max_points}")
    if len(curve) <= max_points:
        return curve.reset_index(drop=True)
    rows = np.unique(np.round(np.linspace(0, len(curve) - 1, max_points)).astype(int))
    return curve.iloc[rows].reset_index(drop=True)


def top_share(totals: pd.Series, fraction: float) -> float:
    """Share of the positive total that the top ``fraction`` of customers make.

    Read off the Pareto curve with linear interpolation, so 20% of 7 customers is the
    top customer plus 0.4 of the second; NaN when there is no positive total.
    """
    return _share_at(cumulative_curve(totals), fraction)


def _share_at(curve: pd.DataFrame, fraction: float) -> float:
    if not 0 <= fraction <= 1:
        raise ValueError(f"fraction must be between 0 and 1; got {fraction}")
    if len(curve) < 2 or curve.value_share.iloc[-1] <= 0:
        return float("nan")
    return float(np.interp(fraction, curve.customer_share, curve.value_share))


def top_n_share(totals: pd.Series, n: int) -> float:
    """Share of the positive total that the ``n`` largest customers make (NaN if none)."""
    if n < 0:
        raise ValueError(f"n must not be negative; got {n}")
    return _top_n_share(_Ranking.of(totals), n)


def _top_n_share(ranking: _Ranking, n: int) -> float:
    if n < 0:
        raise ValueError(f"n must not be negative; got {n}")
    total = ranking.total
    if total <= 0:
        return float("nan")
    return float(ranking.clipped[ranking.order[:n]].sum() / total)


def gini(totals: pd.Series) -> float:
    """Gini coefficient of the clipped totals: 0 when all are equal, (n-1)/n for one.

    G = sum_i (2i - n - 1) x_(i) / (n sum_i x_i), with x_(1) <= ... <= x_(n); NaN when
    there is no positive total.
    """
    return _gini(_Ranking.of(totals))


def _gini(ranking: _Ranking) -> float:
    values = ranking.ordered[::-1]  # smallest first
    n, total = values.shape[0], values.sum()
    if n == 0 or total <= 0:
        return float("nan")
    ranks = np.arange(1, n + 1)
    return float(np.sum((2 * ranks - n - 1) * values) / (n * total))


def hhi(totals: pd.Series) -> float:
    """Herfindahl-Hirschman index on 0..1: the sum of squared shares (1 = one customer).

    Multiply by 10,000 for the antitrust scale; NaN when there is no positive total.
    """
    return _hhi(_clipped(totals).to_numpy(np.float64))


def _hhi(positive: npt.NDArray[np.float64]) -> float:
    total = positive.sum()
    if total <= 0:
        return float("nan")
    return float(np.sum((positive / total) ** 2))


def abc_classes(totals: pd.Series, *, a_share: float = 0.80, b_share: float = 0.95) -> pd.Series:
    """ABC class per customer, largest totals first.

    A customer is A when the customers before it make less than ``a_share`` of the
    positive total (so A are the customers that make the first 80%, the one crossing the
    line included), B when they make less than ``b_share``, else C. A total of 0 or less
    is always C. Equal totals are ordered by customer id.
    """
    _check_abc_shares(a_share, b_share)
    if not totals.index.is_unique:
        raise ValueError("totals must have one row per customer (a unique index)")
    return _abc_classes(_Ranking.of(totals), totals.index, a_share=a_share, b_share=b_share)


def _check_abc_shares(a_share: float, b_share: float) -> None:
    if not 0 < a_share <= b_share <= 1:
        raise ValueError(
            f"need 0 < a_share <= b_share <= 1; got a_share={a_share}, b_share={b_share}"
        )


def _abc_classes(
    ranking: _Ranking, index: pd.Index, *, a_share: float, b_share: float
) -> pd.Series:
    _check_abc_shares(a_share, b_share)
    total = ranking.total
    labels = np.full(ranking.clipped.shape[0], "C", dtype=object)
    if total > 0:
        ordered = ranking.ordered
        before = (np.cumsum(ordered) - ordered) / total
        in_order = np.where(before < a_share, "A", np.where(before < b_share, "B", "C"))
        in_order[ordered <= 0] = "C"
        labels[ranking.order] = in_order
    return pd.Series(labels, index=index, dtype=object, name="abc_class")


def _class_summary(
    positive: npt.NDArray[np.float64], classes: npt.NDArray[np.object_]
) -> pd.DataFrame:
    n, total = positive.shape[0], positive.sum()
    rows = []
    for label in ("A", "B", "C"):
        members = classes == label
        count = int(np.count_nonzero(members))
        value = float(positive[members].sum())
        rows.append(
            {
                "abc_class": label,
                "customers": count,
                "customer_share": count / n if n else float("nan"),
                "value": value,
                "value_share": value / total if total > 0 else float("nan"),
            }
        )
    return pd.DataFrame(rows)


def _clipped(totals: pd.Series) -> pd.Series:
    return totals.astype("float64").fillna(0.0).clip(lower=0.0)


def _totals(frame: pd.DataFrame, customer_col: str, value_col: str) -> pd.Series:
    totals = frame.set_index(customer_col)[value_col].astype("float64").fillna(0.0)
    if not totals.index.is_unique:
        totals = totals.groupby(level=0).sum()
    return totals.rename(value_col)


def _to_frame(
    summary: ibis.Table | pd.DataFrame,
    customer_col: str,
    revenue_col: str,
    margin_col: str | None,
) -> pd.DataFrame:
    columns = [customer_col, revenue_col]
    if margin_col is not None and margin_col in summary.columns:
        columns.append(margin_col)
    missing = [name for name in (customer_col, revenue_col) if name not in summary.columns]
    if missing:
        raise ValueError(
            f"the summary lacks the column(s) {', '.join(missing)}; it has "
            f"{', '.join(map(str, summary.columns))}"
        )
    if isinstance(summary, pd.DataFrame):
        return summary[columns]
    return summary.select(*columns).to_pandas()
