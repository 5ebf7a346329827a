"""A scoring run stores a dated snapshot of every account with orders and keeps tiers."""

from __future__ import annotations

import datetime as dt

import pytest

from kam.core.models import AuditEvent
from kam.insights.models import AccountScore, RunStatus, TierChange
from kam.insights.services import current_tier, run_scoring, tier_movements
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, add_order

AS_OF = dt.date(2025, 12, 31)


def test_it_stores_scores_and_tiers_for_every_account_with_orders(
    book: Cast, engine: FakeEngine
) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond", book.shared_telecom.pk: "core"}
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    assert run.status == RunStatus.SUCCEEDED
    assert run.account_count == 3
    assert run.as_of == AS_OF
    assert run.warnings == [{"code": "", "params": {}, "text": "Too few repeat buyers."}]
    scores = {s.account_id: s for s in AccountScore.objects.filter(run=run)}
    assert set(scores) == {book.alice_steel.pk, book.bob_mining.pk, book.shared_telecom.pk}
    assert scores[book.bob_mining.pk].breakdown == {"clv": 0.8, "volume": 0.6}
    assert current_tier(book.bob_mining) == "diamond"
    assert current_tier(book.alice_steel) == "basic"
    # the first run gives every account its first tier
    assert TierChange.objects.filter(run=run, from_tier="").count() == 3
    assert AuditEvent.objects.filter(object_type="scoringrun", actor=book.dora).exists()


def test_it_records_upgrades_and_downgrades_in_a_second_run(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond", book.shared_telecom.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    add_order(book.alice_steel, dt.date(2025, 12, 1), "500000")
    engine.tiers = {book.alice_steel.pk: "diamond", book.bob_mining.pk: "core"}
    second = run_scoring(actor=book.dora, as_of=AS_OF)
    changes = {c.account_id: c for c in TierChange.objects.filter(run=second)}
    assert set(changes) == {book.alice_steel.pk, book.bob_mining.pk, book.shared_telecom.pk}
    assert changes[book.alice_steel.pk].direction == "up"
    assert changes[book.bob_mining.pk].direction == "down"
    assert (changes[book.shared_telecom.pk].from_tier, changes[book.shared_telecom.pk].to_tier) == (
        "core",
        "basic",
    )
    moves = {m.account_id: m.direction for m in tier_movements(book.dora, second)}
    assert moves == {
        book.alice_steel.pk: "up",
        book.bob_mining.pk: "down",
        book.shared_telecom.pk: "down",
    }
    assert second.change_count == 3


def test_it_leaves_no_partial_scores_when_a_run_fails(book: Cast, engine: FakeEngine) -> None:
    engine.fail = True
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    assert run.status == RunStatus.FAILED
    assert "blew up" in run.error
    assert run.finished_at is not None
    assert not AccountScore.objects.exists()
    assert not TierChange.objects.exists()


def test_it_fails_plainly_on_a_book_without_orders(cast: Cast, engine: FakeEngine) -> None:
    run = run_scoring(actor=cast.dora, as_of=AS_OF)
    assert run.status == RunStatus.FAILED
    assert "no orders" in run.error
    assert engine.calls == 0


def test_it_refuses_a_run_by_an_analyst(cast: Cast, engine: FakeEngine) -> None:
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        run_scoring(actor=cast.ann, as_of=AS_OF)
