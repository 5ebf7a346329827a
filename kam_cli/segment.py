"""`kam segment …` (SEG-1 … SEG-5, VAL-5): list the segments, show or export a segment's
members, create the built-in segments, evaluate segments, find clusters, show the rules
that reproduce tiers or clusters, list the targeting plans. Members and figures are
those of the accounts the acting user may see."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kam_cli.console import err, fail, note, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.core.models import User
    from kam.segments.clustering import Rules
    from kam.segments.models import Segment

MEMBERS_SHOWN = 200  # in the terminal; --out writes them all

segment_app = typer.Typer(
    help="Segments: list them, show or export their members, create the built-in ones, "
    "evaluate them, find clusters, show the rules of tiers or clusters, list the plans.",
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


# --- evaluation, clusters, rules, plans (SEG-2 … SEG-5, VAL-5) --------------------------

EVALUATION_SUFFIXES = {".csv", ".xlsx", ".json"}
EVALUATION_FIGURES = [
    "segment_id",
    "segment",
    "kind",
    "accounts",
    "revenue_12m",
    "revenue_prev_12m",
    "margin_12m",
    "growth",
    "clv_mean",
    "clv_accounts",
    "owner_share",
    "contact_share",
    "key_share",
    "revenue_share",
    "attractiveness",
    "position",
    "quadrant",
]
GOAL_SHOWN = 60  # characters of a plan's goal in the terminal


class RuleKind(StrEnum):
    tier = "tier"
    cluster = "cluster"


def check_out_path(out_path: Path, suffixes: set[str]) -> None:
    """Stop before any work when the file cannot be written."""
    if out_path.suffix.lower() not in suffixes:
        expected = ", ".join(sorted(suffixes))
        fail(f"cannot write {out_path.name!r} (expected a file name ending in {expected})")
    if not out_path.parent.is_dir():
        fail(f"folder {str(out_path.parent)!r} does not exist")


def percent(value: Any) -> str:
    return "—" if value is None else f"{100 * value:+.1f}%"


def amount(value: Any) -> str:
    return "—" if value is None else f"{value:,.2f}"


def check_counts(checks: list[dict[str, Any]]) -> str:
    """'3 pass, 2 warn', or 'not checked'."""
    passed = sum(1 for c in checks if c["status"] == "pass")
    warned = sum(1 for c in checks if c["status"] == "warn")
    if passed + warned == 0:
        return "not checked"
    return f"{passed} pass, {warned} warn"


def check_columns() -> list[str]:
    from kam_analytics.models.segmentation import CHECKS

    return list(CHECKS)


def evaluation_rows(body: dict[str, Any]) -> list[list[Any]]:
    """One row per segment: the figures, the checks' counts and each check's status."""
    names = check_columns()
    rows = []
    for found in body["segments"]:
        status = {c["check"]: c["status"] for c in found["checks"]}
        counts = [sum(1 for c in found["checks"] if c["status"] == s) for s in ("pass", "warn")]
        rows.append(
            [found[name] for name in EVALUATION_FIGURES]
            + counts
            + [status.get(name, "not_checked") for name in names]
        )
    return rows


def write_evaluation(body: dict[str, Any], out_path: Path) -> int:
    """The evaluation to a file: .json as the API gives it, else one row per segment."""
    from kam.dataio.export import cell, write_csv, write_xlsx

    suffix = out_path.suffix.lower()
    if suffix == ".json":
        out_path.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", "utf-8")
        return len(body["segments"])
    header = [*EVALUATION_FIGURES, "checks_pass", "checks_warn", *check_columns()]
    rows = [[cell(value) for value in row] for row in evaluation_rows(body)]
    if suffix == ".xlsx":
        return write_xlsx(out_path, header, rows)
    # utf-8-sig: Excel opens a CSV with a BOM as UTF-8, so Chinese text survives.
    with out_path.open("w", encoding="utf-8-sig", newline="") as handle:
        return write_csv(handle, header, rows)


def show_evaluation(body: dict[str, Any], actor: User) -> None:
    table = Table(
        "segment",
        "accounts",
        "revenue 12m",
        "growth",
        "avg CLV",
        "checks",
        title=f"Over the {body['book_accounts']:,} accounts {actor.username} sees",
    )
    for found in body["segments"]:
        table.add_row(
            found["segment"],
            str(found["accounts"]),
            amount(found["revenue_12m"]),
            percent(found["growth"]),
            amount(found["clv_mean"]),
            check_counts(found["checks"]),
        )
    out.print(table)
    between = body["between_segments"]
    if between:
        listed = ", ".join(f"{c['check']} {c['status']}" for c in between)
        say(f"the segments against each other: {listed}")
    if body["overlap"]:
        say(f"{body['overlap']} accounts are in more than one of these segments")


@segment_app.command("evaluate")
def evaluate_command(
    names: Annotated[
        list[str] | None,
        typer.Argument(help="Only these segments, by name (default: all).", show_default=False),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Write the evaluation to a file: .json as GET /api/segments/evaluation "
            "gives it, or .csv (UTF-8 with BOM) / .xlsx with one row per segment.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Evaluate segments over the accounts you see: size, revenue, growth, average CLV and
    the validity checks."""
    if out_path is not None:
        check_out_path(out_path, EVALUATION_SUFFIXES)
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.api_analysis import evaluation_out
    from kam.segments.evaluation import evaluate_segments
    from kam.segments.services import visible_segments

    if names:
        segments = [find_segment(name) for name in dict.fromkeys(names)]
    else:
        segments = list(visible_segments(actor).order_by("name", "pk"))
    if not segments:
        fail("no segments yet: `kam segment seed` creates the built-in ones", code=1)
    body = evaluation_out(evaluate_segments(actor, segments))
    if out_path is not None:
        count = write_evaluation(body, out_path)
        say(f"Wrote the evaluation of {count} segment(s) to {out_path}")
    else:
        show_evaluation(body, actor)


