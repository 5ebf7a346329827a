"""`kam service kpis` (SVC-4): the service KPIs per department and per person over a
period, as the web page shows them to the user, and written to a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import fail, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.service.kpis import KpiReport, Row

OPTION_OF = {"from": "--from", "to": "--to"}


def parse_day(raw: str | None, option: str) -> dt.date | None:
    if raw is None:
        return None
    try:
        return dt.date.fromisoformat(raw.strip())
    except ValueError:
        fail(f"{option}: '{raw}' is not a day (expected YYYY-MM-DD, like 2026-03-31)")


def kpis_command(
    date_from: Annotated[
        str | None,
        typer.Option(
            "--from",
            metavar="YYYY-MM-DD",
            help="First day of the period (default: the first of the third full month back).",
            show_default=False,
        ),
    ] = None,
    date_to: Annotated[
        str | None,
        typer.Option(
            "--to",
            metavar="YYYY-MM-DD",
            help="Last day of the period, included (default: today with --from, else the "
            "last day of last month).",
            show_default=False,
        ),
    ] = None,
    kind: Annotated[
        str, typer.Option(help="Only requests or only complaints: request, complaint.")
    ] = "",
    priority: Annotated[
        str, typer.Option(help="Only this priority: low, normal, high, urgent.")
    ] = "",
    tier: Annotated[
        str, typer.Option(help="Only this tier's tickets: diamond, core, potential, basic.")
    ] = "",
    department: Annotated[
        str,
        typer.Option(
            help="Only the rows of this department (its code), or 'none' for people without one."
        ),
    ] = "",
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Also write both tables to a file, .csv (UTF-8 with BOM) or .xlsx.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Service KPIs per department and per person: tickets handled, first-response and
    resolution times against target, SLA attainment, breaches, escalations, reopens and
    satisfaction — the figures the user may see (default: the last three full months)."""
    if out_path is not None:
        if out_path.suffix.lower() not in {".csv", ".xlsx"}:
            fail(
                f"cannot export to {out_path.name!r} (expected a file name ending in .csv or .xlsx)"
            )
        if not out_path.parent.is_dir():
            fail(f"folder {str(out_path.parent)!r} does not exist")
    first, last = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.dataio.records import RecordInvalid
    from kam.service.kpis import build_report, check_filters, check_period, export_file

    try:
        period = check_period(first, last)
        filters = check_filters(kind=kind, priority=priority, tier=tier, department=department)
    except RecordInvalid as problem:
        fail(
            "; ".join(
                f"{OPTION_OF.get(p.column or '', '--' + (p.column or ''))}: {p.message}"
                for p in problem.problems
            )
        )
    report = build_report(actor, period, filters)
    print_report(report, actor.username)
    if out_path is not None:
        count = export_file(report, out_path)
        say(f"Wrote {count:,} rows to {out_path}")


COLUMNS = [
    "received",
    "resolved",
    "backlog",
    "first response h (median)",
    "first response in target %",
    "resolution h (median)",
    "resolution in target %",
    "SLA %",
    "breaches",
    "escalations",
    "reopened %",
    "handovers out",
    "CSAT",
    "NPS",
]


def cells(row: Row) -> list[str]:
    from kam.service.kpis import hours

    f = row.figures
    below = {name for name, state in row.judged.items() if state == "below"}
    answers = f" n={len(f.csat)}" if f.csat else ""

    def number(value: float | None, digits: int = 0) -> str:
        return "—" if value is None else f"{value:.{digits}f}"

    def judged(name: str, text: str) -> str:
        return f"[red]{text}[/red]" if name in below else text

    return [
        str(f.received),
        str(f.resolved),
        f"{f.backlog}" + (f" ({f.backlog_overdue} overdue)" if f.backlog_overdue else ""),
        number(hours(f.response_median), 1),
        judged("response_within", number(f.response_within)),
        number(hours(f.resolution_median), 1),
        judged("resolution_within", number(f.resolution_within)),
        judged("sla_attainment", number(f.sla_attainment)),
        str(f.breaches),
        str(f.escalations),
        judged("reopen_rate", number(f.reopen_rate)),
        str(f.handovers_out),
        judged("csat_satisfied", number(f.csat_average, 2)) + answers,
        judged("nps_score", number(f.nps_score)),
    ]


def table(title: str, first: str, rows: list[Row], *, with_department: bool = False) -> Table:
    from rich.markup import escape

    shown = Table(first, *(["department"] if with_department else []), title=title)
    for column in COLUMNS:
        shown.add_column(column, justify="right")
    for row in rows:
        name = escape(row.label)
        extra = [escape(row.department)] if with_department else []
        shown.add_row(name, *extra, *cells(row))
    return shown


def print_report(report: KpiReport, username: str) -> None:
    period = report.period
    title = f"Service KPIs {period.first} – {period.last} ({period.days} days), as {username}"
    groups = ([report.total] if report.total is not None else []) + report.groups
    if groups:
        out.print(table(title + ": departments", "department", groups))
    if report.people:
        out.print(table(title + ": people", "person", report.people, with_department=True))
    else:
        say("Nobody handled a ticket in this period under these filters.")
    goals = report.goals
    say(
        f"Goals: within target and SLA at least {goals.within_target}%, reopened at most "
        f"{goals.reopened}%, CSAT 4–5 at least {goals.satisfied}%, NPS at least {goals.nps} "
        "(missed goals in red). Times in working hours."
    )
