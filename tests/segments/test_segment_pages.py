"""The segment pages: the list, a segment with its definition in words, members and
strategies, the segment editor with its condition editor (htmx or plain posts), the
strategy editor, deleting, and the built-in segments button."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from kam.segments.models import Segment, Strategy
from tests.segments.conftest import Book, between, make_segment, one_of, rule
from tests.web.conftest import client_for

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def energy(book: Book) -> Segment:
    return make_segment(
        book.cast.dora,
        "Energy",
        rule(one_of("industry", "energy", "telecom"), between("orders_12m", 1), match="any"),
    )


def test_it_links_the_segments_from_the_main_navigation(book: Book) -> None:
    page = client_for(book.cast.alice).get(reverse("core:home")).content.decode()
    assert f'href="{reverse("segments:list")}"' in page


def test_it_lists_segments_with_members_revenue_and_active_strategy(
    book: Book, energy: Segment
) -> None:
    Strategy.objects.create(
        segment=energy, name="Power deals", status="active", owner=book.cast.dora
    )
    Strategy.objects.create(segment=energy, name="Old idea", status="retired", owner=book.cast.dora)
    page = client_for(book.cast.dora).get(reverse("segments:list"))
    html = page.content.decode()
    # Bob Mining, Shared Telecom (industry) or Alice Steel, Big Chem (bought lately)
    assert "Energy" in html and "Power deals" in html and "Old idea" not in html
    [(_segment, stats, active)] = page.context["rows"]
    assert (stats.members, int(stats.revenue), active.name) == (4, 25000, "Power deals")


def test_it_shows_a_segment_in_words_with_members_and_strategies(
    book: Book, energy: Segment
) -> None:
    Strategy.objects.create(
        segment=energy, name="Power deals", status="active", owner=book.cast.dora, price="Rebates"
    )
    response = client_for(book.cast.alice).get(reverse("segments:detail", args=[energy.pk]))
    html = response.content.decode()
    assert "Accounts that meet any of these conditions:" in html
    assert "Industry is one of: Energy and utilities, Telecommunications" in html
    assert "Orders (purchase frequency) at least 1" in html
    assert "Power deals" in html and "Rebates" in html
    assert "Alice Steel Co., Ltd." in html and "Shared Telecom" in html
    assert "Bob Mining" not in html  # not Alice's
    assert "tier-core" in html  # Alice Steel's tier badge
    assert reverse("segments:edit", args=[energy.pk]) not in html  # she may not change it


def test_it_pages_the_members_with_htmx(book: Book, energy: Segment, settings: Any) -> None:
    settings.KAM_PAGE_SIZE = 5
    from kam.accounts.models import Account

    for number in range(7):
        Account.objects.create(name=f"Power {number}", owner=book.cast.bob, industry="energy")
    url = reverse("segments:detail", args=[energy.pk])
    partial = client_for(book.cast.dora).get(url, {"page": 2}, **HTMX)
    html = partial.content.decode()
    assert "<html" not in html and "11 accounts" in html
    assert len(partial.context["page"].object_list) == 5


def post_segment(
    client: Any,
    url: str,
    rows: list[dict[str, Any]],
    headers: dict[str, str] | None = None,
    **fields: Any,
) -> Any:
    data: dict[str, Any] = {"name": "New", "owner": "mary", "match": "all", **fields}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"c{index}-{key}"] = value
    return client.post(url, data, **(headers or {}))


def test_it_creates_a_segment_from_the_condition_editor(book: Book) -> None:
    client = client_for(book.cast.mary)
    url = reverse("segments:create")
    assert client.get(url).status_code == 200
    response = post_segment(
        client,
        url,
        [
            {"field": "industry", "op": "in", "values": ["food", "chemicals"]},
            {"field": "employees", "op": "between", "min": "1,000", "max": ""},
            {"field": "city", "op": "not_in", "values": "Suzhou; Wuxi"},
        ],
        name="Big food and chemicals",
        match="any",
        action="save",
    )
    segment = Segment.objects.get(name="Big food and chemicals")
    assert response.status_code == 302 and response["Location"] == segment.get_absolute_url()
    assert segment.definition == {
        "match": "any",
        "conditions": [
            {"field": "industry", "op": "in", "values": ["food", "chemicals"]},
            {"field": "employees", "op": "between", "min": 1000},
            {"field": "city", "op": "not_in", "values": ["Suzhou", "Wuxi"]},
        ],
    }
    assert segment.owner == book.cast.mary


def test_it_shows_problems_on_the_row_they_belong_to(book: Book) -> None:
    client = client_for(book.cast.dora)
    response = post_segment(
        client,
        reverse("segments:create"),
        [
            {"field": "industry", "op": "in", "values": ["food"]},
            {"field": "employees", "op": "between", "min": "900", "max": "90"},
            {"field": "orders_12m", "op": "between", "min": "many"},
        ],
        name="",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "missing value (got &#x27;&#x27;, expected a value)" in html
    assert "not a whole number (got &#x27;many&#x27;" in html
    rows = response.context["editor"].rows
    assert rows[1].errors["max"] == [
        "condition 2 (employees): min is greater than max (got min 900 and max 90, "
        "expected min ≤ max)"
    ]
    assert not Segment.objects.exists()


def test_it_adds_removes_and_switches_conditions_with_htmx(book: Book) -> None:
    client = client_for(book.cast.dora)
    url = reverse("segments:create")
    rows = [{"field": "industry", "op": "in", "values": ["food"]}]
    added = post_segment(client, url, rows, action="add", headers=HTMX)
    html = added.content.decode()
    assert "<html" not in html and 'id="condition-editor"' in html
    assert html.count('class="condition"') == 2
    assert 'name="c1-field"' in html and re.search(r'value="food" id="[^"]+" checked', html)

    rows = [
        {"field": "industry", "op": "in", "values": ["food"]},
        {"field": "employees", "op": "in"},  # switched from a list field to a range
    ]
    switched = post_segment(client, url, rows, action="refresh", headers=HTMX)
    html = switched.content.decode()
    assert 'name="c1-min"' in html and 'name="c1-max"' in html
    assert "field-error" not in html  # switching is not saving

    removed = post_segment(client, url, rows, action="remove-0", headers=HTMX)
    html = removed.content.decode()
    assert 'name="c0-field"' not in html and 'name="c1-field"' in html
    assert not Segment.objects.exists()


def test_it_edits_the_conditions_without_script_too(book: Book, energy: Segment) -> None:
    client = client_for(book.cast.dora)
    url = reverse("segments:edit", args=[energy.pk])
    form = client.get(url)
    html = form.content.decode()
    assert re.search(r'value="energy" id="[^"]+" checked', html) and 'value="1"' in html
    rows = [
        {"field": "industry", "op": "in", "values": ["energy", "telecom"]},
        {"field": "orders_12m", "op": "between", "min": "1"},
    ]
    page = post_segment(client, url, rows, name="Energy", owner="dora", action="add")
    assert "<html" in page.content.decode() and len(page.context["editor"].rows) == 3
    saved = post_segment(client, url, rows[:1], name="Energy", owner="dora", match="all")
    assert saved.status_code == 302
    energy.refresh_from_db()
    assert energy.definition["conditions"] == [rows[0] | {"values": ["energy", "telecom"]}]


@pytest.mark.parametrize("who", ["ann", "alice"])
def test_it_lets_readers_only_read_the_pages(book: Book, energy: Segment, who: str) -> None:
    client = client_for(getattr(book.cast, who))
    assert client.get(reverse("segments:detail", args=[energy.pk])).status_code == 200
    for name, args in (
        ("segments:create", []),
        ("segments:edit", [energy.pk]),
        ("segments:delete", [energy.pk]),
        ("segments:strategy_create", [energy.pk]),
    ):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("segments:seed")).status_code == 403
    listed = client.get(reverse("segments:list")).content.decode()
    assert "New segment" not in listed and "Add the built-in segments" not in listed


def test_it_keeps_a_sales_manager_out_of_other_teams_segments(book: Book, energy: Segment) -> None:
    client = client_for(book.cast.mary)
    assert client.get(reverse("segments:edit", args=[energy.pk])).status_code == 403
    assert client.get(reverse("segments:create")).status_code == 200


def test_it_adds_and_edits_strategies(book: Book, energy: Segment) -> None:
    client = client_for(book.cast.dora)
    url = reverse("segments:strategy_create", args=[energy.pk])
    page = client.get(url).content.decode()
    assert "Target revenue (CNY)" in page
    made = client.post(
        url,
        {
            "name": "Power deals",
            "status": "active",
            "product": "Turbines",
            "target_revenue": "1,000,000",
            "owner": "dora",
            "review_date": "2027-06-30",
        },
    )
    assert made.status_code == 302
    strategy = Strategy.objects.get()
    assert (strategy.product, int(strategy.target_revenue or 0)) == ("Turbines", 1000000)

    second = client.post(url, {"name": "Another", "status": "active", "owner": "dora"})
    assert second.status_code == 200
    assert "another strategy is active" in second.content.decode()

    edit = reverse("segments:strategy_edit", args=[strategy.pk])
    changed = client.post(edit, {"name": "Power deals", "status": "retired", "owner": "dora"})
    assert changed.status_code == 302
    strategy.refresh_from_db()
    assert (strategy.status, strategy.product) == ("retired", "")


def test_it_deletes_a_segment_after_asking(book: Book, energy: Segment) -> None:
    client = client_for(book.cast.dora)
    url = reverse("segments:delete", args=[energy.pk])
    assert "This also deletes its 0 strategies." in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Segment.objects.exists()


@pytest.mark.parametrize("who", ["dora", "mary"])
def test_it_adds_the_builtin_segments_from_the_list(book: Book, who: str) -> None:
    client = client_for(getattr(book.cast, who))
    assert "Add the built-in segments" in client.get(reverse("segments:list")).content.decode()
    response = client.post(reverse("segments:seed"), follow=True)
    assert "14 built-in segments created; 0 existed already." in response.content.decode()
    assert set(Segment.objects.values_list("owner__username", flat=True)) == {who}
