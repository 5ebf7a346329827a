"""The segment pages, the API lists and the account page's strategies cost a fixed number
of queries, however many segments, members and strategies there are (no N+1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kam.accounts.models import Account, Tag
from kam.segments.models import Segment, Strategy
from kam.segments.services import strategies_for_account
from kam.transactions.models import Order
from tests.conftest import Cast
from tests.segments.conftest import between, make_segment, one_of, rule
from tests.web.conftest import client_for

LIST_BUDGET = 7  # session, user, segments, active strategies, member counts, revenues, unread
DETAIL_BUDGET = 11  # session, user, segment, strategies, stats (2), count, rows, tags, history,
# and the unread notifications in the header
ACCOUNT_STRATEGIES_BUDGET = 3  # segments, membership of the account in all, strategies
API_LIST_BUDGET = 6  # token, count, segments, member counts, revenues, region names
ACCOUNT_PART_BUDGET = 6  # session, user, account, and strategies_for_account's three

DEFINITIONS = [
    rule(one_of("region", "east")),
    rule(one_of("tags", "key"), between("employees", 10)),
    rule(between("orders_12m", 1), between("discounted_share_12m", 0.1), match="any"),
    rule(one_of("tier", "core", "diamond", op="not_in"), one_of("city", "Suzhou")),
    rule(between("mean_discount_12m", None, 0.5), between("days_since_last_order", None, 400)),
    rule(one_of("rfm_segment", "champions"), one_of("lifecycle", "mature"), match="any"),
]


@pytest.fixture
def crowd(cast: Cast) -> list[Account]:
    """Forty accounts of Alice's team, each with an order, some tagged."""
    key = Tag.objects.create(name="key")
    accounts = []
    for number in range(40):
        owner = cast.alice if number % 2 else cast.tom
        account = Account.objects.create(
            external_id=f"M-{number}",
            name=f"Many {number}",
            owner=owner,
            region=cast.east,
            employees=10 + number,
            city="Suzhou",
        )
        account.tags.add(key)
        Order.objects.create(
            account=account,
            order_date=dt.date.today() - dt.timedelta(days=number),
            amount=Decimal(100 + number),
            discount_rate=Decimal("0.2") if number % 3 else None,
        )
        accounts.append(account)
    return accounts


def segments(cast: Cast, count: int) -> list[Segment]:
    made = []
    for number in range(count):
        segment = make_segment(cast.dora, f"S{number}", DEFINITIONS[number % len(DEFINITIONS)])
        for status in ("active", "draft", "retired"):
            Strategy.objects.create(
                segment=segment, name=f"{status} {number}", status=status, owner=cast.dora
            )
        made.append(segment)
    return made


def queries(run: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        run()
    return len(captured)


def test_it_lists_segments_in_a_fixed_number_of_queries(cast: Cast, crowd: list[Account]) -> None:
    client = client_for(cast.mary)  # a sales manager: the widest scoped query
    segments(cast, 3)
    few = queries(lambda: client.get(reverse("segments:list")))
    Segment.objects.all().delete()
    segments(cast, 12)
    many = queries(lambda: client.get(reverse("segments:list")))
    assert few == many <= LIST_BUDGET


def test_it_shows_a_segment_page_in_a_fixed_number_of_queries(
    cast: Cast, crowd: list[Account]
) -> None:
    client = client_for(cast.mary)
    [segment] = segments(cast, 1)  # the 40 accounts of region east
    url = reverse("segments:detail", args=[segment.pk])
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert len(response.context["page"].object_list) == 41  # and Alice Steel
    assert len(captured) <= DETAIL_BUDGET
    for account in crowd[5:]:
        account.region = None
        account.save()
    assert len(client.get(url).context["page"].object_list) == 6
    assert queries(lambda: client.get(url)) == len(captured)


def test_it_finds_an_account_s_strategies_in_three_queries(
    cast: Cast, crowd: list[Account]
) -> None:
    account = crowd[1]  # Alice's
    segments(cast, 3)
    with CaptureQueriesContext(connection) as few:
        found = strategies_for_account(cast.alice, account)
    assert found  # member of some, with strategies
    for number in range(3, 30):
        make_segment(cast.dora, f"T{number}", DEFINITIONS[number % len(DEFINITIONS)])
    with CaptureQueriesContext(connection) as many:
        strategies_for_account(cast.alice, account)
    assert len(few) == len(many) == ACCOUNT_STRATEGIES_BUDGET


def test_it_adds_no_query_to_the_account_page_and_loads_the_strategies_after_it(
    cast: Cast, crowd: list[Account]
) -> None:
    account = crowd[1]
    segments(cast, 12)
    request = RequestFactory().get(account.get_absolute_url())
    request.user = cast.alice
    with CaptureQueriesContext(connection) as included:
        html = render_to_string(
            "segments/_account_strategies.html", {"account": account}, request=request
        )
    assert len(included) == 0  # the account page stays within its budget of 20
    url = reverse("segments:account_strategies", args=[account.pk])
    assert f'hx-get="{url}" hx-trigger="load"' in html
    client = client_for(cast.alice)
    with CaptureQueriesContext(connection) as loaded:
        part = client.get(url, HTTP_HX_REQUEST="true")
    assert part.context["segment_strategies"]
    assert len(loaded) <= ACCOUNT_PART_BUDGET


def test_it_lists_segments_and_members_in_the_api_in_a_fixed_number_of_queries(
    cast: Cast, crowd: list[Account], api_as: Any
) -> None:
    client = api_as(cast.mary)
    [first, *_rest] = segments(cast, 3)
    client.get("/api/me")  # the token's first use is written down; later ones are not
    few = queries(lambda: client.get("/api/segments"))
    members = queries(lambda: client.get(f"/api/segments/{first.pk}/members"))
    for number in range(12):
        make_segment(cast.dora, f"U{number}", DEFINITIONS[number % len(DEFINITIONS)])
    for account in crowd[10:]:
        account.region = None
        account.save()
    assert queries(lambda: client.get("/api/segments")) == few <= API_LIST_BUDGET
    assert queries(lambda: client.get(f"/api/segments/{first.pk}/members")) == members <= 5
