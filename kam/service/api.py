"""Service policies per tier and the business calendar in the REST API (SVC-1).

Everyone reads the policies and the calendar; directors and administrators change them
(403 for others). Durations are whole minutes of the policy's clock: working minutes of
the business calendar when `clock` is business, every minute when it is always.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.http import Http404, HttpRequest
from ninja import Field, P, PathEx, Query, Router, Schema, Status
from pydantic import AfterValidator, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema

from kam.accounts.services import get_account_for_user
from kam.core.api import actor
from kam.core.schemas import (
    DATE_PATTERN,
    DATE_SCHEMA,
    ERRORS_CHANGE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    NO_NUL,
    InputSchema,
    NumberOut,
    RecordId,
    integral,
    iso_date,
)
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.service.clock import format_hours, parse_hours
from kam.service.models import BusinessCalendar, CalendarDay, ClockKind, DayKind, ServicePolicy
from kam.service.policies import (
    POLICY_FIELDS,
    AccountPolicy,
    account_policy,
    all_policies,
    calendar_days,
    check_calendar_rows,
    delete_calendar_day,
    parse_weekdays,
    policy_for_tier,
    require_policy_writer,
    save_calendar,
    save_policy,
    working_day_minutes,
    write_calendar_days,
)

router = Router(tags=["service"])

MAX_MINUTES = 525_600
TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
MAX_DAYS = 1000

TierPath = PathEx[Tier, P(description="diamond, core, potential or basic.")]
DayPath = PathEx[
    Annotated[dt.date, BeforeValidator(iso_date), WithJsonSchema(DATE_SCHEMA)],
    P(description="The day, as YYYY-MM-DD."),
]


# --- policies -----------------------------------------------------------------------------


class PolicyOut(Schema):
    tier: Tier
    first_response_minutes: int = Field(description="First-response target, in minutes.")
    resolution_minutes: int = Field(description="Resolution target, in minutes.")
    clock: ClockKind = Field(
        description="business: only working time of the business calendar counts; "
        "always: every minute counts (24×7)."
    )
    service_model: str = Field(
        description="dedicated_team, dedicated_manager, shared_manager or service_centre."
    )
    visit_interval_days: int | None = Field(description="Visit every n days; null: no visits.")
    survey_interval_days: int | None = Field(
        description="Relationship survey of the key contacts every n days; null: none."
    )
    customisation: str = Field(description="What is customised for the tier.")
    discount_ceiling: NumberOut = Field(description="The largest discount, in percent.")
    updated_at: dt.datetime
    updated_by: str | None = Field(description="Who changed it last (username).")

    @staticmethod
    def resolve_updated_by(policy: ServicePolicy) -> str | None:
        return policy.updated_by.username if policy.updated_by else None


class PoliciesOut(Schema):
    count: int
    items: list[PolicyOut] = Field(description="diamond, core, potential, basic.")


NULLABLE = {"visit_interval_days", "survey_interval_days"}


def _not_null(schema: dict[str, Any]) -> None:
    # Fields left out keep their value; only the intervals may be null (no visits, surveys).
    for name, prop in schema.get("properties", {}).items():
        prop.pop("default", None)
        branches = prop.get("anyOf", [])
        rest = [branch for branch in branches if branch != {"type": "null"}]
        if name not in NULLABLE and len(rest) == 1 < len(branches):
            del prop["anyOf"]
            prop.update(rest[0])


def refuse_null(value: Any) -> Any:
    if value is None:
        raise ValueError("null is not allowed here; leave the field out to keep its value")
    return value


def whole_percent(value: float) -> float:
    if round(value * 100) != value * 100 and abs(round(value * 100) - value * 100) > 1e-6:
        raise ValueError("expected a percentage with at most 2 decimals")
    return value


Targets = Annotated[int, Ge(1), Le(MAX_MINUTES)]


class PolicyPatch(InputSchema):
    """Only the fields sent change. The resolution target is at least the first response."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_not_null)

    first_response_minutes: Annotated[
        Targets | None, BeforeValidator(refuse_null), BeforeValidator(integral)
    ] = Field(None, description="First-response target in minutes (1 to 525600).")
    resolution_minutes: Annotated[
        Targets | None, BeforeValidator(refuse_null), BeforeValidator(integral)
    ] = Field(None, description="Resolution target in minutes (1 to 525600).")
    clock: Annotated[Literal["business", "always"] | None, BeforeValidator(refuse_null)] = Field(
        None, description="business (working time only) or always (24×7)."
    )
    service_model: Annotated[
        Literal["dedicated_team", "dedicated_manager", "shared_manager", "service_centre"] | None,
        BeforeValidator(refuse_null),
    ] = None
    visit_interval_days: Annotated[
        Annotated[int, Ge(1), Le(3660)] | None, BeforeValidator(integral)
    ] = Field(None, description="Visit every n days (1 to 3660); null: no regular visits.")
    survey_interval_days: Annotated[
        Annotated[int, Ge(1), Le(3660)] | None, BeforeValidator(integral)
    ] = Field(
        None,
        description="Relationship survey of the key contacts every n days (1 to 3660); "
        "null: no periodic survey.",
    )
    customisation: Annotated[
        Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)] | None,
        BeforeValidator(refuse_null),
    ] = None
    discount_ceiling: Annotated[
        Annotated[float, Ge(0), Le(100), AfterValidator(whole_percent)] | None,
        BeforeValidator(refuse_null),
        WithJsonSchema({"type": "number", "minimum": 0, "maximum": 100, "multipleOf": 0.01}),
    ] = Field(None, description="The largest discount, in percent (0 to 100).")


