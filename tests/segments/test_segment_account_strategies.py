"""An account shows the strategies of the segments it belongs to now (SEG-5), and only
those; the fragment the account page includes renders them."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from kam.segments.models import Segment, Strategy
from kam.segments.services import strategies_for_account
from tests.segments.conftest import Book, between, make_segment, one_of, rule
from tests.web.conftest import client_for


def strategy(segment: Segment, name: str, status: str, **more: Any) -> Strategy:
    return Strategy.objects.create(
        segment=segment, name=name, status=status, owner=segment.owner, **more
    )


@pytest.fixture
def plans(book: Book) -> dict[str, Segment]:
    dora = book.cast.dora
    frequent = make_segment(dora, "Frequent buyers", rule(between("orders_12m", 12)))
    steel = make_segment(dora, "Steel", rule(one_of("industry", "manufacturing")))
    energy = make_segment(dora, "Energy", rule(one_of("industry", "energy")))
    strategy(frequent, "Loyalty programme", "active", target_revenue=500000, product="Bundles")
    strategy(frequent, "Next year's idea", "draft")
    strategy(frequent, "Old discounts", "retired")
    strategy(energy, "Mining push", "active")
    return {"frequent": frequent, "steel": steel, "energy": energy}


def shown(entries: Any) -> list[tuple[str, list[str]]]:
    return [(e.segment.name, [s.name for s in e.strategies]) for e in entries]


def test_it_lists_the_strategies_of_the_segments_the_account_belongs_to(
    book: Book, plans: dict[str, Segment]
) -> None:
    entries = strategies_for_account(book.cast.alice, book.cast.alice_steel)
    # Alice Steel buys monthly and makes steel; it is no energy company. Active first,
    # then drafts; retired strategies are history, on the segment's page.
    assert shown(entries) == [
        ("Frequent buyers", ["Loyalty programme", "Next year's idea"]),
        ("Steel", []),
    ]
    assert entries[0].active is not None and entries[0].active.name == "Loyalty programme"
    assert shown(strategies_for_account(book.cast.bob, book.cast.bob_mining)) == [
        ("Energy", ["Mining push"])
    ]
    assert strategies_for_account(book.cast.dora, book.tiny_tech) == []


def test_it_follows_the_account_into_and_out_of_segments(
    book: Book, plans: dict[str, Segment]
) -> None:
    account = book.cast.alice_steel
    account.industry = "energy"
    account.save()
    assert [e.segment.name for e in strategies_for_account(book.cast.dora, account)] == [
        "Energy",
        "Frequent buyers",
    ]


def test_it_answers_404_for_an_account_the_user_may_not_see(
    book: Book, plans: dict[str, Segment]
) -> None:
    with pytest.raises(Http404):
        strategies_for_account(book.cast.bob, book.cast.alice_steel)


def test_it_renders_the_account_page_fragment(book: Book, plans: dict[str, Segment]) -> None:
    request = RequestFactory().get("/")
    request.user = book.cast.alice
    entries = strategies_for_account(book.cast.alice, book.cast.alice_steel)
    html = render_to_string(
        "segments/_account_strategies.html",
        {"segment_strategies": entries, "KAM_CURRENCY": "CNY"},
        request=request,
    )
    assert "Frequent buyers" in html and "Steel" in html
    assert "Loyalty programme" in html and "500,000 CNY" in html and "Bundles" in html
    assert "Next year&#x27;s idea" in html
    assert "Old discounts" not in html and "Mining push" not in html and "Energy" not in html
    assert f'href="/segments/{plans["frequent"].pk}/#strategy-' in html

    empty = render_to_string("segments/_account_strategies.html", {"segment_strategies": []})
    assert "This account belongs to no segment." in empty


def test_it_loads_the_strategies_into_the_account_page(
    book: Book, plans: dict[str, Segment]
) -> None:
    account = book.cast.alice_steel
    url = reverse("segments:account_strategies", args=[account.pk])
    lazy = render_to_string("segments/_account_strategies.html", {"account": account})
    assert f'hx-get="{url}"' in lazy and "Loyalty programme" not in lazy

    client = client_for(book.cast.alice)
    part = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in part and "Loyalty programme" in part and "Mining push" not in part
    assert "hx-get" not in part  # loaded: it does not load itself again
    page = client.get(url).content.decode()  # without script: a page of its own
    assert "<html" in page and "Loyalty programme" in page and account.name in page
    assert client_for(book.cast.bob).get(url).status_code == 404


def test_the_account_page_loads_its_segments_and_strategies(
    book: Book, plans: dict[str, Segment]
) -> None:
    account = book.cast.alice_steel
    page = client_for(book.cast.alice).get(account.get_absolute_url()).content.decode()
    url = reverse("segments:account_strategies", args=[account.pk])
    assert f'hx-get="{url}"' in page
