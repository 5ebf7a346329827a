"""Who may call the API (PLAT-3): a valid bearer token of an active user, or the logged-in
browser session with its CSRF token. Everyone else gets 401 with the JSON error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client
from django.utils import timezone

from kam.core.models import ApiToken, User, hash_token
from kam.core.tokens import authenticate_token, issue_token, revoke_token
from tests.api.conftest import ApiClient
from tests.conftest import Cast

ApiAs = Callable[[User], ApiClient]


def assert_unauthenticated(response: object) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.json()["code"] == "unauthenticated"  # type: ignore[attr-defined]
    assert response["WWW-Authenticate"].startswith("Bearer")  # type: ignore[index]


def test_it_refuses_a_call_without_a_token(cast: Cast) -> None:
    assert_unauthenticated(ApiClient(None).get("/api/accounts"))


def test_it_refuses_a_write_without_a_token_with_401_not_a_csrf_403(cast: Cast) -> None:
    assert_unauthenticated(ApiClient(None).post("/api/accounts", {"name": "Nobody's"}))


@pytest.mark.parametrize("token", ["kam_not-a-real-token", "not-even-our-format", ""])
def test_it_refuses_a_bad_token(cast: Cast, token: str) -> None:
    client = ApiClient(None)
    client.headers = {"Authorization": f"Bearer {token}"}
    assert_unauthenticated(client.get("/api/me"))


def test_it_refuses_an_expired_token(cast: Cast) -> None:
    raw = issue_token(user=cast.alice, days=1)
    ApiToken.objects.filter(digest=hash_token(raw)).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    assert_unauthenticated(ApiClient(raw).get("/api/me"))


def test_it_refuses_a_revoked_token(cast: Cast) -> None:
    raw = issue_token(user=cast.alice)
    revoke_token(token=ApiToken.objects.get(digest=hash_token(raw)))
    assert_unauthenticated(ApiClient(raw).get("/api/me"))


def test_it_refuses_the_token_of_a_deactivated_user(cast: Cast) -> None:
    raw = issue_token(user=cast.bob)
    User.objects.filter(pk=cast.bob.pk).update(is_active=False)
    assert_unauthenticated(ApiClient(raw).get("/api/me"))


def test_it_tells_the_caller_who_they_are(cast: Cast, api_as: ApiAs) -> None:
    me = api_as(cast.mary).get("/api/me").json()
    assert (me["username"], me["role"], me["team"], me["read_only"]) == (
        "mary",
        "sales_manager",
        "East",
        False,
    )
    assert api_as(cast.ann).get("/api/me").json()["read_only"] is True


def test_it_stores_only_the_digest_of_a_token(cast: Cast) -> None:
    raw = issue_token(user=cast.alice, name="laptop")
    token = ApiToken.objects.get(user=cast.alice)
    assert raw.startswith("kam_") and len(raw) > 40
    assert token.digest == hash_token(raw) and raw not in token.digest
    assert token.prefix == raw[:8]
    assert token.name == "laptop"


def test_it_gives_a_token_the_configured_lifetime(cast: Cast, settings: object) -> None:
    settings.KAM_API_TOKEN_DAYS = 30  # type: ignore[attr-defined]
    issue_token(user=cast.alice)
    issue_token(user=cast.bob, days=2)
    left = {
        t.user.username: (t.expires_at - timezone.now()).days
        for t in ApiToken.objects.select_related("user")
    }
    assert left == {"alice": 29, "bob": 1}


def test_it_notes_when_a_token_was_last_used_at_most_once_a_minute(cast: Cast) -> None:
    raw = issue_token(user=cast.alice)
    assert authenticate_token(raw) == cast.alice
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    authenticate_token(raw)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    authenticate_token(raw)
    assert ApiToken.objects.get().last_used_at > first


def test_it_accepts_the_logged_in_session_for_reading(cast: Cast) -> None:
    browser = Client()
    browser.force_login(cast.alice)
    response = browser.get("/api/me")
    assert response.status_code == 200
    assert response.json()["username"] == "alice"


def test_it_wants_the_csrf_token_from_a_session_that_writes(cast: Cast) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.alice)
    body = {"name": "Session Steel"}
    refused = browser.post("/api/accounts", body, content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["code"] == "forbidden"
    secret = "k" * 32  # a CSRF secret, sent as the cookie and echoed in the header
    browser.cookies["csrftoken"] = secret
    accepted = browser.post(
        "/api/accounts", body, content_type="application/json", headers={"X-CSRFToken": secret}
    )
    assert accepted.status_code == 201, accepted.content
