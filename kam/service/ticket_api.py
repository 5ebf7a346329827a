"""Tickets in the REST API (SVC-2): list, read, record, change, the workflow steps, the
handover and the history.

You see the tickets of the accounts you see, plus those you own, recorded or handed
over; others answer 404. Analysts read and change nothing (403). Whoever records a ticket
owns it; the owner changes only by POST …/handover, to a named active colleague with a
note. A step the ticket's status does not allow answers 409 and says from which statuses
it is allowed.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, File, Query, Router, Schema, Status, UploadedFile
from ninja.errors import HttpError
from pydantic import AfterValidator, StringConstraints, WithJsonSchema

from kam.accounts.services import visible_accounts
from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.models import User
from kam.core.schemas import (
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
)
from kam.dataio.records import Problem, RecordInvalid
from kam.insights.models import Tier
from kam.service.models import (
    OPEN_STATUSES,
    ClockKind,
    EventKind,
    SlaClock,
    SlaState,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from kam.service.sla import Clock, Clocks, ticket_clocks
from kam.service.tickets import (
    DESCRIPTION_MAX,
    NOTE_MAX,
    SLA_FILTERS,
    SORT_COLUMNS,
    SUBJECT_MAX,
    TEXT_MAX,
    TicketConflict,
    TicketFilters,
    act,
    add_attachment,
    attachment_response,
    change_ticket,
    comment,
    create_ticket,
    get_attachment_for_user,
    get_ticket_for_user,
    hand_over,
    search_tickets,
    ticket_history,
    with_clocks,
)

router = Router(tags=["tickets"])

# 409: the ticket's status does not allow the step (or the colleague owns it already).
ERRORS_STEP = ERRORS_CHANGE


def exactly(values: list[str]) -> AfterValidator:
    def check(value: str) -> str:
        if value not in values:
            raise ValueError(f"expected one of: {', '.join(values)}")
        return value

    return AfterValidator(check)


def codes(choices: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", "enum": list(choices.values)})


KindIn = Annotated[str, exactly(list(TicketKind.values)), codes(TicketKind)]
CategoryIn = Annotated[str, exactly(list(TicketCategory.values)), codes(TicketCategory)]
PriorityIn = Annotated[str, exactly(list(TicketPriority.values)), codes(TicketPriority)]
ChannelIn = Annotated[str, exactly(list(TicketChannel.values)), codes(TicketChannel)]
Subject = Annotated[str, StringConstraints(max_length=SUBJECT_MAX, pattern=NOT_BLANK)]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX, pattern=NO_NUL)]
Note = Annotated[str, StringConstraints(max_length=NOTE_MAX, pattern=NO_NUL)]
RequiredNote = Annotated[str, StringConstraints(max_length=NOTE_MAX, pattern=NOT_BLANK)]
LongText = Annotated[str, StringConstraints(max_length=TEXT_MAX, pattern=NOT_BLANK)]
ExternalId = Annotated[str, StringConstraints(max_length=64, pattern=NOT_BLANK)]
Username = Annotated[str, StringConstraints(max_length=150, pattern=NOT_BLANK)]


# --- what comes out ----------------------------------------------------------------------------


class ClockOut(Schema):
    state: SlaState = Field(
        description="on_track, at_risk (75% of the target used), breached (the target used "
        "up, still running), paused (waiting for the customer), met or missed (stopped)."
    )
    target_minutes: int = Field(description="Working minutes allowed.")
    used_seconds: int = Field(description="Working seconds counted so far (or until it stopped).")
    remaining_seconds: int = Field(description="Working seconds left; negative when overdue.")
    due_at: dt.datetime | None = Field(
        description="When the target is (was) used up; empty while paused before it."
    )
    paused: bool
    stopped_at: dt.datetime | None = Field(description="The first response / the resolution.")
    escalation_level: int = Field(
        description="Escalation reached: 0 none, 1 at risk, 2 breached, 3 directors."
    )


class SlaOut(Schema):
    state: SlaState = Field(description="The worse of the two clocks.")
    response: ClockOut
    resolution: ClockOut


class AttachmentOut(Schema):
    id: int
    name: str
    size: int
    content_type: str
    uploaded_at: dt.datetime
    uploaded_by: str | None = Field(description="The uploader's username.")
    download_url: str = Field(description="A web page address (a logged-in session downloads).")

    @staticmethod
    def resolve_uploaded_by(file: TicketAttachment) -> str | None:
        return file.uploaded_by.username if file.uploaded_by else None

    @staticmethod
    def resolve_download_url(file: TicketAttachment) -> str:
        from django.urls import reverse

        return reverse("tickets:download", args=[file.ticket_id, file.pk])


class TicketOut(Schema):
    id: int
    number: str = Field(description="T- and six digits, assigned when recorded.")
    account_id: int
    account: str = Field(description="The account's name.")
    account_external_id: str | None
    contact_id: int | None
    contact: str | None = Field(description="The customer contact's name.")
    kind: TicketKind
    category: TicketCategory
    priority: TicketPriority
    channel: TicketChannel
    subject: str
    description: str
    status: TicketStatus
    owner: str = Field(description="The owner's username (never empty).")
    owner_active: bool = Field(description="False: the owner was deactivated; reassign it.")
    recorded_by: str = Field(description="Who recorded it (the first owner).")
    created_at: dt.datetime
    updated_at: dt.datetime
    first_response_at: dt.datetime | None
    resolved_at: dt.datetime | None
    closed_at: dt.datetime | None
    reopen_count: int
    resolution: str = Field(description="How it was resolved.")
    tier: Tier = Field(description="The tier whose policy's targets are in force.")
    clock: ClockKind = Field(description="business: the business calendar; always: 24×7.")
    sla: SlaOut
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_number(ticket: Ticket) -> str:
        return ticket.number or ""

    @staticmethod
    def resolve_account(ticket: Ticket) -> str:
        return ticket.account.name

    @staticmethod
    def resolve_account_external_id(ticket: Ticket) -> str | None:
        return ticket.account.external_id

    @staticmethod
    def resolve_contact(ticket: Ticket) -> str | None:
        return ticket.contact.name if ticket.contact else None

    @staticmethod
    def resolve_owner(ticket: Ticket) -> str:
        return ticket.owner.username

    @staticmethod
    def resolve_owner_active(ticket: Ticket) -> bool:
        return ticket.owner.is_active

    @staticmethod
    def resolve_recorded_by(ticket: Ticket) -> str:
        return ticket.recorded_by.username

    @staticmethod
    def resolve_sla(ticket: Ticket) -> dict[str, Any]:
        clocks: Clocks = getattr(ticket, "clocks", None) or ticket_clocks(ticket)
        return {
            "state": clocks.worst,
            "response": clock_out(clocks.response, ticket.response_escalation),
            "resolution": clock_out(clocks.resolution, ticket.resolution_escalation),
        }

    @staticmethod
    def resolve_attachments(ticket: Ticket) -> list[TicketAttachment]:
        return list(ticket.attachments.all())


def clock_out(clock: Clock, level: int) -> dict[str, Any]:
    return {
        "state": clock.state,
        "target_minutes": clock.target // 60,
        "used_seconds": clock.used,
        "remaining_seconds": clock.remaining,
        "due_at": clock.due_at,
        "paused": clock.paused,
        "stopped_at": clock.stopped_at,
        "escalation_level": level,
    }


class EventOut(Schema):
    id: int
    kind: EventKind
    at: dt.datetime
    actor: str | None = Field(description="Who (username); empty for the system's SLA check.")
    from_status: TicketStatus | None
    to_status: TicketStatus | None
    from_user: str | None = Field(description="A handover's previous owner.")
    to_user: str | None = Field(description="A handover's new owner.")
    clock: SlaClock | None = Field(description="An escalation's clock.")
    level: int | None = Field(description="An escalation's level (1–3).")
    note: str
    data: dict[str, Any] = Field(
        description="Details: targets before and after a change and why, who an escalation "
        "told, the fields a change changed."
    )

    @staticmethod
    def resolve_actor(event: TicketEvent) -> str | None:
        return event.actor.username if event.actor else None

    @staticmethod
    def resolve_from_status(event: TicketEvent) -> str | None:
        return event.from_status or None

    @staticmethod
    def resolve_to_status(event: TicketEvent) -> str | None:
        return event.to_status or None

    @staticmethod
    def resolve_from_user(event: TicketEvent) -> str | None:
        return event.from_user.username if event.from_user else None

    @staticmethod
    def resolve_to_user(event: TicketEvent) -> str | None:
        return event.to_user.username if event.to_user else None

    @staticmethod
    def resolve_clock(event: TicketEvent) -> str | None:
        return event.clock or None


# --- what goes in ------------------------------------------------------------------------------


class TicketCreate(InputSchema):
    """Fields left out take their defaults; null is refused except for contact."""

    account: ExternalId = Field(description="The account's external_id.")
    contact: ExternalId | None = Field(
        None, description="A contact of the account, by external_id."
    )
    kind: KindIn = Field("request", description="Default: request.")
    category: CategoryIn = Field("other", description="Default: other.")
    priority: PriorityIn = Field("normal", description="Default: normal.")
    channel: ChannelIn = Field("phone", description="Default: phone.")
    subject: Subject
    description: Description = Field("", description="Default: empty.")


class TicketPatch(InputSchema):
    """Only the fields sent change (null is refused, except contact: null removes the
    contact). The owner changes only by a handover, the status only by the steps."""

    # The defaults are never used: only the fields sent are read (exclude_unset).
    contact: ExternalId | None = Field(None, description="A contact of the account, or null.")
    kind: KindIn = "request"
    category: CategoryIn = "other"
    priority: PriorityIn = "normal"
    channel: ChannelIn = "phone"
    subject: Subject = "-"
    description: Description = ""


class StepIn(InputSchema):
    note: Note | None = Field(None, description="What was done or said (optional).")


class ResolveIn(InputSchema):
    resolution: LongText = Field(description="How it was resolved.")
    note: Note | None = None


class ReopenIn(InputSchema):
    note: RequiredNote = Field(description="Why it is reopened.")


class CommentIn(InputSchema):
    text: LongText


class HandoverIn(InputSchema):
    owner: Username = Field(description="The colleague who takes it over (username).")
    note: RequiredNote = Field(description="A note for the new owner.")


class TicketFiltersIn(PageParams):
    q: str | None = Field(
        None, max_length=100, pattern=NO_NUL, description="Part of the number, subject or account."
    )
    open: bool = Field(False, description="Only open tickets (not resolved or closed).")
    status: TicketStatus | None = None
    kind: TicketKind | None = None
    priority: TicketPriority | None = None
    category: TicketCategory | None = None
    sla: SlaState | None = Field(
        None,
        description="The worse clock's state: on_track, at_risk, breached (open tickets), "
        "met or missed (resolved and closed ones). paused matches none.",
    )
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL, description="Username.")
    account_id: int | None = Field(None, ge=1, le=MAX_ID)
    mine: bool = Field(False, description="Only the tickets you own.")
    orphaned: bool = Field(False, description="Only open tickets of deactivated owners.")
    sort: str | None = Field(
        None,
        pattern=r"^-?(" + "|".join(SORT_COLUMNS) + r")$",
        description="created, number, updated, due or priority; '-' for descending "
        "(default: -created).",
    )


# --- the operations ----------------------------------------------------------------------------


def with_references(rows: Any) -> Any:
    return rows.select_related("account", "owner", "recorded_by", "contact").prefetch_related(
        "attachments__uploaded_by"
    )


@router.get(
    "",
    response={200: Page[TicketOut], **ERRORS_READ},
    summary="Tickets you can see",
    description="Newest first unless sorted otherwise. Filters combine with and.",
)
def list_tickets(request: HttpRequest, filters: Query[TicketFiltersIn]) -> dict[str, Any]:
    user = actor(request)
    rows, _sort = search_tickets(
        user,
        TicketFilters(
            q=filters.q or "",
            status=filters.status or "",
            kind=filters.kind or "",
            priority=filters.priority or "",
            category=filters.category or "",
            sla=filters.sla or "",
            owner=filters.owner or "",
            account=filters.account_id,
            mine=filters.mine,
            orphaned=filters.orphaned,
            sort=filters.sort or "",
        ),
    )
    if filters.open:
        rows = rows.filter(status__in=OPEN_STATUSES)
    if filters.sla and filters.sla not in SLA_FILTERS:
        rows = rows.none()  # no ticket as a whole is "paused"
    start = filters.offset
    items = with_clocks(with_references(rows)[start : start + filters.limit])
    return {"count": rows.count(), "items": items}


def one(user: User, ticket_id: int, *, for_write: bool = False) -> Ticket:
    return get_ticket_for_user(user, ticket_id, for_write=for_write)


def fresh(user: User, ticket: Ticket) -> Ticket:
    """The ticket as it is now, with what the answer shows."""
    return with_references(Ticket.objects.filter(pk=ticket.pk)).get()


@router.get("/{ticket_id}", response={200: TicketOut, **ERRORS_ONE}, summary="One ticket")
def read_ticket(request: HttpRequest, ticket_id: RecordId) -> Ticket:
    user = actor(request)
    return fresh(user, one(user, ticket_id))


@router.post(
    "",
    response={201: TicketOut, **ERRORS_CREATE},
    summary="Record a ticket (you own it)",
    description="Whoever records a ticket owns it (first-contact accountability) until "
    "handing it over. Its SLA targets come from the account's tier policy (basic when the "
    "account has no tier yet). The account and contact are named by external_id.",
)
def record_ticket(request: HttpRequest, payload: TicketCreate) -> Status[Ticket]:
    user = actor(request)
    require_writer(user)
    account = visible_accounts(user).filter(external_id=payload.account).first()
    if account is None:
        raise RecordInvalid(
            [Problem(None, "account", f"no account '{payload.account}' that you can see")]
        )
    values = payload.model_dump(exclude_unset=True, exclude={"account"})
    ticket = create_ticket(
        actor=user, account=account, values=values, source="api", contact_by="external_id"
    )
    return Status(201, fresh(user, ticket))


@router.patch(
    "/{ticket_id}",
    response={200: TicketOut, **ERRORS_CHANGE},
    summary="Change what a ticket is about (its owner, their manager, directors)",
    description="The owner changes only by POST /tickets/{id}/handover; the status only by "
    "the workflow steps. 409 for a closed ticket.",
)
def change(request: HttpRequest, ticket_id: RecordId, payload: TicketPatch) -> Ticket:
    user = actor(request)
    ticket = one(user, ticket_id, for_write=True)
    values = payload.model_dump(exclude_unset=True)
    conflict_free(
        lambda: change_ticket(
            actor=user, ticket=ticket, values=values, source="api", contact_by="external_id"
        )
    )
    return fresh(user, ticket)


def conflict_free(call: Any) -> Any:
    try:
        return call()
    except TicketConflict as conflict:
        raise HttpError(409, str(conflict)) from None


def step(request: HttpRequest, ticket_id: int, action: str, **texts: str | None) -> Ticket:
    user = actor(request)
    ticket = one(user, ticket_id, for_write=True)
    conflict_free(
        lambda: act(
            actor=user,
            ticket=ticket,
            action=action,
            note=texts.get("note") or "",
            resolution=texts.get("resolution") or "",
            source="api",
        )
    )
    return fresh(user, ticket)


STEP_DESCRIPTION = (
    "Only the ticket's owner, their sales manager or a director (403 for others); 409 when "
    "the ticket's status does not allow this step."
)


@router.post(
    "/{ticket_id}/respond",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Respond: new → in progress (stops the first-response clock)",
    description=STEP_DESCRIPTION,
)
def respond(request: HttpRequest, ticket_id: RecordId, payload: StepIn) -> Ticket:
    return step(request, ticket_id, "respond", note=payload.note)


@router.post(
    "/{ticket_id}/wait",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Wait for the customer (pauses the resolution clock)",
    description="From new or in progress. Asking the customer counts as the first "
    "response. " + STEP_DESCRIPTION,
)
def wait(request: HttpRequest, ticket_id: RecordId, payload: StepIn) -> Ticket:
    return step(request, ticket_id, "wait", note=payload.note)


@router.post(
    "/{ticket_id}/resume",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Resume: waiting for the customer → in progress",
    description=STEP_DESCRIPTION,
)
def resume(request: HttpRequest, ticket_id: RecordId, payload: StepIn) -> Ticket:
    return step(request, ticket_id, "resume", note=payload.note)


@router.post(
    "/{ticket_id}/resolve",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Resolve, saying how (stops the resolution clock)",
    description=STEP_DESCRIPTION,
)
def resolve(request: HttpRequest, ticket_id: RecordId, payload: ResolveIn) -> Ticket:
    return step(request, ticket_id, "resolve", note=payload.note, resolution=payload.resolution)


@router.post(
    "/{ticket_id}/close",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Close a resolved ticket",
    description=STEP_DESCRIPTION,
)
def close(request: HttpRequest, ticket_id: RecordId, payload: StepIn) -> Ticket:
    return step(request, ticket_id, "close", note=payload.note)


@router.post(
    "/{ticket_id}/reopen",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Reopen a resolved or closed ticket, saying why",
    description="The resolution clock stood still while it was resolved and runs on. "
    + STEP_DESCRIPTION,
)
def reopen(request: HttpRequest, ticket_id: RecordId, payload: ReopenIn) -> Ticket:
    return step(request, ticket_id, "reopen", note=payload.note)


@router.post(
    "/{ticket_id}/comment",
    response={201: EventOut, **ERRORS_STEP},
    summary="Comment on a ticket (anyone who sees it and writes)",
)
def add_comment(request: HttpRequest, ticket_id: RecordId, payload: CommentIn) -> Status[Any]:
    user = actor(request)
    ticket = one(user, ticket_id, for_write=True)
    return Status(201, comment(actor=user, ticket=ticket, text=payload.text, source="api"))


@router.post(
    "/{ticket_id}/handover",
    response={200: TicketOut, **ERRORS_STEP},
    summary="Hand a ticket over to a named colleague, with a note",
    description="Only the owner, the owner's sales manager or a director (403 for others). "
    "The colleague must be active and not read-only (422 naming the field 'owner'); 409 "
    "when they own it already or the ticket is closed. The new owner is notified.",
)
def handover(request: HttpRequest, ticket_id: RecordId, payload: HandoverIn) -> Ticket:
    user = actor(request)
    ticket = one(user, ticket_id, for_write=True)
    to = User.objects.filter(username=payload.owner).first()
    if to is None:
        raise RecordInvalid([Problem(None, "owner", f"no colleague '{payload.owner}'")])
    conflict_free(
        lambda: hand_over(actor=user, ticket=ticket, to=to, note=payload.note, source="api")
    )
    return fresh(user, ticket)


@router.post(
    "/{ticket_id}/attachments",
    response={201: AttachmentOut, **ERRORS_STEP},
    summary="Attach a file to a ticket (multipart form, field 'file')",
    description="Anyone who sees the ticket and writes. PDF, images (PNG, JPEG, GIF, WebP), "
    "Office documents, text, CSV and ZIP up to KAM_UPLOAD_MAX_MB; the content must match "
    "the file's extension (422 naming the field 'file' otherwise). Recorded in the history.",
)
def attach(request: HttpRequest, ticket_id: RecordId, file: File[UploadedFile]) -> Status[Any]:
    user = actor(request)
    ticket = one(user, ticket_id, for_write=True)
    found = add_attachment(actor=user, ticket=ticket, upload=file, source="api")
    return Status(201, found)


@router.get(
    "/{ticket_id}/attachments/{attachment_id}",
    response={200: None, **ERRORS_ONE},
    summary="Download an attachment of a ticket",
    description="The file itself, with its type; 404 when the ticket or the file is not "
    "there for you.",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def download(request: HttpRequest, ticket_id: RecordId, attachment_id: RecordId) -> HttpResponse:
    found = get_attachment_for_user(actor(request), ticket_id, attachment_id)
    return attachment_response(found)  # type: ignore[return-value]


@router.get(
    "/{ticket_id}/history",
    response={200: Page[EventOut], **ERRORS_ONE},
    summary="A ticket's history, oldest first",
)
def history(request: HttpRequest, ticket_id: RecordId, params: Query[PageParams]) -> dict[str, Any]:
    ticket = one(actor(request), ticket_id)
    rows = ticket_history(ticket)
    start = params.offset
    return {"count": rows.count(), "items": list(rows[start : start + params.limit])}
