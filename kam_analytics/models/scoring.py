"""The composite key-account score (VAL-4): weighted criteria, each a percentile rank.

Criteria (`kam_analytics.config.CRITERIA`) and where their raw value comes from:

==================  ====================================================================
volume              total revenue up to the as-of date
frequency           repeat purchases (purchase days - 1)
payment             on-time share and mean days late, from the payments (see
                    `payment_record`); customers without payments are neutral (50)
clv                 discounted customer lifetime value over the horizon
growth              the revenue trend (`kam_analytics.models.lifecycle.revenue_trend`);
                    a customer whose trend is not measurable counts as flat (0)
cooperation,        ratings 1-5 an account manager gives on the account; a customer
brand_influence,    without a rating counts as a neutral 3
industry_position,
market_share
==================  ====================================================================

**Normalisation.** Each raw value becomes its percentile rank within the book, 0..100:
100 (average rank - 1) / (n - 1), with tied values sharing their average rank (so a value
everyone has scores 50, and one customer alone scores 50). Ranks make criteria in
different units (money, counts, ratings) comparable and are robust to the long tail of
revenue, where a min-max scale would put everyone but the largest account near 0. The
payment criterion is the mean of the percentile ranks of the on-time share (higher is
better) and of the mean days late (fewer is better) among the customers with payments.

**Weights.** A criterion is present when its data exist in the book (payments given; a
ratings column given); the weights of the present criteria are renormalised to sum to 1.
The score is sum(weight * percentile) in 0..100, and ``score_<criterion>`` = weight *
percentile is each criterion's contribution: the breakdown sums to the score.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from kam_analytics.config import CRITERIA, RATING_CRITERIA, ScoreWeights
from kam_analytics.models.diagnostics import FloatArray

__all__ = [
    "NEUTRAL_PERCENTILE",
    "NEUTRAL_RATING",
    "CompositeScore",
    "PaymentRecord",
    "clean_payments",
    "composite_score",
    "parse_dates",
    "payment_percentiles",
    "payment_record",
    "percentile_rank",
    "rating_values",
    "shown_value",
]

NEUTRAL_PERCENTILE = 50.0
NEUTRAL_RATING = 3.0
_RATING_RANGE = (1.0, 5.0)
# Raw values are rounded before ranking so that sums of money added up in another order
# on another engine cannot split a tie (as the RFM scores do).
_RANK_DECIMALS = 6
PAYMENT_COLUMNS = ("customer_id", "due_date", "paid_date", "amount")


def percentile_rank(values: npt.ArrayLike, *, decimals: int = _RANK_DECIMALS) -> FloatArray:
    """Percentile rank 0..100 of each value among the non-missing ones (average ranks).

    100 (rank - 1) / (n - 1) with ties sharing their average rank; NaN stays NaN; a single
    value gets 50.
    """
    array = np.asarray(values, dtype=np.float64)
    out = np.full(array.shape, np.nan)
    known = ~np.isnan(array)
    n = int(known.sum())
    if n == 1:
        out[known] = NEUTRAL_PERCENTILE
    elif n > 1:
        ranks = stats.rankdata(np.round(array[known], decimals), method="average")
        out[known] = 100.0 * (ranks - 1.0) / (n - 1.0)
    return out


# --------------------------------------------------------------------------- payments


@dataclass(frozen=True)
class PaymentRecord:
    """Per-customer payment behaviour, aligned with the customers asked for.

    ``on_time_share`` (amount-weighted share paid by the due date) and ``mean_days_late``
    (amount-weighted days past the due date, 0 when on time) are NaN for customers with no
    payment due by the as-of date; ``n_payments`` counts those due.
    """

    on_time_share: FloatArray
    mean_days_late: FloatArray
    n_payments: npt.NDArray[np.int64]
    unmatched_customers: int  # customers in the payments but not in the book


def payment_record(
    payments: pd.DataFrame, customer_ids: npt.ArrayLike | pd.Index, *, as_of: date
) -> PaymentRecord:
    """On-time share and days late of each customer from their payments due by ``as_of``.

    ``payments`` has ``customer_id``, ``due_date``, ``amount`` and ``paid_date`` (empty for
    unpaid). A payment counts once it is due (due_date <= as_of). Paid on or before the due
    date is on time; paid later is late by paid - due days; unpaid, or paid after
    ``as_of`` (not yet known on that date), is late by as_of - due days. Each payment
    weighs its amount (negative amounts count as 0; a customer whose amounts are all 0 has
    every payment weigh the same).
    """
    frame = clean_payments(payments)
    as_of_ts = pd.Timestamp(as_of)
    due = frame["due_date"]
    frame = frame[due <= as_of_ts]
    paid = frame["paid_date"].where(frame["paid_date"] <= as_of_ts)
    settled = paid.fillna(as_of_ts)
    days_late = np.maximum((settled - frame["due_date"]).dt.days.to_numpy(np.float64), 0.0)
    on_time = (paid.notna() & (days_late == 0)).to_numpy(np.float64)
    weight = np.maximum(frame["amount"].to_numpy(np.float64), 0.0)
    ids = _as_index(customer_ids)
    position = ids.get_indexer(frame["customer_id"].to_numpy())
    matched = position >= 0
    unmatched = int(frame.loc[~matched, "customer_id"].nunique())
    position, weight = position[matched], weight[matched]
    on_time, days_late = on_time[matched], days_late[matched]
    n = len(ids)
    count = np.bincount(position, minlength=n).astype(np.float64)
    weight_sum = np.bincount(position, weights=weight, minlength=n)
    # A customer whose payments weigh nothing in money: every payment counts the same.
    use_count = (weight_sum <= 0)[position]
    w = np.where(use_count, 1.0, weight)
    total = np.bincount(position, weights=w, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.bincount(position, weights=w * on_time, minlength=n) / total
        late = np.bincount(position, weights=w * days_late, minlength=n) / total
    has = count > 0
    return PaymentRecord(
        on_time_share=np.where(has, share, np.nan),
        mean_days_late=np.where(has, late, np.nan),
        n_payments=count.astype(np.int64),
        unmatched_customers=unmatched,
    )


def _as_index(customer_ids: npt.ArrayLike | pd.Index) -> pd.Index:
    """The customer ids as an Index of text, to look rows up by id."""
    return pd.Index(customer_ids).astype(str)


def clean_payments(payments: pd.DataFrame) -> pd.DataFrame:
    """Payments with text ids, parsed dates and numeric amounts; ValueError naming the row,
    column and value when something does not convert (shared by the score and the credit
    risk, so a bad row gets the same message in both)."""
    missing = [c for c in ("customer_id", "due_date", "amount") if c not in payments.columns]
    if missing:
        raise ValueError(
            f"payments: the column(s) {', '.join(map(repr, missing))} are missing; they need "
            f"customer_id, due_date, paid_date (empty when unpaid) and amount; the table has "
            f"{', '.join(map(repr, map(str, payments.columns)))}"
        )
    paid = payments["paid_date"] if "paid_date" in payments.columns else None
    frame = pd.DataFrame(
        {
            "customer_id": payments["customer_id"].astype(str).to_numpy(),
            "due_date": parse_dates(payments["due_date"], "due_date", allow_missing=False),
            "paid_date": (
                parse_dates(paid, "paid_date", allow_missing=True)
                if paid is not None
                else pd.Series(pd.NaT, index=payments.index, dtype="datetime64[ns]")
            ),
            "amount": pd.to_numeric(payments["amount"], errors="coerce"),
        }
    )
    bad = frame["amount"].isna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"payments: row {row + 1} has an amount that is not a number: "
            f"{shown_value(payments['amount'].iloc[row])!r}"
        )
    return frame


def parse_dates(column: pd.Series, name: str, *, allow_missing: bool) -> pd.Series:
    """ISO dates (or datetimes) as datetime64; ValueError naming the first bad row."""
    if pd.api.types.is_datetime64_any_dtype(column):
        parsed = column
    else:
        parsed = pd.to_datetime(column, errors="coerce", format="ISO8601")
    parsed = parsed.astype("datetime64[ns]")
    blank = column.isna() | (column.astype(str).str.strip() == "")
    bad = parsed.isna() & (~blank if allow_missing else pd.Series(True, index=column.index))
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"payments: row {row + 1} has a {name} that is not a date: "
            f"{shown_value(column.iloc[row])!r}; expected an ISO date such as 2024-03-31"
        )
    return parsed


def shown_value(value: object) -> object:
    """A numpy scalar as the plain Python value, for messages."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def payment_percentiles(record: PaymentRecord) -> FloatArray:
    """The payment criterion 0..100: mean of the on-time and punctuality percentile ranks.

    Ranked among the customers with payments; the others get the neutral 50.
    """
    on_time = percentile_rank(record.on_time_share)
    punctual = percentile_rank(-record.mean_days_late)
    combined = 0.5 * (on_time + punctual)
    return np.where(np.isnan(combined), NEUTRAL_PERCENTILE, combined)


