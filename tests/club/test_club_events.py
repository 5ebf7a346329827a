"""Club events: only contacts of member accounts are invited, accepting is refused when
the event is full, attendance earns the event's points once per account and event."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from kam.club.models import EntryKind, Invitation, InvitationStatus, PointsEntry, PointsRules
from kam.club.services import (
    ClubRefused,
    balance_of,
    invite,
    record_attendance,
    respond,
    rules_values,
    save_event,
    save_rules,
)
from kam.core.models import AuditEvent
from tests.club.conftest import Club, event


def invited(club: Club, ev: object, *contacts: object) -> list[Invitation]:
    return [
        invite(actor=club.cast.alice, event=ev, contact=c)  # type: ignore[arg-type]
        for c in contacts
    ]


def test_only_contacts_of_members_are_invited_once_before_the_start(club: Club) -> None:
    cast = club.cast
    gala = event("Gala", days=10)
    first = invite(actor=cast.alice, event=gala, contact=club.wang)
    assert (first.status, first.account, first.invited_by) == (
        InvitationStatus.INVITED,
        cast.alice_steel,
        cast.alice,
    )
    assert AuditEvent.objects.filter(object_type="invitation", object_id=first.pk).exists()
    with pytest.raises(ClubRefused, match="Wang Wei is invited to Gala already"):
        invite(actor=cast.alice, event=gala, contact=club.wang)
    with pytest.raises(ClubRefused, match="Shared Telecom is not a club member"):
        invite(actor=cast.alice, event=gala, contact=club.telecom_contact)
    with pytest.raises(ClubRefused, match="invitations are closed"):
        invite(actor=cast.alice, event=event("Past", days=-1), contact=club.wang)
    with pytest.raises(PermissionDenied):
        invite(actor=cast.ann, event=gala, contact=club.li)


def test_accepting_is_refused_when_the_event_is_full(club: Club) -> None:
    cast = club.cast
    dinner = event("Dinner", days=5, capacity=2)
    wang, li = invited(club, dinner, club.wang, club.li)
    zhao = invite(actor=cast.bob, event=dinner, contact=club.zhao)
    respond(actor=cast.alice, invitation=wang, accepted=True)
    respond(actor=cast.bob, invitation=zhao, accepted=True)

    with pytest.raises(ClubRefused, match="Dinner is full: all 2 seats are taken"):
        respond(actor=cast.alice, invitation=li, accepted=True)

    li.refresh_from_db()
    assert li.status == InvitationStatus.INVITED
    respond(actor=cast.bob, invitation=zhao, accepted=False)  # a seat is freed
    assert respond(actor=cast.alice, invitation=li, accepted=True).status == "accepted"
    with pytest.raises(ClubRefused, match="cannot be below the 2 seats already taken"):
        save_event(
            actor=cast.dora,
            values={"name": "Dinner", "starts_at": dinner.starts_at, "capacity": 1},
            event=dinner,
        )


def test_attendance_earns_once_per_account_and_event(club: Club) -> None:
    cast = club.cast
    forum = event("Forum", days=3)
    wang, li = invited(club, forum, club.wang, club.li)
    zhao = invite(actor=cast.bob, event=forum, contact=club.zhao)
    forum.starts_at = forum.starts_at - dt.timedelta(days=400)  # it has taken place
    forum.save()
    rules_points = PointsRules.load().event_points

    _, first = record_attendance(actor=cast.alice, invitation=wang, attended=True)
    _, second = record_attendance(actor=cast.alice, invitation=li, attended=True)
    _, repeat = record_attendance(actor=cast.alice, invitation=wang, attended=True)
    _, none = record_attendance(actor=cast.bob, invitation=zhao, attended=False)

    assert first is not None and first.delta == rules_points == 500
    assert first.reference == f"event:{forum.pk}:account:{cast.alice_steel.pk}"
    assert second is None and repeat is None and none is None
    assert balance_of(club.alice_member) == 500 and balance_of(club.bob_member) == 0
    assert PointsEntry.objects.filter(kind=EntryKind.EARN_EVENT).count() == 1
    zhao.refresh_from_db()
    assert zhao.status == InvitationStatus.NO_SHOW
    with pytest.raises(ClubRefused, match="recorded as attended already"):
        record_attendance(actor=cast.alice, invitation=wang, attended=False)
    with pytest.raises(ClubRefused, match="recorded already"):
        respond(actor=cast.alice, invitation=wang, accepted=False)


def test_an_event_sets_its_own_points_or_follows_the_rules(club: Club) -> None:
    cast = club.cast
    golf = event("Golf", days=1, points=800)
    talk = event("Talk", days=1)
    (golf_wang,) = invited(club, golf, club.wang)
    (talk_zhao,) = invite_bob(club, talk)
    for ev in (golf, talk):
        ev.starts_at = ev.starts_at - dt.timedelta(days=400)
        ev.save()
    save_rules(actor=cast.dora, values={**rules_values(PointsRules.load()), "event_points": 250})

    _, golf_entry = record_attendance(actor=cast.alice, invitation=golf_wang, attended=True)
    _, talk_entry = record_attendance(actor=cast.bob, invitation=talk_zhao, attended=True)

    assert golf_entry is not None and golf_entry.delta == 800
    assert talk_entry is not None and talk_entry.delta == 250


def invite_bob(club: Club, ev: object) -> list[Invitation]:
    return [invite(actor=club.cast.bob, event=ev, contact=club.zhao)]  # type: ignore[arg-type]


def test_attendance_waits_for_the_event(club: Club) -> None:
    soon = event("Soon", days=2)
    (wang,) = invited(club, soon, club.wang)
    with pytest.raises(ClubRefused, match="has not started yet"):
        record_attendance(actor=club.cast.alice, invitation=wang, attended=True)
    assert balance_of(club.alice_member) == 0


def test_only_directors_manage_events(club: Club) -> None:
    from django.utils import timezone

    values = {"name": "Mine", "starts_at": timezone.now() + dt.timedelta(days=3), "capacity": 5}
    with pytest.raises(PermissionDenied):
        save_event(actor=club.cast.alice, values=values)
    made = save_event(actor=club.cast.dora, values=values)
    event_audit = AuditEvent.objects.get(object_type="clubevent", object_id=made.pk)
    assert event_audit.changes["capacity"] == [None, 5]
