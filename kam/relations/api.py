"""Relationship management in the REST API (REL-1 … REL-3): activities, an account's
buying centre with its coverage, gaps, health and trend, and the visit cadence.

An activity is visible exactly when its account is; references are natural keys (an
account's external id, usernames, contacts' external ids). A gift or entertainment that
takes a recipient above the yearly limit answers 409 until it is sent again with
`acknowledge_gift_limit: true` (who acknowledged it, and when, is stored with it). Done
activities are never deleted (409): change or cancel them instead.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StringConstraints, WithJsonSchema

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user, visible_accounts
from kam.contacts.models import BuyingRole, Influence, Stance
from kam.core.api import actor
from kam.core.fields import FieldError
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    Checked,
    DateParam,
    InputSchema,
    NumberOut,
    Page,
    PageParams,
    RecordId,
    choice_field,
    number_field,
    paginate,
    text_field,
    whole_field,
)
from kam.insights.models import Tier
from kam.relations import services
from kam.relations.io import (
    ACTIVITY_FIELDS,
    CURRENCY_PATTERN,
    MAX_DURATION_MINUTES,
    MAX_REFERENCES,
    VALUE_MAX,
)
from kam.relations.models import Activity, ActivityKind, ActivityStatus, Sentiment

router = Router(tags=["relations"])
A = ACTIVITY_FIELDS
FIELDS = {f.name: f for f in A}
ERRORS_REMOVE = {**ERRORS_DELETE, 409: ERRORS_CHANGE[409]}

#: RFC 3339, as JSON Schema's date-time: 2026-11-23T14:30:00+08:00 (or Z).
RFC3339 = (
    r"^(19|20|21)[0-9]{2}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,6})?"
    r"(Z|[+-](0[0-9]|1[0-4]):[0-5][0-9])$"
)


def explain_datetime(raw: object) -> FieldError:
    return FieldError(
        "not a date and time", raw, "an RFC 3339 date and time such as 2026-11-23T14:30:00+08:00"
    )


def explain_currency(raw: object) -> FieldError:
    return FieldError("not a currency code", raw, "a three-letter code such as CNY")


def explain_names(raw: object) -> FieldError:
    return FieldError("not a list of names", raw, f"at most {MAX_REFERENCES} texts")


StartsAt = Checked(
    FIELDS["starts_at"],
    explain_datetime,
    (
        StringConstraints(pattern=RFC3339),
        WithJsonSchema({"type": "string", "format": "date-time", "pattern": RFC3339}),
    ),
)
Currency = Checked(
    FIELDS["currency"], explain_currency, (StringConstraints(pattern=CURRENCY_PATTERN),)
)
Name = Annotated[str, StringConstraints(max_length=150, pattern=NOT_BLANK)]
Names = Annotated[list[Name], Field(max_length=MAX_REFERENCES)]


class ContactRef(Schema):
    id: int
    external_id: str | None
    name: str


class LimitWarningOut(Schema):
    contact: int = Field(description="The recipient's contact id.")
    name: str
    year: int
    total: float = Field(description="Their yearly total with this gift (company currency).")
    limit: float


class ActivityOut(Schema):
    id: int
    account_id: int
    account: str | None = Field(description="The account's external id.")
    account_name: str
    kind: ActivityKind
    status: ActivityStatus
    subject: str
    starts_at: dt.datetime
    duration_minutes: int | None
    owner: str = Field(description="The owner's username.")
    participants: list[str] = Field(description="Usernames of our other people.")
    contacts: list[ContactRef]
    notes: str
    outcome: str
    sentiment: Sentiment | None
    value: NumberOut | None = Field(description="Gifts and entertainment: what it was worth.")
    currency: str
    recipients: list[ContactRef] = Field(description="Gifts and entertainment: who received it.")
    limit_warnings: list[LimitWarningOut] = Field(
        description="The recipients it took above the yearly gift limit when it was saved."
    )
    limit_acknowledged_by: str | None = Field(description="Who logged it above the limit.")
    limit_acknowledged_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(activity: Activity) -> str | None:
        return activity.account.external_id

    @staticmethod
    def resolve_account_name(activity: Activity) -> str:
        return activity.account.name

    @staticmethod
    def resolve_owner(activity: Activity) -> str:
        return activity.owner.username

    @staticmethod
    def resolve_participants(activity: Activity) -> list[str]:
        return [u.username for u in activity.participants.all()]

    @staticmethod
    def resolve_contacts(activity: Activity) -> list[Any]:
        return list(activity.contacts.all())

    @staticmethod
    def resolve_recipients(activity: Activity) -> list[Any]:
        return list(activity.recipients.all())

    @staticmethod
    def resolve_sentiment(activity: Activity) -> str | None:
        return activity.sentiment or None

    @staticmethod
    def resolve_limit_acknowledged_by(activity: Activity) -> str | None:
        by = activity.limit_acknowledged_by
        return by.username if by is not None else None


class ActivityFields(InputSchema):
    status: Annotated[str | None, choice_field(A, "status", ActivityStatus)] = Field(
        None, description="planned, done (default) or cancelled."
    )
    duration_minutes: Annotated[
        int | None, whole_field(A, "duration_minutes", 0, MAX_DURATION_MINUTES)
    ] = None
    owner: Annotated[str | None, text_field(A, "owner", 150)] = Field(
        None, description="The owner's username; default: you."
    )
    participants: Names | None = Field(None, description="Usernames of our other people.")
    contacts: Names | None = Field(
        None, description="External ids of the account's contacts who took part."
    )
    notes: Annotated[str | None, text_field(A, "notes", 5000)] = None
    outcome: Annotated[str | None, text_field(A, "outcome", 5000)] = None
    sentiment: Annotated[str | None, choice_field(A, "sentiment", Sentiment)] = None
    value: Annotated[
        float | None,
        number_field(A, "value", places=2, minimum=Decimal(0), maximum=VALUE_MAX),
    ] = Field(None, description="Gifts and entertainment only: what it was worth.")
    currency: Annotated[str | None, Currency] = Field(
        None, description="Gifts and entertainment only; default: the company currency."
    )
    recipients: Names | None = Field(
        None,
        description="Gifts and entertainment only: external ids of the contacts who received "
        "it (default: the contacts). The value is shared evenly among them.",
    )
    acknowledge_gift_limit: bool = Field(
        False,
        description="Log a gift or entertainment that takes a recipient above the yearly "
        "limit anyway (recorded with your name); without it such a request answers 409.",
    )

    def raw(self) -> dict[str, Any]:
        return self.model_dump(exclude_unset=True, exclude={"acknowledge_gift_limit"})


KindIn = Annotated[str | None, choice_field(A, "kind", ActivityKind)]
SubjectIn = Annotated[str | None, text_field(A, "subject", 200, blank=False)]
StartsAtIn = Annotated[str | None, StartsAt]


class ActivityCreate(ActivityFields):
    account: Annotated[str | None, text_field(A, "account", 64, blank=False)] = Field(
        description="The account's external id."
    )
    kind: KindIn = Field(
        description="visit, call, meeting, email, event, gift, entertainment, club_event."
    )
    subject: SubjectIn
    starts_at: StartsAtIn = Field(description="When it starts (RFC 3339).")


class ActivityPatch(ActivityFields):
    """Only the fields sent change; the account stays."""

    kind: KindIn = None
    subject: SubjectIn = None
    starts_at: StartsAtIn = None


class ActivityFilters(PageParams):
    account_id: int | None = Field(None, ge=1, le=MAX_ID, description="Only this account's.")
    contact_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="Only those with this contact (or to them, gifts)."
    )
    kind: ActivityKind | None = None
    status: ActivityStatus | None = None
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL, description="Username.")
    since: DateParam | None = Field(None, description="Starting on or after this day.")
    until: DateParam | None = Field(None, description="Starting on or before this day.")


def with_people(rows: QuerySet[Activity]) -> QuerySet[Activity]:
    return services.with_people(rows)


def saved(user: Any, activity_id: int) -> Activity:
    return with_people(services.visible_activities(user)).get(pk=activity_id)


def save(
    user: Any, account: Account, payload: ActivityFields, activity: Activity | None
) -> Activity:
    draft = services.clean_activity(payload.raw(), actor=user, account=account, activity=activity)
    try:
        return services.save_activity(
            actor=user,
            account=account,
            draft=draft,
            activity=activity,
            acknowledge=payload.acknowledge_gift_limit,
            source="api",
        )
    except services.GiftLimitExceeded as exceeded:
        raise HttpError(
            409,
            f"Over the yearly gift limit: {exceeded.text()}. Send acknowledge_gift_limit: true "
            "to log it anyway.",
        ) from None


@router.get(
    "/activities",
    response={200: Page[ActivityOut], **ERRORS_READ},
    summary="Activities you can see",
    description="Newest first.",
)
def list_activities(request: HttpRequest, filters: Query[ActivityFilters]) -> dict[str, Any]:
    user = actor(request)
    rows = services.visible_activities(user)
    if filters.account_id is not None:
        rows = rows.filter(account_id=filters.account_id)
    if filters.contact_id is not None:
        contact = filters.contact_id
        rows = rows.filter(Q(contacts__pk=contact) | Q(recipients__pk=contact)).distinct()
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.owner:
        rows = rows.filter(owner__username=filters.owner)
    if filters.since:
        rows = rows.filter(starts_at__gte=services.day_start(filters.since))
    if filters.until:
        rows = rows.filter(starts_at__lt=services.day_end(filters.until))
    return paginate(with_people(rows).order_by("-starts_at", "-pk"), filters)


@router.get(
    "/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS_ONE},
    summary="One activity",
)
def read_activity(request: HttpRequest, activity_id: RecordId) -> Activity:
    user = actor(request)
    services.get_activity_for_user(user, activity_id)
    return saved(user, activity_id)


@router.post(
    "/activities",
    response={201: ActivityOut, **ERRORS_CREATE},
    summary="Log an activity",
    description="409 when a gift or entertainment takes a recipient above the yearly limit "
    "and acknowledge_gift_limit is not true.",
)
def create_activity(request: HttpRequest, payload: ActivityCreate) -> Status[Activity]:
    user = actor(request)
    external_id = str(payload.account or "").strip()
    found = visible_accounts(user).filter(external_id=external_id).first()
    if found is None:
        from kam.dataio.records import Problem, RecordInvalid

        raise RecordInvalid(
            [
                Problem(
                    None,
                    "account",
                    f"unknown account (got '{external_id[:40]}', expected the external id of "
                    "an account you can see)",
                )
            ]
        )
    account = get_account_for_user(user, found.pk, for_write=True)
    activity = save(user, account, payload, None)
    return Status(201, saved(user, activity.pk))


@router.patch(
    "/activities/{activity_id}",
    response={200: ActivityOut, **ERRORS_CHANGE},
    summary="Change, complete or cancel an activity",
    description="Send status 'done' (with outcome and sentiment) to complete a planned "
    "activity, 'cancelled' to cancel it. 409 as for logging a gift above the limit.",
)
def change_activity(
    request: HttpRequest, activity_id: RecordId, payload: ActivityPatch
) -> Activity:
    user = actor(request)
    activity = services.get_activity_for_user(user, activity_id, for_write=True)
    save(user, activity.account, payload, activity)
    return saved(user, activity_id)


@router.delete(
    "/activities/{activity_id}",
    response={204: None, **ERRORS_REMOVE},
    summary="Delete a planned or cancelled activity",
    description="Done activities are kept (409): change or cancel them instead.",
)
def remove_activity(request: HttpRequest, activity_id: RecordId) -> Status[None]:
    user = actor(request)
    activity = services.get_activity_for_user(user, activity_id, for_write=True)
    try:
        services.delete_activity(actor=user, activity=activity, source="api")
    except services.ActivityKept as kept:
        raise HttpError(409, f"{kept}.") from None
    return Status(204, None)


# --- the buying centre -------------------------------------------------------------------------


class NodeOut(Schema):
    id: int
    external_id: str | None
    name: str
    title: str
    buying_role: BuyingRole
    influence: Influence
    stance: Stance
    familiarity: int = Field(description="How well we know them, 0 (not met) to 5 (trusted).")
    is_active: bool
    reports_to: int | None = Field(description="The contact id of their superior.")
    last_met: dt.date | None = Field(description="The last done face-to-face activity with them.")
    meetings_12m: int = Field(description="Done face-to-face activities in the last 12 months.")
    covers_role: bool = Field(description="They cover their role in the coverage score.")


class EdgeOut(Schema):
    boss: int = Field(description="The superior's contact id.")
    report: int = Field(description="The contact id of who reports to them.")


class RoleCoverOut(Schema):
    role: BuyingRole
    weight: float
    points: float = Field(description="weight × met × stance × influence of the best contact.")
    contact_id: int | None
    met: bool = Field(description="Met face to face in the last 180 days.")
    stance: str
    influence: str


class CoverageOut(Schema):
    score: int = Field(description="0-100.")
    exact: float
    contacts: int = Field(description="Active contacts on file.")
    roles: list[RoleCoverOut]


class GapOut(Schema):
    code: Literal[
        "no_contacts",
        "single_threaded",
        "missing",
        "never_met",
        "not_met_recently",
        "opposed",
        "neutral",
        "stance_unknown",
    ]
    role: str = Field(description="The buying role it is about (empty for the account).")
    days: int | None = Field(description="not_met_recently: days since the last meeting.")
    message: str = Field(description="In words, in your language.")


class HealthOut(Schema):
    score: int = Field(description="0-100: 0.4 coverage + 0.3 recency + 0.3 sentiment.")
    band: Literal["good", "fair", "poor"]
    coverage: float
    recency: float
    sentiment: float | None = Field(description="Empty without rated activities or surveys.")
    last_activity: dt.date | None
    days_since_last_activity: int | None
    reference_days: int = Field(description="The tier's visit interval (180 without one).")


class TrendPointOut(Schema):
    as_of: dt.date
    score: int


class BuyingCentreOut(Schema):
    account_id: int
    as_of: dt.date
    tier: Tier
    visit_interval_days: int | None
    coverage: CoverageOut
    gaps: list[GapOut]
    health: HealthOut
    trend: list[TrendPointOut] = Field(description="At the last six month-ends, then today.")
    nodes: list[NodeOut]
    edges: list[EdgeOut]


def centre_out(centre: services.BuyingCentre) -> dict[str, Any]:
    health = centre.health
    return {
        "account_id": centre.account.pk,
        "as_of": centre.as_of,
        "tier": centre.tier,
        "visit_interval_days": centre.interval,
        "coverage": {
            "score": centre.coverage.score,
            "exact": centre.coverage.exact,
            "contacts": centre.coverage.contacts,
            "roles": [vars(cover) for cover in centre.coverage.roles],
        },
        "gaps": [
            {"code": gap.code, "role": gap.role, "days": gap.days, "message": text}
            for gap, text in centre.gaps
        ],
        "health": {
            "score": health.score,
            "band": health.band,
            "coverage": health.coverage,
            "recency": health.recency,
            "sentiment": health.sentiment,
            "last_activity": health.last_touch,
            "days_since_last_activity": health.days_since_touch,
            "reference_days": health.reference_days,
        },
        "trend": [{"as_of": point.day, "score": point.score} for point in centre.trend],
        "nodes": [
            {
                "id": node.pk,
                "external_id": node.contact.external_id,
                "name": node.contact.name,
                "title": node.contact.title,
                "buying_role": node.contact.buying_role,
                "influence": node.contact.influence,
                "stance": node.contact.stance,
                "familiarity": node.contact.familiarity,
                "is_active": node.contact.is_active,
                "reports_to": node.contact.reports_to_id,
                "last_met": node.last_met,
                "meetings_12m": node.meetings_12m,
                "covers_role": node.covers,
            }
            for node in centre.nodes
        ],
        "edges": [{"boss": boss, "report": report} for boss, report in centre.edges],
    }


@router.get(
    "/accounts/{account_id}/buying-centre",
    response={200: BuyingCentreOut, **ERRORS_ONE},
    summary="An account's buying centre: map, coverage, gaps, health and trend",
    description="The contacts as an org chart (nodes and reports-to edges) with when and how "
    "often we met each; the coverage score of the four roles; the gaps in words; the "
    "relationship health and its trend (docs/methods/relationship-health.md).",
)
def read_buying_centre(request: HttpRequest, account_id: RecordId) -> dict[str, Any]:
    account = get_account_for_user(actor(request), account_id)
    return centre_out(services.buying_centre(account))


# --- the visit cadence -------------------------------------------------------------------------


class CadenceOut(Schema):
    account_id: int
    account: str = Field(description="The account's name.")
    external_id: str | None
    owner: str = Field(description="The owner's username.")
    tier: Tier
    visit_interval_days: int | None
    last_visit: dt.date | None = Field(description="The last done visit or meeting.")
    next_due: dt.date | None
    status: Literal["overdue", "never", "due_soon", "ok", "none"]
    days_overdue: int
    next_planned: dt.date | None = Field(description="The next planned visit or meeting.")


class CadenceFilters(PageParams):
    show: Literal["attention", "overdue", "due_soon", "all"] = Field(
        "attention",
        description="attention: overdue, never visited or due within 14 days; overdue: "
        "overdue or never visited; due_soon; all.",
    )
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL, description="Username.")
    tier: Tier | None = None


@router.get(
    "/relations/cadence",
    response={200: Page[CadenceOut], **ERRORS_READ},
    summary="The visit cadence of the accounts you can see",
    description="Next visit due = the last done visit or meeting + the tier's visit interval; "
    "never visited: due today; a tier without an interval: no due date. Most urgent first.",
)
def read_cadence(request: HttpRequest, filters: Query[CadenceFilters]) -> dict[str, Any]:
    user = actor(request)
    rows = services.cadence_for_user(
        user, owner=filters.owner or "", tier=filters.tier or "", show=filters.show
    )
    start = filters.offset
    items = [
        {
            "account_id": row.account.pk,
            "account": row.account.name,
            "external_id": row.account.external_id,
            "owner": row.account.owner.username,
            "tier": row.tier,
            "visit_interval_days": row.interval,
            "last_visit": row.last_visit,
            "next_due": row.due.due,
            "status": row.status,
            "days_overdue": row.due.days_overdue,
            "next_planned": row.next_planned,
        }
        for row in rows[start : start + filters.limit]
    ]
    return {"count": len(rows), "items": items}
