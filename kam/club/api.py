"""The customer club in the REST API (REL-5): memberships, the points ledger, redemptions,
adjustments and referrals, the rules, the benefits catalogue, events and invitations.

A membership, its ledger and an invitation are visible exactly when their account is
(404 otherwise). Events, benefits and the rules are visible to everybody; an event's
invitation list shows only the accounts you see. A request a club rule refuses (not
enough points, an event that is full, an account that is not a member …) answers 409
with the reason in `message`; the balance never goes below zero.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

from kam.accounts.services import get_account_for_user, visible_accounts
from kam.club.models import (
    Benefit,
    ClubEvent,
    EntryKind,
    Invitation,
    InvitationStatus,
    Level,
    Membership,
    PointsEntry,
    PointsRules,
)
from kam.club.services import (
    MAX_CAPACITY,
    MAX_MULTIPLIER,
    MAX_POINTS,
    MAX_PURCHASE_UNIT,
    MAX_STOCK,
    ClubRefused,
    NameTaken,
    add_seats,
    adjust,
    balances_of,
    benefit_values,
    event_points,
    event_values,
    filter_level,
    get_benefit_for_user,
    get_event_for_user,
    get_invitation_for_user,
    get_membership_for_user,
    invite,
    join,
    leave,
    ledger,
    level_of_tier,
    record_attendance,
    record_referral,
    redeem,
    require_club_manager,
    respond,
    rules_values,
    save_benefit,
    save_event,
    save_rules,
    tiers_of,
    visible_benefits,
    visible_events,
    visible_invitations,
    visible_memberships,
    with_tier,
)
from kam.core.api import actor
from kam.core.schemas import (
    DATE_PATTERN,
    DATE_SCHEMA,
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    InputSchema,
    Page,
    PageParams,
    RecordId,
    integral,
)
from kam.insights.models import Tier

router = Router(tags=["club"])

TIME_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
DEFAULT_TIME = dt.time(9, 0)


# --- strict input values ----------------------------------------------------------------------


def parse_day(raw: object) -> dt.date:
    if not isinstance(raw, str) or not re.fullmatch(DATE_PATTERN, raw):
        raise ValueError("expected a date as YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"{raw!r} is not a date (expected a date as YYYY-MM-DD)") from None


def parse_time(raw: object) -> dt.time:
    if not isinstance(raw, str) or not re.fullmatch(TIME_PATTERN, raw):
        raise ValueError("expected a time of day as HH:MM (24 hours)")
    return dt.time.fromisoformat(raw)


def not_zero(raw: object) -> object:
    if raw == 0 and not isinstance(raw, bool):
        raise ValueError("expected a whole number other than 0")
    return raw


Day = Annotated[dt.date, BeforeValidator(parse_day), WithJsonSchema(DATE_SCHEMA)]
TimeOfDay = Annotated[
    dt.time,
    BeforeValidator(parse_time),
    WithJsonSchema({"type": "string", "pattern": TIME_PATTERN}),
]
Id = Annotated[int, Ge(1), Le(MAX_ID), BeforeValidator(integral)]
Points = Annotated[int, Ge(0), Le(MAX_POINTS), BeforeValidator(integral)]
Cost = Annotated[int, Ge(1), Le(MAX_POINTS), BeforeValidator(integral)]
Stock = Annotated[int, Ge(0), Le(MAX_STOCK), BeforeValidator(integral)]
Capacity = Annotated[int, Ge(1), Le(MAX_CAPACITY), BeforeValidator(integral)]
Unit = Annotated[int, Ge(1), Le(MAX_PURCHASE_UNIT), BeforeValidator(integral)]
Multiplier = Annotated[int, Ge(0), Le(MAX_MULTIPLIER), BeforeValidator(integral)]
Delta = Annotated[
    int,
    Ge(-MAX_POINTS),
    Le(MAX_POINTS),
    BeforeValidator(not_zero),
    BeforeValidator(integral),
    WithJsonSchema(
        {"type": "integer", "minimum": -MAX_POINTS, "maximum": MAX_POINTS, "not": {"const": 0}}
    ),
]
Name = Annotated[str, StringConstraints(max_length=200, pattern=NOT_BLANK)]
BenefitName = Annotated[str, StringConstraints(max_length=120, pattern=NOT_BLANK)]
Reference = Annotated[str, StringConstraints(max_length=64, pattern=NOT_BLANK)]
Place = Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=2000, pattern=NO_NUL)]
Reason = Annotated[str, StringConstraints(max_length=2000, pattern=NOT_BLANK)]
Description = Annotated[str, StringConstraints(max_length=5000, pattern=NO_NUL)]


@contextmanager
def refusals() -> Iterator[None]:
    """A club rule's refusal is a conflict (409); a benefit name in use too."""
    try:
        yield
    except ClubRefused as refused:
        raise HttpError(409, refused.message) from None
    except NameTaken as taken:
        raise HttpError(409, taken.problems[0].message) from None


