"""Who sees which tickets: exactly the accounts one sees, plus those one owns, recorded or
handed over. Bob, an outsider to Alice Steel, gets 404 for its tickets everywhere — page,
edit, steps, export, API and attachment download — and never finds them in a list."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kam.service.models import Ticket
from kam.service.tickets import add_attachment, create_ticket, visible_tickets
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.conftest import Cast
from tests.web.conftest import client_for


@pytest.fixture
def alices(cast: Cast, settings: Any, tmp_path: Any) -> Ticket:
    settings.MEDIA_ROOT = tmp_path
    ticket = create_ticket(
        actor=cast.alice, account=cast.alice_steel, values={"subject": "Cracked coil secret"}
    )
    add_attachment(
        actor=cast.alice,
        ticket=ticket,
        upload=SimpleUploadedFile("photo.png", b"\x89PNG\r\n\x1a\n" + b"0" * 100),
    )
    return ticket


@pytest.fixture
def bobs(cast: Cast) -> Ticket:
    return create_ticket(
        actor=cast.bob, account=cast.shared_telecom, values={"subject": "Router outage"}
    )


def test_each_sees_the_tickets_of_the_accounts_they_see(
    cast: Cast, alices: Ticket, bobs: Ticket
) -> None:
    assert set(visible_tickets(cast.alice)) == {alices, bobs}  # on Shared Telecom's team
    assert set(visible_tickets(cast.bob)) == {bobs}
    assert set(visible_tickets(cast.tom)) == set()
    assert set(visible_tickets(cast.mary)) == {alices}  # her team's accounts
    assert set(visible_tickets(cast.nick)) == {bobs}
    assert set(visible_tickets(cast.dora)) == {alices, bobs}
    assert set(visible_tickets(cast.ann)) == {alices, bobs}  # analysts read everything


def test_bob_gets_404_for_alices_ticket_on_every_page(cast: Cast, alices: Ticket) -> None:
    client = client_for(cast.bob)
    attachment = alices.attachments.get()
    for url in (
        f"/tickets/{alices.pk}/",
        f"/tickets/{alices.pk}/edit/",
        f"/tickets/{alices.pk}/files/{attachment.pk}/",
    ):
        assert client.get(url).status_code == 404, url
    for url, data in (
        (f"/tickets/{alices.pk}/respond/", {}),
        (f"/tickets/{alices.pk}/handover/", {"handover-owner": "bob", "handover-note": "x"}),
        (f"/tickets/{alices.pk}/comment/", {"comment-text": "x"}),
        (f"/tickets/{alices.pk}/attach/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    assert client.get(f"/tickets/account/{cast.alice_steel.pk}/").status_code == 404
    assert client.get("/tickets/new/", {"account": cast.alice_steel.pk}).status_code == 404
    alices.refresh_from_db()
    assert alices.owner == cast.alice and alices.events.count() == 2


def test_bob_never_finds_alices_ticket_in_a_list_or_an_export(
    cast: Cast, alices: Ticket, bobs: Ticket
) -> None:
    client = client_for(cast.bob)
    listed = client.get("/tickets/", {"q": "secret"})
    assert list(listed.context["page"].object_list) == []
    everything = client.get("/tickets/").content.decode()
    assert bobs.number in everything and alices.number not in everything
    exported = client.get("/tickets/export/", {"format": "csv"}).content.decode("utf-8-sig")
    assert bobs.number in exported and alices.number not in exported
    assert "Cracked coil" not in exported
    # Filtering by Alice's account shows nothing either.
    assert (
        client.get("/tickets/", {"account": cast.alice_steel.pk}).context["page"].object_list == []
    )


def test_bob_gets_404_for_alices_ticket_in_the_api(cast: Cast, alices: Ticket, api_as: Any) -> None:  # noqa: F811
    client = api_as(cast.bob)
    url = f"/api/tickets/{alices.pk}"
    assert client.get(url).status_code == 404
    assert client.get(f"{url}/history").status_code == 404
    assert client.patch(url, {"subject": "mine"}).status_code == 404
    assert client.post(f"{url}/respond", {}).status_code == 404
    assert client.post(f"{url}/handover", {"owner": "bob", "note": "x"}).status_code == 404
    assert client.post(f"{url}/comment", {"text": "x"}).status_code == 404
    listed = client.get("/api/tickets", limit="200").json()
    assert alices.pk not in [item["id"] for item in listed["items"]]
    created = client.post("/api/tickets", {"account": "A-1", "subject": "Sneaky"})
    assert created.status_code == 422 and created.json()["errors"][0]["field"] == "account"
    assert not Ticket.objects.filter(subject="Sneaky").exists()


def test_analysts_read_every_ticket_and_change_none(
    cast: Cast,
    alices: Ticket,
    api_as: Any,  # noqa: F811
) -> None:
    client = api_as(cast.ann)
    assert client.get(f"/api/tickets/{alices.pk}").status_code == 200
    assert client.patch(f"/api/tickets/{alices.pk}", {"subject": "x"}).status_code == 403
    assert client.post("/api/tickets", {"account": "A-1", "subject": "x"}).status_code == 403
    assert client_for(cast.ann).get(alices.get_absolute_url()).status_code == 200
    assert client_for(cast.ann).get("/tickets/new/").status_code == 403


def test_the_attachment_downloads_only_for_those_who_see_the_ticket(
    cast: Cast, alices: Ticket
) -> None:
    attachment = alices.attachments.get()
    url = f"/tickets/{alices.pk}/files/{attachment.pk}/"
    mine = client_for(cast.alice).get(url)
    assert mine.status_code == 200
    assert b"".join(mine.streaming_content).startswith(b"\x89PNG")  # type: ignore[attr-defined]
    assert mine["Content-Disposition"].startswith('attachment; filename="photo.png"')
    assert mine["Content-Type"] == "image/png"
    assert client_for(cast.mary).get(url).status_code == 200
    assert client_for(cast.tom).get(url).status_code == 404
    # Not another ticket's file through this ticket's address.
    other = create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "x"})
    assert (
        client_for(cast.alice).get(f"/tickets/{other.pk}/files/{attachment.pk}/").status_code == 404
    )
