"""The status workflow: the allowed steps and nothing else, each a history row and an
audit event, with a clear error for a step the status does not allow — in the service,
the pages and the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from kam.service.models import EventKind, Ticket, TicketPause, TicketStatus
from kam.service.tickets import (
    TransitionRefused,
    act,
    allowed_actions,
    change_ticket,
    comment,
    create_ticket,
)
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.conftest import Cast
from tests.web.conftest import client_for


@pytest.fixture
def ticket(cast: Cast) -> Ticket:
    return create_ticket(
        actor=cast.alice,
        account=cast.alice_steel,
        values={"subject": "Delivery two days late", "category": "delivery", "priority": "high"},
    )


def kinds(ticket: Ticket) -> list[str]:
    return list(ticket.events.order_by("at", "pk").values_list("kind", flat=True))


def test_the_whole_way_with_a_history_row_for_each_step(cast: Cast, ticket: Ticket) -> None:
    assert allowed_actions(cast.alice, ticket) == ["respond", "wait", "resolve"]
    ticket = act(actor=cast.alice, ticket=ticket, action="respond", note="Called the buyer")
    assert ticket.status == TicketStatus.IN_PROGRESS and ticket.first_response_at is not None
    ticket = act(actor=cast.alice, ticket=ticket, action="wait", note="Waiting for the photos")
    assert ticket.status == TicketStatus.WAITING_CUSTOMER
    assert TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).count() == 1
    ticket = act(actor=cast.alice, ticket=ticket, action="resume")
    assert TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).count() == 0
    ticket = act(actor=cast.alice, ticket=ticket, action="resolve", resolution="Expedited")
    assert (ticket.status, ticket.resolution) == (TicketStatus.RESOLVED, "Expedited")
    assert ticket.resolved_at is not None
    ticket = act(actor=cast.alice, ticket=ticket, action="close")
    assert ticket.status == TicketStatus.CLOSED and ticket.closed_at is not None
    ticket = act(actor=cast.alice, ticket=ticket, action="reopen", note="Late again")
    assert (ticket.status, ticket.reopen_count, ticket.closed_at) == (
        TicketStatus.IN_PROGRESS,
        1,
        None,
    )
    comment(actor=cast.tom, ticket=ticket, text="I saw this at the warehouse too")
    assert kinds(ticket) == [
        EventKind.CREATED,
        EventKind.RESPONDED,
        EventKind.PAUSED,
        EventKind.RESUMED,
        EventKind.RESOLVED,
        EventKind.CLOSED,
        EventKind.REOPENED,
        EventKind.COMMENTED,
    ]
    statuses = [
        (e.from_status, e.to_status)
        for e in ticket.events.exclude(kind__in=[EventKind.CREATED, EventKind.COMMENTED])
    ]
    assert statuses == [
        ("new", "in_progress"),
        ("in_progress", "waiting_customer"),
        ("waiting_customer", "in_progress"),
        ("in_progress", "resolved"),
        ("resolved", "closed"),
        ("closed", "in_progress"),
    ]
    assert ticket.events.get(kind=EventKind.RESPONDED).note == "Called the buyer"
    audit = AuditEvent.objects.filter(object_type="ticket", object_id=ticket.pk)
    assert audit.count() == 8  # created, six steps, the comment
    assert audit.filter(changes__status=["closed", "in_progress"]).exists()


@pytest.mark.parametrize(
    "steps, refused",
    [
        ([], "close"),
        ([], "resume"),
        ([], "reopen"),
        (["respond"], "respond"),
        (["respond"], "close"),
        (["resolve"], "resolve"),
        (["resolve"], "wait"),
        (["resolve", "close"], "close"),
    ],
)
def test_a_step_the_status_does_not_allow_is_refused_clearly(
    cast: Cast, ticket: Ticket, steps: list[str], refused: str
) -> None:
    for name in steps:
        ticket = act(actor=cast.alice, ticket=ticket, action=name, resolution="done")
    before = kinds(ticket)
    with pytest.raises(TransitionRefused) as error:
        act(actor=cast.alice, ticket=ticket, action=refused, note="x", resolution="x")
    assert f"cannot {refused} ticket {ticket.number}" in str(error.value)
    assert "allowed from:" in str(error.value)
    assert kinds(ticket) == before


def test_resolving_needs_a_resolution_and_reopening_a_reason(cast: Cast, ticket: Ticket) -> None:
    with pytest.raises(RecordInvalid) as refused:
        act(actor=cast.alice, ticket=ticket, action="resolve", resolution="   ")
    assert "resolution" in refused.value.by_field()
    ticket = act(actor=cast.alice, ticket=ticket, action="resolve", resolution="Fixed")
    with pytest.raises(RecordInvalid) as refused:
        act(actor=cast.alice, ticket=ticket, action="reopen")
    assert "note" in refused.value.by_field()
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.RESOLVED


def test_resolving_at_once_is_the_first_response_too(cast: Cast, ticket: Ticket) -> None:
    ticket = act(actor=cast.alice, ticket=ticket, action="resolve", resolution="Told them why")
    assert ticket.first_response_at == ticket.resolved_at
    assert kinds(ticket) == [EventKind.CREATED, EventKind.RESPONDED, EventKind.RESOLVED]


def test_others_who_see_the_ticket_comment_but_do_not_move_it(cast: Cast, ticket: Ticket) -> None:
    # Mary (Alice's manager) may; Dora may; Ann reads only.
    for person in (cast.ann,):
        with pytest.raises(PermissionDenied):
            act(actor=person, ticket=ticket, action="respond")
        with pytest.raises(PermissionDenied):
            comment(actor=person, ticket=ticket, text="hm")
    act(actor=cast.mary, ticket=ticket, action="respond")


def test_details_change_by_the_owner_with_a_history_row(cast: Cast, ticket: Ticket) -> None:
    changed = change_ticket(
        actor=cast.alice, ticket=ticket, values={"priority": "urgent", "subject": "Late again"}
    )
    assert (changed.priority, changed.subject) == ("urgent", "Late again")
    row = changed.events.get(kind=EventKind.CHANGED)
    assert row.data["changes"]["priority"] == ["high", "urgent"]
    with pytest.raises(RecordInvalid) as refused:
        change_ticket(actor=cast.alice, ticket=ticket, values={"priority": "whenever"})
    assert "priority" in refused.value.by_field()
    with pytest.raises(RecordInvalid) as refused:
        change_ticket(actor=cast.alice, ticket=ticket, values={"subject": ""})
    assert "subject" in refused.value.by_field()


def test_the_page_takes_the_steps_and_says_why_one_is_refused(cast: Cast, ticket: Ticket) -> None:
    client = client_for(cast.alice)
    page = client.get(ticket.get_absolute_url()).content.decode()
    assert 'data-action="respond"' in page and 'data-action="close"' not in page
    assert (
        client.post(f"/tickets/{ticket.pk}/respond/", {"respond-note": "On it"}).status_code == 302
    )
    refused = client.post(f"/tickets/{ticket.pk}/close/", {}, follow=True)
    assert "cannot close ticket" in refused.content.decode()
    no_text = client.post(f"/tickets/{ticket.pk}/resolve/", {"resolve-resolution": ""})
    assert no_text.status_code == 422
    assert "how it was resolved" in no_text.content.decode()
    assert client.post(f"/tickets/{ticket.pk}/explode/", {}).status_code == 404
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.IN_PROGRESS
    assert client_for(cast.ann).post(f"/tickets/{ticket.pk}/resolve/", {}).status_code == 403


def test_the_api_takes_the_steps_with_409_for_a_refused_one(
    cast: Cast,
    ticket: Ticket,
    api_as: Any,  # noqa: F811
) -> None:
    client = api_as(cast.alice)
    url = f"/api/tickets/{ticket.pk}"
    answer = client.post(f"{url}/respond", {"note": "Called"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "in_progress" and body["sla"]["response"]["state"] == "met"
    refused = client.post(f"{url}/close", {})
    assert refused.status_code == 409
    assert "allowed from: resolved" in refused.json()["message"]
    blank = client.post(f"{url}/resolve", {"resolution": " "})
    assert blank.status_code == 422 and blank.json()["errors"][0]["field"] == "resolution"
    assert client.post(f"{url}/wait", {"note": "Photos?"}).json()["sla"]["resolution"]["paused"]
    assert client.post(f"{url}/resume", {}).json()["status"] == "in_progress"
    done = client.post(f"{url}/resolve", {"resolution": "Expedited"}).json()
    assert (done["status"], done["resolution"]) == ("resolved", "Expedited")
    assert client.post(f"{url}/close", {}).json()["status"] == "closed"
    assert client.post(f"{url}/reopen", {}).status_code == 422  # the reason is required
    again = client.post(f"{url}/reopen", {"note": "Late again"}).json()
    assert (again["status"], again["reopen_count"]) == ("in_progress", 1)
    commented = client.post(f"{url}/comment", {"text": "Noted"})
    assert commented.status_code == 201 and commented.json()["kind"] == "commented"
    assert api_as(cast.ann).post(f"{url}/respond", {}).status_code == 403
    history = client.get(f"{url}/history").json()
    assert history["count"] == len(history["items"]) == 8
    assert [e["kind"] for e in history["items"]][:3] == ["created", "responded", "paused"]
