"""Evaluating segments (SEG-3, SEG-4) on the hand-made book: size, revenue, growth,
average CLV, accessibility and the validity checks, over the accounts the reader sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.contacts.models import Contact
from kam.insights.models import AccountScore
from kam.insights.services import latest_run
from kam.segments.evaluation import evaluate_segments
from kam.segments.models import Segment
from tests.segments.conftest import Book, make_segment, one_of, rule
from tests.web.conftest import client_for


@pytest.fixture
def north(book: Book) -> Segment:
    """Bob Mining and Shared Telecom. Bob Mining has CLV 100 and a contact."""
    run = latest_run()
    AccountScore.objects.filter(run=run, account=book.cast.bob_mining).update(clv=100.0)
    AccountScore.objects.filter(run=run, account=book.cast.alice_steel).update(clv=500.0)
    Contact.objects.create(account=book.cast.bob_mining, name="Wang")
    return make_segment(book.cast.dora, "North", rule(one_of("region", "north")))


def test_it_measures_size_revenue_growth_clv_and_accessibility(book: Book, north: Segment) -> None:
    [result] = evaluate_segments(book.cast.dora, [north]).segments
    assert result.accounts == 2
    assert result.revenue == 4000  # Bob Mining's 1,000 + 3,000; Shared Telecom nothing
    assert result.revenue_prev == 52000  # 50,000 on day 400, 2,000 on day 500
    assert result.growth == pytest.approx((4000 - 52000) / 52000)
    assert result.clv_mean == 100.0 and result.clv_accounts == 1  # Shared Telecom: no score
    assert result.owner_share == 1.0
    assert result.contact_share == 0.5
    assert result.margin is None  # no order of the window has a margin
    assert result.revenue_share == pytest.approx(4000 / (12000 + 4000 + 9000))


def test_it_shows_pass_and_warn_with_the_reasons(book: Book, north: Segment) -> None:
    [result] = evaluate_segments(book.cast.dora, [north]).segments
    checks = {c.check: c for c in result.checks}
    assert checks["substantial"].status == "pass"  # 2 of 6 accounts
    assert checks["accessible"].status == "warn"  # half have a contact
    assert checks["accessible"].reason
    assert checks["accessible"].figures


def test_it_has_no_growth_without_revenue_before(book: Book) -> None:
    steel = make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    [result] = evaluate_segments(book.cast.dora, [steel]).segments
    assert result.revenue == 12000 and result.growth is None


def test_it_places_segments_on_the_matrix_and_compares_them(book: Book, north: Segment) -> None:
    steel = make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    evaluation = evaluate_segments(book.cast.dora, [north, steel])
    by_name = {e.segment.name: e for e in evaluation.segments}
    # Steel: the largest (size index 1) with unknown growth (index 0.5); North: a third of
    # it, falling by more than half (growth index 0).
    assert by_name["Steel"].attractiveness == pytest.approx(0.75)
    assert by_name["North"].attractiveness == pytest.approx(0.5 * 4000 / 12000)
    # Position: the share of diamond/core among the tiered members (Bob diamond by hand).
    assert by_name["North"].position == 1.0 and by_name["Steel"].position == 1.0
    assert len(evaluation.bubbles) == 2
    assert {c.check for c in evaluation.overall} >= {"differentiable", "homogeneous"}


def test_it_evaluates_only_what_an_account_manager_sees(book: Book, north: Segment) -> None:
    [result] = evaluate_segments(book.cast.alice, [north]).segments
    assert result.accounts == 1  # Shared Telecom (on her account team), not Bob Mining
    assert result.revenue == 0 and result.revenue_prev == 2000 and result.growth == -1.0
    assert result.clv_mean is None


def test_it_shows_the_outsider_nothing(book: Book) -> None:
    steel = make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    evaluation = evaluate_segments(book.cast.bob, [steel])
    assert evaluation.segments[0].accounts == 0 and evaluation.bubbles == []
    page = client_for(book.cast.bob).get(reverse("segments:evaluate", args=[steel.pk]))
    assert page.status_code == 200
    assert "Alice Steel" not in page.content.decode()
    assert evaluation.segments[0].checks[0].status == "not_checked"


def test_the_pages_show_the_figures_and_the_matrix(book: Book, north: Segment) -> None:
    steel = make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))
    client = client_for(book.cast.dora)
    page = client.get(reverse("segments:evaluate", args=[north.pk])).content.decode()
    assert "-92%" in page  # growth
    assert "not recorded" in page  # competitive intensity
    assert "<svg" in page and 'class="bubble"' in page
    compare = client.get(reverse("segments:evaluate_compare") + f"?ids={north.pk}&ids={steel.pk}")
    text = compare.content.decode()
    assert compare.status_code == 200
    assert "North" in text and "Steel" in text and "Invest and grow" in text
