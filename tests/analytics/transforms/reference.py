"""Small pandas reference implementations and synthetic data for the table tests.

The references are written the slow, obvious way (a loop per customer) so that they read
like the definitions in docs/methods/; the Ibis code must agree with them on every engine.
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd

UNIT_DAYS = {"day": 1.0, "week": 7.0, "month": 365.25 / 12}
AS_OF = date(2024, 6, 30)
DATE_COLUMNS = ("first_purchase", "last_purchase")


def reference_summary(
    transactions: pd.DataFrame, *, as_of: date, time_unit: str = "week", recent_periods: int = 4
) -> pd.DataFrame:
    unit = UNIT_DAYS[time_unit]
    window = recent_periods * unit
    kept = transactions[transactions["date"] <= as_of]
    records = []
    for customer, rows in kept.groupby("customer_id"):
        day_totals = rows.groupby("date")["amount"].sum().sort_index()
        days = list(day_totals.index)
        first, last = days[0], days[-1]
        frequency = len(days) - 1
        ago = {day: (as_of - day).days for day in days}
        margins = rows["margin"].dropna()
        records.append(
            {
                "customer_id": customer,
                "frequency": frequency,
                "recency": (last - first).days / unit,
                "T": (as_of - first).days / unit,
                "monetary": float(day_totals.iloc[1:].mean()) if frequency else 0.0,
                "total_revenue": float(rows["amount"].sum()),
                "total_margin": float(margins.sum()) if len(margins) else math.nan,
                "n_transactions": len(rows),
                "first_purchase": first,
                "last_purchase": last,
                "days_since_last": (as_of - last).days,
                "purchases_recent": sum(ago[day] < window for day in days),
                "revenue_recent": float(sum(day_totals[d] for d in days if ago[d] < window)),
                "revenue_previous": float(
                    sum(day_totals[d] for d in days if window <= ago[d] < 2 * window)
                ),
            }
        )
    return pd.DataFrame(records)


def reference_holdout(
    transactions: pd.DataFrame,
    *,
    calibration_end: date,
    holdout_end: date,
    time_unit: str = "week",
) -> pd.DataFrame:
    cohort = sorted(set(transactions.loc[transactions["date"] <= calibration_end, "customer_id"]))
    later = transactions[
        (transactions["date"] > calibration_end) & (transactions["date"] <= holdout_end)
    ]
    duration = (holdout_end - calibration_end).days / UNIT_DAYS[time_unit]
    records = []
    for customer in cohort:
        day_totals = later[later["customer_id"] == customer].groupby("date")["amount"].sum()
        purchases, spend = len(day_totals), float(day_totals.sum())
        records.append(
            {
                "customer_id": customer,
                "frequency_holdout": purchases,
                "revenue_holdout": spend,
                "monetary_holdout": spend / purchases if purchases else 0.0,
                "duration_holdout": duration,
            }
        )
    return pd.DataFrame(records)


def reference_scores(values: pd.Series, bins: int, *, larger_is_better: bool) -> pd.Series:
    """1 + floor(bins * (customers strictly worse) / n), ties sharing the lower place."""
    n = len(values)
    worse = [
        int(((values < v) if larger_is_better else (values > v)).sum()) for v in values.to_numpy()
    ]
    return pd.Series([1 + (w * bins) // n for w in worse], index=values.index)


def normalised(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows sorted by customer, dates as Timestamps, for comparing engine output."""
    out = frame.sort_values("customer_id").reset_index(drop=True)
    out["customer_id"] = out["customer_id"].astype(str)
    for column in DATE_COLUMNS:
        if column in out:
            out[column] = pd.to_datetime(out[column]).astype("datetime64[s]")
    return out


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    actual, expected = normalised(actual), normalised(expected)
    assert list(actual.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False, rtol=1e-9, atol=1e-9)


def story_transactions() -> pd.DataFrame:
    """A cast of customers, each showing one rule of the summary.

    - "same-day": three rows on one day, two on another: two purchase days.
    - "holdout": purchases after AS_OF, which must be ignored.
    - "on-as-of": last purchase exactly on AS_OF.
    - "returner": a return bigger than the purchase (negative day total, net negative).
    - "zero-day": a repeat day whose rows cancel out to 0.
    - "one-timer": a single purchase, no margin.
    - "late": first purchase after AS_OF: not in the summary at all.
    - "regular": bought every 3 days for two years: hundreds of purchase days.
    """
    rows: list[tuple[str, date, float, float | None]] = [
        ("same-day", date(2024, 1, 5), 10.0, 1.0),
        ("same-day", date(2024, 1, 5), 15.0, 2.0),
        ("same-day", date(2024, 1, 5), 5.0, None),
        ("same-day", date(2024, 3, 1), 40.0, 4.0),
        ("same-day", date(2024, 3, 1), 2.5, 0.5),
        ("holdout", date(2023, 11, 20), 100.0, 10.0),
        ("holdout", date(2024, 7, 1), 900.0, 90.0),
        ("holdout", date(2024, 9, 15), 800.0, 80.0),
        ("on-as-of", date(2024, 2, 29), 30.0, 3.0),
        ("on-as-of", date(2024, 6, 30), 70.0, 7.0),
        ("returner", date(2024, 4, 1), 50.0, 5.0),
        ("returner", date(2024, 6, 10), -80.0, -8.0),
        ("zero-day", date(2024, 1, 2), 20.0, 2.0),
        ("zero-day", date(2024, 5, 20), 35.0, 3.5),
        ("zero-day", date(2024, 5, 20), -35.0, -3.5),
        ("zero-day", date(2024, 6, 1), 12.0, 1.2),
        ("one-timer", date(2024, 6, 3), 99.0, None),
        ("late", date(2024, 8, 8), 60.0, 6.0),
    ]
    start = date(2022, 7, 1)
    rng = np.random.default_rng(7)
    for i in range(0, 730, 3):
        day = start + timedelta(days=i)
        rows.append(("regular", day, float(rng.integers(10, 500)), float(rng.integers(1, 50))))
        if i % 30 == 0:  # a second order on the same day now and then
            rows.append(("regular", day, 7.0, None))
    return pd.DataFrame(rows, columns=["customer_id", "date", "amount", "margin"])


def random_transactions(seed: int, *, customers: int = 60, rows: int = 600) -> pd.DataFrame:
    """Random orders 2023-01-01 .. 2024-12-31 with repeats, returns and same-day rows."""
    rng = np.random.default_rng(seed)
    ids = [f"C{number:03d}" for number in rng.integers(0, customers, rows)]
    days = rng.integers(0, 731, rows)
    amounts = np.round(rng.lognormal(4, 1, rows), 2) * np.where(rng.random(rows) < 0.05, -1, 1)
    margins = np.where(rng.random(rows) < 0.2, np.nan, np.round(amounts * 0.3, 2))
    return pd.DataFrame(
        {
            "customer_id": ids,
            "date": [date(2023, 1, 1) + timedelta(days=int(d)) for d in days],
            "amount": amounts,
            "margin": margins,
        }
    )
