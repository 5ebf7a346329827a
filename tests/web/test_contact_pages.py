"""Contacts (DATA-3): visible exactly when their account is; the contact page shows the
reporting line; the form validates like an import and the change lands in the history."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from kam.contacts.models import Contact
from kam.core.models import AuditEvent
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", ["Li Na", "Wang Wei"]),
        ("tom", []),
        ("bob", ["Zhao Lei"]),
        ("mary", ["Li Na", "Wang Wei"]),
        ("dora", ["Li Na", "Wang Wei", "Zhao Lei"]),
        ("ann", ["Li Na", "Wang Wei", "Zhao Lei"]),
    ],
)
def test_it_lists_the_contacts_of_visible_accounts(
    cast: Cast, archive: Archive, who: str, expected: list[str]
) -> None:
    response = client_for(getattr(cast, who)).get(reverse("contacts:list"))
    assert sorted(c.name for c in response.context["page"].object_list) == expected


def test_it_filters_contacts_by_role_stance_account_and_text(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.dora)

    def names(**params: object) -> list[str]:
        return [
            c.name for c in client.get(reverse("contacts:list"), params).context["page"].object_list
        ]

    assert names(buying_role="technical_buyer") == ["Li Na"]
    assert names(stance="supporter") == ["Wang Wei"]
    assert names(account=cast.bob_mining.pk) == ["Zhao Lei"]
    assert names(q="engineer") == ["Li Na"]
    assert names(q="mining") == ["Zhao Lei"]


def test_it_exports_only_visible_contacts(cast: Cast, archive: Archive) -> None:
    response = client_for(cast.alice).get(reverse("contacts:export"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert sorted(r["external_id"] for r in rows) == ["C-1", "C-2"]


def test_it_hides_a_contact_of_an_invisible_account(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.alice)
    assert client.get(archive.miner.get_absolute_url()).status_code == 404
    assert client.get(reverse("contacts:edit", args=[archive.miner.pk])).status_code == 404


def test_it_shows_the_reporting_line_both_ways(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.alice)
    engineer = client.get(archive.engineer.get_absolute_url())
    assert engineer.context["chain"] == [archive.boss]
    assert "Wang Wei" in engineer.content.decode()
    boss = client.get(archive.boss.get_absolute_url())
    assert list(boss.context["reports"]) == [archive.engineer]
    assert cast.alice_steel.name in boss.content.decode()


def test_it_adds_a_contact_from_the_account_page(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.alice)
    url = reverse("contacts:create") + f"?account={cast.alice_steel.pk}"
    form = client.get(url).context["form"]
    assert form["account"].value() == "A-1"
    response = client.post(
        url,
        {
            "account": "A-1",
            "name": "Chen Jie",
            "buying_role": "coach",
            "reports_to": "C-1",
            "familiarity": "3",
            "is_active": "true",
        },
    )
    contact = Contact.objects.get(name="Chen Jie")
    assert response["Location"] == contact.get_absolute_url()
    assert contact.reports_to == archive.boss
    assert contact.familiarity == 3
    assert AuditEvent.objects.filter(account_id=cast.alice_steel.pk, object_type="contact").exists()


def test_it_shows_the_import_message_for_a_bad_contact(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.alice)
    bad_email = client.post(
        reverse("contacts:create"), {"account": "A-1", "name": "Spy", "email": "not-an-email"}
    )
    errors = bad_email.context["form"].errors
    assert errors["email"][0].startswith("not an email address (got 'not-an-email'")
    other_account = client.post(reverse("contacts:create"), {"account": "B-1", "name": "Spy"})
    errors = other_account.context["form"].errors
    assert errors["account"][0].startswith("unknown account (got 'B-1'")
    assert not Contact.objects.filter(name="Spy").exists()


def test_it_lets_an_account_team_member_edit_a_contact(cast: Cast) -> None:
    telecom_cto = Contact.objects.create(
        external_id="C-9", account=cast.shared_telecom, name="Sun Hao"
    )
    client = client_for(cast.alice)
    response = client.post(
        reverse("contacts:edit", args=[telecom_cto.pk]), {"stance": "opponent", "title": "CTO"}
    )
    assert response.status_code == 302
    telecom_cto.refresh_from_db()
    assert (telecom_cto.stance, telecom_cto.title) == ("opponent", "CTO")
    page = client.get(cast.shared_telecom.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert "Unknown" in history and "Opponent" in history


def test_it_deletes_a_contact_back_to_the_account(cast: Cast, archive: Archive) -> None:
    response = client_for(cast.alice).post(reverse("contacts:delete", args=[archive.engineer.pk]))
    assert response["Location"] == cast.alice_steel.get_absolute_url()
    assert not Contact.objects.filter(pk=archive.engineer.pk).exists()


def test_it_answers_403_to_an_analyst_who_edits_or_deletes_a_contact(
    cast: Cast, archive: Archive
) -> None:
    client = client_for(cast.ann)
    assert client.get(archive.boss.get_absolute_url()).status_code == 200  # reading is fine
    for name in ("contacts:edit", "contacts:delete"):
        url = reverse(name, args=[archive.boss.pk])
        assert client.get(url).status_code == 403
        assert client.post(url, {"name": "Renamed"}).status_code == 403
    assert Contact.objects.get(pk=archive.boss.pk).name == "Wang Wei"
