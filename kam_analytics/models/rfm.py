"""RFM scoring (VAL-1): recency, frequency and monetary value as quantile scores.

Input is the per-customer summary of `kam_analytics.transforms.customer_summary`; output
is an Ibis expression (nothing runs here), so the scores come out the same on DuckDB,
PostgreSQL and Spark.

Score of a customer on one measure, with ``n`` customers and ``bins`` scores::

    score = 1 + floor(bins * (number of customers strictly worse) / n)

Customers with equal values are tied and get the same score, the score of the first place
of the tie (SQL's ``RANK``, never ``NTILE``, which would split a tie by row order). The
rule needs no tie-breaking column, so it is deterministic and identical on every engine.

The named segments come from the widely used R x F grid on the 1..5 scale; see
`RFM_GRID`, `RFM_SEGMENTS` and docs/methods/rfm-and-pareto.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.datatypes as dt

__all__ = [
    "RFM_GRID",
    "RFM_SEGMENTS",
    "FrequencyMeasure",
    "MonetaryMeasure",
    "RecencyMeasure",
    "RfmSegment",
    "rfm_scores",
    "segment_of",
    "to_five_point",
]

RecencyMeasure = Literal["days_since_last", "recency"]
FrequencyMeasure = Literal["purchase_days", "n_transactions"]
MonetaryMeasure = Literal["total_revenue", "monetary"]


@dataclass(frozen=True)
class RfmSegment:
    code: str
    name_en: str
    name_zh: str
    description_en: str
    description_zh: str


_SEGMENT_LIST = (
    RfmSegment(
        "champions",
        "Champions",
        "冠军客户",
        "Bought recently, buy often and spend the most.",
        "最近有购买、购买频繁、贡献最大，是最有价值的客户。",
    ),
    RfmSegment(
        "loyal_customers",
        "Loyal customers",
        "忠诚客户",
        "Buy regularly and respond to attention; the stable core of the business.",
        "购买稳定、频次高，对关怀有回应，是业务的稳定基础。",
    ),
    RfmSegment(
        "potential_loyalists",
        "Potential loyalists",
        "潜在忠诚客户",
        "Recent customers with a few purchases; can become loyal with care.",
        "近期有购买且已多次购买，用心经营可发展为忠诚客户。",
    ),
    RfmSegment(
        "new_customers",
        "New customers",
        "新客户",
        "Bought very recently, for the first time or almost.",
        "刚刚完成首次或少数几次购买的新客户。",
    ),
    RfmSegment(
        "promising",
        "Promising",
        "有潜力客户",
        "Recent buyers who have not bought often yet.",
        "最近有购买但次数尚少，值得培育。",
    ),
    RfmSegment(
        "need_attention",
        "Need attention",
        "需关注客户",
        "Average recency and frequency; may slip without a reason to come back.",
        "最近购买时间与频次均居中，缺少跟进可能下滑。",
    ),
    RfmSegment(
        "about_to_sleep",
        "About to sleep",
        "即将沉睡客户",
        "Below-average recency and few purchases; losing interest.",
        "有一段时间未购买且次数少，兴趣正在减弱。",
    ),
    RfmSegment(
        "at_risk",
        "At risk",
        "流失风险客户",
        "Bought often, but not for a long time; win them back.",
        "曾经经常购买，但已很久没有购买，需要主动挽回。",
    ),
    RfmSegment(
        "cant_lose_them",
        "Can't lose them",
        "重要挽留客户",
        "Were among the most frequent buyers and have gone quiet; act now.",
        "曾是购买最频繁的客户，如今沉寂，必须立即挽留。",
    ),
    RfmSegment(
        "hibernating",
        "Hibernating",
        "沉睡客户",
        "Last bought a long time ago and seldom; a low-cost reminder may wake them.",
        "很久未购买且购买次数少，可尝试低成本唤醒。",
    ),
    RfmSegment(
        "lost",
        "Lost",
        "已流失客户",
        "Bought the longest time ago and seldom; most likely gone.",
        "最久未购买且购买次数少，基本已经流失。",
    ),
)

#: Segment code -> names and one-line descriptions in English and Simplified Chinese.
RFM_SEGMENTS: dict[str, RfmSegment] = {segment.code: segment for segment in _SEGMENT_LIST}

_CH, _LO, _PL, _NE, _PR = (
    "champions",
    "loyal_customers",
    "potential_loyalists",
    "new_customers",
    "promising",
)
_NA, _AS, _AR, _CL, _HI, _LS = (
    "need_attention",
    "about_to_sleep",
    "at_risk",
    "cant_lose_them",
    "hibernating",
    "lost",
)

#: R score (1..5) -> the segment for F scores 1, 2, 3, 4, 5.
RFM_GRID: dict[int, tuple[str, str, str, str, str]] = {
    #   F=1  F=2  F=3  F=4  F=5
    5: (_NE, _PL, _PL, _CH, _CH),
    4: (_PR, _PL, _PL, _LO, _LO),
    3: (_AS, _AS, _NA, _LO, _LO),
    2: (_HI, _HI, _AR, _AR, _CL),
    1: (_LS, _LS, _AR, _AR, _CL),
}

_RECENCY: dict[str, tuple[str, bool]] = {
    # measure -> (summary column, larger is better)
    "days_since_last": ("days_since_last", False),
    "recency": ("recency", True),
}
_MONETARY = ("total_revenue", "monetary")
_M_DIGITS = 6
_FREQUENCY = ("purchase_days", "n_transactions")


def to_five_point(score: int, bins: int) -> int:
    """The 1..5 score whose quintile holds the middle of ``score``'s quantile range.

    Score ``s`` of ``bins`` covers the quantiles ((s-1)/bins, s/bins); its middle,
    (2s-1)/(2 bins), falls in quintile ceil(5 (2s-1) / (2 bins)). Identity for bins = 5.
    """
    if not 1 <= score <= bins:
        raise ValueError(f"score must be between 1 and {bins}; got {score}")
    return -(-5 * (2 * score - 1) // (2 * bins))


def segment_of(r_score: int, f_score: int, *, bins: int = 5) -> str:
    """The segment code of an R and an F score on the 1..``bins`` scale."""
    return RFM_GRID[to_five_point(r_score, bins)][to_five_point(f_score, bins) - 1]


def rfm_scores(
    summary: ibis.Table,
    *,
    bins: int = 5,
    recency_measure: RecencyMeasure = "days_since_last",
    frequency_measure: FrequencyMeasure = "purchase_days",
    monetary_measure: MonetaryMeasure = "total_revenue",
) -> ibis.Table:
    """R, F and M scores 1..``bins``, the code ("545") and the named segment per customer.

    * R: ``days_since_last`` (fewer days is better, the default) or the BG/NBD
      ``recency`` (last minus first purchase; larger is better).
    * F: ``purchase_days`` (= frequency + 1, the default) or ``n_transactions``.
    * M: ``total_revenue`` in the window (the default: what a key account is worth to us)
      or ``monetary``, the mean repeat-purchase value.

    Columns: the summary's own columns, then ``r_value``, ``f_value``, ``m_value``,
    ``r_score``, ``f_score``, ``m_score``, ``rfm_code`` (digits run together for bins <= 9, else
    joined by "-"), ``rfm_total`` (R + F + M) and ``segment`` (a key of `RFM_SEGMENTS`).
    """
    if not 2 <= bins <= 100:
        raise ValueError(f"bins must be between 2 and 100; got {bins}")
    values = _measures(summary, recency_measure, frequency_measure, monetary_measure)
    r_larger_is_better = _RECENCY[recency_measure][1]
    scored = values.mutate(
        r_score=_quantile_score(values.r_value, bins, larger_is_better=r_larger_is_better),
        f_score=_quantile_score(values.f_value, bins, larger_is_better=True),
        m_score=_quantile_score(values.m_value, bins, larger_is_better=True),
    )
    separator = "" if bins <= 9 else "-"
    return scored.mutate(
        rfm_code=(
            scored.r_score.cast(dt.string)
            + separator
            + scored.f_score.cast(dt.string)
            + separator
            + scored.m_score.cast(dt.string)
        ),
        rfm_total=(scored.r_score + scored.f_score + scored.m_score).cast(dt.int64),
        segment=_segment_expr(scored.r_score, scored.f_score, bins),
    )


def _measures(
    summary: ibis.Table, recency_measure: str, frequency_measure: str, monetary_measure: str
) -> ibis.Table:
    if recency_measure not in _RECENCY:
        raise ValueError(f"recency_measure must be one of {', '.join(_RECENCY)}")
    if frequency_measure not in _FREQUENCY:
        raise ValueError(f"frequency_measure must be one of {', '.join(_FREQUENCY)}")
    if monetary_measure not in _MONETARY:
        raise ValueError(f"monetary_measure must be one of {', '.join(_MONETARY)}")
    f_value = (
        summary.frequency + 1 if frequency_measure == "purchase_days" else summary.n_transactions
    )
    # The summary's columns are kept: a caller that wants both needs no join back.
    return summary.mutate(
        r_value=summary[_RECENCY[recency_measure][0]].cast(dt.float64),
        f_value=f_value.cast(dt.float64),
        # Sums of money come out of each engine in its own order of addition; rounding
        # keeps equal totals equal, so a tie cannot split on one engine and not another.
        m_value=summary[monetary_measure].cast(dt.float64).coalesce(0.0).round(_M_DIGITS),
    )


def _quantile_score(value: ibis.Value, bins: int, *, larger_is_better: bool) -> ibis.Value:
    # rank() is 0-based and gives tied rows the same (lowest) place: the number of
    # customers strictly worse. Integer floor division keeps it exact on every engine.
    order = value if larger_is_better else ibis.desc(value)
    worse = ibis.rank().over(order_by=order)
    n = value.count().over()  # the measures are never null
    return (1 + (worse * bins) // n).cast(dt.int64)


def _segment_expr(r_score: ibis.Value, f_score: ibis.Value, bins: int) -> ibis.Value:
    five = {score: to_five_point(score, bins) for score in range(1, bins + 1)}
    r5 = r_score.substitute(five)
    f5 = f_score.substitute(five)
    cells = {r * 10 + f: RFM_GRID[r][f - 1] for r in RFM_GRID for f in range(1, 6)}
    return (r5 * 10 + f5).substitute(cells, else_=ibis.null(dt.string))