ERRORS_WRITE = {**ERRORS_CHANGE}  # 409: a club rule refuses (see message)


# --- memberships ------------------------------------------------------------------------------


class ClubMembershipOut(Schema):
    id: int
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    account_name: str
    number: str = Field(description="The member number.")
    joined_on: dt.date
    left_on: dt.date | None = Field(description="Empty while the account is a member.")
    active: bool
    tier: Tier = Field(description="The account's effective tier now (basic without one).")
    level: Level = Field(description="The club level: it follows the tier.")
    balance: int = Field(description="Points: the sum of the ledger's rows.")

    @staticmethod
    def resolve_account(membership: Membership) -> str | None:
        return membership.account.external_id

    @staticmethod
    def resolve_account_name(membership: Membership) -> str:
        return membership.account.name

    @staticmethod
    def resolve_active(membership: Membership) -> bool:
        return membership.is_active

    @staticmethod
    def resolve_tier(membership: Membership) -> str:
        return str(getattr(membership, "tier", None) or Tier.BASIC)

    @staticmethod
    def resolve_level(membership: Membership) -> str:
        return level_of_tier(getattr(membership, "tier", None))

    @staticmethod
    def resolve_balance(membership: Membership) -> int:
        return int(getattr(membership, "balance", 0))


def with_figures(memberships: list[Membership]) -> list[Membership]:
    """Memberships with their tier and balance, in two queries for the lot."""
    tiers = tiers_of(m.account_id for m in memberships)
    balances = balances_of(m.pk for m in memberships)
    for membership in memberships:
        membership.tier = tiers[membership.account_id]  # type: ignore[attr-defined]
        membership.balance = balances[membership.pk]  # type: ignore[attr-defined]
    return memberships


class ClubMembershipFilters(PageParams):
    level: Level | None = Field(None, description="Only members of this level.")
    active: bool | None = Field(None, description="true: members; false: accounts that left.")


@router.get(
    "/club/memberships",
    response={200: Page[ClubMembershipOut], **ERRORS_READ},
    summary="Club members you can see",
)
def list_memberships(request: HttpRequest, filters: Query[ClubMembershipFilters]) -> dict[str, Any]:
    rows: QuerySet[Membership] = visible_memberships(actor(request)).select_related("account")
    if filters.level:
        rows = filter_level(with_tier(rows), filters.level)
    if filters.active is not None:
        rows = rows.filter(left_on__isnull=filters.active)
    rows = rows.order_by("number", "pk")
    start = filters.offset
    items = with_figures(list(rows[start : start + filters.limit]))
    return {"count": rows.count(), "items": items}


@router.get(
    "/accounts/{account_id}/club",
    response={200: ClubMembershipOut, **ERRORS_ONE},
    summary="An account's club membership",
    description="404 when the account is not visible or never joined.",
)
def read_membership(request: HttpRequest, account_id: RecordId) -> Membership:
    return with_figures([get_membership_for_user(actor(request), account_id)])[0]


