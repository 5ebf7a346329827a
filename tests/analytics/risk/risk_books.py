"""Small hand-made books whose right answer is known, for the risk tests."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

T1 = date(2023, 6, 30)
WINDOW = 180
T2 = T1 + timedelta(days=WINDOW)
START = date(2021, 1, 1)


def regular_orders(
    customer: str, *, first: date, last: date, gap: int, amount: float = 100.0
) -> list[dict[str, object]]:
    """Orders every ``gap`` days from ``first`` up to ``last``."""
    rows: list[dict[str, object]] = []
    day = first
    while day <= last:
        rows.append({"customer_id": customer, "date": pd.Timestamp(day), "amount": amount})
        day += timedelta(days=gap)
    return rows


def stopping_book(n: int = 120, seed: int = 7) -> tuple[pd.DataFrame, set[str]]:
    """Half the customers buy every 7-21 days to the end; the other half stop for good at a
    date between 150 days before T1 and 45 days before T2. Returns the orders and the
    stoppers' ids."""
    rng = np.random.default_rng(seed)
    end = T2 + timedelta(days=WINDOW)
    rows: list[dict[str, object]] = []
    stoppers: set[str] = set()
    for i in range(n):
        customer = f"c{i:03d}"
        first = START + timedelta(days=int(rng.integers(0, 60)))
        gap = int(rng.integers(7, 22))
        last = end
        if i % 2 == 0:
            stoppers.add(customer)
            span = (T2 - timedelta(days=45)) - (T1 - timedelta(days=150))
            last = T1 - timedelta(days=150) + timedelta(days=int(rng.integers(0, span.days)))
        amount = float(rng.uniform(50, 500))
        rows.extend(regular_orders(customer, first=first, last=last, gap=gap, amount=amount))
    return pd.DataFrame(rows), stoppers


def loyal_book(n: int = 40) -> pd.DataFrame:
    """Everyone buys every week from START to a year after T2: nobody ever stops."""
    rows: list[dict[str, object]] = []
    for i in range(n):
        rows.extend(
            regular_orders(
                f"k{i:02d}", first=START, last=T2 + timedelta(days=365), gap=7, amount=100.0 + i
            )
        )
    return pd.DataFrame(rows)


def complaints_book(n: int = 120, seed: int = 11) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Regular buyers whose transactions look alike at T1; the accounts with open
    complaints at T1 mostly stop right after it, the others mostly keep buying.

    Returns the orders and the complaint snapshots (customer_id, as_of, open_complaints)
    as of T1 and as of T2 (at T2 the counts are fresh: a new set of unhappy accounts).
    """
    rng = np.random.default_rng(seed)
    rows: list[dict[str, object]] = []
    snapshots: list[dict[str, object]] = []
    for i in range(n):
        customer = f"u{i:03d}"
        unhappy = i % 2 == 0
        stops = rng.random() < (0.8 if unhappy else 0.1)
        gap = int(rng.integers(10, 20))
        last = T1 if stops else T2 + timedelta(days=WINDOW)
        rows.extend(regular_orders(customer, first=START, last=last, gap=gap, amount=200.0))
        snapshots.append(
            {
                "customer_id": customer,
                "as_of": pd.Timestamp(T1),
                "open_complaints": int(rng.integers(2, 5)) if unhappy else 0,
            }
        )
        snapshots.append(
            {
                "customer_id": customer,
                "as_of": pd.Timestamp(T2),
                "open_complaints": 3 if i % 3 == 0 else 0,
            }
        )
    return pd.DataFrame(rows), pd.DataFrame(snapshots)
