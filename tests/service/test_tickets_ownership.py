"""First-contact accountability (首问负责制): whoever records a ticket owns it; the owner
is never blank — not in the database, not through the service, the API or the form; a
handover names a colleague, carries a note, is recorded from → to and only the owner,
their sales manager or a director makes it; a deactivated owner's open tickets are listed
for reassignment.

The story: Alice (team East, manager Mary) records a complaint for Shared Telecom, Bob's
account (team North, manager Nick) where Alice is on the account team."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from kam.accounts.models import AccountTeamMember
from kam.core.models import AuditEvent, Role, User
from kam.dataio.records import RecordInvalid
from kam.notifications.models import Notification
from kam.service.models import EventKind, Ticket, TicketStatus
from kam.service.tickets import (
    TicketConflict,
    act,
    create_ticket,
    hand_over,
    orphaned_tickets,
    visible_tickets,
)
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.conftest import Cast, make_user
from tests.web.conftest import client_for


@pytest.fixture
def complaint(cast: Cast) -> Ticket:
    return create_ticket(
        actor=cast.alice,
        account=cast.shared_telecom,
        values={"subject": "Invoice charged twice", "kind": "complaint", "category": "billing"},
    )


def test_whoever_records_a_ticket_owns_it(cast: Cast, complaint: Ticket) -> None:
    assert complaint.owner == cast.alice and complaint.recorded_by == cast.alice
    assert complaint.number == f"T-{complaint.pk:06d}"
    created = complaint.events.get(kind=EventKind.CREATED)
    assert (created.actor, created.to_user) == (cast.alice, cast.alice)
    audit = AuditEvent.objects.get(object_type="ticket", object_id=complaint.pk)
    assert audit.changes["owner"] == [None, "alice"]
    assert audit.account_id == cast.shared_telecom.pk


def test_the_database_refuses_a_ticket_without_owner(cast: Cast, complaint: Ticket) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=complaint.pk).update(owner=None)
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice


def test_an_owner_in_use_cannot_be_deleted(cast: Cast, complaint: Ticket) -> None:
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        cast.alice.delete()


@pytest.mark.parametrize(
    "who, message",
    [
        (None, "missing value"),
        ("inactive", "deactivated"),
        ("ann", "only reads"),
    ],
)
def test_the_service_refuses_to_leave_a_ticket_without_a_working_owner(
    cast: Cast, complaint: Ticket, who: str | None, message: str
) -> None:
    to: User | None = None
    if who == "inactive":
        to = make_user("gone", Role.ACCOUNT_MANAGER, is_active=False)
    elif who == "ann":
        to = cast.ann
    with pytest.raises(RecordInvalid) as refused:
        hand_over(actor=cast.alice, ticket=complaint, to=to, note="over to you")
    assert message in refused.value.by_field()["owner"]
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice
    assert not complaint.events.filter(kind=EventKind.HANDED_OVER).exists()


def test_a_handover_needs_a_note(cast: Cast, complaint: Ticket) -> None:
    with pytest.raises(RecordInvalid) as refused:
        hand_over(actor=cast.alice, ticket=complaint, to=cast.tom, note="  ")
    assert "note" in refused.value.by_field()
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice


def test_the_handover_is_recorded_from_to_with_its_note_and_the_new_owner_is_told(
    cast: Cast, complaint: Ticket
) -> None:
    changed = hand_over(
        actor=cast.alice, ticket=complaint, to=cast.tom, note="Tom knows their billing system"
    )
    assert changed.owner == cast.tom
    step = complaint.events.get(kind=EventKind.HANDED_OVER)
    assert (step.actor, step.from_user, step.to_user) == (cast.alice, cast.alice, cast.tom)
    assert step.note == "Tom knows their billing system"
    note = Notification.objects.get(recipient=cast.tom)
    assert note.code == "service.ticket_handed_over"
    assert note.params["number"] == complaint.number
    assert note.link == complaint.get_absolute_url()
    audit = AuditEvent.objects.filter(object_type="ticket", object_id=complaint.pk).first()
    assert audit is not None and audit.changes["owner"] == ["alice", "tom"]
    # Alice handed it over: she still sees it; Tom, who does not see the account, does too.
    assert visible_tickets(cast.alice).filter(pk=complaint.pk).exists()
    assert visible_tickets(cast.tom).filter(pk=complaint.pk).exists()
    # And the new owner works it.
    act(actor=cast.tom, ticket=changed, action="respond")


@pytest.mark.parametrize("who", ["bob", "nick", "tom", "ann"])
def test_only_the_owner_their_manager_or_a_director_hands_over(
    cast: Cast, complaint: Ticket, who: str
) -> None:
    # Bob owns the account, Nick manages Bob, Tom is Alice's teammate, Ann reads only.
    with pytest.raises(PermissionDenied):
        hand_over(actor=getattr(cast, who), ticket=complaint, to=cast.tom, note="mine now")
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice


@pytest.mark.parametrize("who", ["mary", "dora", "root"])
def test_the_owners_manager_and_directors_may_hand_over(
    cast: Cast, complaint: Ticket, who: str
) -> None:
    changed = hand_over(
        actor=getattr(cast, who), ticket=complaint, to=cast.bob, note="Bob takes it"
    )
    assert changed.owner == cast.bob


def test_handing_over_to_the_owner_or_a_closed_ticket_is_a_conflict(
    cast: Cast, complaint: Ticket
) -> None:
    with pytest.raises(TicketConflict):
        hand_over(actor=cast.alice, ticket=complaint, to=cast.alice, note="me")
    done = act(actor=cast.alice, ticket=complaint, action="resolve", resolution="Refunded")
    done = act(actor=cast.alice, ticket=done, action="close")
    with pytest.raises(TicketConflict):
        hand_over(actor=cast.alice, ticket=done, to=cast.tom, note="late")


def test_the_api_has_no_way_to_blank_the_owner(cast: Cast, complaint: Ticket, api_as: Any) -> None:  # noqa: F811
    client = api_as(cast.alice)
    url = f"/api/tickets/{complaint.pk}"
    patched = client.patch(url, {"owner": None})
    assert patched.status_code == 422
    assert patched.json()["errors"][0]["field"] == "owner"
    empty = client.post(f"{url}/handover", {"owner": "", "note": "x"})
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "owner"
    missing = client.post(f"{url}/handover", {"note": "x"})
    assert missing.status_code == 422
    nobody = client.post(f"{url}/handover", {"owner": "nobody", "note": "x"})
    assert nobody.status_code == 422 and nobody.json()["errors"][0]["field"] == "owner"
    make_user("gone", Role.ACCOUNT_MANAGER, is_active=False)
    gone = client.post(f"{url}/handover", {"owner": "gone", "note": "x"})
    assert gone.status_code == 422 and "deactivated" in gone.json()["errors"][0]["message"]
    assert client.post(f"{url}/handover", {"owner": "alice", "note": "x"}).status_code == 409
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice

    # Bob sees the ticket (his account) but may not hand it over.
    assert (
        api_as(cast.bob).post(f"{url}/handover", {"owner": "bob", "note": "x"}).status_code == 403
    )
    assert (
        api_as(cast.ann).post(f"{url}/handover", {"owner": "tom", "note": "x"}).status_code == 403
    )

    done = client.post(f"{url}/handover", {"owner": "tom", "note": "Tom takes it"})
    assert done.status_code == 200 and done.json()["owner"] == "tom"
    history = client.get(f"{url}/history").json()["items"]
    handed = [e for e in history if e["kind"] == "handed_over"]
    assert handed[0]["from_user"] == "alice" and handed[0]["to_user"] == "tom"
    assert handed[0]["note"] == "Tom takes it"


def test_the_form_has_no_way_to_blank_the_owner(cast: Cast, complaint: Ticket) -> None:
    client = client_for(cast.alice)
    url = f"/tickets/{complaint.pk}/handover/"
    blank = client.post(url, {"handover-owner": "", "handover-note": "over"})
    assert blank.status_code == 422
    assert "a ticket always has an owner" in blank.content.decode()
    no_note = client.post(url, {"handover-owner": "tom", "handover-note": ""})
    assert no_note.status_code == 422
    complaint.refresh_from_db()
    assert complaint.owner == cast.alice
    done = client.post(url, {"handover-owner": "tom", "handover-note": "Tom takes it"})
    assert done.status_code == 302
    complaint.refresh_from_db()
    assert complaint.owner == cast.tom
    page = client.get(complaint.get_absolute_url()).content.decode()
    assert "Tom takes it" in page and "Handed over" in page
    # The edit form has no owner field.
    edit = client_for(cast.tom).get(f"/tickets/{complaint.pk}/edit/").content.decode()
    assert 'name="owner"' not in edit


def test_a_deactivated_owners_open_tickets_are_listed_for_reassignment(
    cast: Cast, complaint: Ticket
) -> None:
    done = create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "Done"})
    act(actor=cast.alice, ticket=done, action="resolve", resolution="ok")
    cast.alice.is_active = False
    cast.alice.save()

    assert list(orphaned_tickets(cast.mary)) == [complaint]  # Alice's manager
    assert list(orphaned_tickets(cast.dora)) == [complaint]
    assert list(orphaned_tickets(cast.nick)) == []  # not Alice's manager
    assert list(orphaned_tickets(cast.tom)) == []

    page = client_for(cast.mary).get("/tickets/").content.decode()
    assert "1 open ticket belongs to a deactivated colleague" in page
    listed = client_for(cast.mary).get("/tickets/", {"orphaned": "on"})
    assert [t.pk for t in listed.context["page"].object_list] == [complaint.pk]

    changed = hand_over(actor=cast.mary, ticket=complaint, to=cast.tom, note="Alice left")
    assert changed.owner == cast.tom
    assert list(orphaned_tickets(cast.mary)) == []


def test_service_staff_see_the_tickets_of_accounts_they_serve_and_those_handed_to_them(
    cast: Cast, complaint: Ticket
) -> None:
    agent = make_user("sam", Role.SERVICE_AGENT)
    other = make_user("sue", Role.SERVICE_AGENT)
    AccountTeamMember.objects.create(account=cast.shared_telecom, user=agent, role="service")
    steel = create_ticket(actor=cast.alice, account=cast.alice_steel, values={"subject": "Rust"})
    assert list(visible_tickets(agent)) == [complaint]
    assert list(visible_tickets(other)) == []
    hand_over(actor=cast.alice, ticket=steel, to=other, note="Sue handles rust claims")
    assert list(visible_tickets(other)) == [steel]
    page = client_for(other).get(steel.get_absolute_url())
    assert page.status_code == 200
    # Sue owns it now, so she moves it on; she still cannot open the account itself.
    assert client_for(other).get(cast.alice_steel.get_absolute_url()).status_code == 404
    act(actor=other, ticket=steel, action="respond")
    assert Ticket.objects.get(pk=steel.pk).status == TicketStatus.IN_PROGRESS
