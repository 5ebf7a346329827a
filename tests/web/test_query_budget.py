"""List pages cost a fixed number of queries however many rows they show (no N+1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.accounts.models import Account, Tag
from kam.contacts.models import Contact
from kam.transactions.models import Order, Payment
from tests.conftest import Cast
from tests.web.conftest import client_for

BUDGET = 8  # session, user, count, rows, prefetched tags and the filter choices


@pytest.fixture
def crowd(cast: Cast) -> None:
    tag = Tag.objects.create(name="key")
    for number in range(40):
        owner = cast.alice if number % 2 else cast.tom
        account = Account.objects.create(
            external_id=f"M-{number}", name=f"Many {number}", owner=owner, region=cast.east
        )
        account.tags.add(tag)
        Contact.objects.create(account=account, name=f"Person {number}", our_counterpart=owner)
        order = Order.objects.create(
            account=account, order_date=dt.date(2026, 1, 1), amount=Decimal(number)
        )
        Payment.objects.create(
            account=account, order=order, due_date=dt.date(2026, 2, 1), amount=Decimal(number)
        )


@pytest.mark.parametrize(
    "name",
    ["accounts:list", "contacts:list", "transactions:orders", "transactions:payments", "core:home"],
)
def test_it_lists_forty_rows_within_the_query_budget(
    cast: Cast, crowd: None, django_assert_max_num_queries: object, name: str
) -> None:
    client = client_for(cast.mary)  # a sales manager: the widest scoped query
    with django_assert_max_num_queries(BUDGET):  # type: ignore[operator]
        response = client.get(reverse(name))
    assert response.status_code == 200
    if "page" in response.context:
        assert len(response.context["page"].object_list) >= 40


def test_it_shows_an_account_page_within_the_query_budget(
    cast: Cast, crowd: None, django_assert_max_num_queries: object
) -> None:
    account = Account.objects.get(external_id="M-1")
    client = client_for(cast.alice)
    with django_assert_max_num_queries(20):  # type: ignore[operator]
        response = client.get(account.get_absolute_url())
    assert response.status_code == 200
