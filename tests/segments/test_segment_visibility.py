"""Everyone sees every segment, but only the members among the accounts they may see: in
the member list, the counts and revenue, the export, the API and the command line."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from kam.segments.models import Segment
from kam.segments.services import segment_members, segment_stats
from tests.segments.conftest import Book, make_segment, names, one_of, rule
from tests.web.conftest import client_for

ALICE, BOB, TELECOM, FOODS = "Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom", "Mid Foods"
EXPECTED = {
    "dora": {ALICE, BOB, TELECOM, FOODS},  # a director: all
    "ann": {ALICE, BOB, TELECOM, FOODS},  # an analyst reads all
    "mary": {ALICE, FOODS},  # East's sales manager: Alice's and Tom's accounts
    "alice": {ALICE, TELECOM},  # her own, and the one she is on the team of
    "bob": {BOB, TELECOM},
    "nick": {BOB, TELECOM},  # North's sales manager
}
REVENUE = {  # of the last 12 months: Alice Steel 12,000, Bob Mining 4,000, others none
    "dora": Decimal(16000),
    "ann": Decimal(16000),
    "mary": Decimal(12000),
    "alice": Decimal(12000),
    "bob": Decimal(4000),
    "nick": Decimal(4000),
}


@pytest.fixture
def north_and_east(book: Book) -> Segment:
    return make_segment(book.cast.dora, "North and East", rule(one_of("region", "north", "east")))


@pytest.fixture
def steel(book: Book) -> Segment:
    """A segment of Alice's account only: Bob is the outsider to it."""
    return make_segment(book.cast.dora, "Steel", rule(one_of("industry", "manufacturing")))


@pytest.mark.parametrize("who", list(EXPECTED))
def test_it_shows_each_person_the_members_they_may_see(
    book: Book, north_and_east: Segment, who: str
) -> None:
    user = getattr(book.cast, who)
    assert names(segment_members(north_and_east, user)) == EXPECTED[who]
    stats = segment_stats(user, [north_and_east])[north_and_east.pk]
    assert (stats.members, stats.revenue) == (len(EXPECTED[who]), REVENUE[who])


@pytest.mark.parametrize("who", ["mary", "alice", "bob"])
def test_it_counts_and_lists_only_visible_members_on_the_pages(
    book: Book, north_and_east: Segment, who: str
) -> None:
    client = client_for(getattr(book.cast, who))
    listed = client.get(reverse("segments:list")).context["rows"]
    assert [(s.name, stats.members) for s, stats, _active in listed] == [
        ("North and East", len(EXPECTED[who]))
    ]
    page = client.get(reverse("segments:detail", args=[north_and_east.pk]))
    assert names(page.context["page"].object_list) == EXPECTED[who]


def exported(client: Any, segment: Segment, fmt: str = "csv") -> list[dict[str, str]]:
    response = client.get(reverse("segments:export", args=[segment.pk]), {"format": fmt})
    assert response.status_code == 200
    text = response.content.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("who", ["dora", "mary", "alice", "bob"])
def test_it_exports_only_visible_members(book: Book, north_and_east: Segment, who: str) -> None:
    rows = exported(client_for(getattr(book.cast, who)), north_and_east)
    assert {row["name"] for row in rows} == EXPECTED[who]
    assert "external_id" in rows[0] and "owner" in rows[0]  # the accounts export's columns


def test_it_shows_the_outsider_nothing_of_a_segment_of_others(
    book: Book, steel: Segment, api_as: Any
) -> None:
    bob = book.cast.bob
    assert names(segment_members(steel, bob)) == set()
    assert segment_stats(bob, [steel])[steel.pk].members == 0
    assert exported(client_for(bob), steel) == []
    answer = api_as(bob).get(f"/api/segments/{steel.pk}/members").json()
    assert (answer["count"], answer["items"]) == (0, [])
    assert api_as(bob).get(f"/api/segments/{steel.pk}").json()["members"] == 0
    assert api_as(book.cast.alice).get(f"/api/segments/{steel.pk}").json()["members"] == 1


def test_it_answers_404_for_unknown_segments_and_strategies(book: Book, api_as: Any) -> None:
    client = client_for(book.cast.bob)
    assert client.get(reverse("segments:detail", args=[999999])).status_code == 404
    assert client.get(reverse("segments:export", args=[999999])).status_code == 404
    assert api_as(book.cast.bob).get("/api/segments/999999").status_code == 404
    assert api_as(book.cast.bob).get("/api/segments/999999/members").status_code == 404
    assert api_as(book.cast.bob).get("/api/strategies/999999").status_code == 404


def test_it_sends_strangers_to_the_login_page(book: Book, steel: Segment) -> None:
    from django.test import Client

    for url in (
        reverse("segments:list"),
        reverse("segments:detail", args=[steel.pk]),
        reverse("segments:export", args=[steel.pk]),
        reverse("segments:create"),
    ):
        response = Client().get(url)
        assert response.status_code == 302 and "/login/" in response["Location"]
