"""Everyone sees the value of exactly the accounts they see."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from kam.insights.services import portfolio_summary, run_scoring
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine

AS_OF = dt.date(2025, 12, 31)


def test_it_counts_only_alices_accounts_in_her_portfolio(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    hers = portfolio_summary(book.alice)
    # Alice Steel (hers) and Shared Telecom (she is on its team), never Bob Mining
    assert hers.accounts == 2
    assert {s.account_id for s in hers.top_by_clv} == {
        book.alice_steel.pk,
        book.shared_telecom.pk,
    }
    assert next(t for t in hers.tiers if t.tier == "diamond").accounts == 0
    everything = portfolio_summary(book.dora)
    assert everything.accounts == 3
    assert next(t for t in everything.tiers if t.tier == "diamond").accounts == 1
    assert everything.revenue > hers.revenue


def test_it_leaves_bobs_accounts_off_alices_dashboard(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    client = Client()
    client.force_login(book.alice)
    page = client.get("/insights/").content.decode()
    assert "Alice Steel" in page
    assert "Bob Mining" not in page
    client.force_login(book.dora)
    assert "Bob Mining" in client.get("/insights/").content.decode()


def test_it_hides_the_account_section_of_invisible_accounts(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    client = Client()
    client.force_login(book.alice)
    assert client.get(book.bob_mining.get_absolute_url()).status_code == 404
    assert client.post(f"/insights/accounts/{book.bob_mining.pk}/ratings/", {}).status_code == 404
