"""Segments and strategies in the REST API: create, read, change, delete, members, with the
API's error format (422 with a message per field, 409 for conflicts, 403, 404)."""

from __future__ import annotations

from typing import Any

import pytest

from kam.core.models import AuditEvent
from kam.segments.models import Segment, Strategy
from tests.segments.conftest import Book, between, make_segment, one_of, rule

ENERGY = rule(one_of("industry", "energy", "telecom"))


def create(client: Any, **body: Any) -> Any:
    return client.post("/api/segments", {"name": "Energy", "definition": ENERGY, **body})


def test_it_creates_reads_changes_and_deletes_a_segment(book: Book, api_as: Any) -> None:
    mary = api_as(book.cast.mary)
    made = create(mary, description="Power and telecom")
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["name"], body["owner"], body["kind"], body["builtin"]) == (
        "Energy",
        "mary",
        "rule",
        False,
    )
    assert body["definition"] == {
        "match": "all",
        "conditions": [{"field": "industry", "op": "in", "values": ["energy", "telecom"]}],
    }
    assert body["summary"] == ["Industry is one of: Energy and utilities, Telecommunications"]
    assert (body["members"], body["revenue_12m"]) == (0, 0)  # Mary sees neither
    assert api_as(book.cast.dora).get(f"/api/segments/{body['id']}").json()["members"] == 2

    changed = mary.patch(
        f"/api/segments/{body['id']}",
        {"name": "Frequent", "definition": rule(between("orders_12m", 12), match="any")},
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json()["name"], changed.json()["description"]) == (
        "Frequent",
        "Power and telecom",
    )
    assert changed.json()["members"] == 1  # Alice Steel, with 12,000 in 12 months
    assert changed.json()["revenue_12m"] == 12000
    assert changed.json()["summary"] == ["Orders (purchase frequency) at least 12"]
    assert changed.json()["definition"]["conditions"] == [  # an open bound is left out
        {"field": "orders_12m", "op": "between", "min": 12}
    ]

    listed = mary.get("/api/segments").json()
    assert (listed["count"], [s["name"] for s in listed["items"]]) == (1, ["Frequent"])

    assert mary.delete(f"/api/segments/{body['id']}").status_code == 204
    assert mary.get(f"/api/segments/{body['id']}").status_code == 404
    assert [
        (e.action, e.source)
        for e in AuditEvent.objects.filter(object_type="segment").order_by("id")
    ] == [("create", "api"), ("update", "api"), ("delete", "api")]


INVALID: list[tuple[dict[str, Any], str, str]] = [
    (
        {"definition": rule(between("employees", 1000, 100))},
        "definition",
        "condition 1 (employees): min is greater than max (got min 1000 and max 100, "
        "expected min ≤ max)",
    ),
    (
        {"definition": rule({"field": "size", "op": "in", "values": ["big"]})},
        "definition",
        "condition 1: unknown field (got 'size', expected one of: industry,",
    ),
    (
        {"definition": rule(one_of("industry", "steel"))},
        "definition",
        "condition 1 (industry): unknown value (got 'steel', expected one of: manufacturing,",
    ),
    (
        {"definition": rule({"field": "tier", "op": "between", "min": 1})},
        "definition",
        "condition 1 (tier): unknown operator (got 'between', expected in or not_in)",
    ),
    (
        {"definition": rule(one_of("region", "west"))},
        "definition",
        "condition 1 (region): unknown region (got 'west', expected the code of a sales region",
    ),
    (
        {"definition": {"match": "all", "conditions": []}},
        "definition",
        "conditions: no conditions (got 0, expected a list of 1 to 20 conditions)",
    ),
    (
        {"definition": rule(one_of("country", " cn"))},
        "definition",
        "condition 1 (country): not a country code (got ' cn', expected a two-letter ISO code",
    ),
    ({"name": "   "}, "name", "missing value (got '', expected a value)"),
    ({"name": 5}, "name", "not text (got '5', expected a text value)"),
    ({"owner": "nobody"}, "owner", "unknown user (got 'nobody', expected the username"),
    ({"colour": "red"}, "colour", "unknown field (expected only the fields"),
]


@pytest.mark.parametrize(("change", "field", "message"), INVALID)
def test_it_refuses_invalid_segments_with_messages(
    book: Book, api_as: Any, change: dict[str, Any], field: str, message: str
) -> None:
    response = create(api_as(book.cast.dora), **change)
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert [e["field"] for e in body["errors"]] == [field]
    assert body["errors"][0]["message"].startswith(message)
    assert not Segment.objects.exists()


def test_it_answers_409_for_a_name_in_use(book: Book, api_as: Any) -> None:
    dora = api_as(book.cast.dora)
    create(dora)
    response = create(dora, name="energy")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert "already used (got 'energy'" in response.json()["message"]