class ClubJoinIn(InputSchema):
    joined_on: Day | None = Field(
        None,
        description="Default: today. An earlier date (directors and administrators only) "
        "lets the orders since then earn points; a later one is refused (409).",
    )


@router.post(
    "/accounts/{account_id}/club",
    response={201: ClubMembershipOut, **ERRORS_WRITE},
    summary="Enrol an account in the club",
    description="Also takes back an account that left. 409 when it is a member already.",
)
def join_club(
    request: HttpRequest, account_id: RecordId, payload: ClubJoinIn
) -> Status[Membership]:
    user = actor(request)
    account = get_account_for_user(user, account_id, for_write=True)
    with refusals():
        membership = join(
            actor=user,
            account=account,
            joined_on=payload.joined_on,
            source="api",
        )
    return Status(201, with_figures([membership])[0])


@router.post(
    "/accounts/{account_id}/club/leave",
    response={200: ClubMembershipOut, **ERRORS_WRITE},
    summary="End an account's membership",
    description="Its points stay in the ledger. 409 when it has left already.",
)
def leave_club(request: HttpRequest, account_id: RecordId) -> Membership:
    user = actor(request)
    membership = get_membership_for_user(user, account_id, for_write=True)
    with refusals():
        left = leave(actor=user, membership=membership, source="api")
    return with_figures([left])[0]


# --- the ledger -------------------------------------------------------------------------------


class ClubEntryOut(Schema):
    id: int
    account_id: int
    kind: EntryKind
    points: int = Field(description="+ earned, − redeemed, ± adjusted.")
    balance_after: int | None = Field(description="The running balance after this row.")
    reference: str = Field(description="The source, once: order:<id>, event:<id>:account:<id> …")
    note: str
    benefit_id: int | None
    event_id: int | None
    actor: str | None = Field(description="Who recorded it (username); empty for accrual.")
    at: dt.datetime = Field(description="When the points were earned or spent.")

    @staticmethod
    def resolve_account_id(entry: PointsEntry) -> int:
        return entry.membership.account_id

    @staticmethod
    def resolve_points(entry: PointsEntry) -> int:
        return entry.delta

    @staticmethod
    def resolve_balance_after(entry: PointsEntry) -> int | None:
        found = getattr(entry, "balance_after", None)
        return None if found is None else int(found)

    @staticmethod
    def resolve_actor(entry: PointsEntry) -> str | None:
        return entry.actor.username if entry.actor else None


@router.get(
    "/accounts/{account_id}/club/ledger",
    response={200: Page[ClubEntryOut], **ERRORS_ONE},
    summary="An account's points ledger, newest first",
    description="Every change of points is a row; the balance is their sum.",
)
def list_ledger(
    request: HttpRequest, account_id: RecordId, params: Query[PageParams]
) -> dict[str, Any]:
    membership = get_membership_for_user(actor(request), account_id)
    rows = ledger(membership).select_related("membership")
    start = params.offset
    return {"count": rows.count(), "items": list(rows[start : start + params.limit])}


class ClubRedeemIn(InputSchema):
    benefit_id: Id = Field(description="The benefit's id.")
    note: Note | None = None


@router.post(
    "/accounts/{account_id}/club/redemptions",
    response={201: ClubEntryOut, **ERRORS_WRITE},
    summary="Redeem points for a benefit",
    description="409 when the balance is too low (the message gives both figures), the "
    "benefit is switched off or out of stock, or the account left the club. Concurrent "
    "redemptions queue up: they cannot overdraw.",
)
def redeem_points(
    request: HttpRequest, account_id: RecordId, payload: ClubRedeemIn
) -> Status[PointsEntry]:
    user = actor(request)
    membership = get_membership_for_user(user, account_id, for_write=True)
    benefit = get_benefit_for_user(user, payload.benefit_id)
    with refusals():
        entry = redeem(
            actor=user,
            membership=membership,
            benefit=benefit,
            note=payload.note or "",
            source="api",
        )
    return Status(201, entry)


