"""`kam service surveys` (SVC-3): ask the periodic relationship surveys that are due, and
print (or export) the satisfaction results a user sees."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import err, fail, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database
from kam_cli.score import parse_date

if TYPE_CHECKING:
    from kam.service.survey_results import Breakdown, Figures

surveys_app = typer.Typer(
    help="Satisfaction surveys: ask the periodic relationship surveys due now (issue; the "
    "task worker does it daily), print the results (results).",
    no_args_is_help=True,
)


@surveys_app.command("issue")
def issue_command(
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Only list the accounts due and whom they would ask."),
    ] = False,
) -> None:
    """Ask the key contacts of every account whose relationship survey is due (its last one
    is older than its tier's survey interval). Safe to run again: an account is asked
    once per interval."""
    require_ready_database()
    from kam.service.surveys import issue_relationship_surveys

    if dry_run:
        show_due()
        return
    with err.status("Asking the relationship surveys due …"):
        report = issue_relationship_surveys()
    say(
        f"{report.accounts_due:,} accounts due: asked {report.requests:,} contacts of "
        f"{report.accounts_asked:,} accounts ({report.emailed:,} by email, {report.by_phone:,} "
        f"to ask by phone); {report.without_contact:,} accounts have no active contact; "
        f"{report.owners_told:,} owners told"
    )


def show_due() -> None:
    from kam.contacts.models import Contact
    from kam.service.surveys import key_contacts, relationship_surveys_due

    due = relationship_surveys_due()
    table = Table("account", "tier", "every", "last asked", "would ask", title="Surveys due")
    for entry in due:
        contacts = key_contacts(Contact.objects.filter(account=entry.account))
        table.add_row(
            entry.account.name,
            entry.tier,
            f"{entry.interval} days",
            f"{entry.last_asked:%Y-%m-%d}" if entry.last_asked else "never",
            ", ".join(f"{c.name}{'' if c.email else ' (phone)'}" for c in contacts) or "nobody",
        )
    out.print(table)
    say(f"{len(due):,} accounts are due for their relationship survey (nothing was asked)")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}%"


def number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def figure_row(label: str, figures: Figures) -> list[str]:
    return [
        label,
        f"{figures.answers:,}",
        f"{percent(figures.response_rate)} ({figures.answered}/{figures.requested})",
        number(figures.csat_avg, 2),
        percent(figures.satisfied_pct),
        number(figures.nps),
        f"{figures.low:,}",
    ]


def figure_table(title: str, first: str, rows: list[Breakdown]) -> Table:
    table = Table(first, "answers", "response", "CSAT", "satisfied", "NPS", "low", title=title)
    for row in rows:
        table.add_row(*figure_row(row.label, row.figures))
    return table


@surveys_app.command("results")
def results_command(
    since: Annotated[
        str | None,
        typer.Option("--from", metavar="YYYY-MM-DD", help="First day (default: 12 months ago)."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", metavar="YYYY-MM-DD", help="Last day (default: today).")
    ] = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="ticket or relationship (default: both).")
    ] = None,
    tier: Annotated[
        str | None, typer.Option("--tier", help="diamond, core, potential or basic.")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Only accounts of this owner (username).")
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Also write the answers to a file, .csv (UTF-8 with BOM) or .xlsx.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Answers, response rate, CSAT and NPS of the accounts a user sees: in total, by tier,
    by owner and by month."""
    if kind is not None and kind not in {"ticket", "relationship"}:
        fail(f"--kind: {kind!r} is not ticket or relationship")
    if tier is not None and tier not in {"diamond", "core", "potential", "basic"}:
        fail(f"--tier: {tier!r} is not diamond, core, potential or basic")
    if out_path is not None:
        if out_path.suffix.lower() not in {".csv", ".xlsx"}:
            fail(
                f"cannot export to {out_path.name!r} (expected a file name ending in .csv or .xlsx)"
            )
        if not out_path.parent.is_dir():
            fail(f"folder {str(out_path.parent)!r} does not exist")
    start = parse_date("--from", since) if since is not None else None
    end = parse_date("--until", until) if until is not None else None
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.service.survey_results import (
        SatisfactionFilters,
        answer_rows,
        default_period,
        export_file,
        satisfaction_results,
    )

    first, last = default_period()
    start, end = start or first, end or last
    if end < start:
        fail(f"--until {end} is before --from {start}")
    filters = SatisfactionFilters(
        start=start, end=end, kind=kind or "", tier=tier or "", owner=owner or ""
    )
    results = satisfaction_results(actor, filters)
    total = Table("", "answers", "response", "CSAT", "satisfied", "NPS", "low")
    total.add_row(*figure_row("total", results.total))
    say(f"Satisfaction from {start} to {end}, as {actor.username} sees it")
    out.print(total)
    out.print(figure_table("By tier", "tier", results.by_tier))
    out.print(figure_table("By owner", "owner", results.by_owner))
    out.print(figure_table("By month", "month", results.by_month))
    if out_path is not None:
        count = export_file(answer_rows(actor, results), out_path)
        say(f"Wrote {count:,} answers to {out_path}")
