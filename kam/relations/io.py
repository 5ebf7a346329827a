"""The fields of an activity as the forms, the API and the CLI see them.

The same converters as the import (kam.core.fields), so a bad value gets the same
message in a form and in the API. References (account, people, contacts) are natural
keys: an account's external id, usernames and contacts' external ids.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.utils import timezone

from kam.core.fields import Field, FieldError, choice, decimal, integer, text
from kam.relations.models import ActivityKind, ActivityStatus, Sentiment

MAX_DURATION_MINUTES = 7 * 24 * 60
VALUE_MAX = Decimal("9999999999.99")
MAX_REFERENCES = 50
CURRENCY_PATTERN = r"^[A-Z]{3}$"
#: ISO date and time, as the API takes it: 2026-11-23T14:30, with seconds and an offset
#: (Z or +08:00) if wanted; without an offset it is the installation's local time.
DATETIME_PATTERN = (
    r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])?$"
)
_DATETIME = re.compile(DATETIME_PATTERN)
_DATE_ONLY = re.compile(r"^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$")
#: A day given without a time starts at this hour.
DEFAULT_HOUR = 9


def date_time(raw: object) -> dt.datetime:
    """An aware date and time from ISO text (local time without an offset) or a datetime."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str) and _DATE_ONLY.match(raw):
        try:
            day = dt.date.fromisoformat(raw)
        except ValueError:
            raise FieldError(
                "not a date and time", raw, "a date and time such as 2026-11-23T14:30"
            ) from None
        value = dt.datetime.combine(day, dt.time(DEFAULT_HOUR))
    elif isinstance(raw, str) and _DATETIME.match(raw):
        try:
            value = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise FieldError(
                "not a date and time", raw, "a date and time such as 2026-11-23T14:30"
            ) from None
    else:
        raise FieldError("not a date and time", raw, "a date and time such as 2026-11-23T14:30")
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    return value


def currency(raw: object) -> str:
    value = text(3)(raw).upper()
    if not re.fullmatch(CURRENCY_PATTERN, value):
        raise FieldError("not a currency code", raw, "a three-letter code such as CNY")
    return value


def names(raw: object) -> list[str]:
    """A list of names (usernames, external ids): a JSON array, or text split on ; or ,."""
    if isinstance(raw, str):
        items: list[object] = [part for part in re.split(r"[;,，；]", raw)]
    elif isinstance(raw, list | tuple):
        items = list(raw)
    else:
        raise FieldError("not a list", raw, "a list of names")
    found: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise FieldError("not a name", item, "text")
        name = item.strip()
        if len(name) > 150:
            raise FieldError("too long", name, "at most 150 characters")
        if name and name not in found:
            found.append(name)
    if len(found) > MAX_REFERENCES:
        raise FieldError("too many", raw, f"at most {MAX_REFERENCES} names")
    return found


ACTIVITY_FIELDS: list[Field] = [
    Field("account", text(64), required=True),  # the account's external id
    Field("kind", choice(ActivityKind), required=True),
    Field("status", choice(ActivityStatus), default=ActivityStatus.DONE),
    Field("subject", text(200), required=True),
    Field("starts_at", date_time, required=True),
    Field("duration_minutes", integer(minimum=0, maximum=MAX_DURATION_MINUTES)),
    Field("owner", text(150)),  # a username; default: whoever logs it
    Field("participants", names, default=[]),  # usernames of our other people
    Field("contacts", names, default=[]),  # external ids of the account's contacts
    Field("notes", text(5000), default=""),
    Field("outcome", text(5000), default=""),
    Field("sentiment", choice(Sentiment), default=""),
    Field("value", decimal(minimum=Decimal(0), maximum=VALUE_MAX)),
    Field("currency", currency, default=""),
    Field("recipients", names, default=[]),  # external ids of contacts; default: the contacts
]

#: What the audit trail records of an activity.
ACTIVITY_AUDIT_FIELDS = [
    "kind",
    "status",
    "subject",
    "starts_at",
    "duration_minutes",
    "owner",
    "participants",
    "contacts",
    "notes",
    "outcome",
    "sentiment",
    "value",
    "currency",
    "recipients",
    "limit_acknowledged_by",
]