class ClubAdjustIn(InputSchema):
    points: Delta = Field(description="+ adds, − takes away; never 0.")
    reason: Reason = Field(description="Why: kept in the ledger.")


@router.post(
    "/accounts/{account_id}/club/adjustments",
    response={201: ClubEntryOut, **ERRORS_WRITE},
    summary="Adjust an account's points (directors and administrators)",
    description="A correction is a new row with its reason; rows are never changed. 409 "
    "when it would take the balance below zero.",
)
def adjust_points(
    request: HttpRequest, account_id: RecordId, payload: ClubAdjustIn
) -> Status[PointsEntry]:
    user = actor(request)
    membership = get_membership_for_user(user, account_id, for_write=True)
    require_club_manager(user)
    with refusals():
        entry = adjust(
            actor=user,
            membership=membership,
            delta=payload.points,
            reason=payload.reason,
            source="api",
        )
    return Status(201, entry)


class ClubReferralIn(InputSchema):
    referred_account: Reference = Field(
        description="The external_id of the new customer the member brought in (an account "
        "you can see; 404 otherwise)."
    )
    note: Note | None = None


@router.post(
    "/accounts/{account_id}/club/referrals",
    response={201: ClubEntryOut, **ERRORS_WRITE},
    summary="Record a referral: the member earns the rules' referral points",
    description="Once per referred account. 409 when it was referred already, refers "
    "itself, or referrals earn nothing under the rules.",
)
def refer(
    request: HttpRequest, account_id: RecordId, payload: ClubReferralIn
) -> Status[PointsEntry]:
    user = actor(request)
    membership = get_membership_for_user(user, account_id, for_write=True)
    referred = visible_accounts(user).filter(external_id=payload.referred_account).first()
    if referred is None:
        raise HttpError(404, "No such account")
    with refusals():
        entry = record_referral(
            actor=user,
            membership=membership,
            referred=referred,
            note=payload.note or "",
            source="api",
        )
    return Status(201, entry)


# --- the rules --------------------------------------------------------------------------------


class ClubRulesOut(Schema):
    purchase_points: int = Field(description="Points per purchase unit of an order's amount.")
    purchase_unit: int = Field(description="The purchase unit, in the book's currency.")
    referral_points: int
    event_points: int = Field(description="Per event attended, unless the event sets its own.")
    multiplier_diamond: int = Field(description="Percent: 200 doubles purchase points.")
    multiplier_core: int
    multiplier_potential: int
    multiplier_basic: int
    updated_at: dt.datetime
    updated_by: str | None

    @staticmethod
    def resolve_updated_by(rules: PointsRules) -> str | None:
        return rules.updated_by.username if rules.updated_by else None


class ClubRulesPatch(InputSchema):
    """Only the fields sent change."""

    purchase_points: Points | None = None
    purchase_unit: Unit | None = None
    referral_points: Points | None = None
    event_points: Points | None = None
    multiplier_diamond: Multiplier | None = None
    multiplier_core: Multiplier | None = None
    multiplier_potential: Multiplier | None = None
    multiplier_basic: Multiplier | None = None


@router.get(
    "/club/rules", response={200: ClubRulesOut, **ERRORS_READ}, summary="How points are earned"
)
def read_rules(request: HttpRequest) -> PointsRules:
    actor(request)
    return PointsRules.objects.select_related("updated_by").get(pk=PointsRules.load().pk)


@router.patch(
    "/club/rules",
    response={200: ClubRulesOut, **ERRORS_WRITE},
    summary="Change the points rules (directors and administrators; audited)",
)
def change_rules(request: HttpRequest, payload: ClubRulesPatch) -> PointsRules:
    user = actor(request)
    require_club_manager(user)
    sent = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    values = {**rules_values(PointsRules.load()), **sent}
    return save_rules(actor=user, values=values, source="api")


