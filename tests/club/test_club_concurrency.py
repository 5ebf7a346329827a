"""Two redemptions at the same moment, on two database connections, cannot overdraw a
balance: the second waits for the first's lock on the membership row, then sees the
balance the first left and is refused.

Runs on PostgreSQL only (SQLite has no row locks: it serialises whole-database writes, so
the race this test provokes cannot happen there). The CI runs the suite on PostgreSQL too.
Each thread gets its own connection; a pause after the balance is read makes the race
certain: without the lock both threads read the same balance and both spend it.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any

import pytest
from django.db import connection, connections

from kam.club import services
from kam.club.models import Benefit, EntryKind, PointsEntry
from kam.club.services import NotEnoughPoints, earn, redeem
from tests.club.conftest import Club

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks and serialises writes, so two "
        "connections cannot race (the CI runs this on PostgreSQL)",
    ),
]

PAUSE = 1.5  # seconds a thread waits, after reading the balance, for the other to read too


def test_two_concurrent_redemptions_cannot_overdraw(club: Club, monkeypatch: Any) -> None:
    earn(
        membership=club.alice_member,
        delta=100,
        kind=EntryKind.EARN_REFERRAL,
        reference="test:start",
        note="",
        actor=None,
    )
    benefit = Benefit.objects.create(name="Sixty", points_cost=60)
    read = threading.Barrier(2)
    real_balance = services.balance_of

    def slow_balance(membership: Any) -> int:
        found = real_balance(membership)
        # Give the other thread every chance to read the same balance; with the lock it
        # is waiting for ours instead, and the barrier breaks after the pause.
        with contextlib.suppress(threading.BrokenBarrierError):
            read.wait(timeout=PAUSE)
        return found

    monkeypatch.setattr(services, "balance_of", slow_balance)
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def spend() -> None:
        try:
            start.wait(timeout=10)
            redeem(actor=club.cast.alice, membership=club.alice_member, benefit=benefit)
            outcomes.append("redeemed")
        except NotEnoughPoints:
            outcomes.append("refused")
        except Exception as exc:
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()  # this thread's connection

    threads = [threading.Thread(target=spend) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["redeemed", "refused"]
    assert real_balance(club.alice_member) == 40
    assert PointsEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
