"""Memberships, ledgers and invitations are visible exactly when their account is: Bob,
an outsider to Alice Steel, gets 404 for its member page, section and API, never sees its
contacts on an event's invitation list, and cannot spend its points. Analysts read."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import reverse

from kam.club.services import (
    accrue_purchases,
    balance_of,
    invite,
    visible_entries,
    visible_invitations,
    visible_memberships,
)
from tests.club.conftest import ALICE_POINTS, Club, event
from tests.web.conftest import client_for

Api = Callable[[Any], Any]


def test_bob_gets_404_for_alice_steel_in_pages_and_api(club: Club, api_as: Api) -> None:
    cast = club.cast
    accrue_purchases()
    pk = cast.alice_steel.pk
    bob = client_for(cast.bob)
    for name in ("club:member", "club:account_section"):
        assert bob.get(reverse(name, args=[pk])).status_code == 404
    for name in ("club:redeem", "club:join", "club:leave", "club:referral", "club:member_invite"):
        assert bob.post(reverse(name, args=[pk]), {"benefit": club.training.pk}).status_code == 404
    api = api_as(cast.bob)
    assert api.get(f"/api/accounts/{pk}/club").status_code == 404
    assert api.get(f"/api/accounts/{pk}/club/ledger").status_code == 404
    spend = api.post(f"/api/accounts/{pk}/club/redemptions", {"benefit_id": club.training.pk})
    assert spend.status_code == 404
    listed = api.get("/api/club/memberships").json()
    assert [item["account"] for item in listed["items"]] == ["B-1"]
    assert balance_of(club.alice_member) == ALICE_POINTS


def test_the_helpers_follow_the_account_scope(club: Club) -> None:
    cast = club.cast
    accrue_purchases()
    gala = event("Gala", days=4)
    invite(actor=cast.alice, event=gala, contact=club.wang)
    invite(actor=cast.bob, event=gala, contact=club.zhao)
    assert set(visible_memberships(cast.bob)) == {club.bob_member}
    assert set(visible_memberships(cast.mary)) == {club.alice_member}  # Alice's manager
    assert set(visible_memberships(cast.ann)) == {club.alice_member, club.bob_member}
    assert {e.membership_id for e in visible_entries(cast.bob)} == {club.bob_member.pk}
    assert {i.contact.name for i in visible_invitations(cast.bob)} == {"Zhao Lei"}
    assert {i.contact.name for i in visible_invitations(cast.alice)} == {"Wang Wei"}


def test_an_event_page_lists_only_visible_accounts_contacts(club: Club) -> None:
    cast = club.cast
    gala = event("Gala", days=4)
    invite(actor=cast.alice, event=gala, contact=club.wang)
    invite(actor=cast.bob, event=gala, contact=club.zhao)
    url = reverse("club:event", args=[gala.pk])

    as_bob = client_for(cast.bob).get(url).content.decode()
    as_dora = client_for(cast.dora).get(url).content.decode()

    assert "Zhao Lei" in as_bob and "Wang Wei" not in as_bob
    assert "Zhao Lei" in as_dora and "Wang Wei" in as_dora


def test_bob_cannot_answer_for_alice_steel_invitations(club: Club, api_as: Api) -> None:
    wang = invite(actor=club.cast.alice, event=event("Gala", days=4), contact=club.wang)
    api = api_as(club.cast.bob)
    assert api.get(f"/api/club/invitations/{wang.pk}").status_code == 404
    answer = api.post(f"/api/club/invitations/{wang.pk}/response", {"answer": "declined"})
    assert answer.status_code == 404
    page = client_for(club.cast.bob).post(reverse("club:respond", args=[wang.pk]))
    assert page.status_code == 404
    wang.refresh_from_db()
    assert wang.status == "invited"


def test_analysts_read_everything_and_change_nothing(club: Club, api_as: Api) -> None:
    cast = club.cast
    accrue_purchases()
    ann = client_for(cast.ann)
    page = ann.get(reverse("club:member", args=[cast.alice_steel.pk]))
    assert page.status_code == 200 and "Redeem a benefit" not in page.content.decode()
    spent = ann.post(reverse("club:redeem", args=[cast.alice_steel.pk]), {"benefit": 1})
    assert spent.status_code == 403
    api = api_as(cast.ann)
    assert api.get(f"/api/accounts/{cast.alice_steel.pk}/club/ledger").status_code == 200
    redeem = api.post(
        f"/api/accounts/{cast.alice_steel.pk}/club/redemptions", {"benefit_id": club.training.pk}
    )
    assert redeem.status_code == 403
    assert balance_of(club.alice_member) == ALICE_POINTS