# --- benefits ---------------------------------------------------------------------------------


class ClubBenefitOut(Schema):
    id: int
    name: str
    description: str
    points_cost: int
    active: bool = Field(description="Only available benefits can be redeemed.")
    stock: int | None = Field(description="Empty: no limit.")
    created_at: dt.datetime
    updated_at: dt.datetime


class ClubBenefitFields(InputSchema):
    description: Description | None = None
    active: bool | None = Field(None, description="Default: true.")
    stock: Stock | None = Field(None, description="null: no limit.")


class ClubBenefitCreate(ClubBenefitFields):
    name: BenefitName = Field(description="Unique; 409 when taken.")
    points_cost: Cost


class ClubBenefitPatch(ClubBenefitFields):
    """Only the fields sent change; stock null means no limit."""

    name: BenefitName | None = None
    points_cost: Cost | None = None


class ClubBenefitFilters(PageParams):
    active: bool | None = Field(None, description="Only available (true) or switched off.")


@router.get(
    "/club/benefits", response={200: Page[ClubBenefitOut], **ERRORS_READ}, summary="The benefits"
)
def list_benefits(request: HttpRequest, filters: Query[ClubBenefitFilters]) -> dict[str, Any]:
    rows = visible_benefits(actor(request))
    if filters.active is not None:
        rows = rows.filter(active=filters.active)
    rows = rows.order_by("points_cost", "name", "pk")
    start = filters.offset
    return {"count": rows.count(), "items": list(rows[start : start + filters.limit])}


@router.get(
    "/club/benefits/{benefit_id}",
    response={200: ClubBenefitOut, **ERRORS_ONE},
    summary="One benefit",
)
def read_benefit(request: HttpRequest, benefit_id: RecordId) -> Benefit:
    return get_benefit_for_user(actor(request), benefit_id)


@router.post(
    "/club/benefits",
    response={201: ClubBenefitOut, **ERRORS_CREATE},
    summary="Add a benefit (directors and administrators)",
)
def create_benefit(request: HttpRequest, payload: ClubBenefitCreate) -> Status[Benefit]:
    user = actor(request)
    require_club_manager(user)
    with refusals():
        benefit = save_benefit(
            actor=user, values=payload.model_dump(exclude_unset=True), source="api"
        )
    return Status(201, benefit)


@router.patch(
    "/club/benefits/{benefit_id}",
    response={200: ClubBenefitOut, **ERRORS_CHANGE},
    summary="Change a benefit (directors and administrators)",
    description="Benefits are never deleted: switch one off with active false.",
)
def change_benefit(
    request: HttpRequest, benefit_id: RecordId, payload: ClubBenefitPatch
) -> Benefit:
    user = actor(request)
    benefit = get_benefit_for_user(user, benefit_id, for_write=True)
    sent = payload.model_dump(exclude_unset=True)
    values = {
        **benefit_values(benefit),
        **{k: v for k, v in sent.items() if k == "stock" or v is not None},
    }
    with refusals():
        return save_benefit(actor=user, values=values, benefit=benefit, source="api")


# --- events and invitations -------------------------------------------------------------------


class ClubEventOut(Schema):
    id: int
    name: str
    description: str
    starts_at: dt.datetime
    place: str
    capacity: int
    points: int | None = Field(description="The event's own points; empty: the rules'.")
    points_for_attending: int = Field(description="What attending earns an account, once.")
    seats_taken: int = Field(description="Accepted and attended invitations (all accounts).")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_points_for_attending(event: ClubEvent) -> int:
        return event_points(event, getattr(event, "rules", None))

    @staticmethod
    def resolve_seats_taken(event: ClubEvent) -> int:
        return int(getattr(event, "seats_taken", 0))


