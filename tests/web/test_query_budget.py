"""List pages cost a fixed number of queries however many rows they show (no N+1)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from kam.accounts.models import Account, Tag
from kam.contacts.models import Contact
from kam.insights.models import AccountScore, RunStatus, ScoringRun, TierOverride
from kam.transactions.models import Order, Payment
from tests.conftest import Cast
from tests.web.conftest import client_for

BUDGET = 9  # session, user, count, rows, prefetched tags, the filter choices, unread notifications


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
    # 20 for the archive and the value section, 1 for the latest risk snapshot, 1 for the
    # unread notifications in the header.
    with django_assert_max_num_queries(22):  # type: ignore[operator]
        response = client.get(account.get_absolute_url())
    assert response.status_code == 200


def score_everyone(tiers: tuple[str, ...]) -> None:
    """A successful run that scores every account, and tiers set by hand for a few."""
    run = ScoringRun.objects.create(
        status=RunStatus.SUCCEEDED,
        as_of=dt.date(2026, 3, 1),
        time_unit="week",
        horizon=52,
        discount_rate=0.1,
    )
    accounts = list(Account.objects.order_by("pk"))
    AccountScore.objects.bulk_create(
        AccountScore(
            run=run,
            account=account,
            frequency=1.0,
            recency=1.0,
            T=2.0,
            monetary=1.0,
            total_revenue=1.0,
            tier=tiers[n % len(tiers)],
            r_score=5,
            f_score=n % 5 + 1,
            m_score=3,
            rfm_segment="champions",
            lifecycle="mature",
        )
        for n, account in enumerate(accounts)
    )
    for account in accounts[::7]:
        TierOverride.objects.create(account=account, tier="diamond", reason="x")


def queries_of_list(
    client: object, params: dict[str, str], django_assert_max_num_queries: object
) -> tuple[int, int]:
    """(queries, rows shown) of the account list with these filters."""
    with django_assert_max_num_queries(BUDGET) as captured:  # type: ignore[operator]
        response = client.get(reverse("accounts:list"), params)  # type: ignore[attr-defined]
    assert response.status_code == 200
    return len(captured), len(response.context["page"].object_list)


VALUE_FILTERS = [
    {"tier": "core"},
    {"tier": "diamond"},
    {"r_score": "5", "f_score": "2"},
    {"m_score": "3", "rfm_segment": "champions", "lifecycle": "mature"},
    {"tier": "basic", "r_score": "5", "owner": "alice"},
]


@pytest.mark.parametrize("params", VALUE_FILTERS)
def test_it_filters_by_value_and_shows_tiers_in_a_fixed_number_of_queries(
    cast: Cast, crowd: None, django_assert_max_num_queries: object, params: dict[str, str]
) -> None:
    client = client_for(cast.mary)  # a sales manager: the widest scoped query
    score_everyone(("core", "basic", "potential"))
    plain = {k: v for k, v in params.items() if k in {"q", "owner", "region", "industry"}}
    unfiltered, _all = queries_of_list(client, plain, django_assert_max_num_queries)
    few, some = queries_of_list(client, params, django_assert_max_num_queries)
    assert some >= 1
    assert few == unfiltered  # the filters and the tier badges cost no query of their own
    for number in range(40):
        owner = cast.alice if number % 2 else cast.tom
        Account.objects.create(external_id=f"N-{number}", name=f"New {number}", owner=owner)
    ScoringRun.objects.all().delete()
    TierOverride.objects.all().delete()
    score_everyone(("core", "basic", "potential"))
    many, more = queries_of_list(client, params, django_assert_max_num_queries)
    assert more > some
    assert many == few


def test_it_says_there_is_no_run_within_the_query_budget(
    cast: Cast, crowd: None, django_assert_max_num_queries: object
) -> None:
    _queries, rows = queries_of_list(
        client_for(cast.mary), {"r_score": "5"}, django_assert_max_num_queries
    )
    assert rows == 0
