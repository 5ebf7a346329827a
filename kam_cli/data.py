"""`kam import` and `kam export` (DATA-5)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from kam_cli.console import FAILED, err, fail, note, say
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.dataio.engine import ImportReport
    from kam.dataio.engine import Progress as ProgressCallback

PROGRESS_FROM_BYTES = 512 * 1024  # smaller files import faster than a bar can draw
WARNINGS_SHOWN = 50


class DataKind(StrEnum):
    accounts = "accounts"
    contacts = "contacts"
    transactions = "transactions"
    payments = "payments"


AsOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        metavar="USERNAME",
        help="Act as this user, with their visibility and rights "
        "(default: the first active administrator).",
    ),
]


def import_command(
    kind: Annotated[DataKind, typer.Argument(help="What the file holds.", show_default=False)],
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            readable=True,
            help="A .csv (UTF-8 or GBK) or .xlsx file with a header row.",
            show_default=False,
        ),
    ],
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            metavar="SOURCE=FIELD",
            help="Read the column headed SOURCE as FIELD; repeat for more columns, "
            "e.g. --map 客户=name --map 编号=external_id.",
        ),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(help="Encoding of a CSV file, e.g. utf-8 or gbk (default: detected)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check the whole file and report; write nothing.")
    ] = False,
    actor_name: AsOption = None,
) -> None:
    """Import a CSV or Excel file: all of it, or nothing if any row is wrong."""
    require_ready_database()
    fields = parse_mapping(mapping or [], kind.value)
    actor = acting_user(actor_name)
    from kam.dataio.engine import import_file

    with import_progress(file) as progress:
        report = import_file(
            kind.value,
            file,
            actor=actor,
            mapping=fields,
            encoding=encoding,
            dry_run=dry_run,
            progress=progress,
            display_name=file.name,
        )
    show_report(report)
    if not report.ok:
        raise typer.Exit(FAILED)


def parse_mapping(items: list[str], kind: str) -> dict[str, str]:
    """--map SOURCE=FIELD options as {source header: field name}; exit 2 on bad syntax."""
    from kam.dataio.kinds import get_kind

    known = [f.name for f in get_kind(kind).fields]
    mapping: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            fail(f"--map {item!r}: expected SOURCE=FIELD, e.g. --map 客户名称=name")
        if target not in known:
            expected = ", ".join(known)
            fail(f"--map {item!r}: {kind} have no field {target!r} (expected one of: {expected})")
        mapping[source] = target
    return mapping


@contextmanager
def import_progress(path: Path) -> Iterator[ProgressCallback | None]:
    """A progress bar on stderr for large files in a terminal; None otherwise."""
    if not err.is_terminal or path.stat().st_size < PROGRESS_FROM_BYTES:
        yield None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"importing {path.name}", total=estimate_rows(path))

        def update(done: int, total: int) -> None:
            # The engine reports rows read as (done, 0) and the end as (total, total).
            if total:
                bar.update(task, total=total, completed=total)
            else:
                bar.update(task, completed=done)

        yield update


def estimate_rows(path: Path) -> int | None:
    """Lines in a CSV file (a cheap upper bound on its rows); None for workbooks."""
    if path.suffix.lower() not in {".csv", ".txt", ".tsv"}:
        return None
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            lines += chunk.count(b"\n")
    return max(lines - 1, 1)


def show_report(report: ImportReport) -> None:
    for warning in report.warnings[:WARNINGS_SHOWN]:
        say(f"warning: {warning}", style="yellow")
    if len(report.warnings) > WARNINGS_SHOWN:
        say(f"… and {len(report.warnings) - WARNINGS_SHOWN} more warning(s)", style="yellow")
    if not report.ok:
        say(report.summary(), style="bold red")
        for problem in report.problems:
            say(str(problem))
        return
    say(report.summary(), style="green")
    if report.dry_run:
        say("dry run: nothing was written")


def export_command(
    kind: Annotated[DataKind, typer.Argument(help="What to export.", show_default=False)],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="The file to write: .csv (UTF-8 with BOM, opens in Excel) or .xlsx.",
            show_default=False,
        ),
    ],
    actor_name: AsOption = None,
) -> None:
    """Export every row the user may see, with the columns the import reads back."""
    if out.suffix.lower() not in {".csv", ".xlsx"}:
        fail(f"cannot export to {out.name!r} (expected a file name ending in .csv or .xlsx)")
    if not out.parent.is_dir():
        fail(f"folder {str(out.parent)!r} does not exist")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.dataio.export import export_file, visible_rows

    count = export_file(kind.value, visible_rows(kind.value, actor), out)
    say(f"Exported {count} {kind.value} to {out}")
    if count == 0:
        note(f"{actor.username} sees no {kind.value}", style="yellow")
