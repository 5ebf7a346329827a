"""A plain pandas reference summary of transactions, for the CLV model tests.

``summarise`` is a deliberately plain pandas reference (not the Ibis transform): purchases
on the same day are one purchase; frequency = purchase days - 1; recency = first to last
purchase; T = first purchase to the as-of date; monetary = mean value of the repeat
purchases (0 without one); all in ``unit_days``-day units.
"""

from __future__ import annotations

import pandas as pd

CDNOW_CALIBRATION_END = "1997-09-30"
WEEK = 7.0


def summarise(transactions: pd.DataFrame, *, as_of: str, unit_days: float) -> pd.DataFrame:
    cut_off = pd.Timestamp(as_of)
    seen = transactions[transactions["date"] <= cut_off]
    days = seen.groupby(["customer_id", "date"], as_index=False)["amount"].sum()
    days = days.sort_values(["customer_id", "date"])
    by_customer = days.groupby("customer_id")
    first, last = by_customer["date"].min(), by_customer["date"].max()
    frequency = by_customer.size() - 1
    repeat = days[by_customer.cumcount() > 0]
    monetary = repeat.groupby("customer_id")["amount"].mean().reindex(frequency.index)
    return pd.DataFrame(
        {
            "customer_id": frequency.index,
            "frequency": frequency.to_numpy(),
            "recency": ((last - first).dt.days / unit_days).to_numpy(),
            "T": ((cut_off - first).dt.days / unit_days).to_numpy(),
            "monetary": monetary.fillna(0.0).to_numpy(),
        }
    ).reset_index(drop=True)