# --------------------------------------------------------------------------- ratings


def rating_values(
    ratings: pd.DataFrame, customer_ids: npt.ArrayLike | pd.Index
) -> tuple[dict[str, FloatArray], dict[str, int], int]:
    """The 1-5 ratings per criterion aligned with ``customer_ids``, missing ones neutral (3).

    ``ratings`` has ``customer_id`` and any of `RATING_CRITERIA`; one row per customer.
    Returns (values per rating column given, customers without a rating per column,
    rated customers that are not in the book). A value outside 1..5 is a ValueError
    naming the column and the customer.
    """
    if "customer_id" not in ratings.columns:
        raise ValueError("ratings: the column 'customer_id' is missing")
    unknown = [c for c in ratings.columns if c != "customer_id" and c not in RATING_CRITERIA]
    if unknown:
        raise ValueError(
            f"ratings: unknown column(s) {', '.join(map(repr, map(str, unknown)))}; expected "
            f"customer_id and any of {', '.join(RATING_CRITERIA)}"
        )
    ids = ratings["customer_id"].astype(str)
    duplicated = ids.duplicated()
    if duplicated.any():
        raise ValueError(
            f"ratings: customer {ids[duplicated].iloc[0]!r} has more than one row; "
            "give one row per customer"
        )
    book = _as_index(customer_ids)
    position = book.get_indexer(ids.to_numpy())
    matched = position >= 0
    values: dict[str, FloatArray] = {}
    missing: dict[str, int] = {}
    for name in (c for c in RATING_CRITERIA if c in ratings.columns):
        column = pd.to_numeric(ratings[name], errors="coerce").to_numpy(np.float64)
        _check_ratings(name, ratings[name], column, ids)
        aligned = np.full(len(book), np.nan)
        aligned[position[matched]] = column[matched]
        missing[name] = int(np.isnan(aligned).sum())
        values[name] = np.where(np.isnan(aligned), NEUTRAL_RATING, aligned)
    return values, missing, int((~matched).sum())


