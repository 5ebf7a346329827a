"""`kam segment …` (SEG-1, SEG-5): list the segments, show or export a segment's
members, create the built-in segments. Members are those the acting user may see."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import fail, note, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.segments.models import Segment

MEMBERS_SHOWN = 200  # in the terminal; --out writes them all

segment_app = typer.Typer(
    help="Segments: list them, show or export their members, create the built-in ones.",
    no_args_is_help=True,
)


@segment_app.command("list")
def list_command(actor_name: AsOption = None) -> None:
    """List the segments with their members and revenue (of the accounts you see)."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.models import Strategy, StrategyStatus
    from kam.segments.services import segment_stats, visible_segments

    segments = list(visible_segments(actor).select_related("owner"))
    if not segments:
        note("no segments yet: `kam segment seed` creates the built-in ones", style="yellow")
        return
    stats = segment_stats(actor, segments)
    chosen = Strategy.objects.filter(status=StrategyStatus.ACTIVE)
    active = dict(chosen.values_list("segment_id", "name"))
    table = Table("name", "kind", "members", "revenue 12m", "active strategy", "owner")
    for segment in segments:
        figures = stats[segment.pk]
        table.add_row(
            segment.name,
            segment.kind,
            str(figures.members),
            f"{figures.revenue:,.2f}",
            active.get(segment.pk, "—"),
            segment.owner.username,
        )
    out.print(table)


@segment_app.command("members")
def members_command(
    name: Annotated[str, typer.Argument(help="The segment's name.", show_default=False)],
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Write the members to this file, .csv (UTF-8 with BOM) or .xlsx, with the "
            "columns of `kam export accounts`; without it they are listed here.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Show or export the accounts of a segment that you may see."""
    if out_path is not None:
        if out_path.suffix.lower() not in {".csv", ".xlsx"}:
            fail(
                f"cannot export to {out_path.name!r} (expected a file name ending in .csv or .xlsx)"
            )
        if not out_path.parent.is_dir():
            fail(f"folder {str(out_path.parent)!r} does not exist")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.services import segment_members

    segment = find_segment(name)
    members = segment_members(segment, actor).select_related("owner").order_by("name", "pk")
    if out_path is not None:
        from kam.dataio.export import export_file

        count = export_file("accounts", members, out_path)
        say(f"Exported {count} accounts of segment {segment.name!r} to {out_path}")
    else:
        count = members.count()
        table = Table("external_id", "name", "industry", "province", "city", "owner")
        for account in members[:MEMBERS_SHOWN]:
            table.add_row(
                account.external_id or "",
                account.name,
                account.industry,
                account.province,
                account.city,
                account.owner.username,
            )
        out.print(table)
        shown = f" (the first {MEMBERS_SHOWN}; --out writes them all)"
        say(f"{count} accounts{shown if count > MEMBERS_SHOWN else ''}")
    if count == 0:
        note(f"{actor.username} sees no account of segment {segment.name!r}", style="yellow")


def find_segment(name: str) -> Segment:
    from kam.segments.models import Segment

    segment = Segment.objects.filter(name__iexact=name.strip()).select_related("owner").first()
    if segment is None:
        fail(f"no segment named {name!r} (see `kam segment list`)")
    return segment


@segment_app.command("seed")
def seed_command(actor_name: AsOption = None) -> None:
    """Create the built-in segments by industry, size, region and behaviour; safe to rerun."""
    require_ready_database()
    actor = acting_user(actor_name)
    from django.core.exceptions import PermissionDenied

    from kam.segments.services import seed_builtin_segments

    try:
        report = seed_builtin_segments(actor=actor, source="cli")
    except PermissionDenied:
        fail(
            f"{actor.username} may not create segments "
            "(directors, administrators and sales managers may)"
        )
    for segment in report.created:
        say(f"created {segment.name}")
    for name in report.name_taken:
        note(f"kept: another segment is named {name!r}", style="yellow")
    say(
        f"{len(report.created)} built-in segment(s) created, {len(report.existing)} existed already"
    )
