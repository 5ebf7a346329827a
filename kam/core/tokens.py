"""API tokens (PLAT-3): issue, check and revoke the bearer tokens of the REST API.

A token is shown once, when it is issued; only its SHA-256 is stored, with its first
characters as a prefix so a person can tell their tokens apart. The API also accepts
the browser's logged-in session, so the web pages can call it (with CSRF protection).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from kam.core.models import ApiToken, User, hash_token

TOKEN_PREFIX = "kam_"  # noqa: S105 - a marker, not a secret
PREFIX_LENGTH = 8
# Longer than any token we issue; longer input is not hashed at all.
MAX_TOKEN_LENGTH = 200
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_PRECISION = dt.timedelta(minutes=1)


def issue_token(*, user: User, name: str = "", days: int | None = None) -> str:
    """A new token for `user`, valid for `days` (default KAM_API_TOKEN_DAYS); returns it raw."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    lifetime = dt.timedelta(days=days or settings.KAM_API_TOKEN_DAYS)
    ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=raw[:PREFIX_LENGTH],
        digest=hash_token(raw),
        expires_at=timezone.now() + lifetime,
    )
    return raw


def authenticate_token(raw: str) -> User | None:
    """The active user a usable token belongs to, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > MAX_TOKEN_LENGTH:
        return None
    token = (
        ApiToken.objects.select_related("user", "user__team", "user__region")
        .filter(digest=hash_token(raw))
        .first()
    )
    if token is None or not token.is_usable() or not token.user.is_active:
        return None
    mark_used(token)
    return token.user


def mark_used(token: ApiToken) -> None:
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now


def revoke_token(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


class TokenAuth(HttpBearer):
    """`Authorization: Bearer kam_…` with a token from `kam user token <username>`."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        return authenticate_token(token.strip())


class SessionAuth(APIKeyCookie):
    """The logged-in browser session; unsafe methods need the CSRF token as well.

    Unlike ninja's own SessionAuth, an anonymous request is simply not authenticated
    here (401), and only a logged-in session that fails the CSRF check gets a 403.
    """

    param_name = settings.SESSION_COOKIE_NAME

    def __init__(self) -> None:
        super().__init__(csrf=True)

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated or not user.is_active:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise PermissionDenied("CSRF check failed: send the X-CSRFToken header")
        return user
