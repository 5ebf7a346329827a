"""Small public reference data sets shipped with the package, and their loaders.

The files live in ``kam_analytics/datasets/data/``; ``data/README.md`` states where each
came from and under which terms. The loaders return plain pandas frames with the
column names the rest of ``kam_analytics`` uses.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd

__all__ = [
    "load_cdnow_sample",
    "load_cdnow_summary",
    "load_northwind_transactions",
]

_PACKAGE = "kam_analytics.datasets"


def _data_file(name: str) -> resources.abc.Traversable:
    return resources.files(_PACKAGE).joinpath("data", name)


def load_cdnow_sample() -> pd.DataFrame:
    """The CDNOW 1/10 sample: 2,357 customers, 6,919 transactions (1997-01 .. 1998-06).

    Columns: ``customer_id`` (the sample id 1..2357, the ``ID`` of
    :func:`load_cdnow_summary`), ``date`` (datetime64), ``amount`` (dollar value) and
    ``quantity`` (number of CDs). One row per transaction line as distributed: a customer
    may have several rows on the same day.
    """
    with _data_file("CDNOW_sample.txt").open("r", encoding="ascii") as handle:
        raw = pd.read_csv(
            handle,
            sep=r"\s+",
            header=None,
            names=["master_id", "customer_id", "date", "quantity", "amount"],
            dtype={"master_id": "int64", "customer_id": "int64", "date": "str"},
        )
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("int64"),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d"),
            "amount": raw["amount"].astype("float64"),
            "quantity": raw["quantity"].astype("int64"),
        }
    )


def load_cdnow_summary() -> pd.DataFrame:
    """The published calibration summary of the CDNOW sample (weeks, ending 1997-09-30).

    Columns: ``customer_id``, ``frequency`` (repeat purchases), ``recency`` (weeks from the
    first to the last purchase) and ``T`` (weeks from the first purchase to 1997-09-30),
    rounded to two decimals as distributed.
    """
    with _data_file("cdnow_customers_summary.csv").open("r", encoding="ascii") as handle:
        raw = pd.read_csv(handle)
    return pd.DataFrame(
        {
            "customer_id": raw["ID"].astype("int64"),
            "frequency": raw["frequency"].astype("int64"),
            "recency": raw["recency"].astype("float64"),
            "T": raw["T"].astype("float64"),
        }
    )


def load_northwind_transactions() -> pd.DataFrame:
    """Northwind Traders orders, one row per order (1996-07-04 .. 1998-05-06).

    Columns: ``customer_id`` (text code), ``date`` (datetime64), ``amount`` (net of
    discount), ``order_id`` and ``employee_id`` (the sales rep).
    """
    with _data_file("northwind_transactions.csv").open("r", encoding="utf-8") as handle:
        raw = pd.read_csv(handle, dtype={"customer_id": "str"})
    return pd.DataFrame(
        {
            "customer_id": raw["customer_id"].astype("str"),
            "date": pd.to_datetime(raw["date"], format="%Y-%m-%d"),
            "amount": raw["amount"].astype("float64"),
            "order_id": raw["order_id"].astype("int64"),
            "employee_id": raw["employee_id"].astype("int64"),
        }
    )