def policy_values(policy: ServicePolicy) -> dict[str, Any]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


@router.get(
    "/service/policies",
    response={200: PoliciesOut, **ERRORS_READ},
    summary="The service policies of the four tiers",
)
def list_policies(request: HttpRequest) -> dict[str, Any]:
    actor(request)
    items = all_policies()
    return {"count": len(items), "items": items}


@router.get(
    "/service/policies/{tier}",
    response={200: PolicyOut, **ERRORS_ONE},
    summary="One tier's service policy",
)
def read_policy(request: HttpRequest, tier: TierPath) -> ServicePolicy:
    actor(request)
    return policy_for_tier(Tier(tier).value)


@router.patch(
    "/service/policies/{tier}",
    response={200: PolicyOut, **ERRORS_CHANGE},
    summary="Change a tier's service policy (directors, administrators)",
    description="Audited field by field; open tickets of the tier's accounts take the new "
    "targets. 422 names each field that is wrong.",
)
def change_policy(request: HttpRequest, tier: TierPath, payload: PolicyPatch) -> ServicePolicy:
    user = actor(request)
    require_policy_writer(user)
    policy = policy_for_tier(Tier(tier).value)
    values = {**policy_values(policy), **payload.model_dump(exclude_unset=True)}
    return save_policy(actor=user, policy=policy, values=values, source="api").policy


class AccountPolicyOut(Schema):
    account_id: int
    tier: Tier | None = Field(description="The effective tier now; null: none yet.")
    tier_source: Literal["override", "computed", "none"] = Field(
        description="override: set by hand; computed: the latest scoring; none: no tier yet "
        "(the basic policy serves the account)."
    )
    policy: PolicyOut

    @staticmethod
    def resolve_account_id(found: AccountPolicy) -> int:
        return found.account.pk

    @staticmethod
    def resolve_tier_source(found: AccountPolicy) -> str:
        return found.source


@router.get(
    "/accounts/{account_id}/service-policy",
    response={200: AccountPolicyOut, **ERRORS_ONE},
    summary="The service policy that applies to an account",
)
def read_account_policy(request: HttpRequest, account_id: RecordId) -> AccountPolicy:
    account = get_account_for_user(actor(request), account_id)
    return account_policy(account)


# --- the business calendar ----------------------------------------------------------------

Time = Annotated[str, StringConstraints(pattern=TIME_PATTERN)]


class Period(Schema):
    model_config = ConfigDict(strict=True, extra="forbid")

    start: Time = Field(description="HH:MM")
    end: Time = Field(description="HH:MM, after start.")


class DayOut(Schema):
    date: dt.date
    kind: DayKind = Field(description="holiday (no work) or workday (a make-up working day).")
    name: str


class CalendarOut(Schema):
    weekdays: list[int] = Field(description="Working weekdays, Monday = 0 … Sunday = 6.")
    hours: list[Period] = Field(description="The working periods of a working day, in order.")
    working_day_minutes: int = Field(description="Working minutes in one working day.")
    time_zone: str
    updated_at: dt.datetime
    year: int | None = Field(description="The year the days are of; null: all years.")
    days: list[DayOut] = Field(description="Holidays and make-up working days, by date.")


