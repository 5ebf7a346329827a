"""`kam relations` (REL-1 … REL-3): remind owners of overdue visits (daily), show the visit
cadence, and print an account's buying-centre coverage, gaps and relationship health."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from kam_cli.console import fail, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database
from kam_cli.score import parse_date

relations_app = typer.Typer(
    help="Relationships: remind owners of overdue visits (run it daily), show the visit "
    "cadence, print an account's buying-centre map.",
    no_args_is_help=True,
)


@relations_app.command("remind")
def remind_command(
    today: Annotated[
        str | None,
        typer.Option(
            "--today",
            metavar="YYYY-MM-DD",
            help="Check the visits due as of this day (default: today).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Tell each owner once about each account whose visit has become overdue (or that was
    never visited although its tier asks for visits). Safe to run again: nobody is told
    twice about the same due date. Run it once a day (cron)."""
    day = parse_date("--today", today) if today is not None else None
    require_ready_database()
    from kam.relations.services import remind_overdue_visits

    told = remind_overdue_visits(today=day)
    say(f"Reminded owners of {told} overdue visit(s).")


@relations_app.command("cadence")
def cadence_command(
    actor_name: AsOption = None,
    overdue: Annotated[
        bool,
        typer.Option("--overdue", help="Only accounts whose visit is overdue or never made."),
    ] = False,
    everything: Annotated[
        bool, typer.Option("--all", help="Every account, also those on schedule.")
    ] = False,
    mine: Annotated[bool, typer.Option("--mine", help="Only the accounts you own.")] = False,
) -> None:
    """The visit cadence of the accounts you see: the next visit due per account (the last
    done visit or meeting + its tier's visit interval), most urgent first."""
    require_ready_database()
    user = acting_user(actor_name)
    from kam.relations.services import cadence_for_user

    show = "overdue" if overdue else "all" if everything else "attention"
    rows = cadence_for_user(user, owner=user.username if mine else "", show=show)
    say(f"Visit cadence as {user.username} sees it (status, due, account, owner, tier):")
    for row in rows:
        status = row.status + (f" ({row.due.days_overdue} days)" if row.due.days_overdue else "")
        due = row.due.due.isoformat() if row.due.due else "-"
        last = row.last_visit.isoformat() if row.last_visit else "never visited"
        every = f", every {row.interval} days" if row.interval else ""
        say(
            f"{status:<18} {due:<10}  {row.account.name} ({row.account.external_id or '-'}), "
            f"{row.account.owner.username}, {row.tier}{every}, last visit: {last}"
        )
    say(f"{len(rows)} account(s)")


@relations_app.command("map")
def map_command(
    account_id: Annotated[
        str,
        typer.Argument(metavar="ACCOUNT_EXTERNAL_ID", help="The account's external id."),
    ],
    actor_name: AsOption = None,
) -> None:
    """An account's buying centre: coverage of the four roles, the gaps in words, the
    relationship health and its trend, and who was met when."""
    require_ready_database()
    user = acting_user(actor_name)
    from kam.accounts.services import visible_accounts
    from kam.relations.services import buying_centre

    account = visible_accounts(user).filter(external_id=account_id).first()
    if account is None:
        fail(f"no account {account_id!r} that {user.username} can see")
    centre = buying_centre(account)
    health = centre.health
    say(f"{account.name} ({account.external_id}), tier {centre.tier}, as of {centre.as_of}")
    say(f"Coverage: {centre.coverage.score}/100")
    for _gap, text in centre.gaps:
        say(f"  gap: {text}")
    if not centre.gaps:
        say("  no gaps")
    sentiment = "—" if health.sentiment is None else f"{health.sentiment:.0f}"
    say(
        f"Health: {health.score}/100 ({health.band}): coverage {health.coverage:.0f}, "
        f"recency {health.recency:.0f}, sentiment {sentiment}"
    )
    say("Trend: " + ", ".join(f"{p.day:%Y-%m} {p.score}" for p in centre.trend))
    table = Table("contact", "role", "stance", "influence", "last met", "meetings (12 m)")
    for node in centre.nodes:
        contact = node.contact
        table.add_row(
            contact.name + ("" if contact.is_active else " (left)"),
            contact.buying_role,
            contact.stance,
            contact.influence,
            node.last_met.isoformat() if node.last_met else "never",
            str(node.meetings_12m),
        )
    out.print(table)
