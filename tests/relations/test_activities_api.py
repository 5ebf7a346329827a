"""Activities in the REST API: log, read, change, complete, cancel, list with filters,
delete only what was not done; the gift limit answers 409 until acknowledged."""

from __future__ import annotations

from typing import Any

from kam.core.models import AuditEvent
from kam.relations.models import Activity
from tests.conftest import Cast
from tests.relations.conftest import Centre

VISIT = {
    "account": "A-1",
    "kind": "visit",
    "status": "planned",
    "subject": "Plant tour",
    "starts_at": "2030-03-02T10:00:00+08:00",
    "contacts": ["RC-1", "RC-2"],
    "participants": ["tom"],
}


def test_it_logs_reads_and_completes_a_planned_visit(
    cast: Cast, centre: Centre, api_as: Any
) -> None:
    client = api_as(cast.alice)
    created = client.post("/api/activities", VISIT)
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["owner"] == "alice" and body["participants"] == ["tom"]
    assert [c["external_id"] for c in body["contacts"]] == ["RC-2", "RC-1"]  # by name
    assert body["status"] == "planned" and body["sentiment"] is None
    url = f"/api/activities/{body['id']}"
    done = client.patch(
        url, {"status": "done", "outcome": "Agreed a trial", "sentiment": "positive"}
    )
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["sentiment"]) == ("done", "positive")
    assert client.get(url).json()["outcome"] == "Agreed a trial"
    actions = list(
        AuditEvent.objects.filter(object_type="activity", object_id=body["id"])
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == ["create", "update"]


def test_it_refuses_contacts_of_another_account_and_unknown_people(
    cast: Cast, centre: Centre, api_as: Any
) -> None:
    answer = api_as(cast.alice).post(
        "/api/activities", {**VISIT, "contacts": ["RC-4"], "participants": ["nobody"]}
    )
    assert answer.status_code == 422
    fields = {e["field"]: e["message"] for e in answer.json()["errors"]}
    assert "unknown contact" in fields["contacts"] and "RC-4" in fields["contacts"]
    assert "unknown user" in fields["participants"]


def test_a_gift_above_the_limit_is_a_conflict_until_acknowledged(
    cast: Cast, centre: Centre, api_as: Any
) -> None:
    client = api_as(cast.alice)
    gift = {
        "account": "A-1",
        "kind": "gift",
        "subject": "Watch",
        "starts_at": "2030-05-01T12:00:00Z",
        "value": 2500,
        "recipients": ["RC-1"],
    }
    refused = client.post("/api/activities", gift)
    assert refused.status_code == 409
    assert "Over the yearly gift limit" in refused.json()["message"]
    assert not Activity.objects.filter(subject="Watch").exists()
    taken = client.post("/api/activities", {**gift, "acknowledge_gift_limit": True})
    assert taken.status_code == 201
    body = taken.json()
    assert body["limit_acknowledged_by"] == "alice"
    assert body["limit_warnings"][0]["total"] == 2500.0
    assert body["currency"] == "CNY"


def test_done_activities_are_kept_and_planned_ones_can_be_deleted(
    cast: Cast, centre: Centre, api_as: Any
) -> None:
    client = api_as(cast.alice)
    kept = client.delete(f"/api/activities/{centre.visit.pk}")
    assert kept.status_code == 409
    planned = client.post("/api/activities", VISIT).json()
    assert client.delete(f"/api/activities/{planned['id']}").status_code == 204
    assert client.get(f"/api/activities/{planned['id']}").status_code == 404
    assert AuditEvent.objects.filter(object_id=planned["id"], action="delete").exists()


def test_it_lists_with_filters(cast: Cast, centre: Centre, api_as: Any) -> None:
    client = api_as(cast.alice)
    client.post("/api/activities", VISIT)
    everything = client.get("/api/activities").json()
    assert everything["count"] == 2
    planned = client.get("/api/activities", status="planned").json()
    assert [a["subject"] for a in planned["items"]] == ["Plant tour"]
    with_boss = client.get("/api/activities", contact_id=centre.boss.pk, kind="visit").json()
    assert with_boss["count"] == 2
    later = client.get("/api/activities", since="2030-01-01").json()
    assert later["count"] == 1
    # The calendar's first and last days are filters like any other, not a server error.
    widest = client.get("/api/activities", since="0001-01-01", until="9999-12-31")
    assert (widest.status_code, widest.json()["count"]) == (200, 2)
    assert client.get("/api/activities", until="0001-01-01").json()["count"] == 0


def test_analysts_read_but_do_not_log(cast: Cast, centre: Centre, api_as: Any) -> None:
    client = api_as(cast.ann)
    assert client.get(f"/api/activities/{centre.visit.pk}").status_code == 200
    assert client.post("/api/activities", VISIT).status_code == 403


def test_the_cadence_lists_the_callers_accounts(cast: Cast, centre: Centre, api_as: Any) -> None:
    centre.visit.delete()
    body = api_as(cast.alice).get("/api/relations/cadence").json()
    accounts = {item["account"]: item for item in body["items"]}
    assert accounts["Alice Steel Co., Ltd."]["status"] == "never"
    assert "Bob Mining" not in accounts
    # Shared Telecom (Alice on its team) has no tier: basic, no regular visits.
    everything = api_as(cast.alice).get("/api/relations/cadence", show="all").json()
    telecom = next(i for i in everything["items"] if i["account"] == "Shared Telecom")
    assert (telecom["status"], telecom["next_due"]) == ("none", None)