def with_seats(events: list[ClubEvent]) -> list[ClubEvent]:
    rules = PointsRules.load()
    for event in add_seats(events):
        event.rules = rules  # type: ignore[attr-defined]
    return events


class ClubEventFields(InputSchema):
    description: Description | None = None
    time: TimeOfDay | None = Field(None, description="Starting time, HH:MM; default 09:00.")
    place: Place | None = None
    points: Points | None = Field(None, description="null: the rules' points for attending.")


class ClubEventCreate(ClubEventFields):
    name: Name
    date: Day
    capacity: Capacity = Field(description="Seats: accepting beyond is refused.")


class ClubEventPatch(ClubEventFields):
    """Only the fields sent change."""

    name: Name | None = None
    date: Day | None = None
    capacity: Capacity | None = Field(None, description="409 when below the seats taken.")


class ClubEventFilters(PageParams):
    when: Literal["upcoming", "past"] | None = Field(None, description="Default: all events.")


def event_input(sent: dict[str, Any], event: ClubEvent | None) -> dict[str, Any]:
    values = event_values(event) if event is not None else {}
    local = timezone.localtime(event.starts_at) if event is not None else None
    day = sent.pop("date", None) or (local.date() if local else None)
    time = sent.pop("time", None) or (local.time() if local else DEFAULT_TIME)
    for name, value in sent.items():
        if value is not None or name == "points":
            values[name] = value
    values["starts_at"] = timezone.make_aware(dt.datetime.combine(day, time)) if day else None
    return values


@router.get(
    "/club/events",
    response={200: Page[ClubEventOut], **ERRORS_READ},
    summary="Club events, the next or latest first",
)
def list_events(request: HttpRequest, filters: Query[ClubEventFilters]) -> dict[str, Any]:
    rows = visible_events(actor(request))
    now = timezone.now()
    if filters.when == "upcoming":
        rows = rows.filter(starts_at__gte=now).order_by("starts_at", "pk")
    elif filters.when == "past":
        rows = rows.filter(starts_at__lt=now).order_by("-starts_at", "-pk")
    else:
        rows = rows.order_by("-starts_at", "-pk")
    start = filters.offset
    return {"count": rows.count(), "items": with_seats(list(rows[start : start + filters.limit]))}


@router.get(
    "/club/events/{event_id}", response={200: ClubEventOut, **ERRORS_ONE}, summary="One club event"
)
def read_event(request: HttpRequest, event_id: RecordId) -> ClubEvent:
    return with_seats([get_event_for_user(actor(request), event_id)])[0]


@router.post(
    "/club/events",
    response={201: ClubEventOut, **ERRORS_CREATE},
    summary="Create a club event (directors and administrators)",
)
def create_event(request: HttpRequest, payload: ClubEventCreate) -> Status[ClubEvent]:
    user = actor(request)
    require_club_manager(user)
    values = event_input(payload.model_dump(exclude_unset=True), None)
    with refusals():
        event = save_event(actor=user, values=values, source="api")
    return Status(201, with_seats([event])[0])


@router.patch(
    "/club/events/{event_id}",
    response={200: ClubEventOut, **ERRORS_WRITE},
    summary="Change a club event (directors and administrators)",
)
def change_event(request: HttpRequest, event_id: RecordId, payload: ClubEventPatch) -> ClubEvent:
    user = actor(request)
    event = get_event_for_user(user, event_id, for_write=True)
    values = event_input(payload.model_dump(exclude_unset=True), event)
    with refusals():
        saved = save_event(actor=user, values=values, event=event, source="api")
    return with_seats([saved])[0]


class ClubInvitationOut(Schema):
    id: int
    event_id: int
    contact_id: int
    contact: str | None = Field(description="The contact's external_id.")
    contact_name: str
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    status: InvitationStatus
    invited_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_contact(invitation: Invitation) -> str | None:
        return invitation.contact.external_id

    @staticmethod
    def resolve_contact_name(invitation: Invitation) -> str:
        return invitation.contact.name

    @staticmethod
    def resolve_account(invitation: Invitation) -> str | None:
        return invitation.account.external_id


