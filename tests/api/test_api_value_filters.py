"""The account list of the API filters by the latest scoring run's results like the web
list: effective tier (a tier set by hand wins), R, F and M scores, RFM segment and
lifecycle stage; bad values are refused (422) and visibility still applies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.models import User
from kam.insights.models import AccountScore, RunStatus, ScoringRun, TierOverride
from tests.api.conftest import ApiClient
from tests.conftest import Cast

ApiAs = Callable[[User], ApiClient]


def make_run(status: str = RunStatus.SUCCEEDED) -> ScoringRun:
    return ScoringRun.objects.create(
        status=status, as_of=timezone.localdate(), time_unit="week", horizon=52, discount_rate=0.1
    )


def make_score(run: ScoringRun, account: Account, tier: str, **values: Any) -> None:
    AccountScore.objects.create(
        run=run,
        account=account,
        tier=tier,
        frequency=1.0,
        recency=1.0,
        T=2.0,
        monetary=1.0,
        total_revenue=1.0,
        **values,
    )


@pytest.fixture
def scored(cast: Cast) -> None:
    """Latest run: Alice Steel basic R2 F1 M3 hibernating declining; Bob Mining core R5 F4 M5
    champions mature; Shared Telecom basic R4 F4 M2 loyal growth, set by hand to potential.
    An older run says diamond for everybody."""
    older = make_run()
    for account in (cast.alice_steel, cast.bob_mining, cast.shared_telecom):
        make_score(older, account, "diamond", r_score=1, f_score=1, m_score=1)
    latest = make_run()
    values: list[tuple[Account, str, int, int, int, str, str]] = [
        (cast.alice_steel, "basic", 2, 1, 3, "hibernating", "declining"),
        (cast.bob_mining, "core", 5, 4, 5, "champions", "mature"),
        (cast.shared_telecom, "basic", 4, 4, 2, "loyal_customers", "growth"),
    ]
    for account, tier, r, f, m, segment, stage in values:
        make_score(
            latest,
            account,
            tier,
            r_score=r,
            f_score=f,
            m_score=m,
            rfm_segment=segment,
            lifecycle=stage,
        )
    TierOverride.objects.create(account=cast.shared_telecom, tier="potential", reason="x")


def ids(client: ApiClient, **query: Any) -> list[str]:
    response = client.get("/api/accounts", **query)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == len(body["items"])
    return sorted(item["external_id"] for item in body["items"])


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"tier": "potential"}, ["B-2"]),
        ({"tier": "basic"}, ["A-1"]),
        ({"tier": "core"}, ["B-1"]),
        ({"tier": "diamond"}, []),
        ({"r_score": 5}, ["B-1"]),
        ({"f_score": 4}, ["B-1", "B-2"]),
        ({"m_score": 3}, ["A-1"]),
        ({"rfm_segment": "loyal_customers"}, ["B-2"]),
        ({"lifecycle": "declining"}, ["A-1"]),
        ({"f_score": 4, "owner": "bob", "industry": "energy"}, ["B-1"]),
        ({"f_score": 4, "tier": "basic"}, []),
    ],
)
def test_it_filters_accounts_by_value(
    cast: Cast, api_as: ApiAs, scored: None, query: dict[str, Any], expected: list[str]
) -> None:
    assert ids(api_as(cast.dora), **query) == expected


@pytest.mark.parametrize(
    ("who", "query", "expected"),
    [
        ("mary", {"f_score": 4}, []),
        ("mary", {"tier": "basic"}, ["A-1"]),
        ("alice", {"tier": "potential"}, ["B-2"]),
        ("alice", {"tier": "core"}, []),
        ("nick", {"rfm_segment": "hibernating"}, []),
    ],
)
def test_it_filters_only_visible_accounts(
    cast: Cast, api_as: ApiAs, scored: None, who: str, query: dict[str, Any], expected: list[str]
) -> None:
    assert ids(api_as(getattr(cast, who)), **query) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tier", "foo"),
        ("r_score", 9),
        ("f_score", 0),
        ("m_score", "x"),
        ("rfm_segment", "nope"),
        ("lifecycle", "zombie"),
    ],
)
def test_it_refuses_a_bad_filter_value(
    cast: Cast, api_as: ApiAs, scored: None, name: str, value: Any
) -> None:
    response = api_as(cast.dora).get("/api/accounts", **{name: value})
    assert response.status_code == 422, response.content
    assert name in response.content.decode()


def test_it_finds_nothing_by_scores_before_the_first_run(cast: Cast, api_as: ApiAs) -> None:
    dora = api_as(cast.dora)
    assert ids(dora, r_score=5) == []
    assert ids(dora, tier="basic") == []
    assert ids(dora) == ["A-1", "B-1", "B-2"]


def test_it_filters_by_value_in_a_few_queries(
    cast: Cast, api_as: ApiAs, scored: None, django_assert_max_num_queries: Any
) -> None:
    alice = api_as(cast.alice)
    # the token, its last-used mark, the count, the page and their tags
    with django_assert_max_num_queries(5):
        page = alice.get("/api/accounts", tier="potential", f_score=4).json()
    assert [item["external_id"] for item in page["items"]] == ["B-2"]
