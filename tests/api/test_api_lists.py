"""Lists: filters, pages, and a fixed number of queries however long the page (no N+1)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from kam.accounts.models import Account, AccountStatus, Industry, OwnershipType, Tag
from kam.contacts.models import BuyingRole, Contact
from kam.core.models import User
from kam.transactions.models import Order, Payment
from tests.api.conftest import ApiClient
from tests.conftest import Cast

ApiAs = Callable[[User], ApiClient]
ROWS = 30


@pytest.fixture
def many(cast: Cast) -> None:
    """ROWS accounts of Alice's, each with a parent, tags, a contact, an order and a payment."""
    tags = [Tag.objects.create(name=name) for name in ("steel", "export")]
    for number in range(ROWS):
        account = Account.objects.create(
            external_id=f"M-{number}",
            name=f"Many {number}",
            owner=cast.alice,
            region=cast.east,
            parent=cast.alice_steel,
        )
        account.tags.set(tags)
        boss = Contact.objects.create(
            account=account, name=f"Boss {number}", our_counterpart=cast.alice
        )
        Contact.objects.create(account=account, name=f"Staff {number}", reports_to=boss)
        order = Order.objects.create(
            account=account,
            order_date=dt.date(2024, 1, 1) + dt.timedelta(days=number),
            amount=Decimal(number),
        )
        Payment.objects.create(
            account=account, order=order, due_date=dt.date(2024, 2, 1), amount=Decimal(number)
        )


@pytest.mark.parametrize("resource", ["accounts", "contacts", "orders", "payments"])
def test_it_reads_a_full_page_in_a_few_queries(
    cast: Cast, api_as: ApiAs, many: None, django_assert_max_num_queries: Any, resource: str
) -> None:
    alice = api_as(cast.alice)
    # the token, its last-used mark, the count, the page and, for accounts, their tags
    with django_assert_max_num_queries(5):
        page = alice.get(f"/api/{resource}", limit=200).json()
    assert len(page["items"]) >= ROWS


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"q": "bob"}, ["B-1"]),
        ({"q": "B-2"}, ["B-2"]),
        ({"q": "ALICE STEEL"}, ["A-1"]),  # the name without its legal form, any case
        ({"industry": Industry.TELECOM}, ["B-2"]),
        ({"region": "east"}, ["A-1"]),
        ({"owner": "bob"}, ["B-1", "B-2"]),
        ({"ownership_type": OwnershipType.STATE_OWNED}, ["A-1"]),
        ({"status": AccountStatus.ACTIVE}, ["A-1", "B-1", "B-2"]),
        ({"status": AccountStatus.LOST}, []),
    ],
)
def test_it_filters_accounts(
    cast: Cast, api_as: ApiAs, query: dict[str, str], expected: list[str]
) -> None:
    items = api_as(cast.dora).get("/api/accounts", **query).json()["items"]
    assert sorted(item["external_id"] for item in items) == expected


def test_it_filters_contacts_by_account_and_role(cast: Cast, api_as: ApiAs) -> None:
    Contact.objects.create(account=cast.alice_steel, name="Coach", buying_role=BuyingRole.COACH)
    Contact.objects.create(account=cast.alice_steel, name="User", buying_role=BuyingRole.USER_BUYER)
    Contact.objects.create(account=cast.bob_mining, name="Other", buying_role=BuyingRole.COACH)
    dora = api_as(cast.dora)
    by_account = dora.get("/api/contacts", account=cast.alice_steel.pk).json()["items"]
    coaches = dora.get("/api/contacts", account=cast.alice_steel.pk, buying_role="coach").json()
    assert sorted(c["name"] for c in by_account) == ["Coach", "User"]
    assert [c["name"] for c in coaches["items"]] == ["Coach"]


def test_it_filters_orders_and_payments_by_account_and_dates(cast: Cast, api_as: ApiAs) -> None:
    for day in (1, 15, 28):
        when = dt.date(2024, 2, day)
        Order.objects.create(account=cast.alice_steel, order_date=when, amount=Decimal(day))
        Payment.objects.create(account=cast.alice_steel, due_date=when, amount=Decimal(day))
    Order.objects.create(
        account=cast.bob_mining, order_date=dt.date(2024, 2, 15), amount=Decimal(1)
    )
    dora = api_as(cast.dora)
    window = {"since": "2024-02-10", "until": "2024-02-28", "account": cast.alice_steel.pk}
    orders = dora.get("/api/orders", **window).json()["items"]
    payments = dora.get("/api/payments", **window).json()["items"]
    assert [o["order_date"] for o in orders] == ["2024-02-28", "2024-02-15"]
    assert [p["due_date"] for p in payments] == ["2024-02-28", "2024-02-15"]


def test_it_pages_in_a_stable_order(cast: Cast, api_as: ApiAs, many: None) -> None:
    alice = api_as(cast.alice)
    pages = [alice.get("/api/accounts", limit=7, offset=start).json() for start in range(0, 35, 7)]
    seen = [item["id"] for page in pages for item in page["items"]]
    assert len(seen) == len(set(seen)) == pages[0]["count"] == ROWS + 2
