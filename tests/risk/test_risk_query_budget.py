"""The watch list (page, export and API) costs a fixed number of queries however many
accounts are at risk (no N+1)."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.risk.services import check_risks
from tests.conftest import Cast
from tests.risk.conftest import AS_OF, FakeBridge, churn, credit, relationship
from tests.web.conftest import client_for

PAGE_BUDGET = 10  # session, user, owners (and the owner filter), run, count, rows, runs, unread
EXPORT_BUDGET = 5  # session, user, (the owner filter), run, rows
API_BUDGET = 4  # token, run, count, rows


def crowd(cast: Cast, bridge: FakeBridge, n: int, start: int = 0) -> None:
    """n more accounts at risk of every kind, owned by Alice and Tom (Mary's team)."""
    for number in range(start, start + n):
        owner = cast.alice if number % 2 else cast.tom
        account = Account.objects.create(name=f"Many {number}", owner=owner)
        bridge.signals[account.pk] = {
            "revenue_12m": float(number),
            "churn": churn(0.6, "high", ["no purchase for 300 days"], ["300天未下单"]),
            "credit": credit("watch", 10.0, ["paying later"], ["付款拖延"]),
            "relationship": relationship("high", ["single_threaded"], ["one"], ["一"]),
        }
    check_risks(actor=cast.dora, as_of=AS_OF)


def queries(
    client: Any, url: str, params: dict[str, str], assert_max: Any, budget: int
) -> tuple[int, Any]:
    with assert_max(budget) as captured:
        response = (
            client.get(url, params) if hasattr(client, "cookies") else client.get(url, **params)
        )
    assert response.status_code == 200
    return len(captured), response


@pytest.mark.parametrize(
    "params", [{}, {"risk_type": "credit", "owner": "alice"}, {"sort": "-probability"}]
)
def test_the_page_costs_the_same_for_forty_or_eighty_rows(
    risky: Cast, bridge: FakeBridge, django_assert_max_num_queries: Any, params: dict[str, str]
) -> None:
    client = client_for(risky.mary)  # a sales manager: the widest scoped query
    url = reverse("risk:watch_list")
    crowd(risky, bridge, 40)
    few, response = queries(client, url, params, django_assert_max_num_queries, PAGE_BUDGET)
    shown = len(response.context["page"].object_list)
    assert shown >= 20
    crowd(risky, bridge, 40, start=40)
    many, response = queries(client, url, params, django_assert_max_num_queries, PAGE_BUDGET)
    assert len(response.context["page"].object_list) > shown
    assert many == few


def test_the_export_costs_the_same_for_forty_or_eighty_rows(
    risky: Cast, bridge: FakeBridge, django_assert_max_num_queries: Any
) -> None:
    client = client_for(risky.mary)
    url = reverse("risk:export")
    crowd(risky, bridge, 40)
    few, first = queries(client, url, {}, django_assert_max_num_queries, EXPORT_BUDGET)
    crowd(risky, bridge, 40, start=40)
    many, second = queries(client, url, {}, django_assert_max_num_queries, EXPORT_BUDGET)
    assert len(second.content) > len(first.content)
    assert many == few


def test_the_api_costs_the_same_for_forty_or_eighty_rows(
    risky: Cast, bridge: FakeBridge, api_as: Any, django_assert_max_num_queries: Any
) -> None:
    client = api_as(risky.mary)
    client.get("/api/me")  # the token's first use of the day is recorded once
    crowd(risky, bridge, 40)
    params = {"limit": "200"}
    few, response = queries(
        client, "/api/risk/watch-list", params, django_assert_max_num_queries, API_BUDGET
    )
    assert response.json()["count"] == 41  # and Alice Steel
    crowd(risky, bridge, 40, start=40)
    many, response = queries(
        client, "/api/risk/watch-list", params, django_assert_max_num_queries, API_BUDGET
    )
    assert len(response.json()["items"]) == 81
    assert many == few
