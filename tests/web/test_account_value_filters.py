"""The account list and its export filter by the latest scoring run's results: the
effective tier (a tier set by hand wins), the R, F and M scores, the RFM segment and the
lifecycle stage; the list shows the effective tier as a badge. Visibility still applies."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from kam.accounts.models import Account
from kam.core.models import User
from kam.insights.models import AccountScore, RunStatus, ScoringRun, TierOverride
from tests.conftest import Cast
from tests.web.conftest import client_for

ALICE, BOB, SHARED = "Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"


def make_run(status: str = RunStatus.SUCCEEDED) -> ScoringRun:
    return ScoringRun.objects.create(
        status=status,
        as_of=timezone.localdate(),
        time_unit="week",
        horizon=52,
        discount_rate=0.1,
    )


def make_score(run: ScoringRun, account: Account, tier: str, **values: object) -> AccountScore:
    defaults: dict[str, object] = {
        "frequency": 3.0,
        "recency": 10.0,
        "T": 20.0,
        "monetary": 100.0,
        "total_revenue": 1000.0,
    }
    return AccountScore.objects.create(
        run=run, account=account, tier=tier, **{**defaults, **values}
    )


def override(account: Account, tier: str, *, cleared: bool = False) -> TierOverride:
    return TierOverride.objects.create(
        account=account,
        tier=tier,
        reason="test",
        cleared_at=timezone.now() if cleared else None,
    )


@dataclass
class Scored:
    latest: ScoringRun


@pytest.fixture
def scored(cast: Cast) -> Scored:
    """An older run, the latest successful one and a failed one after it.

    In the latest run Alice Steel is basic (R2 F1 M3, hibernating, declining), Bob Mining
    core (R5 F4 M5, champions, mature) and Shared Telecom basic (R4 F4 M2, loyal
    customers, growth) but set by hand to potential. Alice Steel's override to core was
    cleared. The older and the failed run say diamond for everybody, which must not count.
    """
    older = make_run()
    for account in (cast.alice_steel, cast.bob_mining, cast.shared_telecom):
        make_score(older, account, "diamond", r_score=1, f_score=1, m_score=1)
    latest = make_run()
    make_score(
        latest,
        cast.alice_steel,
        "basic",
        r_score=2,
        f_score=1,
        m_score=3,
        rfm_segment="hibernating",
        lifecycle="declining",
    )
    make_score(
        latest,
        cast.bob_mining,
        "core",
        r_score=5,
        f_score=4,
        m_score=5,
        rfm_segment="champions",
        lifecycle="mature",
    )
    make_score(
        latest,
        cast.shared_telecom,
        "basic",
        r_score=4,
        f_score=4,
        m_score=2,
        rfm_segment="loyal_customers",
        lifecycle="growth",
    )
    failed = make_run(RunStatus.FAILED)
    make_score(failed, cast.alice_steel, "diamond", r_score=5, f_score=5, m_score=5)
    override(cast.shared_telecom, "potential")
    override(cast.alice_steel, "core", cleared=True)
    return Scored(latest)


def listed(user: User, **params: str) -> list[str]:
    response = client_for(user).get(reverse("accounts:list"), params)
    assert response.status_code == 200
    return sorted(a.name for a in response.context["page"].object_list)


def exported(user: User, fmt: str = "csv", **params: str) -> list[str]:
    response = client_for(user).get(reverse("accounts:export"), {"format": fmt, **params})
    assert response.status_code == 200
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(response.content)).active
        assert sheet is not None
        return sorted(str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True))
    rows = csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))
    return sorted(row["external_id"] for row in rows)


@pytest.mark.parametrize(
    ("tier", "expected"),
    [
        ("potential", [SHARED]),  # set by hand
        ("basic", [ALICE]),  # Shared Telecom's computed basic is overridden
        ("core", [BOB]),  # Alice Steel's override to core was cleared
        ("diamond", []),  # only older and failed runs said diamond
        ("", [ALICE, BOB, SHARED]),
    ],
)
def test_it_filters_by_the_effective_tier(
    cast: Cast, scored: Scored, tier: str, expected: list[str]
) -> None:
    assert listed(cast.dora, tier=tier) == expected


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"r_score": "5"}, [BOB]),
        ({"r_score": "1"}, []),  # the older run's R1 does not count
        ({"f_score": "4"}, [BOB, SHARED]),
        ({"f_score": "1"}, [ALICE]),
        ({"m_score": "3"}, [ALICE]),
        ({"m_score": "5"}, [BOB]),  # not Alice Steel's M5 of the failed run
        ({"rfm_segment": "champions"}, [BOB]),
        ({"rfm_segment": "loyal_customers"}, [SHARED]),
        ({"lifecycle": "growth"}, [SHARED]),
        ({"lifecycle": "declining"}, [ALICE]),
        ({"r_score": "4", "f_score": "4"}, [SHARED]),
        ({"f_score": "4", "tier": "core"}, [BOB]),
        ({"f_score": "4", "tier": "basic"}, []),
        ({"f_score": "4", "owner": "bob", "industry": "telecom"}, [SHARED]),
        ({"f_score": "4", "q": "mining"}, [BOB]),
        ({"tier": "basic", "region": "east", "status": "active"}, [ALICE]),
    ],
)
def test_it_filters_by_scores_segment_and_stage_with_the_other_filters(
    cast: Cast, scored: Scored, params: dict[str, str], expected: list[str]
) -> None:
    assert listed(cast.dora, **params) == expected


@pytest.mark.parametrize(
    ("who", "params", "expected"),
    [
        ("mary", {"f_score": "4"}, []),  # Bob Mining and Shared Telecom are team North's
        ("mary", {"tier": "core"}, []),
        ("mary", {"tier": "basic"}, [ALICE]),
        ("alice", {"f_score": "4"}, [SHARED]),  # on its account team
        ("alice", {"tier": "potential"}, [SHARED]),
        ("tom", {"tier": "basic"}, []),
        ("nick", {"tier": "core"}, [BOB]),
        ("nick", {"rfm_segment": "hibernating"}, []),
    ],
)
def test_it_never_shows_an_invisible_account_through_a_filter(
    cast: Cast, scored: Scored, who: str, params: dict[str, str], expected: list[str]
) -> None:
    assert listed(getattr(cast, who), **params) == expected


def test_it_shows_the_effective_tier_as_a_badge(cast: Cast, scored: Scored) -> None:
    response = client_for(cast.dora).get(reverse("accounts:list"))
    page = response.content.decode()
    assert '<span class="tier-badge tier-potential">Potential</span>' in page
    assert '<span class="tier-badge tier-core">Core</span>' in page
    assert page.count('<span class="tier-badge tier-basic">Basic</span>') == 1
    assert "tier-diamond" not in page
    tiers = {a.name: a.effective_tier for a in response.context["page"].object_list}
    assert tiers == {ALICE: "basic", BOB: "core", SHARED: "potential"}


def test_it_names_the_tier_in_the_page_language(cast: Cast, scored: Scored) -> None:
    client = client_for(cast.dora)
    page = client.get(reverse("accounts:list"), headers={"accept-language": "zh-hans"})
    labels = {a.name: a.effective_tier_label for a in page.context["page"].object_list}
    assert labels[BOB] != "Core" and labels[BOB]


def test_it_shows_no_badge_for_an_account_without_a_tier(cast: Cast) -> None:
    page = client_for(cast.dora).get(reverse("accounts:list")).content.decode()
    assert "tier-badge" not in page
    assert ALICE in page


def test_it_answers_an_htmx_filter_by_tier_with_the_results_only(
    cast: Cast, scored: Scored
) -> None:
    response = client_for(cast.dora).get(
        reverse("accounts:list"), {"tier": "core"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert "<html" not in page
    assert BOB in page and SHARED not in page and ALICE not in page


@pytest.mark.parametrize(
    ("who", "params", "expected"),
    [
        ("dora", {"tier": "potential"}, ["B-2"]),
        ("dora", {"f_score": "4", "fmt": "xlsx"}, ["B-1", "B-2"]),
        ("dora", {"rfm_segment": "hibernating"}, ["A-1"]),
        ("dora", {"r_score": "4", "lifecycle": "growth", "m_score": "2"}, ["B-2"]),
        ("mary", {"f_score": "4"}, []),
        ("mary", {"tier": "basic", "fmt": "xlsx"}, ["A-1"]),
        ("alice", {"f_score": "4"}, ["B-2"]),
    ],
)
def test_it_exports_what_the_filters_list(
    cast: Cast, scored: Scored, who: str, params: dict[str, str], expected: list[str]
) -> None:
    fmt = params.pop("fmt", "csv")
    assert exported(getattr(cast, who), fmt, **params) == expected


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("tier", "foo"),
        ("r_score", "9"),
        ("f_score", "0"),
        ("m_score", "x"),
        ("rfm_segment", "nope"),
        ("lifecycle", "zombie"),
    ],
)
def test_it_answers_a_bad_value_with_a_form_error(
    cast: Cast, scored: Scored, name: str, value: str
) -> None:
    client = client_for(cast.dora)
    response = client.get(reverse("accounts:list"), {name: value})
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == [name]
    assert "Select a valid choice" in response.content.decode()
    # the bad filter is left out, as with the other filters; the export does not fail
    assert response.context["page"].paginator.count == 3
    export = client.get(reverse("accounts:export"), {"format": "csv", name: value})
    assert export.status_code == 200


def test_it_finds_nothing_by_scores_before_the_first_run(cast: Cast) -> None:
    client = client_for(cast.dora)
    for params in ({"r_score": "5"}, {"tier": "core"}, {"rfm_segment": "champions"}):
        response = client.get(reverse("accounts:list"), params)
        assert response.status_code == 200
        assert list(response.context["page"].object_list) == []
        assert "There is no successful scoring run yet" in response.content.decode()
        assert exported(cast.dora, **params) == []
    assert listed(cast.dora) == [ALICE, BOB, SHARED]
    assert "There is no successful scoring run yet" not in (
        client.get(reverse("accounts:list")).content.decode()
    )


def test_it_finds_a_tier_set_by_hand_before_the_first_run(cast: Cast) -> None:
    override(cast.bob_mining, "diamond")
    make_run(RunStatus.FAILED)
    assert listed(cast.dora, tier="diamond") == [BOB]
    assert listed(cast.dora, tier="basic") == []
    assert listed(cast.dora, r_score="1") == []


def test_it_says_nothing_of_runs_when_a_run_exists_but_nothing_matches(
    cast: Cast, scored: Scored
) -> None:
    response = client_for(cast.dora).get(reverse("accounts:list"), {"tier": "diamond"})
    page = response.content.decode()
    assert "No accounts match these filters." in page
    assert "There is no successful scoring run yet" not in page
