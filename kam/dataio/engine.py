"""The import engine (DATA-5): read a whole file, validate every row, then write all of
it in one transaction or nothing at all.

Steps: map the header to fields → parse each cell (kam.core.fields) → check external
ids are unique in the file → resolve references in bulk (kinds.py) → compare with what
is stored → create and update in bulk, with one audit event per changed row. A re-import
of the same file finds nothing changed and writes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.db import transaction

from kam.core.fields import Field, FieldError, shown
from kam.core.models import User
from kam.dataio.readers import FileProblem, open_table

if TYPE_CHECKING:
    from kam.dataio.kinds import Kind

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Problem:
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row is not None:
            return f"row {self.row}, column {self.column}: {self.message}"
        if self.column is not None:
            return f"column {self.column}: {self.message}"
        return self.message


@dataclass
class Record:
    row: int
    raw: dict[str, Any]
    columns: dict[str, str]
    values: dict[str, Any] = field(default_factory=dict)
    keys: dict[str, Any] = field(default_factory=dict)  # references as their natural keys
    pk: int | None = None  # the stored row being changed, when validating a single record

    def problem(self, name: str, message: str) -> Problem:
        return Problem(self.row, self.columns.get(name, name), message)

    @property
    def external_id(self) -> str:
        return str(self.values.get("external_id") or "")


@dataclass
class ImportReport:
    kind: str
    file: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if not self.ok:
            return (
                f"{self.file}: {len(self.problems)} problem(s) in {self.rows} row(s); "
                "nothing was written"
            )
        create, update = (
            ("would create", "would update") if self.dry_run else ("created", "updated")
        )
        return (
            f"{self.file}: {self.rows} row(s) — {create} {self.created}, {update} {self.updated}, "
            f"unchanged {self.unchanged}"
        )


class ImportRejected(Exception):
    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.summary())


def header_key(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold().strip()
    return re.sub(r"[\s_\-]+", "_", text)


def map_header(
    header: list[str], fields: list[Field], mapping: dict[str, str]
) -> tuple[dict[int, Field], list[Problem], list[str]]:
    """Which column holds which field; problems for what is missing or doubled."""
    by_key: dict[str, Field] = {}
    for f in fields:
        for name in f.headers:
            by_key[header_key(name)] = f
    by_name = {f.name: f for f in fields}
    problems: list[Problem] = []
    warnings: list[str] = []
    mapped = {header_key(k): v for k, v in mapping.items()}
    for source, wanted in mapping.items():
        if wanted not in by_name:
            problems.append(
                Problem(
                    None,
                    source,
                    f"--map names unknown field {shown(wanted)} "
                    f"(expected one of: {', '.join(by_name)})",
                )
            )
    columns: dict[int, Field] = {}
    seen: dict[str, str] = {}
    for index, title in enumerate(header):
        key = header_key(title)
        target: Field | None = by_name.get(mapped[key]) if key in mapped else by_key.get(key)
        if target is None:
            if title:
                warnings.append(f"column {title}: not used (no field of this name)")
            continue
        if target.name in seen:
            problems.append(
                Problem(
                    None,
                    title,
                    f"holds {target.name} again (already in column {seen[target.name]})",
                )
            )
            continue
        seen[target.name] = title
        columns[index] = target
    for f in fields:
        if f.required and f.name not in seen:
            examples = ", ".join(f.headers[:3])
            problems.append(
                Problem(
                    None, f.name, f"missing required column (expected a header such as {examples})"
                )
            )
    return columns, problems, warnings


def parse_record(record: Record, fields: Iterable[Field], problems: list[Problem]) -> None:
    for f in fields:
        if f.name not in record.raw:
            record.values[f.name] = f.default
            continue
        try:
            record.values[f.name] = f.parse(record.raw[f.name])
        except FieldError as exc:
            problems.append(record.problem(f.name, exc.message))


def check_unique_ids(records: list[Record], problems: list[Problem]) -> None:
    first: dict[str, int] = {}
    for record in records:
        ext = record.external_id
        if not ext:
            continue
        if ext in first:
            problems.append(
                record.problem(
                    "external_id",
                    f"duplicate external_id (got {shown(ext)}, expected each external_id "
                    f"once in the file; first in row {first[ext]})",
                )
            )
        else:
            first[ext] = record.row


def read_records(
    path: Path,
    kind: Kind,
    *,
    mapping: dict[str, str],
    encoding: str | None,
    report: ImportReport,
    progress: Progress | None,
) -> list[Record]:
    try:
        table = open_table(path, encoding=encoding)
    except FileProblem as exc:
        report.problems.append(Problem(None, None, str(exc)))
        return []
    columns, problems, warnings = map_header(table.header, kind.fields, mapping)
    report.problems.extend(problems)
    report.warnings.extend(warnings)
    if problems:
        return []
    records: list[Record] = []
    # One dict of column titles for the whole file: every row has the same columns.
    titles = {f.name: table.header[index] for index, f in columns.items()}
    try:
        for number, cells in table.rows:
            raw = {
                f.name: cells[index] if index < len(cells) else "" for index, f in columns.items()
            }
            records.append(Record(row=number, raw=raw, columns=titles))
            if progress is not None and len(records) % 5000 == 0:
                progress(len(records), 0)
    except FileProblem as exc:
        report.problems.append(Problem(None, None, str(exc)))
    return records


def validate(records: list[Record], kind: Kind, actor: User, report: ImportReport) -> None:
    for record in records:
        parse_record(record, kind.fields, report.problems)
    check_unique_ids(records, report.problems)
    bad_rows = {p.row for p in report.problems}
    kind.file_ids = {r.external_id for r in records if r.external_id}
    kind.resolve([r for r in records if r.row not in bad_rows], actor, report)


def import_file(
    kind_name: str,
    path: Path,
    *,
    actor: User,
    mapping: dict[str, str] | None = None,
    encoding: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    display_name: str | None = None,
) -> ImportReport:
    """Validate the whole file; if it is clean (and not a dry run) write all of it.

    Returns the report; raises nothing for bad data: the caller shows report.problems.
    """
    from kam.dataio.kinds import get_kind

    kind = get_kind(kind_name)
    report = ImportReport(kind=kind_name, file=display_name or path.name, dry_run=dry_run)
    if actor.is_read_only:
        report.problems.append(Problem(None, None, "your role may not import (read-only)"))
        return report
    records = read_records(
        path, kind, mapping=mapping or {}, encoding=encoding, report=report, progress=progress
    )
    report.rows = len(records)
    if report.problems:
        return report
    validate(records, kind, actor, report)
    report.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
    if report.problems:
        return report
    with transaction.atomic():
        kind.write(records, actor, report, progress=progress)
        if dry_run:
            transaction.set_rollback(True)
    return report
