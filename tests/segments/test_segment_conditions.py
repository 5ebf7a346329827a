"""Each condition on an account's attributes selects exactly the accounts it describes,
alone and combined with all (and) or any (or)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.segments.conftest import ALL_NAMES, Book, between, members_of, one_of

ALICE, BOB, TELECOM = "Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"
CHEM, FOODS, TINY = "Big Chem", "Mid Foods", "Tiny Tech"

CASES: list[tuple[dict[str, Any], set[str]]] = [
    (one_of("industry", "chemicals", "food"), {CHEM, FOODS}),
    (one_of("industry", "chemicals", "food", op="not_in"), ALL_NAMES - {CHEM, FOODS}),
    (one_of("ownership_type", "foreign_invested"), {TELECOM, CHEM}),
    (one_of("status", "dormant", "prospect"), {FOODS, TINY}),
    (one_of("status", "active", op="not_in"), {FOODS, TINY}),
    (one_of("country", "de"), {CHEM}),  # case does not matter
    (one_of("country", "CN"), ALL_NAMES - {CHEM}),
    (one_of("province", "JIANGSU"), {ALICE, FOODS}),  # "Jiangsu" and "jiangsu"
    (one_of("city", "Suzhou", "munich"), {ALICE, FOODS, CHEM}),
    (one_of("city", "suzhou", op="not_in"), ALL_NAMES - {ALICE, FOODS}),
    (one_of("region", "east"), {ALICE, FOODS}),
    (one_of("region", "north", "east"), {ALICE, FOODS, BOB, TELECOM}),
    (one_of("region", "east", op="not_in"), {BOB, TELECOM, CHEM, TINY}),  # no region too
    (one_of("tags", "export"), {FOODS}),
    (one_of("tags", "strategic", "nobody-has-it"), {CHEM, FOODS}),
    (one_of("tags", "export", op="not_in"), ALL_NAMES - {FOODS}),
    (between("employees", 100, 999), {FOODS}),
    (between("employees", None, 99), {TINY}),  # unknown sizes are in no band
    (between("employees", 1000), {CHEM}),
    (between("employees", 20, 5000), {CHEM, FOODS, TINY}),  # bounds included
    (between("annual_revenue", 1_000_000, 50_000_000), {FOODS, TINY}),
    (between("annual_revenue", 50_000_000.01), {CHEM}),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_it_selects_exactly_the_accounts_a_condition_describes(
    book: Book, condition: dict[str, Any], expected: set[str]
) -> None:
    assert members_of(book.cast.dora, condition) == expected


def test_it_combines_conditions_with_all(book: Book) -> None:
    conditions = (one_of("region", "east"), between("employees", 100))
    assert members_of(book.cast.dora, *conditions, match="all") == {FOODS}


def test_it_combines_conditions_with_any(book: Book) -> None:
    conditions = (one_of("region", "east"), between("employees", 1000))
    assert members_of(book.cast.dora, *conditions, match="any") == {ALICE, FOODS, CHEM}


def test_it_combines_attributes_value_and_behaviour(book: Book) -> None:
    # any: Tom's strategic accounts, or a diamond (Bob, by hand), or frequent buyers (Alice)
    conditions = (
        one_of("tags", "strategic"),
        one_of("tier", "diamond"),
        between("orders_12m", 12),
    )
    assert members_of(book.cast.dora, *conditions, match="any") == {CHEM, FOODS, BOB, ALICE}
    assert members_of(book.cast.dora, *conditions, match="all") == set()


def test_it_follows_changes_of_the_accounts_without_being_refreshed(book: Book) -> None:
    condition = one_of("industry", "food")
    assert members_of(book.cast.dora, condition) == {FOODS}
    book.tiny_tech.industry = "food"
    book.tiny_tech.save()
    assert members_of(book.cast.dora, condition) == {FOODS, TINY}
