"""The reference data sets ship inside the package and load with the documented columns."""

from __future__ import annotations

from importlib import resources

import pandas as pd
import pytest

from kam_analytics.datasets import (
    load_cdnow_sample,
    load_cdnow_summary,
    load_northwind_transactions,
)


def test_it_loads_the_cdnow_sample() -> None:
    lines = load_cdnow_sample()

    assert list(lines.columns) == ["customer_id", "date", "amount", "quantity"]
    assert pd.api.types.is_datetime64_any_dtype(lines["date"])
    assert len(lines) == 6919
    assert lines["customer_id"].nunique() == 2357
    assert lines["date"].min() == pd.Timestamp("1997-01-01")
    assert lines["date"].max() == pd.Timestamp("1998-06-30")
    assert lines.groupby("customer_id")["date"].min().max() < pd.Timestamp("1997-04-01")


def test_it_loads_the_cdnow_summary() -> None:
    summary = load_cdnow_summary()

    assert list(summary.columns) == ["customer_id", "frequency", "recency", "T"]
    assert len(summary) == 2357
    assert summary.iloc[0].to_dict() == pytest.approx(
        {"customer_id": 1, "frequency": 2, "recency": 30.43, "T": 38.86}
    )


def test_it_loads_northwind_orders() -> None:
    orders = load_northwind_transactions()

    assert list(orders.columns) == ["customer_id", "date", "amount", "order_id", "employee_id"]
    assert pd.api.types.is_datetime64_any_dtype(orders["date"])
    assert len(orders) == 830
    assert orders["customer_id"].nunique() == 89
    assert orders["amount"].sum() == pytest.approx(1_265_793.04, abs=0.01)


def test_it_states_where_the_data_come_from() -> None:
    readme = resources.files("kam_analytics.datasets").joinpath("data", "README.md").read_text()

    assert "Fader" in readme and "Hardie" in readme
    assert "Northwind" in readme and "Ms-PL" in readme
