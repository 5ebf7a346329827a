"""One record at a time: the API and the web forms validate through the same fields and
reference rules as the import, so a bad value gets the same message everywhere."""

from __future__ import annotations

from typing import Any

from django.db import models

from kam.core.fields import FieldError, shown
from kam.core.models import User
from kam.dataio.engine import ImportReport, Problem, Record, check_unique_ids
from kam.dataio.kinds import get_kind, natural_keys


class RecordInvalid(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))

    def by_field(self) -> dict[str, str]:
        return {p.column or "": p.message for p in self.problems}


class ExternalIdTaken(RecordInvalid):
    """The external_id belongs to another record: a conflict rather than bad input."""


def current_values(kind_name: str, instance: models.Model) -> dict[str, Any]:
    """The record as the import would read it: the base for a partial update."""
    from kam.dataio.export import export_header, export_rows

    rows = type(instance)._default_manager.filter(pk=instance.pk)
    values = next(export_rows(kind_name, rows))
    return dict(zip(export_header(kind_name), values, strict=True))


def validate_one(
    kind_name: str,
    data: dict[str, Any],
    *,
    actor: User,
    instance: models.Model | None = None,
) -> dict[str, Any]:
    """Model attribute values for `save_*`, or RecordInvalid naming each bad field."""
    kind = get_kind(kind_name)
    record = Record(
        row=0,
        raw=dict(data),
        columns={f.name: f.name for f in kind.fields},
        pk=instance.pk if instance is not None else None,
    )
    problems: list[Problem] = []
    for f in kind.fields:
        raw = record.raw.get(f.name)
        if f.name == "external_id" and instance is None and (raw is None or raw == ""):
            record.values["external_id"] = None  # assigned on save
            continue
        if f.name not in record.raw:
            record.values[f.name] = f.default
            continue
        try:
            record.values[f.name] = f.parse(raw)
        except FieldError as exc:
            problems.append(Problem(None, f.name, exc.message))
    check_unique_ids([record], problems)
    if problems:
        raise RecordInvalid(problems)
    _check_external_id_free(kind.model, record, instance)
    report = ImportReport(kind=kind_name, file="")
    kind.checks_existing = False  # done above, against this very record
    kind.resolve([record], actor, report)
    problems.extend(Problem(None, p.column, p.message) for p in report.problems)
    if problems:
        raise RecordInvalid(problems)
    return _model_values(kind, record)


def _check_external_id_free(
    model: type[models.Model], record: Record, instance: models.Model | None
) -> None:
    ext = record.values.get("external_id")
    if not ext:
        return
    taken = model._default_manager.filter(external_id=ext)
    if instance is not None:
        taken = taken.exclude(pk=instance.pk)
    if taken.exists():
        message = f"already used (got {shown(ext)}, expected an external_id no other record has)"
        raise ExternalIdTaken([Problem(None, "external_id", message)])


def _model_values(kind: Any, record: Record) -> dict[str, Any]:
    attnames = kind.model_attnames() - {"id", "created_at", "updated_at"}
    values = {k: v for k, v in record.values.items() if k in attnames}
    if "tags" in record.values:
        values["tags"] = record.values["tags"] or []
    for name in kind.deferred_refs:
        key = record.keys.get(name)
        found = natural_keys(kind.model, "external_id", {key}, None) if key else {}
        values[f"{name}_id"] = found.get(key) if key else None
    return values
