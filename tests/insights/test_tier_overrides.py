"""A tier set by hand needs a reason, wins over the computed tier, is audited and shown."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kam.core.models import AuditEvent
from kam.insights.models import TierChange
from kam.insights.services import (
    clear_tier_override,
    current_tier,
    run_scoring,
    set_tier_override,
)
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine

AS_OF = dt.date(2025, 12, 31)


def test_it_needs_a_reason(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    with pytest.raises(ValidationError):
        set_tier_override(actor=book.dora, account=book.alice_steel, tier="core", reason="  ")
    assert current_tier(book.alice_steel) == "basic"


def test_it_wins_over_the_computed_tier_is_audited_and_in_history(
    book: Cast, engine: FakeEngine
) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    set_tier_override(
        actor=book.mary, account=book.alice_steel, tier="diamond", reason="Signed a framework"
    )
    assert current_tier(book.alice_steel) == "diamond"
    change = TierChange.objects.filter(account=book.alice_steel).first()
    assert change is not None
    assert (change.from_tier, change.to_tier, change.is_override) == ("basic", "diamond", True)
    assert change.actor == book.mary
    event = AuditEvent.objects.get(object_type="tieroverride", account_id=book.alice_steel.pk)
    assert event.changes["tier"] == ["basic", "diamond"]
    # a later run keeps the override and records no change for the account
    second = run_scoring(actor=book.dora, as_of=AS_OF)
    assert not TierChange.objects.filter(run=second, account=book.alice_steel).exists()
    assert current_tier(book.alice_steel) == "diamond"
    clear_tier_override(actor=book.dora, account=book.alice_steel)
    assert current_tier(book.alice_steel) == "basic"
    assert TierChange.objects.filter(account=book.alice_steel).first().to_tier == "basic"  # type: ignore[union-attr]


def test_it_lets_only_directors_and_the_sales_manager_override(
    book: Cast, engine: FakeEngine
) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    for outsider in (book.alice, book.nick, book.ann):
        with pytest.raises(PermissionDenied):
            set_tier_override(actor=outsider, account=book.alice_steel, tier="core", reason="x")


def test_it_shows_the_override_on_the_account_page(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    client = Client()
    client.force_login(book.mary)
    url = f"/insights/accounts/{book.alice_steel.pk}/override/"
    response = client.post(url, {"tier": "core", "reason": "Strategic reference customer"})
    assert response.status_code == 302
    page = client.get(book.alice_steel.get_absolute_url()).content.decode()
    assert "Strategic reference customer" in page
    assert "set by hand" in page
    client.force_login(book.alice)
    refused = client.post(url, {"tier": "diamond", "reason": "I want it"})
    assert refused.status_code == 403
