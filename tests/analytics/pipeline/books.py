"""Books of transactions for the pipeline tests, built by hand or drawn from the models."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from kam_analytics.datasets import load_cdnow_sample, load_northwind_transactions
from kam_analytics.models.simulate import simulate_transactions

STORY_AS_OF = date(2024, 12, 31)
CDNOW_AS_OF = date(1997, 9, 30)
NORTHWIND_AS_OF = date(1998, 5, 6)


def _plain(lines: pd.DataFrame) -> pd.DataFrame:
    # Ids as plain Python strings: PySpark 4's Arrow path refuses pandas 3's chunked
    # string arrays (it falls back to a slow path with a warning).
    return lines.assign(customer_id=lines["customer_id"].astype(object))


def _monthly(customer: str, start: str, end: str, amount: float, day: int = 10) -> pd.DataFrame:
    months = pd.date_range(start, end, freq="MS") + pd.Timedelta(days=day - 1)
    return pd.DataFrame({"customer_id": customer, "date": months, "amount": amount})


def story_book(seed: int = 7) -> pd.DataFrame:
    """Sixty-two accounts from January 2022 to December 2024, ranked here by total revenue:

    * twelve large steady accounts, about 5,000 a month (ranks 1-12: the top 20%, diamond
      and core);
    * "decliner": 3,000 a month in 2022 and 2023, then two orders of 400 in early 2024 and
      silence (rank 13: in the 21-50% band a rank-based "potential" would take);
    * thirty-six small steady accounts, about 500 a month;
    * twelve small accounts that bought about 500 a month and left, one after another,
      between mid-2022 and the end of 2023 (so the book shows drop-out);
    * "grower": 100 a quarter in 2022 and 2023, then 400 every month of 2024 (in the
      bottom half by revenue).
    """
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(12):
        big = _monthly(f"big-{i:02d}", "2022-01-01", "2024-12-01", 5000.0, day=1 + i)
        parts.append(big.assign(amount=big.amount * rng.uniform(0.9, 1.1, len(big))))
    for i in range(36):
        small = _monthly(f"small-{i:02d}", "2022-01-01", "2024-12-01", 500.0, day=1 + i % 28)
        parts.append(small.assign(amount=small.amount * rng.uniform(0.9, 1.1, len(small))))
    for i, last in enumerate(pd.date_range("2022-06-01", "2023-12-01", periods=12)):
        gone = _monthly(f"gone-{i:02d}", "2022-01-01", str(last.date()), 500.0, day=3 + i)
        parts.append(gone.assign(amount=gone.amount * rng.uniform(0.9, 1.1, len(gone))))
    parts.append(_monthly("decliner", "2022-01-01", "2023-12-01", 3000.0))
    parts.append(_monthly("decliner", "2024-01-01", "2024-02-01", 400.0))
    quarters = pd.date_range("2022-01-01", "2023-12-31", freq="QS") + pd.Timedelta(days=9)
    parts.append(pd.DataFrame({"customer_id": "grower", "date": quarters, "amount": 100.0}))
    parts.append(_monthly("grower", "2024-01-01", "2024-12-01", 400.0))
    return _plain(pd.concat(parts, ignore_index=True))


def simulated_book(n_customers: int, seed: int = 11) -> pd.DataFrame:
    """A book drawn from BG/NBD + Gamma-Gamma: customers acquired over a year, observed for
    two more (as of 2024-12-31)."""
    lines = simulate_transactions(
        n_customers,
        bgnbd_params={"r": 1.2, "alpha": 6.0, "a": 0.5, "b": 9.0},
        gamma_gamma_params={"p": 6.25, "q": 3.74, "gamma": 15.44},
        start="2022-01-01",
        acquisition_days=365.0,
        end="2024-12-31",
        random_state=seed,
    )
    return _plain(lines.assign(customer_id=lines["customer_id"].map("c{:05d}".format)))


def cdnow_book() -> pd.DataFrame:
    lines = load_cdnow_sample()
    return _plain(lines.assign(customer_id=lines["customer_id"].astype(str)))[
        ["customer_id", "date", "amount"]
    ]


def northwind_book() -> pd.DataFrame:
    return _plain(load_northwind_transactions()[["customer_id", "date", "amount"]])
