from typing import Any

from django.conf import settings
from django.http import HttpRequest


def kam(request: HttpRequest) -> dict[str, Any]:
    return {"KAM_CURRENCY": settings.KAM_CURRENCY}
