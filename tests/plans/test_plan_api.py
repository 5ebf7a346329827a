"""The plans API: plans and their parts under /api/plans/{id}/…, 422 naming bad fields,
409 for a second active plan or a second target for a year."""

from __future__ import annotations

from typing import Any

import pytest

from config.api import api
from kam.plans.models import CellStatus, PlanReview
from tests.conftest import Cast
from tests.plans.conftest import Planned


def test_a_plan_is_created_read_changed_and_deleted(cast: Cast, api_as: Any) -> None:
    client = api_as(cast.alice)
    created = client.post(
        "/api/plans",
        {
            "account": "A-1",
            "year": 2026,
            "status": "active",
            "vision": "Digital plant",
            "review_every_days": 60,
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert {
        k: body[k] for k in ("account", "account_name", "year", "status", "owner", "vision")
    } == {
        "account": "A-1",
        "account_name": "Alice Steel Co., Ltd.",
        "year": 2026,
        "status": "active",
        "owner": "alice",
        "vision": "Digital plant",
    }
    assert body["objectives"] == [] and body["whitespace"]["cells"] == []
    assert body["next_review_due"] is not None and body["review_overdue"] is False
    pk = body["id"]
    changed = client.patch(f"/api/plans/{pk}", {"vision": None, "owner": "mary"})
    assert changed.status_code == 200
    assert (changed.json()["vision"], changed.json()["owner"]) == ("", "mary")
    listed = client.get("/api/plans", status="active").json()
    assert listed["count"] == 1 and listed["items"][0]["id"] == pk
    assert client.get("/api/plans", account="B-1").json()["count"] == 0
    assert client.delete(f"/api/plans/{pk}").status_code == 204
    assert client.get(f"/api/plans/{pk}").status_code == 404


def test_the_list_filters_by_overdue_review(planned: Planned, cast: Cast, api_as: Any) -> None:
    client = api_as(cast.dora)
    body = client.get("/api/plans", review_overdue="true").json()
    assert [p["id"] for p in body["items"]] == [planned.plan.pk]
    item = body["items"][0]
    assert (item["open_actions"], item["overdue_actions"], item["review_overdue"]) == (2, 1, True)
    assert client.get("/api/plans", review_overdue="false").json()["count"] == 0
    assert client.get("/api/plans", year=2025).json()["count"] == 0


def test_the_detail_has_every_part(planned: Planned, cast: Cast, api_as: Any) -> None:
    body = api_as(cast.alice).get(f"/api/plans/{planned.plan.pk}").json()
    assert [o["text"] for o in body["objectives"]] == ["Win the MES roll-out"]
    assert [(t["year"], t["attainment"]) for t in body["targets"]] == [(2025, 95.0), (2026, 25.0)]
    assert body["swot"] == [
        {
            "id": planned.swot.pk,
            "plan_id": planned.plan.pk,
            "quadrant": "strength",
            "text": "Trusted by the CTO",
        }
    ]
    assert body["competitors"][0]["share_of_wallet"] == 40.0
    assert [(a["text"], a["overdue"]) for a in body["actions"]] == [
        ("Send the references", False),
        ("Workshop with the CTO", True),
        ("Plant visit", False),
    ]
    assert body["reviews"][0]["reviewer"] == "mary"


@pytest.mark.parametrize(
    ("kind", "create", "patch", "check"),
    [
        (
            "objectives",
            {"text": "Be listed", "target_date": "2026-12-31"},
            {"status": "achieved"},
            ("status", "achieved"),
        ),
        ("targets", {"year": 2027, "amount": 800000}, {"amount": 900000.5}, ("amount", 900000.5)),
        (
            "swot",
            {"quadrant": "threat", "text": "Price war"},
            {"quadrant": "weakness"},
            ("quadrant", "weakness"),
        ),
        ("competitors", {"name": "ABB"}, {"share_of_wallet": 12.5}, ("share_of_wallet", 12.5)),
        (
            "actions",
            {"text": "Visit", "due_date": "2026-12-01"},
            {"owner": "mary"},
            ("owner", "mary"),
        ),
        ("reviews", {"reviewed_on": "2026-11-02"}, {"notes": "Done"}, ("notes", "Done")),
    ],
)
def test_each_part_has_its_crud(
    planned: Planned,
    cast: Cast,
    api_as: Any,
    kind: str,
    create: dict[str, Any],
    patch: dict[str, Any],
    check: tuple[str, Any],
) -> None:
    client = api_as(cast.alice)
    base = f"/api/plans/{planned.plan.pk}/{kind}"
    count = client.get(base).json()["count"]
    made = client.post(base, create)
    assert made.status_code == 201, made.content
    item = made.json()
    assert item["plan_id"] == planned.plan.pk
    assert client.get(base).json()["count"] == count + 1
    url = f"{base}/{item['id']}"
    assert client.get(url).json() == item
    changed = client.patch(url, patch)
    assert changed.status_code == 200, changed.content
    assert changed.json()[check[0]] == check[1]
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404
    assert client.get(base).json()["count"] == count


def test_a_review_is_recorded_by_the_caller_and_moves_the_next_review(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    made = (
        api_as(cast.alice)
        .post(
            f"/api/plans/{planned.plan.pk}/reviews",
            {"reviewed_on": "2026-11-10", "notes": "Q4 done"},
        )
        .json()
    )
    assert made["reviewer"] == "alice"
    plan = api_as(cast.alice).get(f"/api/plans/{planned.plan.pk}").json()
    assert plan["next_review_due"] == "2027-02-08"
    assert PlanReview.objects.filter(plan=planned.plan).count() == 2


def test_field_problems_are_422_with_the_field_named(
    planned: Planned, cast: Cast, api_as: Any
) -> None:
    client = api_as(cast.alice)
    base = f"/api/plans/{planned.plan.pk}"
    cases = [
        (client.post("/api/plans", {"account": "A-1"}), "year", "missing"),
        (client.post("/api/plans", {"account": "A-1", "year": 1999}), "year", "too small"),
        (client.patch(base, {"status": "done"}), "status", "unknown value (got 'done'"),
        (client.patch(base, {"review_every_days": 0}), "review_every_days", "too small"),
        (client.patch(base, {"account": "B-1"}), "account", "unknown field"),
        (client.post(f"{base}/targets", {"year": 2028, "amount": -1}), "amount", "too small"),
        (
            client.post(f"{base}/competitors", {"name": "X", "share_of_wallet": 101}),
            "share_of_wallet",
            "too large",
        ),
        (client.post(f"{base}/swot", {"quadrant": "strength"}), "text", "missing"),
        (
            client.post(f"{base}/actions", {"text": "x", "due_date": "2026-13-01"}),
            "due_date",
            "not a date",
        ),
        (client.post(f"{base}/reviews", {"notes": "no date"}), "reviewed_on", "missing"),
    ]
    for response, field, message in cases:
        assert response.status_code == 422, (field, response.content)
        errors = response.json()["errors"]
        assert errors[0]["field"] == field, errors
        assert message in errors[0]["message"], errors


def test_every_plan_operation_is_documented_with_a_summary() -> None:
    schema = api.get_openapi_schema()
    operations = [
        (path, method, op)
        for path, methods in schema["paths"].items()
        if path.startswith("/api/plans")
        for method, op in methods.items()
    ]
    assert len(operations) == 2 + 3 + 3 + 6 * 5
    assert all(op.get("summary") for _path, _method, op in operations)
    cell = schema["components"]["schemas"]["CellIn"]["properties"]["status"]
    assert cell["enum"] == list(CellStatus.values)
