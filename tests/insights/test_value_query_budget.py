"""The value pages ask the database a fixed number of questions, however large the book."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from kam.accounts.models import Account
from kam.insights.services import run_scoring, set_tier_override
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, add_order

AS_OF = dt.date(2025, 12, 31)


def queries_of(client: Client, url: str, django_assert_max_num_queries: Any) -> int:
    with django_assert_max_num_queries(25) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_it_draws_the_dashboard_in_a_fixed_number_of_queries(
    book: Cast, engine: FakeEngine, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    client.force_login(book.dora)
    run_scoring(actor=book.dora, as_of=AS_OF)
    few = queries_of(client, "/insights/", django_assert_max_num_queries)
    for n in range(20):
        extra = Account.objects.create(external_id=f"Q-{n}", name=f"Q {n}", owner=book.bob)
        add_order(extra, dt.date(2025, 3, 1), "100")
    engine.tiers = {book.alice_steel.pk: "diamond", book.bob_mining.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    set_tier_override(actor=book.dora, account=book.shared_telecom, tier="core", reason="x")
    assert queries_of(client, "/insights/", django_assert_max_num_queries) == few
    assert queries_of(client, "/insights/rfm/", django_assert_max_num_queries) <= few
