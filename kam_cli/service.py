"""`kam service` (SVC-2): run the SLA check of the tickets now, or list the tickets a user
sees (and write them to a file)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from kam_cli.console import err, fail, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database
from kam_cli.service_kpis import kpis_command
from kam_cli.surveys import surveys_app

TOP_SHOWN = 50

service_app = typer.Typer(
    help="Tickets and complaints: escalate the ones at risk or in breach now (check-sla), "
    "list them (tickets).",
    no_args_is_help=True,
)

service_app.add_typer(surveys_app, name="surveys")  # SVC-3: kam service surveys issue|results
service_app.command("kpis")(kpis_command)  # SVC-4: KPIs per department and person


@service_app.command("check-sla")
def check_sla_command() -> None:
    """Check every open ticket's SLA clocks now and escalate the ones at risk or in
    breach (the task worker does this every KAM_SLA_CHECK_MINUTES)."""
    require_ready_database()
    from kam.service.escalation import check_slas

    with err.status("Checking the tickets' SLA clocks …"):
        report = check_slas()
    say(
        f"Checked {report.checked:,} open tickets: {report.escalations:,} escalations, "
        f"{report.notified:,} notifications"
        + (f", {report.refreshed:,} due moments refreshed" if report.refreshed else "")
    )


@service_app.command("tickets")
def tickets_command(
    only_open: Annotated[
        bool, typer.Option("--open", help="Only open tickets (not resolved or closed).")
    ] = False,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Write them all to a file, .csv (UTF-8 with BOM) or .xlsx.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """List the tickets a user sees, newest first, with their SLA clocks."""
    if out_path is not None:
        if out_path.suffix.lower() not in {".csv", ".xlsx"}:
            fail(
                f"cannot export to {out_path.name!r} (expected a file name ending in .csv or .xlsx)"
            )
        if not out_path.parent.is_dir():
            fail(f"folder {str(out_path.parent)!r} does not exist")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.service.tickets import TicketFilters, export_file, search_tickets, with_clocks

    rows, _sort = search_tickets(actor, TicketFilters(status="open" if only_open else ""))
    total = rows.count()
    shown = with_clocks(rows[:TOP_SHOWN])
    table = Table(
        "number",
        "account",
        "kind",
        "status",
        "owner",
        "first response",
        "resolution",
        title=f"Tickets {actor.username} sees ({total:,}"
        + (f", the newest {TOP_SHOWN}" if total > TOP_SHOWN else "")
        + ")",
    )
    for ticket in shown:
        clocks = ticket.clocks  # type: ignore[attr-defined]
        table.add_row(
            ticket.number,
            ticket.account.name,
            ticket.kind,
            ticket.status,
            ticket.owner.username,
            clocks.response.state,
            clocks.resolution.state,
        )
    out.print(table)
    if out_path is not None:
        count = export_file(rows, out_path)
        say(f"Wrote {count:,} tickets to {out_path}")
