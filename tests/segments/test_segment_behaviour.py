"""Purchasing behaviour (SEG-1): frequency, volume and price sensitivity over the last 12
months (days 0 to 364 before today), and the days since the last order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kam.segments.conditions import check_definition
from kam.segments.models import Segment
from kam.segments.services import segment_members
from tests.segments.conftest import Book, between, members_of, names, order, rule

ALICE, BOB, TELECOM = "Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"
CHEM, FOODS, TINY = "Big Chem", "Mid Foods", "Tiny Tech"

CASES: list[tuple[dict[str, Any], set[str]]] = [
    # frequency: orders with a positive amount in the window
    (between("orders_12m", 12), {ALICE}),
    (between("orders_12m", 1, 2), {BOB, CHEM}),  # Bob's day-400 order and the credit note: out
    (between("orders_12m", None, 0), {TELECOM, FOODS, TINY}),  # Mid Foods' day 365 is out
    (between("orders_12m", 0, 0), {TELECOM, FOODS, TINY}),
    # volume: net revenue in the window
    (between("revenue_12m", 5000), {ALICE, CHEM}),  # 12,000 and 10,000 - 1,000
    (between("revenue_12m", 9000, 9000), {CHEM}),
    (between("revenue_12m", None, 4000), {BOB, TELECOM, FOODS, TINY}),  # no order: 0
    (between("revenue_12m", 1, 4000), {BOB}),
    # price sensitivity: share of what was bought at a discount, and how deep
    (between("discounted_share_12m", 0.5), {CHEM}),  # 10,000 of 10,000
    (between("discounted_share_12m", 0.25, 0.25), {BOB}),  # 1,000 of 4,000
    (between("discounted_share_12m", None, 0.3), {ALICE, BOB}),  # nobody without purchases
    (between("mean_discount_12m", 0.15), {BOB, CHEM}),  # 20% and (10% + 30%) / 2
    (between("mean_discount_12m", None, 0.1), {ALICE}),  # bought, never at a discount: 0
    # recency: any time
    (between("days_since_last_order", 365), {TELECOM, FOODS}),
    (between("days_since_last_order", None, 30), {ALICE, CHEM}),  # days 10 and 20
    (between("days_since_last_order", 100, 364), {BOB}),
]


@pytest.mark.parametrize(("condition", "expected"), CASES)
def test_it_selects_buyers_by_their_behaviour_in_the_window(
    book: Book, condition: dict[str, Any], expected: set[str]
) -> None:
    assert members_of(book.cast.dora, condition) == expected


def test_it_moves_the_window_with_the_day_it_is_asked(book: Book) -> None:
    segment = Segment(
        name="probe",
        owner=book.cast.dora,
        definition=check_definition(rule(between("orders_12m", 1))),
    )
    today = timezone.localdate()
    now = names(segment_members(segment, book.cast.dora))
    # 300 days ago the window was days 300 to 664: Bob's day-400, Telecom's day-500, Mid
    # Foods' day-365 and Big Chem's day-364 orders were in it; orders since were not yet.
    then = names(segment_members(segment, book.cast.dora, as_of=today - dt.timedelta(days=300)))
    assert now == {ALICE, BOB, CHEM}
    assert then == {ALICE, BOB, TELECOM, CHEM, FOODS}


def test_it_counts_a_new_order_the_moment_it_is_recorded(book: Book) -> None:
    condition = between("orders_12m", 1)
    assert TINY not in members_of(book.cast.dora, condition)
    order(book.tiny_tech, 0, "10")
    assert TINY in members_of(book.cast.dora, condition)
