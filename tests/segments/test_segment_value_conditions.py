"""Conditions on the value engine's results read the latest successful scoring run, and a
tier set by hand wins over the computed one (kam.insights.services.with_value_results)."""

from __future__ import annotations

from typing import Any

import pytest

from kam.insights.models import ScoringRun, TierOverride
from tests.segments.conftest import ALL_NAMES, Book, members_of, new_run, one_of, score

ALICE, BOB, CHEM = "Alice Steel Co., Ltd.", "Bob Mining", "Big Chem"

CASES: list[tuple[dict[str, Any], set[str]]] = [
    (one_of("tier", "core"), {ALICE}),  # not diamond: that was the old run
    (one_of("tier", "diamond"), {BOB}),  # set by hand
    (one_of("tier", "basic"), set()),  # Bob's computed tier, overridden
    (one_of("tier", "potential", "diamond"), {BOB, CHEM}),
    (one_of("tier", "diamond", op="not_in"), ALL_NAMES - {BOB}),  # the unscored too
    (one_of("rfm_segment", "champions"), {ALICE}),
    (one_of("rfm_segment", "at_risk", "new_customers"), {BOB, CHEM}),
    (one_of("rfm_segment", "lost"), set()),  # the failed run's
    (one_of("lifecycle", "growth"), {CHEM}),
    (one_of("lifecycle", "mature", "declining"), {ALICE, BOB}),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_it_selects_by_the_latest_successful_run(
    book: Book, condition: dict[str, Any], expected: set[str]
) -> None:
    assert members_of(book.cast.dora, condition) == expected


def test_it_follows_the_next_scoring_run_and_the_overrides(book: Book) -> None:
    cast = book.cast
    condition = one_of("tier", "core")
    assert members_of(cast.dora, condition) == {ALICE}

    run = new_run()
    score(run, cast.alice_steel, "basic", "hibernating", "declining")
    score(run, book.big_chem, "core", "champions", "mature")
    assert members_of(cast.dora, condition) == {CHEM}

    TierOverride.objects.filter(account=cast.bob_mining).update(tier="core")
    assert members_of(cast.dora, condition) == {CHEM, BOB}


def test_it_matches_no_score_condition_without_a_successful_run(book: Book) -> None:
    ScoringRun.objects.all().delete()
    assert members_of(book.cast.dora, one_of("rfm_segment", "champions")) == set()
    assert members_of(book.cast.dora, one_of("tier", "diamond")) == {BOB}  # by hand still