@segment_app.command("cluster")
def cluster_command(actor_name: AsOption = None) -> None:
    """Find clusters in the whole book (k-means; directors and administrators) and show
    them with the accuracy of the rules that reproduce them."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.clustering import (
        ClusteringFailed,
        describe_cluster,
        label_rules,
        may_find_clusters,
        run_clustering,
    )

    if not may_find_clusters(actor):
        fail(f"{actor.username} may not find clusters (directors and administrators may)")
    try:
        with err.status("Finding clusters in the whole book …"):
            run = run_clustering(actor=actor)
    except ClusteringFailed as failed:
        fail(f"no clusters found: {failed}", code=1)
    silhouette = "—" if run.silhouette is None else f"{run.silhouette:.3f}"
    say(
        f"Clustering run {run.pk}: k = {run.k} clusters among {run.account_count:,} accounts, "
        f"silhouette {silhouette} ({run.seconds} s)"
    )
    for note_entry in run.notes:
        note(f"Note: {note_entry.get('en', '')}", style="yellow")
    table = Table("cluster", "accounts", "share", "description")
    for profile in run.profiles:
        label = int(profile["label"])
        share = profile.get("share")
        table.add_row(
            str(label),
            f"{int(profile['accounts']):,}",
            "—" if share is None else f"{100 * share:.1f}%",
            describe_cluster(run, label),
        )
    out.print(table)
    rules = label_rules(actor, "clusters")
    if rules.problem:
        note(f"no rules: {rules.problem}", style="yellow")
    else:
        say(f"decision tree: {accuracy_words(rules)}")
    say(
        f"the rules: `kam segment rules --kind cluster`; to save clusters as segments: Find "
        f"segments on the web, or POST /api/clustering-runs/{run.pk}/segments"
    )


def accuracy_words(rules: Rules) -> str:
    cv = "—" if rules.cv_accuracy is None else f"{100 * rules.cv_accuracy:.1f}%"
    trained = "—" if rules.training_accuracy is None else f"{100 * rules.training_accuracy:.1f}%"
    return (
        f"{len(rules.rules)} rules, training accuracy {trained}, cross-validated {cv} "
        f"({rules.cv_folds} folds) over {rules.accounts:,} accounts"
    )


@segment_app.command("rules")
def rules_command(
    kind: Annotated[
        RuleKind,
        typer.Option("--kind", help="Reproduce the tiers or the latest run's clusters."),
    ] = RuleKind.tier,
    actor_name: AsOption = None,
) -> None:
    """Show the if/then rules (a decision tree) that reproduce the tiers or the clusters of
    the accounts you see."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.clustering import label_rules

    rules = label_rules(actor, "clusters" if kind == RuleKind.cluster else "tiers")
    if rules.problem:
        fail(f"no rules for the {kind.value}s {actor.username} sees: {rules.problem}", code=1)
    table = Table("rule", "accounts", "purity")
    for rule in rules.rules:
        table.add_row(
            str(rule["text"]), f"{int(rule['accounts']):,}", percent_plain(rule["purity"])
        )
    out.print(table)
    say(accuracy_words(rules))
    importances = ", ".join(f"{f} {percent_plain(v)}" for f, v in rules.importances)
    say(f"feature importance: {importances or '—'}")


def percent_plain(value: Any) -> str:
    return "—" if value is None else f"{100 * float(value):.0f}%"


@segment_app.command("plans")
def plans_command(actor_name: AsOption = None) -> None:
    """List the targeting plans (STP): goal, owner, segments considered, targets."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.segments.stp import visible_plans

    plans = list(
        visible_plans(actor)
        .select_related("owner")
        .prefetch_related("segments", "targets")
        .order_by("-updated_at", "-pk")
    )
    if not plans:
        note("no targeting plans yet: create one on the Targeting plans (STP) page", style="yellow")
        return
    table = Table("id", "goal", "owner", "segments", "targets", "review", "updated")
    for plan in plans:
        goal = " ".join(plan.goal.split())
        table.add_row(
            str(plan.pk),
            goal if len(goal) <= GOAL_SHOWN else goal[: GOAL_SHOWN - 1] + "…",
            plan.owner.username,
            ", ".join(sorted(s.name for s in plan.segments.all())) or "—",
            ", ".join(sorted(s.name for s in plan.targets.all())) or "—",
            f"{plan.review_date:%Y-%m-%d}" if plan.review_date else "—",
            f"{plan.updated_at:%Y-%m-%d}",
        )
    out.print(table)
