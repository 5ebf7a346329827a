"""`kam risk` (RISK-1, 2, 4, 5): check the risks of the application's database now, write
the watch list to a file, or measure the churn warning on the past (`kam risk evaluate`)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from kam_cli.console import err, fail, note, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database
from kam_cli.score import parse_date

if TYPE_CHECKING:
    from kam.risk.models import RiskRun

TOP_SHOWN = 10

risk_app = typer.Typer(
    help="Risks: check the book now and show the watch list (kam risk), or measure the "
    "churn warning on the past (kam risk evaluate).",
    invoke_without_command=True,
)


@risk_app.callback()
def check_command(
    ctx: typer.Context,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Check the risks as of this date (default: today).",
            show_default=False,
        ),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Also write the watch list of this check to a file, .csv (UTF-8 with BOM) "
            "or .xlsx: the accounts at risk that you see, by revenue at stake.",
            show_default=False,
        ),
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Check every account's risks now (churn, credit, relationships, order anomalies),
    store the snapshot and print a summary; directors and administrators only."""
    if ctx.invoked_subcommand is not None:
        return
    cut_off = parse_date("--as-of", as_of) if as_of is not None else None
    if out_path is not None:
        if out_path.suffix.lower() not in {".csv", ".xlsx"}:
            fail(
                f"cannot export to {out_path.name!r} (expected a file name ending in .csv or .xlsx)"
            )
        if not out_path.parent.is_dir():
            fail(f"folder {str(out_path.parent)!r} does not exist")
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.risk.services import RiskRunInProgress, check_risks, may_check_risks

    if not may_check_risks(actor):
        fail(f"{actor.username} may not check risks (directors and administrators may)")
    try:
        with err.status("Checking the risks of the accounts …"):
            run = check_risks(actor=actor, as_of=cut_off)
    except RiskRunInProgress as busy:
        fail(f"risk run {busy.run.pk} is already {busy.run.status}; wait until it has finished")
    if run.status != "succeeded":
        fail(f"the risk check failed: {run.error}", code=1)
    show_run(run, actor)
    if out_path is not None:
        from kam.risk.services import export_watch_list, watch_list

        rows, _sort = watch_list(actor, run)
        count = export_watch_list(rows, out_path)
        say(f"Wrote the watch list ({count} accounts at risk) to {out_path}")


def show_run(run: RiskRun, actor: Any) -> None:
    from kam.insights.notes import note_text
    from kam.risk.services import risk_summary, watch_list

    for warning in run.warnings:
        err.print(f"Warning: {note_text(warning)}", style="yellow", markup=False)
    say(
        f"Checked {run.account_count:,} accounts as of {run.as_of:%Y-%m-%d} (risk run {run.pk}): "
        f"{run.at_risk_count:,} at risk"
    )
    summary = risk_summary(actor)
    table = Table("risk", "accounts", "revenue at stake", title=f"As {actor.username} sees them")
    for row in summary.types:
        table.add_row(row.code, f"{row.accounts:,}", f"{row.at_stake:,.2f}")
    for row in summary.levels:
        table.add_row(f"level {row.code}", f"{row.accounts:,}", f"{row.at_stake:,.2f}")
    table.add_row("at risk (any)", f"{summary.at_risk:,}", f"{summary.at_stake:,.2f}")
    out.print(table)
    rows, _sort = watch_list(actor, run)
    top = list(rows[:TOP_SHOWN])
    if top:
        shown = Table("account", "level", "tier", "revenue at stake", "P(churn)", "risks")
        for risk in top:
            probability = risk.churn_probability
            shown.add_row(
                risk.account.name,
                risk.level,
                risk.tier or "—",
                f"{risk.revenue_at_stake:,.2f}",
                "—" if probability is None else f"{100 * probability:.0f}%",
                ", ".join(risk.risk_types()),
            )
        out.print(shown)
    evaluation = run.churn_evaluation()
    if evaluation:
        say(
            f"Churn model, out of time ({evaluation.get('second_cutoff')} → "
            f"{evaluation.get('test_end')}): AUC {figure(evaluation.get('auc'))}, "
            f"top-decile lift {figure(evaluation.get('top_decile_lift'), 2)}, Brier "
            f"{figure(evaluation.get('brier'))} "
            f"(base rate {figure(evaluation.get('brier_reference'))})"
        )


def figure(value: Any, places: int = 3) -> str:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return "—"
    return f"{number:.{places}f}" if math.isfinite(number) else "—"


@risk_app.command("evaluate")
def evaluate_command(
    first_cutoff: Annotated[
        str | None,
        typer.Option(
            "--first-cutoff",
            metavar="YYYY-MM-DD",
            help="Train at this date, test one window later (default: two windows before "
            "the last order, so the test outcomes end on the last order date).",
            show_default=False,
        ),
    ] = None,
    window: Annotated[
        int,
        typer.Option("--window", min=7, max=3650, help="The churn window in days."),
    ] = 180,
    boosting: Annotated[
        bool,
        typer.Option("--boosting", help="Also give the AUC of gradient boosting, to compare."),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the figures as JSON (for scripts).")
    ] = False,
) -> None:
    """Measure the churn warning on the database's orders out of time: AUC, top-decile
    lift, calibration and Brier score."""
    cut_off = parse_date("--first-cutoff", first_cutoff) if first_cutoff is not None else None
    require_ready_database()
    from kam.insights.risk import evaluate_churn, evaluation_summary

    try:
        with err.status("Evaluating the churn model …"):
            found = evaluate_churn(first_cutoff=cut_off, window=window, compare_boosting=boosting)
    except ValueError as exc:
        fail(str(exc), code=1)
    figures = evaluation_summary(found)
    if as_json:
        typer.echo(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    for warning in found.warnings:
        note(f"Warning: {warning}", style="yellow")
    say(
        f"Trained at {found.first_cutoff:%Y-%m-%d}, tested at {found.second_cutoff:%Y-%m-%d} "
        f"with outcomes up to {found.test_end:%Y-%m-%d} ({found.window_days}-day window, "
        f"method {found.method})"
    )
    say(
        f"accounts: {found.n_train:,} train, {found.n_test:,} test; churn rate "
        f"{100 * found.train_churn_rate:.1f}% / {100 * found.test_churn_rate:.1f}%"
    )
    ceiling = 1 / found.test_churn_rate if found.test_churn_rate > 0 else math.nan
    trained = figure(found.train_auc)
    say(f"AUC (out of time): {figure(found.auc)} (at the training cut-off {trained})")
    say(f"top-decile lift: {figure(found.top_decile_lift, 2)} (at most {figure(ceiling, 2)})")
    say(f"Brier score: {figure(found.brier)} (base rate: {figure(found.brier_reference)})")
    say(f"AUC of the fallback rule: {figure(found.rule_auc)}")
    if found.boosting_auc is not None:
        say(f"AUC of gradient boosting: {figure(found.boosting_auc)}")
    table = Table("decile", "accounts", "mean predicted", "observed", title="Calibration")
    for row in found.calibration.to_dict("records"):
        table.add_row(
            str(int(row["decile"])),
            str(int(row["accounts"])),
            f"{row['mean_predicted']:.3f}",
            f"{row['observed_rate']:.3f}",
        )
    out.print(table)
    kept = ", ".join(
        f"{name} {value:+.2f}" for name, value in found.coefficients.items() if name != "intercept"
    )
    say(f"features kept (β per sd): {kept or '—'}")
    if found.dropped_features:
        say(f"dropped: {', '.join(found.dropped_features)}")
