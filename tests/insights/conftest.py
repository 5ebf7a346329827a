"""A stand-in for the value engine, so these stories control which tier each account gets.

`engine.tiers` maps account id -> tier; accounts not named get 'basic'. One test runs
the real engine (kam_analytics.pipeline) end to end.
"""

from __future__ import annotations

import datetime as dt
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from tests.conftest import Cast


@dataclass
class FakeResult:
    customers: pd.DataFrame
    pareto: Any = None
    clv: Any = None
    warnings: list[str] = field(default_factory=list)


@dataclass
class FakeEngine:
    tiers: dict[int, str] = field(default_factory=dict)
    fail: bool = False
    calls: int = 0

    def __call__(self, run: Any, settings: Any, orders: pd.DataFrame) -> FakeResult:
        self.calls += 1
        totals = orders.groupby("customer_id")["amount"].agg(["sum", "count"]).reset_index()
        rows = []
        for position, row in enumerate(totals.sort_values("sum", ascending=False).itertuples()):
            customer = int(row.customer_id)
            rows.append(
                {
                    "customer_id": customer,
                    "frequency": float(row.count - 1),
                    "recency": 10.0,
                    "T": 20.0,
                    "monetary": float(row.sum) / row.count,
                    "total_revenue": float(row.sum),
                    "r_score": 5 - min(position, 4),
                    "f_score": 3,
                    "m_score": 4,
                    "rfm_code": "534",
                    "rfm_segment": "champions",
                    "p_alive": 0.9,
                    "expected_purchases": 3.5,
                    "expected_spend": 1000.0,
                    "clv": float(row.sum) * 2,
                    "score": 0.5,
                    "score_clv": 0.8,
                    "score_volume": 0.6,
                    "tier": self.tiers.get(customer, "basic"),
                    "tier_reason": "",
                    "lifecycle": "mature",
                }
            )
            if self.fail and position == 1:
                raise RuntimeError("the model blew up half-way")
        return FakeResult(pd.DataFrame(rows), warnings=["Too few repeat buyers."])


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> FakeEngine:
    fake = FakeEngine()
    monkeypatch.setattr("kam.insights.services.score_book", fake)
    return fake


def add_order(account: Any, day: dt.date, amount: str) -> None:
    from kam.transactions.models import Order

    Order.objects.create(account=account, order_date=day, amount=Decimal(amount))


@pytest.fixture
def book(cast: Cast) -> Cast:
    """Orders for all three accounts: Bob Mining buys most, Alice Steel least."""
    start = dt.date(2025, 1, 6)
    for week in range(0, 40, 4):
        day = start + dt.timedelta(weeks=week)
        add_order(cast.bob_mining, day, "9000")
        add_order(cast.shared_telecom, day, "3000")
        if week % 8 == 0:
            add_order(cast.alice_steel, day, "1000")
    return cast


@contextmanager
def signals_kept() -> Iterator[None]:
    """db_worker installs its own SIGINT/SIGTERM handlers; put the test process's back."""
    names = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]
    saved = {name: signal.getsignal(name) for name in names}
    try:
        yield
    finally:
        for name, handler in saved.items():
            signal.signal(name, handler)


def run_worker() -> None:
    """The task worker, in this process, until the queue is empty (db_worker --batch).

    Tests that call it use django_db(transaction=True): the worker checks its connection
    between tasks as a real one does, which a test wrapped in a transaction cannot survive
    (on PostgreSQL).
    """
    from django.core.management import call_command

    with signals_kept():
        call_command(
            "db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0
        )
