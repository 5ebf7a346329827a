"""The summary reproduces the published CDNOW calibration summary (Fader, Hardie & Lee 2005).

2,357 customers of the CDNOW 1/10 sample, calibration 1997-01-01 .. 1997-09-30, in weeks:
frequency, recency and T must equal cdnow_customers_summary.csv (rounded to 2 decimals).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from kam_analytics.datasets import load_cdnow_sample, load_cdnow_summary
from kam_analytics.transforms import customer_summary
from tests.analytics.conftest import Loader

CALIBRATION_END = date(1997, 9, 30)


def cdnow_transactions() -> pd.DataFrame:
    raw = load_cdnow_sample()
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype(str),
            "date": raw["date"].dt.date,
            "amount": raw["amount"],
        }
    )


def test_it_reproduces_the_published_cdnow_summary(load: Loader) -> None:
    table = customer_summary(load(cdnow_transactions()), as_of=CALIBRATION_END, time_unit="week")
    ours = table.select("customer_id", "frequency", "recency", "T").execute()
    published = load_cdnow_summary().astype({"customer_id": str})
    both = published.merge(ours, on="customer_id", suffixes=("", "_ours"))
    assert len(ours) == len(published) == len(both) == 2357
    assert (both["frequency"] == both["frequency_ours"]).all()
    for column in ("recency", "T"):
        assert np.abs(both[column] - both[f"{column}_ours"]).max() <= 0.005 + 1e-9
