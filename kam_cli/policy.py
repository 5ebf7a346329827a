"""`kam policy …` and `kam calendar …` (SVC-1): the service policy of each tier and the
business calendar the SLA clocks count in.

Durations are typed with their unit: 90m, 4h, 1h30m or 2d. A day (d) is one working day
of the business calendar (8 h with the default hours) when the policy's clock counts
business hours, and 24 h when it runs around the clock. Policies store whole minutes.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.table import Table

from kam_cli.console import FAILED, err, fail, note, out, say
from kam_cli.data import AsOption
from kam_cli.runtime import acting_user, require_ready_database

if TYPE_CHECKING:
    from kam.core.models import User
    from kam.dataio.records import RecordInvalid

TIERS = ("diamond", "core", "potential", "basic")
CLOCKS = ("business", "always")
MODELS = ("dedicated_team", "dedicated_manager", "shared_manager", "service_centre")

policy_app = typer.Typer(
    help="Service policies per tier: list them, or change one (directors, administrators).",
    no_args_is_help=True,
)
calendar_app = typer.Typer(
    help="The business calendar of the SLA clocks: show it, set the working week, import "
    "holidays, load the bundled Chinese public holidays.",
    no_args_is_help=True,
)


def refuse(problem: RecordInvalid) -> NoReturn:
    for item in problem.problems:
        err.print(f"Error: {item}", style="bold red", markup=False)
    raise typer.Exit(FAILED)


def require_writer(actor: User) -> None:
    from kam.service.policies import may_change_policies

    if not may_change_policies(actor):
        fail(
            f"{actor.username} may not change service policies or the calendar "
            "(directors and administrators may)"
        )


@policy_app.command("list")
def list_command(actor_name: AsOption = None) -> None:
    """The four tiers' policies side by side, with how many accounts (that you see) hold
    each tier now."""
    require_ready_database()
    actor = acting_user(actor_name)
    from kam.service.forms import human_duration, human_surveys, human_visits
    from kam.service.policies import all_policies, tier_counts, working_day_minutes

    policies = all_policies()
    counts, untiered = tier_counts(actor)
    per_day = working_day_minutes()
    for policy in policies:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="dim")
        table.add_column()
        rows = [
            (
                "first response",
                human_duration(policy.first_response_minutes, policy.clock, per_day),
            ),
            ("resolution", human_duration(policy.resolution_minutes, policy.clock, per_day)),
            ("clock", policy.clock),
            ("service model", policy.service_model),
            ("visits", human_visits(policy.visit_interval_days)),
            ("relationship survey", human_surveys(policy.survey_interval_days)),
            ("discount ceiling", f"{policy.discount_ceiling:f}%"),
            ("customisation", policy.customisation or "—"),
        ]
        for label, value in rows:
            table.add_row(f"  {label}", value)
        say(f"{policy.tier} ({counts.get(policy.tier, 0):,} accounts now)", style="bold")
        out.print(table)
    if untiered:
        note(f"{untiered:,} accounts have no tier yet; the basic policy serves them.")


@policy_app.command("set")
def set_command(
    tier: Annotated[str, typer.Argument(help="diamond, core, potential or basic.")],
    response: Annotated[
        str | None,
        typer.Option("--response", help="First-response target, e.g. 1h, 90m or 2d."),
    ] = None,
    resolution: Annotated[
        str | None, typer.Option("--resolution", help="Resolution target, e.g. 8h or 3d.")
    ] = None,
    clock: Annotated[
        str | None,
        typer.Option("--clock", help="business (working time of the calendar) or always (24×7)."),
    ] = None,
    visits: Annotated[
        str | None,
        typer.Option("--visits", help="Visit every N days; 'none': no regular visits."),
    ] = None,
    surveys: Annotated[
        str | None,
        typer.Option(
            "--surveys",
            help="Relationship survey of the key contacts every N days; 'none': no survey.",
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model",
            help="Service model: dedicated_team, dedicated_manager, shared_manager or "
            "service_centre.",
        ),
    ] = None,
    customisation: Annotated[
        str | None, typer.Option("--customisation", help="What is customised.")
    ] = None,
    discount: Annotated[
        str | None, typer.Option("--discount", help="Discount ceiling in percent, e.g. 15.")
    ] = None,
    actor_name: AsOption = None,
) -> None:
    """Change a tier's policy; what is not given stays. Audited; directors and
    administrators only. A day (d) is a working day with the business clock, 24 h with
    always."""
    if tier not in TIERS:
        fail(f"unknown tier {tier!r} (expected one of {', '.join(TIERS)})")
    if clock is not None and clock not in CLOCKS:
        fail(f"--clock: {clock!r} is not business or always")
    if model is not None and model not in MODELS:
        fail(f"--model: {model!r} is not one of {', '.join(MODELS)}")
    require_ready_database()
    actor = acting_user(actor_name)
    require_writer(actor)
    from kam.dataio.records import RecordInvalid
    from kam.service.forms import DurationInvalid, day_minutes, parse_duration
    from kam.service.policies import (
        POLICY_FIELDS,
        policy_for_tier,
        save_policy,
        working_day_minutes,
    )

    policy = policy_for_tier(tier)
    values: dict[str, Any] = {name: getattr(policy, name) for name in POLICY_FIELDS}
    if clock is not None:
        values["clock"] = clock
    per_day = day_minutes(values["clock"], working_day_minutes())
    for option, text, name in (
        ("--response", response, "first_response_minutes"),
        ("--resolution", resolution, "resolution_minutes"),
    ):
        if text is not None:
            try:
                values[name] = parse_duration(text, minutes_per_day=per_day)
            except DurationInvalid as exc:
                fail(f"{option}: {exc}")
    if visits is not None:
        values["visit_interval_days"] = None if visits.lower() in {"none", "0", ""} else visits
    if surveys is not None:
        values["survey_interval_days"] = None if surveys.lower() in {"none", "0", ""} else surveys
    if model is not None:
        values["service_model"] = model
    if customisation is not None:
        values["customisation"] = customisation
    if discount is not None:
        values["discount_ceiling"] = discount.rstrip("%")
    try:
        change = save_policy(actor=actor, policy=policy, values=values, source="cli")
    except RecordInvalid as problem:
        refuse(problem)
    if not change.changes:
        say(f"The {tier} policy is unchanged.")
        return
    say(f"Changed the {tier} policy:")
    for name, (old, new) in sorted(change.changes.items()):
        say(f"  {name}: {old if old is not None else '—'} → {new if new is not None else '—'}")


# --- the business calendar ----------------------------------------------------------------


@calendar_app.command("show")
def show_command(
    year: Annotated[
        int | None,
        typer.Option("--year", min=1900, max=2199, help="Only the days of this year."),
    ] = None,
) -> None:
    """The working week and hours, and the holidays and make-up working days."""
    require_ready_database()
    from django.conf import settings

    from kam.service.forms import WEEKDAYS
    from kam.service.models import BusinessCalendar
    from kam.service.policies import calendar_days, parse_weekdays, working_day_minutes

    stored = BusinessCalendar.load()
    chosen = parse_weekdays(stored.weekdays)
    names = ", ".join(str(name) for number, name in WEEKDAYS if number in chosen)
    minutes = working_day_minutes()
    say(f"Working weekdays: {names}")
    say(f"Working hours: {stored.hours} ({minutes // 60} h {minutes % 60:02d} min a day)")
    say(f"Time zone: {settings.TIME_ZONE}")
    days = calendar_days(year)
    if not days:
        note("no holidays or make-up days" + (f" in {year}" if year else ""), style="yellow")
        return
    table = Table("date", "weekday", "kind", "name")
    for day in days:
        table.add_row(day.date.isoformat(), f"{day.date:%a}", day.kind, day.name)
    out.print(table)
    holidays = sum(1 for day in days if day.kind == "holiday")
    say(f"{holidays} holidays, {len(days) - holidays} make-up working days")


@calendar_app.command("week")
def week_command(
    days: Annotated[
        str, typer.Option("--days", help="Working weekdays, Monday = 0 … Sunday = 6: 0,1,2,3,4.")
    ],
    hours: Annotated[
        str, typer.Option("--hours", help="Working periods: '09:00-12:00, 13:00-18:00'.")
    ],
    actor_name: AsOption = None,
) -> None:
    """Set the working week and the daily working hours (directors, administrators)."""
    require_ready_database()
    actor = acting_user(actor_name)
    require_writer(actor)
    from kam.dataio.records import RecordInvalid
    from kam.service.policies import save_calendar

    try:
        stored = save_calendar(actor=actor, weekdays=days, hours=hours, source="cli")
    except RecordInvalid as problem:
        refuse(problem)
    say(f"Working weekdays {stored.weekdays}, hours {stored.hours}")


def show_import(result: Any) -> None:
    say(
        f"Imported: {result.created} days added, {result.updated} changed, "
        f"{result.unchanged} already there"
    )


@calendar_app.command("import")
def import_command(
    path: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="A UTF-8 CSV with columns date (YYYY-MM-DD), kind (holiday or workday), name.",
        ),
    ],
    actor_name: AsOption = None,
) -> None:
    """Import holidays and make-up working days, all or nothing (directors, administrators)."""
    require_ready_database()
    actor = acting_user(actor_name)
    require_writer(actor)
    from kam.dataio.records import RecordInvalid
    from kam.service.policies import import_calendar

    try:
        result = import_calendar(
            actor=actor, data=path.read_bytes(), filename=path.name, source="cli"
        )
    except RecordInvalid as problem:
        err.print("Nothing was imported.", style="bold red", markup=False)
        refuse(problem)
    show_import(result)


@calendar_app.command("load-cn-holidays")
def load_cn_command(actor_name: AsOption = None) -> None:
    """Load the bundled Chinese public holidays and make-up working days of 2025 and 2026
    (State Council notices); loading them again changes nothing."""
    require_ready_database()
    actor = acting_user(actor_name)
    require_writer(actor)
    from kam.service.policies import load_bundled_holidays

    show_import(load_bundled_holidays(actor=actor, source="cli"))
