"""The messages notifications can carry, by code.

Each app registers its messages at import time with `register`; the text is a
gettext_lazy string with %(name)s placeholders filled from the notification's figures
when it is shown, in the reader's language.
"""

from __future__ import annotations

import logging
from typing import Any

from django.utils.functional import Promise

log = logging.getLogger(__name__)

_MESSAGES: dict[str, Promise] = {}


def register(code: str, text: Promise) -> None:
    """Make `code` a known message; registering the same code with other text is a bug."""
    known = _MESSAGES.get(code)
    if known is not None and str(known) != str(text):
        raise ValueError(f"notification message {code!r} is registered twice")
    _MESSAGES[code] = text


def is_known(code: str) -> bool:
    return code in _MESSAGES


def known_codes() -> list[str]:
    return sorted(_MESSAGES)


def render(code: str, params: dict[str, Any]) -> str:
    """The message in the active language; an unknown code or a missing figure still
    says something rather than failing the page."""
    text = _MESSAGES.get(code)
    if text is None:
        log.warning("unknown notification message %r", code)
        return code
    try:
        return str(text) % params
    except (KeyError, TypeError, ValueError):
        log.warning("notification message %r lacks figures: %r", code, params)
        return str(text)
