"""Creating, changing and deleting accounts through the forms (DATA-1, PLAT-2): the
same validation and messages as an import, every change in the account's history, and
analysts refused every write."""

from __future__ import annotations

import pytest
from django.urls import reverse

from kam.accounts.models import Account
from kam.core.models import AuditEvent
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for


def form_of(account: Account) -> dict[str, str]:
    """What the edit page posts when nothing is changed."""
    response = client_for(account.owner).get(reverse("accounts:edit", args=[account.pk]))
    form = response.context["form"]
    return {name: str(form[name].value() or "") for name in form.fields}


def test_it_creates_an_account_and_assigns_an_external_id(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("accounts:create"),
        {
            "name": "Suzhou Optics",
            "industry": "manufacturing",
            "owner": "alice",
            "tags": "new; east",
        },
    )
    account = Account.objects.get(name="Suzhou Optics")
    assert response.status_code == 302
    assert response["Location"] == account.get_absolute_url()
    assert account.external_id.startswith("KAM-A")
    assert account.owner == cast.alice
    assert sorted(t.name for t in account.tags.all()) == ["east", "new"]
    assert AuditEvent.objects.filter(account_id=account.pk, action="create").exists()


def test_it_fills_a_new_account_form_with_the_import_defaults(cast: Cast) -> None:
    form = client_for(cast.alice).get(reverse("accounts:create")).context["form"]
    assert form["industry"].value() == "other"
    assert form["country"].value() == "CN"
    assert form["owner"].value() == "alice"


def test_it_shows_the_import_message_next_to_the_bad_field(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("accounts:create"),
        {"name": "Bad Numbers", "employees": "many", "industry": "spaceflight"},
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["employees"] == [
        "not a whole number (got 'many', expected a whole number such as 250)"
    ]
    assert form.errors["industry"][0].startswith("unknown value (got 'spaceflight'")
    assert "not a whole number" in response.content.decode()
    assert not Account.objects.filter(name="Bad Numbers").exists()


def test_it_refuses_an_owner_the_actor_may_not_assign(cast: Cast) -> None:
    response = client_for(cast.alice).post(
        reverse("accounts:create"), {"name": "Not Mine", "owner": "bob"}
    )
    assert response.context["form"].errors["owner"][0].startswith("not allowed (got 'bob'")


def test_it_records_an_edit_and_shows_old_and_new_on_the_account_page(cast: Cast) -> None:
    client = client_for(cast.alice)
    data = form_of(cast.alice_steel)
    data.update(name="Alice Steel Group", employees="1200", ownership_type="private")
    response = client.post(reverse("accounts:edit", args=[cast.alice_steel.pk]), data)
    assert response.status_code == 302

    event = AuditEvent.objects.get(account_id=cast.alice_steel.pk, action="update")
    assert event.actor == cast.alice
    assert event.changes["name"] == ["Alice Steel Co., Ltd.", "Alice Steel Group"]
    assert set(event.changes) == {"name", "employees", "ownership_type"}

    page = client.get(cast.alice_steel.get_absolute_url()).content.decode()
    history = page[page.index('id="history"') :]
    assert "Changed" in history and "alice" in history
    assert "Alice Steel Co., Ltd." in history and "Alice Steel Group" in history
    assert "State-owned" in history and "Private" in history  # choice labels, old → new
    assert "→" in history


def test_it_changes_only_the_fields_that_were_posted(cast: Cast) -> None:
    client_for(cast.alice).post(
        reverse("accounts:edit", args=[cast.alice_steel.pk]), {"city": "Wuxi"}
    )
    account = Account.objects.get(pk=cast.alice_steel.pk)
    assert account.city == "Wuxi"
    assert account.province == "Jiangsu" and account.name == "Alice Steel Co., Ltd."


def test_it_lets_a_director_reassign_the_owner(cast: Cast) -> None:
    client_for(cast.dora).post(
        reverse("accounts:edit", args=[cast.bob_mining.pk]), {"owner": "alice"}
    )
    assert Account.objects.get(pk=cast.bob_mining.pk).owner == cast.alice


def test_it_deletes_an_account_and_keeps_its_history(cast: Cast, archive: Archive) -> None:
    pk = cast.alice_steel.pk
    client = client_for(cast.alice)
    assert "Delete" in client.get(reverse("accounts:delete", args=[pk])).content.decode()
    response = client.post(reverse("accounts:delete", args=[pk]))
    assert response["Location"] == reverse("accounts:list")
    assert not Account.objects.filter(pk=pk).exists()
    assert AuditEvent.objects.filter(account_id=pk, action="delete").exists()


def test_it_refuses_to_delete_a_group_with_subsidiaries(cast: Cast) -> None:
    Account.objects.create(
        external_id="A-2", name="Branch", owner=cast.alice, parent=cast.alice_steel
    )
    response = client_for(cast.alice).post(reverse("accounts:delete", args=[cast.alice_steel.pk]))
    assert response.status_code == 302
    assert Account.objects.filter(pk=cast.alice_steel.pk).exists()


def test_it_does_not_let_anyone_edit_an_account_they_cannot_see(cast: Cast) -> None:
    client = client_for(cast.tom)
    for name in ("accounts:edit", "accounts:delete"):
        assert (
            client.post(reverse(name, args=[cast.alice_steel.pk]), {"city": "X"}).status_code == 404
        )


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("accounts:create", False),
        ("accounts:edit", True),
        ("accounts:delete", True),
        ("contacts:create", False),
        ("transactions:order_create", False),
        ("transactions:payment_create", False),
        ("dataio:import", False),
    ],
)
def test_it_answers_403_to_an_analyst_on_every_write(cast: Cast, name: str, args: bool) -> None:
    url = reverse(name, args=[cast.alice_steel.pk] if args else [])
    client = client_for(cast.ann)
    assert client.get(url).status_code == 403
    assert client.post(url, {"name": "Analyst Was Here", "city": "X"}).status_code == 403
    assert not Account.objects.filter(name="Analyst Was Here").exists()
    assert Account.objects.get(pk=cast.alice_steel.pk).city == "Suzhou"


def test_it_shows_no_edit_buttons_to_an_analyst(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.ann)
    for url in (
        cast.alice_steel.get_absolute_url(),
        reverse("accounts:list"),
        archive.boss.get_absolute_url(),
    ):
        page = client.get(url).content.decode()
        assert "/edit/" not in page and "/new/" not in page and "/delete/" not in page
