"""An activity is visible exactly when its account is: Bob, an outsider to Alice Steel,
gets 404 for its activities in every page, section, export and API endpoint."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import Cast
from tests.relations.conftest import Centre
from tests.web.conftest import client_for


@pytest.mark.parametrize(
    "name",
    ["relations:activity", "relations:edit"],
)
def test_bob_gets_404_for_alices_activity_pages(cast: Cast, centre: Centre, name: str) -> None:
    assert client_for(cast.bob).get(reverse(name, args=[centre.visit.pk])).status_code == 404


@pytest.mark.parametrize("name", ["relations:complete", "relations:cancel", "relations:delete"])
def test_bob_cannot_change_alices_activity(cast: Cast, centre: Centre, name: str) -> None:
    assert client_for(cast.bob).post(reverse(name, args=[centre.visit.pk])).status_code == 404
    centre.visit.refresh_from_db()
    assert centre.visit.status == "done"


@pytest.mark.parametrize(
    "name",
    [
        "relations:account_activities",
        "relations:account_relationship",
        "relations:map",
    ],
)
def test_bob_gets_404_for_alice_steels_sections(cast: Cast, centre: Centre, name: str) -> None:
    url = reverse(name, args=[cast.alice_steel.pk])
    assert client_for(cast.bob).get(url).status_code == 404


def test_bob_cannot_log_on_alice_steel_or_her_contacts(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.bob)
    post = {"kind": "visit", "subject": "x", "starts_at": "2026-01-01T10:00"}
    assert (
        client.post(reverse("relations:account_log", args=[cast.alice_steel.pk]), post).status_code
        == 404
    )
    assert (
        client.post(reverse("relations:contact_log", args=[centre.boss.pk]), post).status_code
        == 404
    )
    assert (
        client.get(reverse("relations:contact_activities", args=[centre.boss.pk])).status_code
        == 404
    )
    assert (
        client.get(reverse("relations:create"), {"account": cast.alice_steel.pk}).status_code == 404
    )


def test_bobs_list_and_export_leave_alices_activities_out(cast: Cast, centre: Centre) -> None:
    client = client_for(cast.bob)
    page = client.get(reverse("relations:activities"), {"account": cast.alice_steel.pk})
    assert "Quarterly review" not in page.content.decode()
    export = client.get(reverse("relations:export"), {"format": "csv"})
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1:] == []
    # Alice, Mary (her manager) and Dora (director) see it.
    for person in (cast.alice, cast.mary, cast.dora):
        body = client_for(person).get(reverse("relations:export"), {"format": "csv"})
        assert "Quarterly review" in body.content.decode("utf-8-sig")


def test_bob_gets_404_in_the_api(cast: Cast, centre: Centre, api_as: Any) -> None:
    client = api_as(cast.bob)
    url = f"/api/activities/{centre.visit.pk}"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"subject": "mine now"}).status_code == 404
    assert client.delete(url).status_code == 404
    assert client.get("/api/activities").json()["count"] == 0
    created = client.post(
        "/api/activities",
        {"account": "A-1", "kind": "call", "subject": "x", "starts_at": "2026-01-01T10:00:00Z"},
    )
    assert created.status_code == 422
    assert created.json()["errors"][0]["field"] == "account"


def test_the_cadence_shows_an_account_manager_only_own_accounts(cast: Cast, centre: Centre) -> None:
    centre.visit.delete()  # Alice Steel: never visited
    alice = client_for(cast.alice).get(reverse("relations:cadence")).content.decode()
    assert "Alice Steel" in alice and "Bob Mining" not in alice
    bob = client_for(cast.bob).get(reverse("relations:cadence"), {"show": "all"}).content.decode()
    assert "Alice Steel" not in bob and "Bob Mining" in bob
    mary = client_for(cast.mary).get(reverse("relations:cadence")).content.decode()
    assert "Alice Steel" in mary and 'data-owner="alice"' in mary
