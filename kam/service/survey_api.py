"""Satisfaction surveys in the REST API (SVC-3): the answers, recording an answer taken
by phone, the summary figures, and the surveys asked.

You see the surveys of the accounts you see; others answer 404. Analysts read and record
nothing (403). Scores: CSAT 1–5 (satisfaction), NPS 0–10 (likelihood to recommend); an
answer has at least one. NPS = promoters (9–10) % − detractors (0–6) %. A low score
(CSAT ≤ 2 or NPS ≤ 6 by default) plans a follow-up call for the account owner.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import BeforeValidator, StringConstraints, WithJsonSchema

from kam.accounts.services import visible_accounts
from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.schemas import (
    DATE_SCHEMA,
    ERRORS_CREATE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    NO_NUL,
    NOT_BLANK,
    DateParam,
    InputSchema,
    Page,
    PageParams,
    RecordId,
    integral,
    iso_date,
)
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.relations.models import ActivityStatus
from kam.service.models import RequestStatus, Survey, SurveyKind, SurveyRequest
from kam.service.survey_results import (
    Breakdown,
    Figures,
    SatisfactionFilters,
    answer_rows,
    default_period,
    satisfaction_results,
)
from kam.service.surveys import (
    COMMENT_MAX,
    get_survey_for_user,
    is_low,
    nps_group,
    record_answer,
    status_condition,
    visible_requests,
)
from kam.service.tickets import visible_tickets

router = Router(tags=["surveys"])

ExternalId = Annotated[str, StringConstraints(max_length=64, pattern=NOT_BLANK)]
Comment = Annotated[str, StringConstraints(max_length=COMMENT_MAX, pattern=NO_NUL)]
Csat = Annotated[Annotated[int, Ge(1), Le(5)] | None, BeforeValidator(integral)]
Nps = Annotated[Annotated[int, Ge(0), Le(10)] | None, BeforeValidator(integral)]
DayIn = Annotated[dt.date, BeforeValidator(iso_date), WithJsonSchema(DATE_SCHEMA)]


# --- what comes out ----------------------------------------------------------------------------


class FollowUpOut(Schema):
    id: int = Field(description="The activity (GET /api/activities/{id}).")
    status: ActivityStatus
    owner: str = Field(description="Who calls back (username).")
    starts_at: dt.datetime


class SurveyOut(Schema):
    id: int
    kind: SurveyKind = Field(description="ticket: after a ticket; relationship: periodic.")
    account_id: int
    account: str = Field(description="The account's name.")
    account_external_id: str | None
    contact_id: int | None
    contact: str | None = Field(description="Who answered (the contact's name).")
    csat: int | None = Field(description="Satisfaction, 1 (very dissatisfied) to 5.")
    nps: int | None = Field(description="Likelihood to recommend, 0 to 10.")
    nps_group: Literal["promoter", "passive", "detractor", ""] = Field(
        description="promoter 9–10, passive 7–8, detractor 0–6; empty without an NPS answer."
    )
    comment: str
    responded_at: dt.datetime
    ticket_id: int | None
    ticket_number: str | None
    recorded_by: str | None = Field(
        description="The colleague who recorded it (username); null: the customer answered "
        "through the link."
    )
    low_score: bool = Field(description="Low enough to call the customer back.")
    follow_up: FollowUpOut | None = Field(description="The follow-up call of a low score.")

    @staticmethod
    def resolve_account(survey: Survey) -> str:
        return survey.account.name

    @staticmethod
    def resolve_account_external_id(survey: Survey) -> str | None:
        return survey.account.external_id

    @staticmethod
    def resolve_contact(survey: Survey) -> str | None:
        return survey.contact.name if survey.contact else None

    @staticmethod
    def resolve_nps_group(survey: Survey) -> str:
        return nps_group(survey.nps)

    @staticmethod
    def resolve_ticket_number(survey: Survey) -> str | None:
        return survey.ticket.number if survey.ticket else None

    @staticmethod
    def resolve_recorded_by(survey: Survey) -> str | None:
        return survey.recorded_by.username if survey.recorded_by else None

    @staticmethod
    def resolve_low_score(survey: Survey) -> bool:
        return is_low(survey.csat, survey.nps)

    @staticmethod
    def resolve_follow_up(survey: Survey) -> dict[str, Any] | None:
        activity = survey.follow_up
        if activity is None:
            return None
        return {
            "id": activity.pk,
            "status": activity.status,
            "owner": activity.owner.username,
            "starts_at": activity.starts_at,
        }


class RequestOut(Schema):
    id: int
    kind: SurveyKind
    account_id: int
    account: str
    contact_id: int | None
    contact: str | None
    ticket_id: int | None
    ticket_number: str | None
    status: RequestStatus = Field(
        description="open (waiting), answered, expired (the link ran out) or cancelled "
        "(withdrawn, e.g. the ticket was reopened)."
    )
    created_at: dt.datetime
    created_by: str | None = Field(description="Who asked (username); null: the system.")
    expires_at: dt.datetime
    email: str = Field(description="The address the link was emailed to; empty: not emailed.")
    emailed_at: dt.datetime | None
    survey_id: int | None = Field(description="The answer (GET /api/surveys/{id}).")
    cancelled_at: dt.datetime | None

    @staticmethod
    def resolve_account(request: SurveyRequest) -> str:
        return request.account.name

    @staticmethod
    def resolve_contact(request: SurveyRequest) -> str | None:
        return request.contact.name if request.contact else None

    @staticmethod
    def resolve_ticket_number(request: SurveyRequest) -> str | None:
        return request.ticket.number if request.ticket else None

    @staticmethod
    def resolve_status(request: SurveyRequest) -> str:
        return request.status

    @staticmethod
    def resolve_created_by(request: SurveyRequest) -> str | None:
        return request.created_by.username if request.created_by else None


class FiguresOut(Schema):
    answers: int = Field(description="Surveys answered in the period.")
    requested: int = Field(description="Surveys asked in the period (not withdrawn).")
    answered: int = Field(description="Of those asked, how many were answered.")
    response_rate: float | None = Field(description="answered / requested, in percent.")
    csat_answers: int
    csat_average: float | None = Field(description="Average CSAT, 1–5.")
    csat_satisfied_pct: float | None = Field(description="Share of CSAT 4–5, in percent.")
    nps_answers: int
    promoters: int
    passives: int
    detractors: int
    promoters_pct: float | None
    detractors_pct: float | None
    nps: float | None = Field(description="promoters % − detractors %, −100 to 100.")
    low_scores: int


class GroupOut(Schema):
    key: str = Field(description="The tier, the owner's username or the month (YYYY-MM).")
    label: str
    figures: FiguresOut


class SummaryOut(Schema):
    since: dt.date
    until: dt.date
    total: FiguresOut
    by_tier: list[GroupOut]
    by_owner: list[GroupOut]
    by_month: list[GroupOut]


def figures_out(figures: Figures) -> dict[str, Any]:
    return figures.as_dict()


def groups_out(rows: list[Breakdown]) -> list[dict[str, Any]]:
    return [{"key": r.key, "label": r.label, "figures": figures_out(r.figures)} for r in rows]


# --- what goes in ------------------------------------------------------------------------------


class SurveyIn(InputSchema):
    """An answer taken by phone or on a visit. At least one of csat and nps."""

    account: ExternalId = Field(description="The account's external_id.")
    kind: Literal["ticket", "relationship"] = Field(
        "relationship", description="Default: relationship."
    )
    ticket_id: Annotated[Annotated[int, Ge(1), Le(MAX_ID)] | None, BeforeValidator(integral)] = (
        Field(None, description="The resolved or closed ticket it is about (kind ticket).")
    )
    contact: ExternalId | None = Field(None, description="Who answered, by external_id.")
    csat: Csat = Field(None, description="Satisfaction, 1–5.")
    nps: Nps = Field(None, description="Likelihood to recommend, 0–10.")
    comment: Comment = Field("", description="The customer's comment.")
    responded_on: DayIn | None = Field(None, description="The day it was answered; default today.")


class SurveyFilters(PageParams):
    kind: SurveyKind | None = None
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    ticket_id: int | None = Field(None, ge=1, le=MAX_ID)
    tier: Tier | None = Field(None, description="The account's effective tier now.")
    owner: str | None = Field(
        None, max_length=150, pattern=NO_NUL, description="The account owner's username."
    )
    since: DateParam | None = Field(None, description="Answered on or after this day.")
    until: DateParam | None = Field(None, description="Answered on or before this day.")
    low: bool = Field(False, description="Only low scores.")


class SummaryFilters(Schema):
    kind: SurveyKind | None = None
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    tier: Tier | None = None
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL)
    since: DateParam | None = Field(
        None, description="Default: the first day of the month eleven months ago."
    )
    until: DateParam | None = Field(None, description="Default: today.")


class RequestFilters(PageParams):
    status: RequestStatus | None = None
    kind: SurveyKind | None = None
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    ticket_id: int | None = Field(None, ge=1, le=MAX_ID)


# --- the operations ----------------------------------------------------------------------------

EVER = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))


def chosen(
    since: dt.date | None,
    until: dt.date | None,
    *,
    kind: str | None,
    tier: str | None,
    owner: str | None,
    account_id: int | None,
    default: tuple[dt.date, dt.date],
) -> SatisfactionFilters:
    start, end = since or default[0], until or default[1]
    return SatisfactionFilters(
        start=start,
        end=end,
        kind=kind or "",
        tier=tier or "",
        owner=owner or "",
        account=account_id,
    )


@router.get(
    "",
    response={200: Page[SurveyOut], **ERRORS_READ},
    summary="Survey answers you can see",
    description="Newest first. Filters combine with and.",
)
def list_surveys(request: HttpRequest, filters: Query[SurveyFilters]) -> dict[str, Any]:
    user = actor(request)
    wanted = chosen(
        filters.since,
        filters.until,
        kind=filters.kind,
        tier=filters.tier,
        owner=filters.owner,
        account_id=filters.account_id,
        default=EVER,
    )
    if wanted.end < wanted.start:
        return {"count": 0, "items": []}
    results = satisfaction_results(user, wanted) if wanted.tier else None
    rows = answer_rows(user, results) if results else answer_rows_plain(user, wanted)
    if filters.ticket_id is not None:
        rows = rows.filter(ticket_id=filters.ticket_id)
    if filters.low:
        from kam.service.survey_results import is_low_condition

        rows = rows.filter(is_low_condition())
    start = filters.offset
    return {"count": rows.count(), "items": list(rows[start : start + filters.limit])}


def answer_rows_plain(user: Any, filters: SatisfactionFilters) -> Any:
    from kam.service.survey_results import answers_in

    return (
        answers_in(user, filters)
        .select_related("account__owner", "contact", "ticket", "recorded_by", "follow_up__owner")
        .order_by("-responded_at", "-pk")
    )


@router.get(
    "/summary",
    response={200: SummaryOut, **ERRORS_READ},
    summary="Satisfaction figures: in total, by tier, by owner and by month",
    description="Answers, response rate (answered / asked), average CSAT, share satisfied "
    "(CSAT 4–5) and NPS (promoters 9–10 % − detractors 0–6 %) of the accounts you see, over "
    "a period (default: the last twelve months; 'until' before 'since' is an empty period). "
    "Tier and owner are the account's now.",
)
def summary(request: HttpRequest, filters: Query[SummaryFilters]) -> dict[str, Any]:
    user = actor(request)
    wanted = chosen(
        filters.since,
        filters.until,
        kind=filters.kind,
        tier=filters.tier,
        owner=filters.owner,
        account_id=filters.account_id,
        default=default_period(),
    )
    results = satisfaction_results(user, wanted)
    return {
        "since": wanted.start,
        "until": wanted.end,
        "total": figures_out(results.total),
        "by_tier": groups_out(results.by_tier),
        "by_owner": groups_out(results.by_owner),
        "by_month": groups_out(results.by_month),
    }


@router.get(
    "/requests",
    response={200: Page[RequestOut], **ERRORS_READ},
    summary="Surveys asked (requests) you can see",
    description="Newest first. The link's token is never shown (only its hash is kept).",
)
def list_requests(request: HttpRequest, filters: Query[RequestFilters]) -> dict[str, Any]:
    from django.utils import timezone

    user = actor(request)
    rows = visible_requests(user).select_related("account", "contact", "ticket", "created_by")
    if filters.status:
        rows = rows.filter(status_condition(filters.status, timezone.now()))
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    if filters.account_id is not None:
        rows = rows.filter(account_id=filters.account_id)
    if filters.ticket_id is not None:
        rows = rows.filter(ticket_id=filters.ticket_id)
    rows = rows.order_by("-created_at", "-pk")
    start = filters.offset
    return {"count": rows.count(), "items": list(rows[start : start + filters.limit])}


@router.get("/{survey_id}", response={200: SurveyOut, **ERRORS_ONE}, summary="One answer")
def read_survey(request: HttpRequest, survey_id: RecordId) -> Survey:
    return get_survey_for_user(actor(request), survey_id)


@router.post(
    "",
    response={201: SurveyOut, **ERRORS_CREATE},
    summary="Record a customer's answer (taken by phone or on a visit)",
    description="Colleagues who see the account (403 for analysts). It answers the open "
    "survey of the ticket (or of the contact's relationship survey), else a request is "
    "made for it. A low score plans a follow-up call for the account owner and tells them. "
    "422 names each bad field: at least one of csat and nps; a ticket survey is about a "
    "resolved or closed ticket of the account.",
)
def record(request: HttpRequest, payload: SurveyIn) -> Status[Survey]:
    user = actor(request)
    require_writer(user)
    account = visible_accounts(user).filter(external_id=payload.account).first()
    problems: list[Problem] = []
    if account is None:
        problems.append(
            Problem(None, "account", f"no account '{payload.account}' that you can see")
        )
    ticket = None
    if payload.ticket_id is not None:
        ticket = visible_tickets(user).filter(pk=payload.ticket_id).first()
        if ticket is None:
            problems.append(
                Problem(None, "ticket_id", f"no ticket {payload.ticket_id} that you can see")
            )
    if problems:
        raise RecordInvalid(problems)
    assert account is not None
    values = payload.model_dump(exclude={"account", "kind", "ticket_id"})
    survey = record_answer(
        actor=user,
        account=account,
        kind=payload.kind,
        values=values,
        ticket=ticket,
        contact_by="external_id",
        source="api",
    )
    return Status(201, get_survey_for_user(user, survey.pk))
