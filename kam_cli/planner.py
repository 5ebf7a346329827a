"""`kam plan` (SALES-3): the 6-5-3-3-2-1 sales activity plan of a yearly target.

Pure computation (``kam_analytics.sales.planner``): no database, no Django. Not to be
confused with `kam plans`, the account plans.
"""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.table import Table

from kam_cli.console import fail, out, say

if TYPE_CHECKING:
    from kam_analytics.sales.planner import SalesPlan

PLAN_SUFFIXES = (".csv", ".xlsx", ".json")


class Unit(StrEnum):
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"


def plan_command(
    target: Annotated[
        str,
        typer.Option(
            "--target",
            help="The yearly sales target, e.g. 3000000 (commas allowed: 3,000,000).",
            show_default=False,
        ),
    ],
    deal_size: Annotated[
        str,
        typer.Option(
            "--deal-size",
            help="The average deal size, e.g. 300000; contracts = target / deal size, rounded up.",
            show_default=False,
        ),
    ],
    ratios: Annotated[
        str,
        typer.Option(
            "--ratios",
            help="Activities per contract of the six stages: training, meeting with the "
            "decision owner, consulting, proposal, bid or negotiation, contract (ends in 1).",
        ),
    ] = "6,5,3,3,2,1",
    durations: Annotated[
        str,
        typer.Option(
            "--durations",
            help="How long each stage lasts, in --unit: five numbers (training to bid) or six "
            "(and the signing).",
        ),
    ] = "1,1,1,1,1",
    unit: Annotated[
        Unit, typer.Option("--unit", help="The unit of --durations.", case_sensitive=False)
    ] = Unit.MONTHS,
    year: Annotated[
        int | None,
        typer.Option("--year", help="The plan year (default: this year).", show_default=False),
    ] = None,
    start_month: Annotated[
        int, typer.Option("--start-month", help="The plan year's first month (1-12).")
    ] = 1,
    close_months: Annotated[
        str | None,
        typer.Option(
            "--close-months",
            help="Months contracts may close in, e.g. 3-12 or 3,6,9,12 or 10-3 (default: "
            "the plan year's 3rd to 12th month, as the seed).",
            show_default=False,
        ),
    ] = None,
    out_path: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="Also write the plan to this file: .csv (UTF-8 with BOM) or .xlsx, one row "
            "per month; or .json with the totals, peak and conversion rates.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Plan the sales activities of each month from a yearly target (the 6-5-3-3-2-1 rule):
    trainings, meetings with the decision owner, consultations, proposals, bids and
    contracts, with totals and the peak month. Needs no database."""
    from kam_analytics.sales.planner import PlanInputError, plan_sales

    if out_path is not None:
        check_out_path(out_path)
    try:
        plan = plan_sales(
            target,
            deal_size,
            year=date.today().year if year is None else year,
            ratios=numbers("ratios", ratios, "6,5,3,3,2,1"),
            durations=numbers("durations", durations, "1,1,1,1,1"),
            unit=unit.value,
            start_month=start_month,
            close_months=None if close_months is None else months(close_months),
        )
    except PlanInputError as exc:
        fail(f"--{exc.field.replace('_', '-')}: {exc.problem}")
    show_plan(plan)
    if out_path is not None:
        write_plan(plan, out_path)
        say(f"Wrote the plan ({len(plan.months)} months) to {out_path}")


def check_out_path(path: Path) -> None:
    if path.suffix.lower() not in PLAN_SUFFIXES:
        fail(
            f"--out: cannot write {path.name!r} (expected a file name ending in "
            f"{', '.join(PLAN_SUFFIXES[:-1])} or {PLAN_SUFFIXES[-1]})"
        )
    if not path.parent.is_dir():
        fail(f"--out: folder {str(path.parent)!r} does not exist")


def numbers(option: str, text: str, example: str) -> list[Decimal]:
    """Numbers separated by commas, or a clear error naming the option."""
    found: list[Decimal] = []
    for part in text.split(","):
        try:
            number = Decimal(part.strip())
        except InvalidOperation:
            number = Decimal("NaN")
        if not number.is_finite():
            fail(f"--{option}: expected numbers separated by commas, e.g. {example}; got {text!r}")
        found.append(number)
    return found


def months(text: str) -> list[int]:
    """Month numbers from ``3-12``, ``3,6,9,12`` or ``10-3`` (October to March)."""
    problem = f"--close-months: expected months 1-12 like 3-12 or 3,6,9,12; got {text!r}"
    found: list[int] = []
    for part in text.split(","):
        ends = [end.strip() for end in part.split("-")]
        if not 1 <= len(ends) <= 2 or not all(end.isdigit() for end in ends):
            fail(problem)
        first, last = int(ends[0]), int(ends[-1])
        if not (1 <= first <= 12 and 1 <= last <= 12):
            fail(problem)
        found.extend((first - 1 + i) % 12 + 1 for i in range((last - first) % 12 + 1))
    return found


def stage_heading(code: str) -> str:
    from kam_analytics.sales.planner import STAGES

    stage = next(s for s in STAGES if s.code == code)
    return f"{stage.short_en}\n{stage.label_zh}"


def show_plan(plan: SalesPlan) -> None:
    from kam_analytics.sales.planner import STAGE_CODES, STAGES

    say(
        f"Sales activity plan {plan.first_month.label} to {plan.months[-1].month.label}: "
        f"target {plan.target:,f} / deal size {plan.deal_size:,f} = {plan.contracts} contracts"
    )
    # No vertical lines: the table fits 80 columns with the Chinese names under the English.
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 0, 0, 1), pad_edge=False)
    table.add_column("month", no_wrap=True)
    for heading in [*(stage_heading(code) for code in STAGE_CODES), "total"]:
        table.add_column(heading, justify="right")
    peak = plan.peak.total
    for row in plan.months:
        label = row.month.label + ("" if row.in_plan_year else " *")
        cells = [str(row.counts[code]) if row.counts[code] else "·" for code in STAGE_CODES]
        style = "bold" if row.total == peak else ("dim" if not row.in_plan_year else None)
        table.add_row(label, *cells, str(row.total), style=style)
    table.add_section()
    table.add_row(
        "total",
        *(str(plan.totals[code]) for code in STAGE_CODES),
        str(plan.total_activities),
        style="bold",
    )
    out.print(table)
    also = [month.label for month in plan.peak_months[1:]]
    counts = ", ".join(f"{plan.peak.counts[code]} {code}" for code in STAGE_CODES)
    say(
        f"Peak month: {plan.peak.month.label} with {peak} activities ({counts})"
        + (f"; the same in {', '.join(also)}" if also else "")
    )
    if plan.lead_in:
        say(
            f"* {len(plan.lead_in)} month(s) before the plan year: the ramp-up the first "
            "contracts need."
        )
    rates = ", ".join(f"{c.from_stage} → {c.to_stage} {c.rate:.0%}" for c in plan.conversions)
    say(f"Conversion from stage to stage: {rates}")
    offsets = ", ".join(f"{code} {plan.offsets[code]}" for code in STAGE_CODES[:-1])
    say(f"Months from each stage to the close: {offsets}")
    names = "; ".join(
        f"{s.short_en} = {s.label_en.lower()} ({s.label_zh})"
        for s in STAGES
        if s.short_en != s.label_en
    )
    say(f"Stages: {names}")


def plan_rows(plan: SalesPlan) -> tuple[list[str], list[list[object]]]:
    from kam_analytics.sales.planner import STAGE_CODES

    header = ["month", "in_plan_year", *STAGE_CODES, "total"]
    rows: list[list[object]] = [
        [row.month.label, row.in_plan_year, *(row.counts[c] for c in STAGE_CODES), row.total]
        for row in plan.months
    ]
    return header, rows


def write_plan(plan: SalesPlan, path: Path) -> None:
    suffix = path.suffix.lower()
    if suffix == ".json":
        body = json.dumps(plan.as_dict(), indent=2, ensure_ascii=False)
        path.write_text(body + "\n", encoding="utf-8")
        return
    header, rows = plan_rows(plan)
    if suffix == ".xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.title = "plan"
        sheet.append(header)
        for row in rows:
            sheet.append(row)
        book.save(path)
        return
    # utf-8-sig: Excel opens a CSV with a BOM as UTF-8.
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
