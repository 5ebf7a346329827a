"""The account page shows the latest changes; the history page has all of them, paged,
for those who may see the account."""

from __future__ import annotations

from django.urls import reverse

from kam.core.audit import record
from kam.core.models import AuditAction
from tests.conftest import Cast
from tests.web.conftest import client_for


def make_changes(cast: Cast, count: int) -> None:
    for number in range(count):
        record(
            actor=cast.alice,
            action=AuditAction.UPDATE,
            instance=cast.alice_steel,
            changes={"city": [f"City {number}", f"City {number + 1}"]},
            account_id=cast.alice_steel.pk,
        )


def test_the_account_page_shows_the_latest_changes_and_links_to_all(cast: Cast) -> None:
    make_changes(cast, 25)
    response = client_for(cast.alice).get(reverse("accounts:detail", args=[cast.alice_steel.pk]))
    assert len(response.context["history"]) == 20
    assert response.context["history"][0].changes == {"city": ["City 24", "City 25"]}
    assert reverse("accounts:history", args=[cast.alice_steel.pk]) in response.content.decode()


def test_the_history_page_pages_through_every_change(cast: Cast, settings: object) -> None:
    settings.KAM_PAGE_SIZE = 10  # type: ignore[attr-defined]
    make_changes(cast, 25)
    url = reverse("accounts:history", args=[cast.alice_steel.pk])
    client = client_for(cast.alice)
    last = client.get(url, {"page": 3})
    assert last.status_code == 200
    assert [e.changes["city"][0] for e in last.context["page"].object_list] == [
        f"City {n}" for n in range(4, -1, -1)
    ]


def test_the_history_page_is_hidden_from_outsiders(cast: Cast) -> None:
    url = reverse("accounts:history", args=[cast.alice_steel.pk])
    assert client_for(cast.bob).get(url).status_code == 404
    assert client_for(cast.dora).get(url).status_code == 200