def calendar_out(year: int | None) -> dict[str, Any]:
    from django.conf import settings

    stored = BusinessCalendar.load()
    try:
        weekdays = sorted(parse_weekdays(stored.weekdays))
        hours = parse_hours(stored.hours)
    except ValueError:  # pragma: no cover - save_calendar stores valid values only
        weekdays, hours = [0, 1, 2, 3, 4], parse_hours("09:00-18:00")
    return {
        "weekdays": weekdays,
        "hours": [{"start": f"{a:%H:%M}", "end": f"{b:%H:%M}"} for a, b in hours],
        "working_day_minutes": working_day_minutes(),
        "time_zone": settings.TIME_ZONE,
        "updated_at": stored.updated_at,
        "year": year,
        "days": calendar_days(year),
    }


class CalendarParams(Schema):
    year: int | None = Field(None, ge=1900, le=2199, description="Only the days of this year.")


@router.get(
    "/service/calendar",
    response={200: CalendarOut, **ERRORS_READ},
    summary="The business calendar: working week, hours, holidays and make-up days",
)
def read_calendar(request: HttpRequest, params: Query[CalendarParams]) -> dict[str, Any]:
    actor(request)
    return calendar_out(params.year)


WEEKDAYS_SCHEMA = {
    "type": "array",
    "items": {"type": "integer", "minimum": 0, "maximum": 6},
    "minItems": 1,
    "maxItems": 7,
    "uniqueItems": True,
}


def distinct(values: list[int]) -> list[int]:
    if len(set(values)) != len(values):
        raise ValueError("a weekday is given twice")
    return values


class CalendarIn(InputSchema):
    weekdays: Annotated[
        list[Annotated[int, BeforeValidator(integral), Ge(0), Le(6)]],
        Field(min_length=1, max_length=7),
        AfterValidator(distinct),
        WithJsonSchema(WEEKDAYS_SCHEMA),
    ] = Field(description="Working weekdays, Monday = 0 … Sunday = 6.")
    hours: list[Period] = Field(
        min_length=1,
        max_length=12,
        description="Working periods in order, not overlapping, e.g. 09:00-12:00, 13:00-18:00.",
    )


@router.put(
    "/service/calendar",
    response={200: CalendarOut, **ERRORS_CHANGE},
    summary="Set the working week and hours (directors, administrators)",
    description="The holidays stay as they are. Audited.",
)
def change_calendar(request: HttpRequest, payload: CalendarIn) -> dict[str, Any]:
    user = actor(request)
    require_policy_writer(user)
    text = ", ".join(f"{period.start}-{period.end}" for period in payload.hours)
    try:
        hours = format_hours(parse_hours(text))
    except ValueError as exc:
        raise RecordInvalid([Problem(None, "hours", str(exc))]) from None
    weekdays = ",".join(str(day) for day in sorted(payload.weekdays))
    save_calendar(actor=user, weekdays=weekdays, hours=hours, source="api")
    return calendar_out(None)


class DayIn(InputSchema):
    date: Annotated[str, StringConstraints(pattern=DATE_PATTERN), WithJsonSchema(DATE_SCHEMA)]
    kind: Literal["holiday", "workday"]
    name: Annotated[str, StringConstraints(max_length=100, pattern=NO_NUL)] = Field(
        "", description="E.g. National Day 国庆节."
    )


class DaysIn(InputSchema):
    days: list[DayIn] = Field(
        min_length=1, max_length=MAX_DAYS, description="Each date at most once."
    )


class DaysImportOut(Schema):
    created: int
    updated: int
    unchanged: int


@router.post(
    "/service/calendar/days",
    response={200: DaysImportOut, **ERRORS_CHANGE},
    summary="Add or change holidays and make-up days (directors, administrators)",
    description="All or nothing: one bad day (named as days.N.field) and nothing is "
    "written. A date already in the calendar takes the new kind and name.",
)
def import_days(request: HttpRequest, payload: DaysIn) -> dict[str, int]:
    user = actor(request)
    require_policy_writer(user)
    raws = [(None, f"days.{n}.", day.model_dump()) for n, day in enumerate(payload.days)]
    rows = check_calendar_rows(raws)
    result = write_calendar_days(actor=user, rows=rows, source="api")
    return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged}


@router.delete(
    "/service/calendar/days/{day}",
    response={204: None, **ERRORS_DELETE},
    summary="Remove a holiday or make-up day (directors, administrators)",
)
def remove_day(request: HttpRequest, day: DayPath) -> Status[None]:
    user = actor(request)
    require_policy_writer(user)
    if not CalendarDay.objects.filter(date=day).exists():
        raise Http404("No such day in the calendar")
    delete_calendar_day(actor=user, day=day, source="api")
    return Status(204, None)
