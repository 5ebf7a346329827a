"""Tickets in the REST API: record (you own it), read with both clocks, list with filters,
change the details, and the problems named field by field."""

from __future__ import annotations

from typing import Any

import pytest

from kam.contacts.models import Contact
from kam.core.models import AuditEvent
from kam.insights.services import set_tier_override
from kam.service.models import Ticket
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.conftest import Cast


@pytest.fixture
def alice(cast: Cast, api_as: Any) -> Any:  # noqa: F811
    set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="diamond", reason="top")
    Contact.objects.create(account=cast.alice_steel, name="Wang Wei", external_id="C-1")
    return api_as(cast.alice)


def test_a_ticket_is_recorded_and_read_back(cast: Cast, alice: Any) -> None:
    body = {
        "account": "A-1",
        "contact": "C-1",
        "kind": "complaint",
        "category": "product_quality",
        "priority": "urgent",
        "channel": "email",
        "subject": "Cracks in batch 42",
        "description": "Photos follow.",
    }
    created = alice.post("/api/tickets", body)
    assert created.status_code == 201, created.json()
    found = created.json()
    assert found["number"].startswith("T-") and found["owner"] == "alice"
    assert (found["account"], found["contact"], found["tier"]) == (
        "Alice Steel Co., Ltd.",
        "Wang Wei",
        "diamond",
    )
    assert found["sla"]["response"]["target_minutes"] == 60
    assert found["sla"]["resolution"]["target_minutes"] == 480
    assert found["sla"]["state"] == "on_track"
    assert found["sla"]["response"]["due_at"] is not None
    again = alice.get(f"/api/tickets/{found['id']}").json()
    assert again == found
    audit = AuditEvent.objects.get(object_type="ticket", object_id=found["id"])
    assert audit.source == "api"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"account": "A-1"}, "subject"),
        ({"account": "A-1", "subject": " "}, "subject"),
        ({"account": "A-1", "subject": "x", "kind": "question"}, "kind"),
        ({"account": "A-1", "subject": "x", "priority": 3}, "priority"),
        ({"account": "A-1", "subject": "x", "contact": "C-404"}, "contact"),
        ({"account": "NOPE", "subject": "x"}, "account"),
        ({"account": "A-1", "subject": "x", "owner": "tom"}, "owner"),
        ({"account": "A-1", "subject": "x" * 201}, "subject"),
    ],
)
def test_bad_values_are_422_naming_the_field(
    cast: Cast, alice: Any, body: dict[str, Any], field: str
) -> None:
    answer = alice.post("/api/tickets", body)
    assert answer.status_code == 422, answer.json()
    assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert Ticket.objects.count() == 0


def test_a_contact_of_another_account_is_refused(cast: Cast, alice: Any) -> None:
    Contact.objects.create(account=cast.shared_telecom, name="Liu", external_id="C-2")
    answer = alice.post("/api/tickets", {"account": "A-1", "subject": "x", "contact": "C-2"})
    assert answer.status_code == 422
    assert "expected one of its contacts" in answer.json()["errors"][0]["message"]


def test_only_the_fields_sent_change(cast: Cast, alice: Any) -> None:
    found = alice.post("/api/tickets", {"account": "A-1", "subject": "x", "contact": "C-1"}).json()
    url = f"/api/tickets/{found['id']}"
    changed = alice.patch(url, {"priority": "high", "subject": "Cracks"})
    assert changed.status_code == 200
    body = changed.json()
    assert (body["priority"], body["subject"], body["contact"]) == ("high", "Cracks", "Wang Wei")
    assert alice.patch(url, {"contact": None}).json()["contact"] is None
    assert alice.patch(url, {"status": "closed"}).status_code == 422  # by the steps only


def test_the_list_filters_and_pages(cast: Cast, alice: Any, api_as: Any) -> None:  # noqa: F811
    for number in range(3):
        alice.post("/api/tickets", {"account": "A-1", "subject": f"Request {number}"})
    complaint = alice.post(
        "/api/tickets", {"account": "A-1", "subject": "Complaint", "kind": "complaint"}
    ).json()
    alice.post(f"/api/tickets/{complaint['id']}/resolve", {"resolution": "Sorted"})
    bob = api_as(cast.bob)
    bob.post("/api/tickets", {"account": "B-2", "subject": "Bob's"})

    everything = alice.get("/api/tickets").json()
    assert everything["count"] == 5  # Alice is on Shared Telecom's account team
    assert alice.get("/api/tickets", kind="complaint").json()["count"] == 1
    assert alice.get("/api/tickets", open="true").json()["count"] == 4
    assert alice.get("/api/tickets", mine="true").json()["count"] == 4
    assert alice.get("/api/tickets", owner="bob").json()["count"] == 1
    assert alice.get("/api/tickets", sla="met").json()["count"] == 1
    assert alice.get("/api/tickets", sla="paused").json()["count"] == 0
    account = alice.get("/api/tickets", account_id=str(cast.shared_telecom.pk)).json()
    assert [item["subject"] for item in account["items"]] == ["Bob's"]
    page = alice.get("/api/tickets", limit="2", offset="1", sort="number").json()
    assert [item["subject"] for item in page["items"]] == ["Request 1", "Request 2"]
    assert alice.get("/api/tickets", sort="owner").status_code == 422
    assert alice.get("/api/tickets", status="lost").status_code == 422
    assert bob.get("/api/tickets").json()["count"] == 1


def test_the_operations_are_documented(cast: Cast, alice: Any) -> None:
    paths = alice.get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/tickets"]) == {"get", "post"}
    assert set(paths["/api/tickets/{ticket_id}"]) == {"get", "patch"}
    for step in ("respond", "wait", "resume", "resolve", "close", "reopen", "comment", "handover"):
        operation = paths[f"/api/tickets/{{ticket_id}}/{step}"]["post"]
        assert operation["summary"]
    assert "get" in paths["/api/tickets/{ticket_id}/history"]