@pytest.mark.parametrize("who", ["ann", "alice", "bob"])
def test_it_lets_readers_only_read(book: Book, api_as: Any, who: str) -> None:
    segment = make_segment(book.cast.dora, "Dora's", ENERGY)
    client = api_as(getattr(book.cast, who))
    assert create(client).status_code == 403
    assert client.patch(f"/api/segments/{segment.pk}", {"name": "x"}).status_code == 403
    assert client.delete(f"/api/segments/{segment.pk}").status_code == 403
    posted = client.post(f"/api/segments/{segment.pk}/strategies", {"name": "x"})
    assert posted.status_code == 403
    assert client.get(f"/api/segments/{segment.pk}").status_code == 200
    assert client.get(f"/api/segments/{segment.pk}/strategies").status_code == 200


def test_it_lets_a_sales_manager_change_only_the_team_s_segments(book: Book, api_as: Any) -> None:
    dora_s = make_segment(book.cast.dora, "Dora's", ENERGY)
    nick_s = make_segment(book.cast.nick, "Nick's", ENERGY)
    toms = make_segment(book.cast.tom, "Tom's", ENERGY)
    mary = api_as(book.cast.mary)
    assert mary.patch(f"/api/segments/{dora_s.pk}", {"description": "x"}).status_code == 403
    assert mary.patch(f"/api/segments/{nick_s.pk}", {"description": "x"}).status_code == 403
    assert mary.patch(f"/api/segments/{toms.pk}", {"description": "x"}).status_code == 200


def test_it_pages_the_visible_members(book: Book, api_as: Any) -> None:
    segment = make_segment(book.cast.dora, "All China", rule(one_of("country", "CN")))
    dora = api_as(book.cast.dora)
    first = dora.get(f"/api/segments/{segment.pk}/members", limit=2).json()
    rest = dora.get(f"/api/segments/{segment.pk}/members", limit=2, offset=2).json()
    assert first["count"] == rest["count"] == 5
    assert [a["name"] for a in first["items"] + rest["items"]] == [
        "Alice Steel Co., Ltd.",
        "Bob Mining",
        "Mid Foods",
        "Shared Telecom",
    ]
    alice = api_as(book.cast.alice).get(f"/api/segments/{segment.pk}/members").json()
    assert [a["external_id"] for a in alice["items"]] == ["A-1", "B-2"]
    assert dora.get(f"/api/segments/{segment.pk}/members", limit=0).status_code == 422


def test_it_adds_lists_and_changes_strategies(book: Book, api_as: Any) -> None:
    segment = make_segment(book.cast.dora, "Energy", ENERGY)
    dora = api_as(book.cast.dora)
    made = dora.post(
        f"/api/segments/{segment.pk}/strategies",
        {
            "name": "Mining push",
            "status": "active",
            "product": "Drill service",
            "price": "Framework contract",
            "channel": "Direct",
            "promotion": "Trade fair",
            "target_revenue": 250000.5,
            "review_date": "2027-03-31",
            "owner": "nick",
        },
    )
    assert made.status_code == 201, made.content
    strategy = made.json()
    assert (strategy["segment"], strategy["owner"], strategy["target_revenue"]) == (
        "Energy",
        "nick",
        250000.5,
    )
    assert strategy["review_date"] == "2027-03-31"

    second = dora.post(f"/api/segments/{segment.pk}/strategies", {"name": "B", "status": "active"})
    assert second.status_code == 409
    assert "retire it first" in second.json()["message"]
    draft = dora.post(f"/api/segments/{segment.pk}/strategies", {"name": "Draft B"})
    assert (draft.status_code, draft.json()["status"]) == (201, "draft")

    listed = dora.get(f"/api/segments/{segment.pk}/strategies").json()
    assert [s["name"] for s in listed["items"]] == ["Mining push", "Draft B"]

    changed = dora.patch(f"/api/strategies/{strategy['id']}", {"status": "retired", "price": None})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["status"], changed.json()["price"]) == ("retired", "")
    promoted = dora.patch(f"/api/strategies/{draft.json()['id']}", {"status": "active"})
    assert promoted.status_code == 200
    assert dora.get(f"/api/strategies/{strategy['id']}").json()["status"] == "retired"
    assert Strategy.objects.get(status="active").name == "Draft B"
    assert AuditEvent.objects.filter(object_type="strategy", source="api").count() == 4


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"name": "x", "status": "live"}, "status", "unknown value (got 'live', expected one"),
        ({"name": "x", "target_revenue": -1}, "target_revenue", "too small (got '-1'"),
        ({"name": "x", "target_revenue": "10"}, "target_revenue", "not a number (got '10'"),
        ({"name": "x", "review_date": "31/03/2027"}, "review_date", "not a date"),
        ({"status": "draft"}, "name", "missing value"),
    ],
)
def test_it_refuses_invalid_strategies(
    book: Book, api_as: Any, body: dict[str, Any], field: str, message: str
) -> None:
    segment = make_segment(book.cast.dora, "Energy", ENERGY)
    response = api_as(book.cast.dora).post(f"/api/segments/{segment.pk}/strategies", body)
    assert response.status_code == 422, response.content
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["message"].startswith(message)
