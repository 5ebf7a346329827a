"""Customer summaries for the CLV model tests, built here from raw transactions
(see ``clv_summaries.summarise``)."""

from __future__ import annotations

import pandas as pd
import pytest
from clv_summaries import CDNOW_CALIBRATION_END, WEEK, summarise

from kam_analytics.datasets import load_cdnow_sample, load_northwind_transactions


@pytest.fixture(scope="session")
def cdnow_weekly() -> pd.DataFrame:
    """The CDNOW sample's 39-week calibration summary, in weeks."""
    return summarise(load_cdnow_sample(), as_of=CDNOW_CALIBRATION_END, unit_days=WEEK)


@pytest.fixture(scope="session")
def northwind_weekly() -> pd.DataFrame:
    """Northwind's whole history, as of its last order, in weeks."""
    orders = load_northwind_transactions()
    return summarise(orders, as_of=str(orders["date"].max().date()), unit_days=WEEK)
