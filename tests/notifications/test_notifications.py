"""Notifications: one per distinct active recipient, each read only by its recipient, in
the reader's language, emailed after commit when a mail server is configured."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from kam.notifications.messages import register, render
from kam.notifications.models import Notification
from kam.notifications.services import notify, unread_count
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.conftest import Cast

CODE = "tests.hello"
register(CODE, gettext_lazy("Account %(account)s needs you."))


def test_each_active_recipient_gets_one(cast: Cast) -> None:
    cast.tom.is_active = False
    cast.tom.save()

    made = notify([cast.alice, cast.alice, None, cast.tom, cast.bob], CODE, {"account": "A"})

    assert sorted(n.recipient.username for n in made) == ["alice", "bob"]
    assert unread_count(cast.alice) == 1


def test_unknown_messages_are_refused(cast: Cast) -> None:
    with pytest.raises(ValueError, match="unknown notification"):
        notify([cast.alice], "tests.never-registered")
    assert not Notification.objects.exists()


def test_a_message_renders_with_its_figures_and_survives_missing_ones() -> None:
    assert render(CODE, {"account": "Alice Steel"}) == "Account Alice Steel needs you."
    assert render(CODE, {}) == "Account %(account)s needs you."
    assert render("tests.gone", {}) == "tests.gone"


def test_the_page_lists_only_ones_own_and_opening_marks_read(cast: Cast, client: Client) -> None:
    mine = notify([cast.alice], CODE, {"account": "Alice Steel"}, link="/accounts/")[0]
    notify([cast.bob], CODE, {"account": "Bob Mining"})
    client.force_login(cast.alice)

    page = client.get("/notifications/").content.decode()
    assert "Account Alice Steel needs you." in page
    assert "Bob Mining" not in page
    assert 'class="count-badge"' in client.get("/").content.decode()

    response = client.post(f"/notifications/{mine.pk}/open/")
    assert (response.status_code, response["Location"]) == (302, "/accounts/")
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert unread_count(cast.alice) == 0


def test_nobody_opens_someone_elses(cast: Cast, client: Client) -> None:
    theirs = notify([cast.bob], CODE, {"account": "Bob Mining"})[0]
    client.force_login(cast.alice)
    assert client.post(f"/notifications/{theirs.pk}/open/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_links_off_the_site_are_not_followed(cast: Cast, client: Client) -> None:
    note = notify([cast.alice], CODE, {"account": "x"}, link="https://evil.example/")[0]
    client.force_login(cast.alice)
    response = client.post(f"/notifications/{note.pk}/open/")
    assert response["Location"] == "/notifications/"


def test_mark_all_read(cast: Cast, client: Client) -> None:
    notify([cast.alice], CODE, {"account": "1"})
    notify([cast.alice], CODE, {"account": "2"})
    client.force_login(cast.alice)
    client.post("/notifications/read-all/")
    assert unread_count(cast.alice) == 0


def test_the_api_lists_and_marks_read(cast: Cast, api_as: Any) -> None:  # noqa: F811
    note = notify([cast.alice], CODE, {"account": "Alice Steel"}, account_id=7)[0]
    other = notify([cast.bob], CODE, {"account": "Bob Mining"})[0]
    alice = api_as(cast.alice)

    body = alice.get("/api/notifications").json()
    assert (body["count"], body["unread"]) == (1, 1)
    item = body["items"][0]
    assert (item["code"], item["text"], item["account_id"], item["read"]) == (
        CODE,
        "Account Alice Steel needs you.",
        7,
        False,
    )
    assert alice.post(f"/api/notifications/{note.pk}/read", {}).json()["read"] is True
    assert alice.post(f"/api/notifications/{other.pk}/read", {}).status_code == 404
    assert alice.get("/api/notifications", unread=True).json()["count"] == 0


def test_in_chinese_the_page_speaks_chinese(cast: Cast, client: Client) -> None:
    notify([cast.alice], CODE, {"account": "x"})
    client.force_login(cast.alice)
    with translation.override("zh-hans"):
        page = client.get("/notifications/", headers={"accept-language": "zh-hans"})
    assert "通知" in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_emails_go_out_after_commit_and_not_after_rollback(cast: Cast, settings: Any) -> None:
    settings.KAM_EMAIL_NOTIFICATIONS = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    cast.alice.email = "alice@example.com"
    cast.alice.save()

    with pytest.raises(RuntimeError), transaction.atomic():
        notify([cast.alice], CODE, {"account": "rolled back"})
        raise RuntimeError
    assert mail.outbox == []

    with transaction.atomic():
        note = notify([cast.alice, cast.bob], CODE, {"account": "Alice Steel"})[0]
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]
    assert "Account Alice Steel needs you." in mail.outbox[0].subject
    note.refresh_from_db()
    assert note.emailed_at is not None


def test_the_api_pages_within_bounds(cast: Cast, api_as: Any) -> None:  # noqa: F811
    for number in range(3):
        notify([cast.alice], CODE, {"account": str(number)})
    alice = api_as(cast.alice)

    page = alice.get("/api/notifications", limit=2, offset=1).json()
    assert (page["count"], len(page["items"]), page["unread"]) == (3, 2, 3)
    assert alice.get("/api/notifications", offset=10**30).status_code == 422
