"""The audit trail: every change to accounts, contacts, orders and payments becomes an
AuditEvent with who, when, and each field's old → new value."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import models

from kam.core.models import AuditAction, AuditEvent, User


def plain(value: Any) -> Any:
    """A JSON-friendly, human-readable form of a field value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, list | tuple | set):
        return ", ".join(sorted(str(v) for v in value))
    return str(value)


def snapshot(instance: models.Model, names: Sequence[str]) -> dict[str, Any]:
    return {name: plain(getattr(instance, name)) for name in names}


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    return {
        name: [old.get(name), value]
        for name, value in new.items()
        if plain(old.get(name)) != plain(value)
    }


def event(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]],
    account_id: int | None,
    source: str = "",
) -> AuditEvent:
    return AuditEvent(
        actor=actor if actor is not None and actor.pk else None,
        action=action,
        object_type=instance._meta.model_name or "",
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        account_id=account_id,
        changes=changes,
        source=source[:40],
    )


def record(
    *,
    actor: User | None,
    action: str,
    instance: models.Model,
    changes: dict[str, list[Any]],
    account_id: int | None,
    source: str = "",
) -> AuditEvent | None:
    if action == AuditAction.UPDATE and not changes:
        return None
    entry = event(
        actor=actor,
        action=action,
        instance=instance,
        changes=changes,
        account_id=account_id,
        source=source,
    )
    entry.save()
    return entry


def record_many(events: Iterable[AuditEvent]) -> None:
    AuditEvent.objects.bulk_create(list(events), batch_size=2000)


def created(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [None, plain(value)] for name, value in values.items() if not _empty(value)}


def deleted(values: dict[str, Any]) -> dict[str, list[Any]]:
    return {name: [plain(value), None] for name, value in values.items() if not _empty(value)}


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []
