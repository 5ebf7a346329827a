from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def kam(request: HttpRequest) -> dict[str, Any]:
    return {"KAM_CURRENCY": settings.KAM_CURRENCY, "unread_notifications": unread(request)}


def unread(request: HttpRequest) -> Any:
    """The signed-in user's unread notifications, counted only if the page shows them."""
    from kam.notifications.services import unread_count

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return SimpleLazyObject(lambda: unread_count(user))
