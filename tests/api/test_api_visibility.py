"""The API shows each role exactly what the web pages show (PLAT-2): an account manager
their own accounts and those they work on, a sales manager the team's, a director and an
analyst everything. What you cannot see answers 404, like what does not exist; analysts
never write (403)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import User
from kam.transactions.models import Order, Payment
from tests.api.conftest import ApiClient
from tests.conftest import Cast

ApiAs = Callable[[User], ApiClient]
RESOURCES = ["accounts", "contacts", "orders", "payments"]
# Every record below carries its account's external id in its own, e.g. "C-B-2".
SEEN_BY = {
    "alice": ["A-1", "B-2"],  # her own + the account team she is on
    "tom": [],  # Alice's teammate: not on her accounts
    "bob": ["B-1", "B-2"],
    "mary": ["A-1"],  # East's manager: what East's people own
    "nick": ["B-1", "B-2"],
    "dora": ["A-1", "B-1", "B-2"],
    "ann": ["A-1", "B-1", "B-2"],
}


def one_of_each(account: Account) -> dict[str, Any]:
    key = account.external_id
    order = Order.objects.create(
        external_id=f"O-{key}", account=account, order_date=dt.date(2024, 3, 1), amount=Decimal(10)
    )
    return {
        "accounts": account,
        "contacts": Contact.objects.create(external_id=f"C-{key}", account=account, name="Li"),
        "orders": order,
        "payments": Payment.objects.create(
            external_id=f"P-{key}",
            account=account,
            order=order,
            due_date=dt.date(2024, 4, 1),
            amount=Decimal(10),
        ),
    }


@pytest.fixture
def records(cast: Cast) -> dict[str, dict[str, Any]]:
    """{account external id: {resource: record}} for the cast's three accounts."""
    accounts = [cast.alice_steel, cast.bob_mining, cast.shared_telecom]
    return {str(a.external_id): one_of_each(a) for a in accounts}


def account_keys(resource: str, items: list[dict[str, Any]]) -> list[str]:
    return sorted(
        item["external_id"] if resource == "accounts" else item["account"] for item in items
    )


@pytest.mark.parametrize("resource", RESOURCES)
@pytest.mark.parametrize("who", sorted(SEEN_BY))
def test_it_lists_what_each_role_may_see(
    cast: Cast, api_as: ApiAs, records: object, resource: str, who: str
) -> None:
    page = api_as(getattr(cast, who)).get(f"/api/{resource}").json()
    assert account_keys(resource, page["items"]) == SEEN_BY[who]
    assert page["count"] == len(SEEN_BY[who])


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_answers_404_for_a_record_alice_cannot_see(
    cast: Cast, api_as: ApiAs, records: dict[str, dict[str, Any]], resource: str
) -> None:
    alice = api_as(cast.alice)
    hidden = records["B-1"][resource].pk
    shared = records["B-2"][resource].pk
    missing = api_as(cast.dora).get(f"/api/{resource}/{hidden + 1000}")
    assert alice.get(f"/api/{resource}/{shared}").status_code == 200
    refused = alice.get(f"/api/{resource}/{hidden}")
    assert (refused.status_code, refused.json()["code"]) == (404, "not_found")
    assert missing.status_code == 404
    assert alice.patch(f"/api/{resource}/{hidden}", {}).status_code == 404
    assert alice.delete(f"/api/{resource}/{hidden}").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_shows_a_sales_manager_the_teams_records(
    cast: Cast, api_as: ApiAs, records: dict[str, dict[str, Any]], resource: str
) -> None:
    mary = api_as(cast.mary)
    assert mary.get(f"/api/{resource}/{records['A-1'][resource].pk}").status_code == 200
    assert mary.get(f"/api/{resource}/{records['B-1'][resource].pk}").status_code == 404


@pytest.mark.parametrize("resource", RESOURCES)
def test_it_lets_an_analyst_read_everything_and_change_nothing(
    cast: Cast, api_as: ApiAs, records: dict[str, dict[str, Any]], resource: str
) -> None:
    ann = api_as(cast.ann)
    pk = records["B-1"][resource].pk
    assert ann.get(f"/api/{resource}/{pk}").status_code == 200
    changed = ann.patch(f"/api/{resource}/{pk}", {})
    assert (changed.status_code, changed.json()["code"]) == (403, "forbidden")
    assert ann.delete(f"/api/{resource}/{pk}").status_code == 403
    assert ann.post(f"/api/{resource}", minimal_body(resource)).status_code == 403


def minimal_body(resource: str) -> dict[str, Any]:
    return {
        "accounts": {"name": "Analyst Steel"},
        "contacts": {"account": "B-1", "name": "Wang"},
        "orders": {"account": "B-1", "order_date": "2024-05-01", "amount": 1},
        "payments": {"account": "B-1", "due_date": "2024-05-01", "amount": 1},
    }[resource]


def test_it_lets_no_one_create_records_under_an_account_they_cannot_see(
    cast: Cast, api_as: ApiAs
) -> None:
    response = api_as(cast.alice).post("/api/orders", minimal_body("orders"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "account"


def test_it_counts_all_matches_not_just_the_page(cast: Cast, api_as: ApiAs) -> None:
    for number in range(7):
        Order.objects.create(
            account=cast.alice_steel, order_date=dt.date(2024, 1, number + 1), amount=Decimal(1)
        )
    page = api_as(cast.alice).get("/api/orders", limit=3, offset=5).json()
    assert page["count"] == 7
    assert len(page["items"]) == 2
