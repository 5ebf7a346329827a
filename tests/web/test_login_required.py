"""Every page of the web shell asks who you are first (PLAT-2)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Cast

PAGES = [
    ("core:home", []),
    ("accounts:list", []),
    ("accounts:export", []),
    ("accounts:create", []),
    ("accounts:detail", ["alice_steel"]),
    ("accounts:edit", ["alice_steel"]),
    ("accounts:delete", ["alice_steel"]),
    ("contacts:list", []),
    ("contacts:export", []),
    ("contacts:create", []),
    ("transactions:orders", []),
    ("transactions:orders_export", []),
    ("transactions:order_create", []),
    ("transactions:payments", []),
    ("transactions:payments_export", []),
    ("transactions:payment_create", []),
    ("dataio:import", []),
    ("dataio:export", []),
]


@pytest.mark.parametrize(("name", "args"), PAGES)
def test_it_sends_a_stranger_to_the_login_page(
    cast: Cast, client: Client, name: str, args: list[str]
) -> None:
    url = reverse(name, args=[getattr(cast, a).pk for a in args])
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("core:login") + "?next=")


def test_it_logs_in_and_lands_on_the_home_page(cast: Cast, client: Client) -> None:
    response = client.post(
        reverse("core:login"), {"username": "alice", "password": "pw-alice"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("core:home")
    assert "Accounts you see" in response.content.decode()


def test_it_refuses_a_wrong_password(cast: Cast, client: Client) -> None:
    response = client.post(reverse("core:login"), {"username": "alice", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_it_logs_out_with_a_post(cast: Cast, client: Client) -> None:
    client.force_login(cast.alice)
    response = client.post(reverse("core:logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("core:login")
    assert client.get(reverse("core:home")).status_code == 302


def test_it_shows_the_home_page_with_counts_and_recent_changes(cast: Cast, client: Client) -> None:
    client.force_login(cast.alice)
    client.post(
        reverse("accounts:edit", args=[cast.alice_steel.pk]),
        {"name": "Alice Steel Group", "owner": "alice", "industry": "manufacturing"},
    )
    page = client.get(reverse("core:home")).content.decode()
    assert "Accounts you see" in page
    assert "Alice Steel Group" in page  # the change just made
    assert "Bob Mining" not in page