@router.get(
    "/club/events/{event_id}/invitations",
    response={200: Page[ClubInvitationOut], **ERRORS_ONE},
    summary="An event's invitations of the accounts you see",
)
def list_invitations(
    request: HttpRequest, event_id: RecordId, params: Query[PageParams]
) -> dict[str, Any]:
    user = actor(request)
    event = get_event_for_user(user, event_id)
    rows = (
        visible_invitations(user)
        .filter(event=event)
        .select_related("contact", "account")
        .order_by("account__name", "contact__name", "pk")
    )
    start = params.offset
    return {"count": rows.count(), "items": list(rows[start : start + params.limit])}


class ClubInviteIn(InputSchema):
    contact: Reference = Field(
        description="The contact's external_id (a contact you can see; 404 otherwise)."
    )


@router.post(
    "/club/events/{event_id}/invitations",
    response={201: ClubInvitationOut, **ERRORS_WRITE},
    summary="Invite a contact of a member account",
    description="409 when the account is not a member, the contact is invited already or "
    "the event has started.",
)
def invite_contact(
    request: HttpRequest, event_id: RecordId, payload: ClubInviteIn
) -> Status[Invitation]:
    from kam.contacts.services import visible_contacts

    user = actor(request)
    event = get_event_for_user(user, event_id)
    contact = (
        visible_contacts(user).select_related("account").filter(external_id=payload.contact).first()
    )
    if contact is None:
        raise HttpError(404, "No such contact")
    with refusals():
        invitation = invite(actor=user, event=event, contact=contact, source="api")
    return Status(201, invitation)


@router.get(
    "/club/invitations/{invitation_id}",
    response={200: ClubInvitationOut, **ERRORS_ONE},
    summary="One invitation",
)
def read_invitation(request: HttpRequest, invitation_id: RecordId) -> Invitation:
    return get_invitation_for_user(actor(request), invitation_id)


class ClubResponseIn(InputSchema):
    answer: Literal["accepted", "declined"]


@router.post(
    "/club/invitations/{invitation_id}/response",
    response={200: ClubInvitationOut, **ERRORS_WRITE},
    summary="Record the contact's answer",
    description="Accepting takes a seat: 409 when the event is full, or when attendance "
    "is recorded already.",
)
def answer_invitation(
    request: HttpRequest, invitation_id: RecordId, payload: ClubResponseIn
) -> Invitation:
    user = actor(request)
    invitation = get_invitation_for_user(user, invitation_id, for_write=True)
    with refusals():
        return respond(
            actor=user,
            invitation=invitation,
            accepted=payload.answer == "accepted",
            source="api",
        )


class ClubAttendanceIn(InputSchema):
    attended: bool = Field(description="true: came (earns points); false: no-show.")


class ClubAttendanceOut(Schema):
    invitation: ClubInvitationOut
    points_earned: int = Field(
        description="Points this call added: 0 when the account earned for the event already."
    )


@router.post(
    "/club/invitations/{invitation_id}/attendance",
    response={200: ClubAttendanceOut, **ERRORS_WRITE},
    summary="Record whether the contact attended",
    description="Attending earns the account the event's points, once per account and "
    "event. 409 before the event starts, or to undo a recorded attendance (a director "
    "adjusts the points instead).",
)
def attend(
    request: HttpRequest, invitation_id: RecordId, payload: ClubAttendanceIn
) -> dict[str, Any]:
    user = actor(request)
    invitation = get_invitation_for_user(user, invitation_id, for_write=True)
    with refusals():
        saved, entry = record_attendance(
            actor=user, invitation=invitation, attended=payload.attended, source="api"
        )
    return {"invitation": saved, "points_earned": entry.delta if entry else 0}