def _check_ratings(name: str, raw: pd.Series, column: FloatArray, ids: pd.Series) -> None:
    low, high = _RATING_RANGE
    unparsed = np.isnan(column) & raw.notna().to_numpy() & (raw.astype(str).str.strip() != "")
    outside = ~np.isnan(column) & ((column < low) | (column > high))
    bad = np.flatnonzero(unparsed.to_numpy() | outside)
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"ratings: {name} of customer {ids.iloc[i]!r} is {shown_value(raw.iloc[i])!r}; "
            f"expected a rating from {low:g} to {high:g} (or empty for neutral {NEUTRAL_RATING:g})"
        )


# --------------------------------------------------------------------------- the score


@dataclass(frozen=True)
class CompositeScore:
    """The score 0..100, each criterion's contribution and the weights used (sum 1)."""

    score: FloatArray
    contributions: dict[str, FloatArray]  # every criterion; 0 for absent ones
    weights: dict[str, float]  # renormalised weights of the criteria present
    absent: tuple[str, ...]  # criteria with a weight but no data


def composite_score(
    percentiles: Mapping[str, FloatArray], weights: ScoreWeights, n: int
) -> CompositeScore:
    """Weighted sum of percentile ranks; weights renormalised over the criteria present.

    ``percentiles`` maps the criteria that have data to their 0..100 values (NaN counts as
    neutral 50). Criteria with a zero weight or without data contribute 0.
    """
    unknown = sorted(set(percentiles) - set(CRITERIA))
    if unknown:
        raise ValueError(f"unknown criteria {', '.join(unknown)}; expected {', '.join(CRITERIA)}")
    raw = weights.as_dict()
    present = [name for name in CRITERIA if name in percentiles and raw[name] > 0]
    absent = tuple(name for name in CRITERIA if name not in percentiles and raw[name] > 0)
    total = sum(raw[name] for name in present)
    used = {name: raw[name] / total for name in present} if total > 0 else {}
    contributions = {name: np.zeros(n) for name in CRITERIA}
    score = np.zeros(n)
    for name, weight in used.items():
        values = np.asarray(percentiles[name], dtype=np.float64)
        values = np.where(np.isnan(values), NEUTRAL_PERCENTILE, values)
        contributions[name] = weight * values
        score += contributions[name]
    return CompositeScore(score=score, contributions=contributions, weights=used, absent=absent)
