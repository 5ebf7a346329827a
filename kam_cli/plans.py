"""`kam plans …` (REL-4): list the account plans you see, show one, remind owners of overdue
reviews and actions, export a plan as Markdown or JSON."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import fail, note, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database
from kam_cli.score import parse_date

if TYPE_CHECKING:
    from kam.core.models import User
    from kam.plans.models import AccountPlan

plans_app = typer.Typer(
    help="Account plans: list them, show or export one, remind owners of overdue reviews "
    "and actions.",
    no_args_is_help=True,
)

PlanId = Annotated[int, typer.Argument(help="The plan's id (see `kam plans list`).", min=1)]


def find_plan(actor: User, plan_id: int) -> AccountPlan:
    from django.http import Http404

    from kam.plans.services import get_plan_for_user

    try:
        return get_plan_for_user(actor, plan_id)
    except Http404:
        fail(f"no account plan {plan_id} that {actor.username} can see (see `kam plans list`)")


@plans_app.command("list")
def list_command(
    all_plans: Annotated[
        bool, typer.Option("--all", help="Archived plans too (default: draft and active).")
    ] = False,
    actor_name: AsOption = None,
) -> None:
    """List the account plans of the accounts you see, with their next review and actions."""
    require_ready_database()
    actor = acting_user(actor_name)
    from django.utils import timezone

    from kam.plans.models import PlanStatus
    from kam.plans.services import plan_list

    today = timezone.localdate()
    plans = plan_list(actor, today).order_by("account__name", "-year", "pk")
    if not all_plans:
        plans = plans.exclude(status=PlanStatus.ARCHIVED)
    rows = list(plans)
    if not rows:
        note(f"{actor.username} sees no account plan", style="yellow")
        return
    table = Table("id", "account", "year", "status", "owner", "next review", "open", "overdue")
    for plan in rows:
        due = plan.next_review_due.isoformat() if plan.next_review_due else "—"
        if plan.review_overdue(today):
            due += " (overdue)"
        table.add_row(
            str(plan.pk),
            plan.account.name,
            str(plan.year),
            plan.status,
            plan.owner.username,
            due,
            str(plan.open_actions),  # type: ignore[attr-defined]
            str(plan.overdue_actions),  # type: ignore[attr-defined]
        )
    out.print(table)
    say(f"{len(rows)} plans")


@plans_app.command("show")
def show_command(plan_id: PlanId, actor_name: AsOption = None) -> None:
    """Show a plan as text: vision, objectives, targets, SWOT, competitors, whitespace,
    actions and reviews."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.plans.export import plan_markdown

    out.print(plan_markdown(find_plan(actor, plan_id)), markup=False, highlight=False)


@plans_app.command("remind")
def remind_command(
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Remind as of this date (default: today).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Tell owners of overdue plan reviews and overdue actions (in-app, and by email when
    mail is set up). Each due date is told once: run it daily, e.g. from cron."""
    day = parse_date("--as-of", as_of) if as_of is not None else None
    require_ready_database()
    from kam.plans.services import remind

    found = remind(day)
    say(f"Reminded {found.reviews} overdue reviews and {found.actions} overdue actions")


@plans_app.command("export")
def export_command(
    plan_id: PlanId,
    out_path: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="The file to write: .md (Markdown) or .json (as the API answers).",
            show_default=False,
        ),
    ],
    actor_name: AsOption = None,
) -> None:
    """Export a plan to a Markdown or JSON file."""
    suffix = out_path.suffix.lower()
    if suffix not in {".md", ".json"}:
        fail(f"cannot export to {out_path.name!r} (expected a file name ending in .md or .json)")
    if not out_path.parent.is_dir():
        fail(f"folder {str(out_path.parent)!r} does not exist")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.plans.export import plan_json, plan_markdown

    plan = find_plan(actor, plan_id)
    text = plan_json(plan) if suffix == ".json" else plan_markdown(plan)
    out_path.write_text(text, encoding="utf-8")
    say(f"Wrote the {plan.year} plan of {plan.account.name} to {out_path}")
