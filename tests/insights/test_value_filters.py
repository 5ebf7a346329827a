"""Accounts narrowed by the value engine's results (with_value_results), and the RFM grid
whose cells link to the account list of exactly the accounts they count."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.insights.models import AccountScore, RunStatus, ScoringRun
from kam.insights.services import (
    clear_tier_override,
    current_tier,
    latest_run,
    rfm_segment_codes,
    run_scoring,
    segment_name,
    set_tier_override,
    with_value_results,
)
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, add_order

AS_OF = dt.date(2025, 12, 31)
CELL = re.compile(
    r'<a class="rfm-cell" href="(?P<url>[^"]+)"[^>]*>\s*<strong>(?P<count>\d+)</strong>'
)


def names(rows: object) -> list[str]:
    return sorted(a.name for a in rows)  # type: ignore[attr-defined]


def everyone() -> list[str]:
    return names(Account.objects.all())


def matching(**criteria: object) -> list[str]:
    return names(with_value_results(Account.objects.all(), **criteria))  # type: ignore[arg-type]


def test_it_narrows_by_the_computed_tier_and_lets_an_override_win(
    book: Cast, engine: FakeEngine
) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond", book.shared_telecom.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    assert matching(tier="diamond") == ["Bob Mining"]
    assert matching(tier="core") == ["Shared Telecom"]
    assert matching(tier="basic") == ["Alice Steel Co., Ltd."]
    set_tier_override(actor=book.dora, account=book.alice_steel, tier="core", reason="deal")
    set_tier_override(actor=book.dora, account=book.bob_mining, tier="potential", reason="x")
    assert matching(tier="core") == ["Alice Steel Co., Ltd.", "Shared Telecom"]
    assert matching(tier="basic") == []
    assert matching(tier="diamond") == []
    assert matching(tier="potential") == ["Bob Mining"]
    clear_tier_override(actor=book.dora, account=book.bob_mining)
    assert matching(tier="diamond") == ["Bob Mining"]
    assert matching(tier="potential") == []


def test_it_annotates_the_same_tier_as_current_tier(book: Cast, engine: FakeEngine) -> None:
    extra = Account.objects.create(external_id="P-1", name="Prospect", owner=book.alice)
    engine.tiers = {book.bob_mining.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    set_tier_override(actor=book.dora, account=book.shared_telecom, tier="diamond", reason="x")
    set_tier_override(actor=book.dora, account=extra, tier="potential", reason="no orders yet")
    tiers = {a.pk: a.effective_tier for a in with_value_results(Account.objects.all())}
    assert tiers == {a.pk: current_tier(a) for a in Account.objects.all()}
    assert tiers[extra.pk] == "potential"  # set by hand, never scored
    assert matching(tier="potential") == ["Prospect"]


def test_it_uses_the_latest_successful_run_only(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.alice_steel.pk: "diamond"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    assert matching(tier="diamond") == ["Alice Steel Co., Ltd."]
    engine.tiers = {book.bob_mining.pk: "diamond"}
    second = run_scoring(actor=book.dora, as_of=AS_OF)
    assert matching(tier="diamond") == ["Bob Mining"]
    AccountScore.objects.filter(run=second, account=book.bob_mining).update(m_score=1)
    assert matching(m_score=1) == ["Bob Mining"]
    engine.tiers, engine.fail = {book.shared_telecom.pk: "diamond"}, True
    failed = run_scoring(actor=book.dora, as_of=AS_OF)
    assert failed.status == RunStatus.FAILED
    # a failed run's scores (were there any) never count
    AccountScore.objects.create(
        run=failed,
        account=book.shared_telecom,
        frequency=0,
        recency=0,
        T=0,
        monetary=0,
        total_revenue=0,
        tier="diamond",
        m_score=1,
    )
    assert latest_run() == second
    assert matching(tier="diamond") == ["Bob Mining"]
    assert matching(m_score=1) == ["Bob Mining"]


def test_it_narrows_by_scores_segment_and_stage_all_at_once(book: Cast, engine: FakeEngine) -> None:
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    # the fake engine ranks by revenue: Bob Mining R5, Shared Telecom R4, Alice Steel R3
    AccountScore.objects.filter(run=run, account=book.shared_telecom).update(
        f_score=5, rfm_segment="loyal_customers", lifecycle="growth"
    )
    assert matching(r_score=5) == ["Bob Mining"]
    assert matching(r_score=3) == ["Alice Steel Co., Ltd."]
    assert matching(f_score=3) == ["Alice Steel Co., Ltd.", "Bob Mining"]
    assert matching(m_score=4) == everyone()
    assert matching(m_score=2) == []
    assert matching(rfm_segment="loyal_customers") == ["Shared Telecom"]
    assert matching(rfm_segment="champions") == ["Alice Steel Co., Ltd.", "Bob Mining"]
    assert matching(lifecycle="growth") == ["Shared Telecom"]
    assert matching(lifecycle="mature", r_score=3) == ["Alice Steel Co., Ltd."]
    assert matching(lifecycle="mature", tier="basic", f_score=3, m_score=4) == [
        "Alice Steel Co., Ltd.",
        "Bob Mining",
    ]
    assert matching(r_score=None, rfm_segment="", lifecycle="") == everyone()


def test_it_keeps_the_visibility_of_the_queryset_it_narrows(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    mine = visible_accounts(book.mary)
    assert names(with_value_results(mine, f_score=3)) == ["Alice Steel Co., Ltd."]
    assert names(with_value_results(mine, r_score=5)) == []  # Bob Mining is team North's


def test_it_matches_nothing_by_scores_before_the_first_run(cast: Cast) -> None:
    assert matching(r_score=5) == []
    assert matching(tier="basic") == []
    assert matching(rfm_segment="champions", lifecycle="mature") == []
    assert {a.effective_tier for a in with_value_results(Account.objects.all())} == {None}
    assert matching() == everyone()


def test_it_asks_the_database_one_question(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    set_tier_override(actor=book.dora, account=book.alice_steel, tier="core", reason="x")
    with CaptureQueriesContext(connection) as captured:
        rows = list(
            with_value_results(
                Account.objects.all(), tier="core", r_score=3, rfm_segment="champions"
            )
        )
    assert [a.effective_tier for a in rows] == ["core"]
    assert len(captured) == 1


def test_it_names_every_segment() -> None:
    codes = rfm_segment_codes()
    assert codes[0] == "champions" and "lost" in codes and len(codes) == 11
    assert all(segment_name(code) != code for code in codes)


# --- the RFM grid links to the account list ----------------------------------------------


@pytest.fixture
def spread(book: Cast, engine: FakeEngine) -> ScoringRun:
    """More accounts of both teams, scored, with F scores spread over the grid."""
    owners = [book.alice, book.tom, book.bob]
    for number in range(9):
        account = Account.objects.create(
            external_id=f"S-{number}", name=f"Spread {number}", owner=owners[number % 3]
        )
        add_order(account, dt.date(2025, 2, 3), str(100 + number))
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    for position, score in enumerate(AccountScore.objects.filter(run=run).order_by("pk")):
        score.f_score = position % 5 + 1
        score.save(update_fields=["f_score"])
    return run


def grid_links(client: Client) -> list[tuple[str, int]]:
    page = client.get("/insights/rfm/").content.decode()
    return [(html.unescape(m["url"]), int(m["count"])) for m in CELL.finditer(page)]


@pytest.mark.parametrize("who", ["dora", "mary", "alice", "nick", "tom"])
def test_each_rfm_cell_links_to_the_accounts_it_counts(
    book: Cast, spread: ScoringRun, who: str
) -> None:
    user: User = getattr(book, who)
    client = Client()
    client.force_login(user)
    links = grid_links(client)
    assert len(links) == 25
    assert sum(count for _url, count in links) == (
        AccountScore.objects.filter(run=spread, account__in=visible_accounts(user)).count()
    )
    for url, count in links:
        r, f = (int(n) for n in re.findall(r"[rf]_score=(\d)", url))
        assert url == f"/accounts/?r_score={r}&f_score={f}"
        listed = client.get(url).context["page"]
        assert listed.paginator.count == count, url
        expected = AccountScore.objects.filter(
            run=spread, r_score=r, f_score=f, account__in=visible_accounts(user)
        ).values_list("account__name", flat=True)
        assert names(listed.object_list) == sorted(expected)


def test_the_rfm_grid_of_an_empty_book_has_no_links(cast: Cast) -> None:
    client = Client()
    client.force_login(cast.dora)
    assert grid_links(client) == []


SEGMENT_LINK = re.compile(
    r'<a href="(?P<url>/accounts/\?rfm_segment=[a-z_]+)">[^<]*</a></td>\s*'
    r'<td class="num">(?P<count>\d+)</td>'
)


@pytest.mark.parametrize("who", ["dora", "mary", "alice"])
def test_each_rfm_segment_links_to_the_accounts_it_counts(
    book: Cast, engine: FakeEngine, who: str
) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    run = latest_run()
    assert run is not None
    AccountScore.objects.filter(run=run, account=book.bob_mining).update(rfm_segment="at_risk")
    user: User = getattr(book, who)
    client = Client()
    client.force_login(user)
    page = client.get("/insights/rfm/").content.decode()
    links = [(html.unescape(m["url"]), int(m["count"])) for m in SEGMENT_LINK.finditer(page)]
    assert len(links) == len(rfm_segment_codes())
    visible = AccountScore.objects.filter(run=run, account__in=visible_accounts(user))
    assert sum(count for _url, count in links) == visible.count()
    for url, count in links:
        code = url.rsplit("=", 1)[1]
        listed = client.get(url).context["page"]
        assert listed.paginator.count == count, url
        expected = visible.filter(rfm_segment=code).values_list("account__name", flat=True)
        assert names(listed.object_list) == sorted(expected)


def test_the_dashboards_tier_rows_link_to_the_accounts_of_that_tier(
    book: Cast, engine: FakeEngine
) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond", book.shared_telecom.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    client = Client()
    client.force_login(book.dora)
    page = client.get("/insights/").content.decode()
    for tier, expected in (
        ("diamond", ["Bob Mining"]),
        ("core", ["Shared Telecom"]),
        ("basic", ["Alice Steel Co., Ltd."]),
    ):
        url = f"/accounts/?tier={tier}"
        assert f'href="{url}"' in page
        assert names(client.get(url).context["page"].object_list) == expected
