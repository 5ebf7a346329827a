"""Tickets and complaints (SVC-2): who sees which, who may do what, and every write.

First-contact accountability (首问负责制): whoever records a ticket owns it. The owner is
never empty — the column is NOT NULL with PROTECT, `create_ticket` makes the recorder the
owner, and `hand_over` refuses a missing, deactivated or read-only colleague. Only the
owner, the owner's sales manager, or a director (administrator) hands a ticket over, to a
named colleague with a note; the handover is a history row and the new owner is told.

The status workflow (`TRANSITIONS`):

    new ──respond──► in_progress ──wait──► waiting_customer ──resume──► in_progress
    new / in_progress / waiting_customer ──resolve──► resolved ──close──► closed
    resolved / closed ──reopen──► in_progress

Every step is a TicketEvent and an audit event; a step the status does not allow raises
TransitionRefused (the API answers 409). Writes are atomic and lock the ticket row.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, Role, User
from kam.dataio.records import Problem, RecordInvalid
from kam.service.models import (
    OPEN_STATUSES,
    EventKind,
    PauseReason,
    ServicePolicy,
    Ticket,
    TicketAttachment,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketPause,
    TicketPriority,
    TicketStatus,
)
from kam.service.sla import Calendars, refresh_due, ticket_clocks

SUBJECT_MAX = 200
DESCRIPTION_MAX = 10_000
NOTE_MAX = 2_000
TEXT_MAX = 10_000


class TicketConflict(Exception):
    """The request does not fit the ticket as it is now (the API answers 409)."""


class TransitionRefused(TicketConflict):
    """The status does not allow this step."""


# --- visibility ----------------------------------------------------------------------------


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Tickets of the accounts the user sees (account_scope), plus those the user owns,
    recorded or handed over; a sales manager also sees those owned by the team. Service
    staff see the tickets of the accounts they serve (on the account team) that way, and
    the ones handed to them."""
    tickets = Ticket.objects.all()
    if not user.is_authenticated or not user.is_active:
        return tickets.none()
    scope = account_scope(user, prefix="account__")
    if scope is None:
        return tickets
    handed = TicketEvent.objects.filter(kind=EventKind.HANDED_OVER, from_user=user)
    mine = Q(owner=user) | Q(recorded_by=user) | Q(pk__in=handed.values("ticket_id"))
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        mine |= Q(owner__team_id=user.team_id)
    return tickets.filter(scope | mine)


def get_ticket_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Ticket:
    """The ticket if `user` may see it (and write, with for_write), else 404 — unknown and
    invisible tickets look the same."""
    try:
        ticket = (
            visible_tickets(user)
            .select_related("account__owner", "contact", "owner", "recorded_by")
            .get(pk=pk)
        )
    except (Ticket.DoesNotExist, ValueError, TypeError):
        raise Http404("No such ticket") from None
    if for_write:
        require_writer(user)
    return ticket


def get_attachment_for_user(user: User, ticket_pk: int | str, pk: int | str) -> TicketAttachment:
    ticket = get_ticket_for_user(user, ticket_pk)
    try:
        return ticket.attachments.get(pk=pk)
    except (TicketAttachment.DoesNotExist, ValueError, TypeError):
        raise Http404("No such attachment") from None


# --- who may do what ---------------------------------------------------------------------


def attachment_response(found: TicketAttachment) -> FileResponse:
    """The attachment's file as a download that a browser never renders in the app's
    origin (nosniff, a sandboxing policy); Http404 when the file is gone from storage."""
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404("The file is missing") from None
    response = FileResponse(
        handle, as_attachment=True, filename=found.name, content_type=found.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def is_director(user: User) -> bool:
    return user.is_superuser or user.role in {Role.ADMINISTRATOR, Role.DIRECTOR}


def manages_owner(user: User, owner: User) -> bool:
    """The owner's sales manager (same team)."""
    return (
        user.role == Role.SALES_MANAGER
        and user.team_id is not None
        and owner.team_id == user.team_id
    )


def may_manage_ticket(user: User, ticket: Ticket) -> bool:
    """The owner, the owner's sales manager, directors and administrators move a ticket
    through its workflow and hand it over."""
    if not user.is_authenticated or not user.is_active or user.is_read_only:
        return False
    if is_director(user) or ticket.owner_id == user.pk:
        return True
    return manages_owner(user, ticket.owner)


def may_contribute(user: User, ticket: Ticket) -> bool:
    """Anyone who sees the ticket and writes may comment and attach files."""
    return user.is_authenticated and user.is_active and not user.is_read_only


def may_record_tickets(user: User) -> bool:
    return user.is_authenticated and user.is_active and not user.is_read_only


def require_manager(user: User, ticket: Ticket, what: str) -> None:
    require_writer(user)
    if not may_manage_ticket(user, ticket):
        raise PermissionDenied(
            f"only the ticket's owner, their sales manager or a director may {what}"
        )


def handover_candidates(ticket: Ticket | None = None) -> QuerySet[User]:
    """Colleagues who can take a ticket over: active, writing, not the owner already."""
    people = (
        User.objects.filter(is_active=True)
        .exclude(role=Role.ANALYST, is_superuser=False)
        .order_by("first_name", "last_name", "username")
    )
    return people.exclude(pk=ticket.owner_id) if ticket is not None else people


def orphaned_tickets(user: User) -> QuerySet[Ticket]:
    """Open tickets whose owner has been deactivated and that `user` may reassign (the
    owner's sales manager, directors): a ticket is never silently ownerless."""
    tickets = visible_tickets(user).filter(status__in=OPEN_STATUSES, owner__is_active=False)
    if not user.is_active or user.is_read_only:
        return tickets.none()
    if is_director(user):
        return tickets
    if user.role == Role.SALES_MANAGER and user.team_id is not None:
        return tickets.filter(owner__team_id=user.team_id)
    return tickets.none()


# --- the workflow -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str
    label: Promise


TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("respond", (TicketStatus.NEW,), TicketStatus.IN_PROGRESS, _("Respond")),
        Transition(
            "wait",
            (TicketStatus.NEW, TicketStatus.IN_PROGRESS),
            TicketStatus.WAITING_CUSTOMER,
            _("Wait for the customer"),
        ),
        Transition(
            "resume", (TicketStatus.WAITING_CUSTOMER,), TicketStatus.IN_PROGRESS, _("Resume")
        ),
        Transition("resolve", OPEN_STATUSES, TicketStatus.RESOLVED, _("Resolve")),
        Transition("close", (TicketStatus.RESOLVED,), TicketStatus.CLOSED, _("Close")),
        Transition(
            "reopen",
            (TicketStatus.RESOLVED, TicketStatus.CLOSED),
            TicketStatus.IN_PROGRESS,
            _("Reopen"),
        ),
    )
}


def allowed_actions(user: User, ticket: Ticket) -> list[str]:
    """The workflow steps `user` may take on the ticket now."""
    if not may_manage_ticket(user, ticket):
        return []
    return [name for name, t in TRANSITIONS.items() if ticket.status in t.sources]


def check_transition(ticket: Ticket, action: str) -> Transition:
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"unknown action '{action}'")
    if ticket.status not in transition.sources:
        allowed = ", ".join(str(TicketStatus(s).label).lower() for s in transition.sources)
        raise TransitionRefused(
            f"cannot {action} ticket {ticket.number}: it is "
            f"{str(TicketStatus(ticket.status).label).lower()} (allowed from: {allowed})"
        )
    return transition


# --- checking input -------------------------------------------------------------------------

CHOICES = {
    "kind": TicketKind,
    "category": TicketCategory,
    "priority": TicketPriority,
    "channel": TicketChannel,
}
DEFAULTS = {
    "kind": TicketKind.REQUEST,
    "category": TicketCategory.OTHER,
    "priority": TicketPriority.NORMAL,
    "channel": TicketChannel.PHONE,
    "subject": "",
    "description": "",
    "contact": None,
}
EDITABLE = list(DEFAULTS)


def ticket_values(ticket: Ticket) -> dict[str, Any]:
    """The editable fields as they are: the base of a partial change."""
    return {
        "kind": ticket.kind,
        "category": ticket.category,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "subject": ticket.subject,
        "description": ticket.description,
        "contact": ticket.contact,
    }


def clean_ticket(
    data: Mapping[str, Any], *, account: Account, contact_by: str = "pk"
) -> dict[str, Any]:
    """Check a ticket's editable fields; RecordInvalid names each bad field. `contact` is
    a Contact, empty, or a reference (its id, or with contact_by="external_id" its
    external id) to a contact of the account."""
    problems: list[Problem] = []
    clean: dict[str, Any] = {}
    for name, choices in CHOICES.items():
        value = str(data.get(name) or DEFAULTS[name]).strip()
        if value not in choices.values:
            codes = ", ".join(str(code) for code in choices.values)
            problems.append(
                Problem(None, name, f"unknown value '{value}' (expected one of: {codes})")
            )
        clean[name] = value
    subject = str(data.get("subject") or "").strip()
    if not subject:
        problems.append(Problem(None, "subject", "missing value (expected what it is about)"))
    elif len(subject) > SUBJECT_MAX:
        problems.append(
            Problem(None, "subject", f"too long (expected at most {SUBJECT_MAX} characters)")
        )
    clean["subject"] = subject
    description = str(data.get("description") or "").strip()
    if len(description) > DESCRIPTION_MAX:
        problems.append(
            Problem(
                None, "description", f"too long (expected at most {DESCRIPTION_MAX} characters)"
            )
        )
    clean["description"] = description
    clean["contact"] = find_contact(account, data.get("contact"), contact_by, problems)
    for name in ("subject", "description"):
        if "\x00" in clean[name]:
            problems.append(Problem(None, name, "not text (expected text without NUL characters)"))
    if problems:
        raise RecordInvalid(problems)
    return clean


def find_contact(account: Account, key: Any, by: str, problems: list[Problem]) -> Contact | None:
    if key is None or key == "":
        return None
    if isinstance(key, Contact):
        if key.account_id != account.pk:
            problems.append(
                Problem(None, "contact", f"{key.name} is not a contact of {account.name}")
            )
            return None
        return key
    contacts = Contact.objects.filter(account=account)
    found = None
    if by == "external_id":
        found = contacts.filter(external_id=str(key)).first()
    elif str(key).isdigit():
        found = contacts.filter(pk=int(key)).first()
    if found is None:
        problems.append(
            Problem(
                None,
                "contact",
                f"no contact '{key}' at {account.name} (expected one of its contacts)",
            )
        )
    return found


def clean_text(value: Any, field: str, limit: int, *, required: bool, expected: str) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise RecordInvalid([Problem(None, field, f"missing value (expected {expected})")])
    if len(text) > limit:
        raise RecordInvalid(
            [Problem(None, field, f"too long (expected at most {limit} characters)")]
        )
    if "\x00" in text:
        raise RecordInvalid(
            [Problem(None, field, "not text (expected text without NUL characters)")]
        )
    return text


# --- writing ------------------------------------------------------------------------------

AUDIT_FIELDS = [
    "number",
    "account",
    "contact",
    "kind",
    "category",
    "priority",
    "channel",
    "subject",
    "description",
    "status",
    "owner",
    "tier",
    "clock",
    "response_minutes",
    "resolution_minutes",
    "resolution",
    "reopen_count",
]


def snapshot(ticket: Ticket) -> dict[str, Any]:
    names = [n for n in AUDIT_FIELDS if n not in {"account", "contact", "owner"}]
    values = audit.snapshot(ticket, names)
    values["account"] = ticket.account.external_id or ticket.account.name
    values["contact"] = ticket.contact.name if ticket.contact_id and ticket.contact else None
    values["owner"] = ticket.owner.username
    return values


def record(
    *,
    actor: User | None,
    ticket: Ticket,
    action: str,
    changes: dict[str, list[Any]],
    source: str,
) -> None:
    audit.record(
        actor=actor,
        action=action,
        instance=ticket,
        changes=changes,
        account_id=ticket.account_id,
        source=source,
    )


def add_event(
    ticket: Ticket, kind: str, *, actor: User | None, at: dt.datetime, **fields: Any
) -> TicketEvent:
    return TicketEvent.objects.create(
        ticket=ticket, kind=kind, actor=actor if actor and actor.pk else None, at=at, **fields
    )


def locked(ticket: Ticket) -> Ticket:
    """The ticket re-read under a row lock (writes never work on a stale copy). Only the
    ticket's row is locked: PostgreSQL cannot lock the nullable side of an outer join."""
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("account__owner", "contact", "owner", "recorded_by")
        .get(pk=ticket.pk)
    )


def settle_clocks(ticket: Ticket, now: dt.datetime) -> None:
    refresh_due(ticket, pauses=list(ticket.pauses.all()), now=now)


def create_ticket(
    *,
    actor: User,
    account: Account,
    values: Mapping[str, Any],
    now: dt.datetime | None = None,
    upload: UploadedFile | None = None,
    source: str = "web",
    contact_by: str = "pk",
) -> Ticket:
    """Record a ticket for `account`: the recorder owns it (first contact), under the
    targets of the account's tier policy (basic without a tier)."""
    from kam.service.policies import account_tier, policy_for_tier

    require_writer(actor)
    if actor.pk is None or not actor.is_active:
        raise PermissionDenied("only an active colleague records and owns tickets")
    clean = clean_ticket(values, account=account, contact_by=contact_by)
    if upload is not None:
        check_upload(upload)
    now = now or timezone.now()
    tier = account_tier(account)
    policy = policy_for_tier(tier)
    with transaction.atomic():
        ticket = Ticket(
            account=account,
            owner=actor,
            recorded_by=actor,
            created_at=now,
            updated_at=now,
            tier=tier,
            clock=policy.clock,
            response_minutes=policy.first_response_minutes,
            resolution_minutes=policy.resolution_minutes,
            **clean,
        )
        refresh_due(ticket, pauses=[], now=now)
        ticket.save()
        ticket.number = f"T-{ticket.pk:06d}"
        ticket.save(update_fields=["number"])
        add_event(
            ticket,
            EventKind.CREATED,
            actor=actor,
            at=now,
            to_status=TicketStatus.NEW,
            to_user=actor,
            data=targets_of(ticket),
        )
        record(
            actor=actor,
            ticket=ticket,
            action=AuditAction.CREATE,
            changes=audit.created(snapshot(ticket)),
            source=source,
        )
        if upload is not None:
            add_attachment(actor=actor, ticket=ticket, upload=upload, now=now, source=source)
    return ticket


def targets_of(ticket: Ticket) -> dict[str, Any]:
    return {
        "tier": ticket.tier,
        "clock": ticket.clock,
        "response_minutes": ticket.response_minutes,
        "resolution_minutes": ticket.resolution_minutes,
    }


def change_ticket(
    *,
    actor: User,
    ticket: Ticket,
    values: Mapping[str, Any],
    source: str = "web",
    contact_by: str = "pk",
) -> Ticket:
    """Change what the ticket is about (kind, category, priority, channel, subject,
    description, contact). The owner changes only by handing over."""
    require_writer(actor)
    if "owner" in values:
        raise RecordInvalid(
            [Problem(None, "owner", "the owner changes only by a handover to a named colleague")]
        )
    with transaction.atomic():
        target = locked(ticket)
        require_manager(actor, target, "change it")
        if target.status == TicketStatus.CLOSED:
            raise TicketConflict(f"ticket {target.number} is closed; reopen it to change it")
        clean = clean_ticket(
            {**ticket_values(target), **values}, account=target.account, contact_by=contact_by
        )
        before = snapshot(target)
        for name, value in clean.items():
            setattr(target, name, value)
        now = timezone.now()
        changes = audit.diff(before, snapshot(target))
        if changes:
            target.updated_at = now
            target.save()
            add_event(target, EventKind.CHANGED, actor=actor, at=now, data={"changes": changes})
            record(
                actor=actor,
                ticket=target,
                action=AuditAction.UPDATE,
                changes=changes,
                source=source,
            )
    return target


def act(
    *,
    actor: User,
    ticket: Ticket,
    action: str,
    note: str = "",
    resolution: str = "",
    now: dt.datetime | None = None,
    source: str = "web",
) -> Ticket:
    """Take one workflow step (respond, wait, resume, resolve, close, reopen)."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise TransitionRefused(f"unknown action '{action}'")
    require_writer(actor)
    note = clean_text(
        note,
        "note",
        NOTE_MAX,
        required=action == "reopen",
        expected="why the ticket is reopened",
    )
    if action == "resolve":
        resolution = clean_text(
            resolution, "resolution", TEXT_MAX, required=True, expected="how it was resolved"
        )
    now = now or timezone.now()
    with transaction.atomic():
        target = locked(ticket)
        require_manager(actor, target, f"take the step '{action}'")
        check_transition(target, action)
        before = snapshot(target)
        STEPS[action](target, actor=actor, note=note, resolution=resolution, now=now)
        target.status = transition.target
        target.updated_at = now
        settle_clocks(target, now)
        target.save()
        record(
            actor=actor,
            ticket=target,
            action=AuditAction.UPDATE,
            changes=audit.diff(before, snapshot(target)),
            source=source,
        )
    return target


def _first_response(ticket: Ticket, actor: User, now: dt.datetime, note: str, how: str) -> None:
    """The first response: responding, or asking the customer for something (wait), or
    resolving at once. The response clock stops."""
    if ticket.first_response_at is not None:
        return
    ticket.first_response_at = now
    add_event(
        ticket,
        EventKind.RESPONDED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.IN_PROGRESS if how == "respond" else "",
        note=note,
        data={} if how == "respond" else {"by": how},
    )


def _respond(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    _first_response(ticket, actor, now, note, "respond")


def _wait(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    _first_response(ticket, actor, now, "", "wait")
    TicketPause.objects.create(ticket=ticket, reason=PauseReason.WAITING, started_at=now)
    add_event(
        ticket,
        EventKind.PAUSED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.WAITING_CUSTOMER,
        note=note,
    )


def _end_pauses(ticket: Ticket, now: dt.datetime) -> None:
    TicketPause.objects.filter(ticket=ticket, ended_at__isnull=True).update(ended_at=now)


def _resume(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    _end_pauses(ticket, now)
    add_event(
        ticket,
        EventKind.RESUMED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.IN_PROGRESS,
        note=note,
    )


def _resolve(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    _first_response(ticket, actor, now, "", "resolve")
    _end_pauses(ticket, now)
    ticket.resolved_at = now
    ticket.resolution = resolution
    add_event(
        ticket,
        EventKind.RESOLVED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.RESOLVED,
        note=resolution,
        data={"note": note} if note else {},
    )


def _close(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    ticket.closed_at = now
    add_event(
        ticket,
        EventKind.CLOSED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.CLOSED,
        note=note,
    )
    # SVC-3: once the close is committed, the ticket's contact is asked how it went.
    from kam.service.surveys import after_close

    transaction.on_commit(partial(after_close, ticket.pk))


def _reopen(ticket: Ticket, *, actor: User, note: str, resolution: str, now: dt.datetime) -> None:
    # The resolution clock stood still while the ticket was resolved; it runs on now.
    TicketPause.objects.create(
        ticket=ticket,
        reason=PauseReason.RESOLVED,
        started_at=ticket.resolved_at or now,
        ended_at=now,
    )
    ticket.resolved_at = None
    ticket.closed_at = None
    ticket.resolution = ""
    ticket.reopen_count += 1
    add_event(
        ticket,
        EventKind.REOPENED,
        actor=actor,
        at=now,
        from_status=ticket.status,
        to_status=TicketStatus.IN_PROGRESS,
        note=note,
    )
    # SVC-3: a survey not answered yet is withdrawn; the next close asks again.
    from kam.service.surveys import withdraw_ticket_requests

    withdraw_ticket_requests(ticket, actor=actor, now=now, reason="the ticket was reopened")


STEPS = {
    "respond": _respond,
    "wait": _wait,
    "resume": _resume,
    "resolve": _resolve,
    "close": _close,
    "reopen": _reopen,
}


def comment(
    *,
    actor: User,
    ticket: Ticket,
    text: str,
    now: dt.datetime | None = None,
    source: str = "web",
) -> TicketEvent:
    """A note in the ticket's history, by anyone who sees it and writes."""
    require_writer(actor)
    text = clean_text(text, "text", TEXT_MAX, required=True, expected="the comment")
    now = now or timezone.now()
    with transaction.atomic():
        target = locked(ticket)
        target.updated_at = now
        target.save(update_fields=["updated_at"])
        event = add_event(target, EventKind.COMMENTED, actor=actor, at=now, note=text)
        record(
            actor=actor,
            ticket=target,
            action=AuditAction.UPDATE,
            changes={"comment": [None, text[:200]]},
            source=source,
        )
    return event


def hand_over(
    *,
    actor: User,
    ticket: Ticket,
    to: User | None,
    note: str,
    now: dt.datetime | None = None,
    source: str = "web",
) -> Ticket:
    """Give the ticket to a named active colleague, with a note for them. Only the owner,
    the owner's sales manager, or a director may; the new owner is told."""
    from kam.notifications.services import notify

    require_manager(actor, ticket, "hand it over")  # checked again on the locked row
    problems: list[Problem] = []
    if to is None:
        problems.append(
            Problem(
                None,
                "owner",
                "missing value (expected the colleague who takes it over; "
                "a ticket always has an owner)",
            )
        )
    elif not to.is_active:
        problems.append(
            Problem(None, "owner", f"{to.username} is deactivated (expected an active colleague)")
        )
    elif to.is_read_only:
        problems.append(
            Problem(
                None, "owner", f"{to.username} only reads (expected a colleague who works tickets)"
            )
        )
    try:
        note = clean_text(
            note, "note", NOTE_MAX, required=True, expected="a note for the new owner"
        )
    except RecordInvalid as bad:
        problems.extend(bad.problems)
    if problems:
        raise RecordInvalid(problems)
    assert to is not None
    now = now or timezone.now()
    with transaction.atomic():
        target = locked(ticket)
        require_manager(actor, target, "hand it over")
        if target.owner_id == to.pk:
            raise TicketConflict(f"{to.username} owns ticket {target.number} already")
        if target.status == TicketStatus.CLOSED:
            raise TicketConflict(f"ticket {target.number} is closed; reopen it first")
        before = snapshot(target)
        previous = target.owner
        target.owner = to
        target.updated_at = now
        target.save(update_fields=["owner", "updated_at"])
        add_event(
            target,
            EventKind.HANDED_OVER,
            actor=actor,
            at=now,
            from_user=previous,
            to_user=to,
            note=note,
        )
        record(
            actor=actor,
            ticket=target,
            action=AuditAction.UPDATE,
            changes=audit.diff(before, snapshot(target)),
            source=source,
        )
        notify(
            [to],
            "service.ticket_handed_over",
            {
                "number": target.number,
                "subject": target.subject[:80],
                "account": target.account.name,
                "by": actor.get_full_name() or actor.username,
                "note": note[:200],
            },
            link=target.get_absolute_url(),
            account_id=target.account_id,
        )
    return target


# --- attachments ----------------------------------------------------------------------------

#: Allowed file types: documents, images, spreadsheets, text and archives. The content is
#: checked too (a renamed executable is not a PDF).
ALLOWED_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".doc": "application/msword",
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xls": "application/vnd.ms-excel",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".ppt": "application/vnd.ms-powerpoint",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".txt": "text/plain",
    ".csv": "text/csv",
    ".zip": "application/zip",
}
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP = (b"PK\x03\x04", b"PK\x05\x06")
SIGNATURES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".gif": (b"GIF87a", b"GIF89a"),
    ".webp": (b"RIFF",),
    ".doc": (OLE,),
    ".xls": (OLE,),
    ".ppt": (OLE,),
    ".docx": ZIP,
    ".xlsx": ZIP,
    ".pptx": ZIP,
    ".zip": ZIP,
}
NAME_MAX = 150


def safe_name(raw: str) -> str:
    """A file name fit to show and to offer for download: no folders, no control or
    path characters, at most NAME_MAX characters, the extension kept (lower case)."""
    base = re.split(r"[\\/]", raw or "")[-1]
    base = unicodedata.normalize("NFC", base)
    base = "".join(
        "_" if unicodedata.category(ch).startswith("C") or ch in '<>:"|?*' else ch for ch in base
    )
    base = re.sub(r"\s+", " ", base).strip().rstrip(".")
    stem, dot, extension = base.rpartition(".")
    if not dot:
        stem, extension = base, ""
    suffix = f".{extension.strip().lower()}" if extension.strip() else ""
    stem = stem.strip(" .") or "file"
    return stem[: NAME_MAX - len(suffix)] + suffix


def check_upload(upload: UploadedFile) -> tuple[str, str]:
    """(safe name, content type) of an allowed file, else RecordInvalid on 'file'."""
    name = safe_name(upload.name or "")
    suffix = PurePath(name).suffix.lower()
    limit = settings.KAM_UPLOAD_MAX_BYTES
    size = upload.size or 0
    if suffix not in ALLOWED_TYPES:
        allowed = ", ".join(sorted(s.lstrip(".") for s in ALLOWED_TYPES))
        raise RecordInvalid(
            [Problem(None, "file", f"'{name}' is not an allowed type (expected one of: {allowed})")]
        )
    if size > limit:
        raise RecordInvalid(
            [
                Problem(
                    None,
                    "file",
                    f"'{name}' has {size:,} bytes (expected at most {limit:,} bytes)",
                )
            ]
        )
    if size == 0:
        raise RecordInvalid([Problem(None, "file", f"'{name}' is empty (expected a file)")])
    upload.seek(0)
    head = upload.read(2048)
    upload.seek(0)
    if not content_matches(suffix, head):
        raise RecordInvalid(
            [Problem(None, "file", f"'{name}' does not hold what its name says ({suffix})")]
        )
    return name, ALLOWED_TYPES[suffix]


def content_matches(suffix: str, head: bytes) -> bool:
    if suffix in SIGNATURES:
        matches = any(head.startswith(sig) for sig in SIGNATURES[suffix])
        return matches and (suffix != ".webp" or head[8:12] == b"WEBP")
    # .txt, .csv: text, no NUL bytes
    return b"\x00" not in head


def add_attachment(
    *,
    actor: User,
    ticket: Ticket,
    upload: UploadedFile,
    now: dt.datetime | None = None,
    source: str = "web",
) -> TicketAttachment:
    require_writer(actor)
    name, content_type = check_upload(upload)
    now = now or timezone.now()
    with transaction.atomic():
        target = locked(ticket)
        attachment = TicketAttachment(
            ticket=target,
            name=name,
            size=upload.size or 0,
            content_type=content_type,
            uploaded_by=actor,
            uploaded_at=now,
        )
        attachment.file.save(name, upload, save=False)
        try:
            attachment.save()
            add_event(
                target,
                EventKind.ATTACHMENT_ADDED,
                actor=actor,
                at=now,
                note=name,
                data={"attachment_id": attachment.pk, "size": attachment.size},
            )
            target.updated_at = now
            target.save(update_fields=["updated_at"])
            record(
                actor=actor,
                ticket=target,
                action=AuditAction.UPDATE,
                changes={"attachment": [None, name]},
                source=source,
            )
        except Exception:
            attachment.file.delete(save=False)
            raise
    return attachment


# --- targets that follow the tier and its policy -------------------------------------------


def retarget_tickets(
    pairs: Iterable[tuple[int, str]],
    *,
    reason: str,
    actor: User | None = None,
    detail: Mapping[str, Any] | None = None,
    now: dt.datetime | None = None,
) -> int:
    """Give open tickets the targets of a tier's policy. `pairs` are (ticket id, tier).
    New targets count from the ticket's creation; a first response already given keeps
    the target it was given under. Each change is a history row saying why."""
    from kam.service.policies import policy_for_tier

    now = now or timezone.now()
    calendars = Calendars()
    policies: dict[str, ServicePolicy] = {}
    changed = 0
    for pk, tier in pairs:
        policy = policies.get(tier) or policies.setdefault(tier, policy_for_tier(tier))
        with transaction.atomic():
            ticket = (
                Ticket.objects.select_for_update(of=("self",))
                .select_related("account", "owner", "contact")
                .filter(pk=pk, status__in=OPEN_STATUSES)
                .first()
            )
            if ticket is None:
                continue
            if retarget_one(
                ticket,
                tier,
                policy,
                reason=reason,
                actor=actor,
                detail=detail or {},
                calendars=calendars,
                now=now,
            ):
                changed += 1
    return changed


def retarget_one(
    ticket: Ticket,
    tier: str,
    policy: ServicePolicy,
    *,
    reason: str,
    actor: User | None,
    detail: Mapping[str, Any],
    calendars: Calendars,
    now: dt.datetime,
) -> bool:
    before_targets = targets_of(ticket)
    before = snapshot(ticket)
    ticket.tier = tier
    ticket.clock = policy.clock
    if ticket.first_response_at is None:
        ticket.response_minutes = policy.first_response_minutes
    ticket.resolution_minutes = policy.resolution_minutes
    after_targets = targets_of(ticket)
    if after_targets == before_targets:
        return False
    pauses = list(ticket.pauses.all())
    refresh_due(ticket, calendars=calendars, pauses=pauses, now=now)
    # An escalation the new targets no longer call for may come again later.
    clocks = ticket_clocks(ticket, now=now, calendars=calendars, pauses=pauses)
    ticket.response_escalation = min(ticket.response_escalation, clocks.response.escalation_level)
    ticket.resolution_escalation = min(
        ticket.resolution_escalation, clocks.resolution.escalation_level
    )
    ticket.updated_at = now
    ticket.save()
    add_event(
        ticket,
        EventKind.TARGETS_CHANGED,
        actor=actor,
        at=now,
        data={"reason": reason, **detail, "before": before_targets, "after": after_targets},
    )
    record(
        actor=actor,
        ticket=ticket,
        action=AuditAction.UPDATE,
        changes=audit.diff(before, snapshot(ticket)),
        source=reason.replace("_", "-"),
    )
    return True


def retarget_account(
    account_id: int,
    tier: str,
    *,
    from_tier: str = "",
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> int:
    """The account changed tier: its open tickets take the new tier's targets."""
    ids = Ticket.objects.filter(account_id=account_id, status__in=OPEN_STATUSES).values_list(
        "pk", flat=True
    )
    return retarget_tickets(
        [(pk, tier) for pk in ids],
        reason="tier_change",
        actor=actor,
        detail={"from_tier": from_tier, "to_tier": tier},
        now=now,
    )


def retarget_policy(policy: ServicePolicy, *, now: dt.datetime | None = None) -> int:
    """A tier's policy changed: its open tickets take the new targets."""
    ids = Ticket.objects.filter(tier=policy.tier, status__in=OPEN_STATUSES).values_list(
        "pk", flat=True
    )
    return retarget_tickets(
        [(pk, policy.tier) for pk in ids],
        reason="policy_change",
        actor=policy.updated_by,
        detail={"to_tier": policy.tier},
        now=now,
    )


# --- signal receivers (connected in ServiceConfig.ready) ----------------------------------


def on_tier_change(sender: Any, instance: Any, created: bool, raw: bool = False, **kw: Any) -> None:
    """A TierChange row was written (a tier set or cleared by hand): once it is committed,
    the account's open tickets take the new targets."""
    if not created or raw:
        return
    account_id, tier, from_tier = instance.account_id, instance.to_tier, instance.from_tier
    actor = instance.actor if instance.actor_id else None
    transaction.on_commit(
        lambda: retarget_account(account_id, tier, from_tier=from_tier, actor=actor)
    )


def on_policy_change(sender: Any, policy: ServicePolicy, **kw: Any) -> None:
    retarget_policy(policy)


def after_scoring(sender: Any, run: Any, **kw: Any) -> int:
    """A scoring run wrote its tier changes in bulk (no post_save): retarget the open
    tickets of the accounts whose tier it changed."""
    from kam.insights.models import TierChange

    changes = {
        account_id: (to_tier, from_tier)
        for account_id, to_tier, from_tier in TierChange.objects.filter(run=run)
        .order_by("at", "pk")
        .values_list("account_id", "to_tier", "from_tier")
    }
    if not changes:
        return 0
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES, account_id__in=list(changes))
    changed = 0
    for pk, account_id in tickets.values_list("pk", "account_id"):
        to_tier, from_tier = changes[account_id]
        changed += retarget_tickets(
            [(pk, to_tier)],
            reason="tier_change",
            detail={"from_tier": from_tier, "to_tier": to_tier},
        )
    return changed


# --- reading ---------------------------------------------------------------------------------


def ticket_history(ticket: Ticket) -> QuerySet[TicketEvent]:
    return ticket.events.select_related("actor", "from_user", "to_user").order_by("at", "pk")


# --- lists, filters and exports ---------------------------------------------------------------

SLA_FILTERS = ("on_track", "at_risk", "breached", "met", "missed")
SORT_COLUMNS = {
    "created": "created_at",
    "number": "pk",
    "updated": "updated_at",
    "due": "next_due",
    "priority": "priority_rank",
}
DEFAULT_SORT = "-created"


def sla_condition(state: str, now: dt.datetime) -> Q:
    """Tickets whose SLA state (the worse of the two clocks) is `state`, from the stored
    due moments (refreshed by every write and every SLA check)."""
    is_open = Q(status__in=OPEN_STATUSES)
    responding = Q(first_response_at__isnull=True)
    running = is_open & ~Q(status=TicketStatus.WAITING_CUSTOMER)
    breached = is_open & ((responding & Q(response_due_at__lt=now)) | Q(resolution_due_at__lt=now))
    at_risk = is_open & (
        (responding & Q(response_risk_at__lte=now)) | (running & Q(resolution_risk_at__lte=now))
    )
    from django.db.models import F

    missed = Q(first_response_at__gt=F("response_due_at")) | Q(
        resolved_at__gt=F("resolution_due_at")
    )
    if state == "breached":
        return breached
    if state == "at_risk":
        return at_risk & ~breached
    if state == "on_track":
        return is_open & ~breached & ~at_risk
    if state == "missed":
        return ~is_open & missed
    if state == "met":
        return ~is_open & ~missed
    return Q()


@dataclass
class TicketFilters:
    q: str = ""
    status: str = ""  # a TicketStatus, or "open" for any open one
    kind: str = ""
    priority: str = ""
    category: str = ""
    sla: str = ""
    owner: str = ""  # username
    account: int | None = None
    mine: bool = False
    orphaned: bool = False  # owner deactivated
    sort: str = DEFAULT_SORT
    tier: str = ""
    resolved_from: dt.date | None = None  # last resolved on or after this day (local time)
    resolved_to: dt.date | None = None  # … on or before this day


def search_tickets(
    user: User, filters: TicketFilters, *, now: dt.datetime | None = None
) -> tuple[QuerySet[Ticket], str]:
    """The visible tickets that match, sorted; and the sort applied."""
    from django.db.models import Case, F, IntegerField, Value, When

    from kam.core.views import sort_rows

    now = now or timezone.now()
    rows = visible_tickets(user).select_related("account", "owner", "recorded_by", "contact")
    if filters.q:
        text = filters.q.strip()
        rows = rows.filter(
            Q(number__icontains=text)
            | Q(subject__icontains=text)
            | Q(account__name__icontains=text)
        )
    if filters.status == "open":
        rows = rows.filter(status__in=OPEN_STATUSES)
    elif filters.status:
        rows = rows.filter(status=filters.status)
    for name in ("kind", "priority", "category", "tier"):
        value = getattr(filters, name)
        if value:
            rows = rows.filter(**{name: value})
    if filters.resolved_from is not None or filters.resolved_to is not None:
        from kam.service.kpis import local_midnight

        if filters.resolved_from is not None:
            rows = rows.filter(resolved_at__gte=local_midnight(filters.resolved_from))
        if filters.resolved_to is not None:
            day_after = filters.resolved_to + dt.timedelta(days=1)
            rows = rows.filter(resolved_at__lt=local_midnight(day_after))
    if filters.sla in SLA_FILTERS:
        rows = rows.filter(sla_condition(filters.sla, now))
    if filters.owner:
        rows = rows.filter(owner__username=filters.owner)
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.mine:
        rows = rows.filter(owner=user)
    if filters.orphaned:
        rows = rows.filter(status__in=OPEN_STATUSES, owner__is_active=False)
    rows = rows.annotate(
        next_due=Case(
            When(first_response_at__isnull=True, then=F("response_due_at")),
            default=F("resolution_due_at"),
        ),
        priority_rank=Case(
            *(
                When(priority=code, then=Value(rank))
                for rank, code in enumerate(TicketPriority.values)
            ),
            default=Value(0),
            output_field=IntegerField(),
        ),
    )
    return sort_rows(rows, filters.sort or DEFAULT_SORT, SORT_COLUMNS, DEFAULT_SORT)


def with_clocks(tickets: Iterable[Ticket], *, now: dt.datetime | None = None) -> list[Ticket]:
    """The tickets with `clocks` set (pauses read in one query, calendars once)."""
    items = list(tickets)
    now = now or timezone.now()
    calendars = Calendars()
    pauses: dict[int, list[TicketPause]] = {}
    for pause in TicketPause.objects.filter(ticket_id__in=[t.pk for t in items]):
        pauses.setdefault(pause.ticket_id, []).append(pause)
    for ticket in items:
        ticket.clocks = ticket_clocks(  # type: ignore[attr-defined]
            ticket, now=now, calendars=calendars, pauses=pauses.get(ticket.pk, [])
        )
    return items


EXPORT_HEADER = [
    "number",
    "account",
    "account_external_id",
    "kind",
    "category",
    "priority",
    "channel",
    "status",
    "subject",
    "owner",
    "recorded_by",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "reopen_count",
    "tier",
    "clock",
    "response_target_minutes",
    "response_due_at",
    "response_state",
    "resolution_target_minutes",
    "resolution_due_at",
    "resolution_state",
]


def local_text(moment: dt.datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def export_rows(tickets: QuerySet[Ticket]) -> Iterable[list[Any]]:
    chunk: list[Ticket] = []
    for ticket in tickets.iterator(chunk_size=500):
        chunk.append(ticket)
        if len(chunk) == 500:
            yield from _export_chunk(chunk)
            chunk = []
    yield from _export_chunk(chunk)


def _export_chunk(chunk: list[Ticket]) -> Iterable[list[Any]]:
    for ticket in with_clocks(chunk):
        clocks = ticket.clocks  # type: ignore[attr-defined]
        yield [
            ticket.number,
            ticket.account.name,
            ticket.account.external_id or "",
            ticket.kind,
            ticket.category,
            ticket.priority,
            ticket.channel,
            ticket.status,
            ticket.subject,
            ticket.owner.username,
            ticket.recorded_by.username,
            local_text(ticket.created_at),
            local_text(ticket.first_response_at),
            local_text(ticket.resolved_at),
            local_text(ticket.closed_at),
            ticket.reopen_count,
            ticket.tier,
            ticket.clock,
            ticket.response_minutes,
            local_text(clocks.response.due_at),
            clocks.response.state,
            ticket.resolution_minutes,
            local_text(clocks.resolution.due_at),
            clocks.resolution.state,
        ]


def export_bytes(tickets: QuerySet[Ticket], fmt: str) -> bytes:
    """The tickets as CSV (UTF-8 with BOM) or XLSX, as the other exports write them."""
    import io

    from kam.dataio.export import write_csv, write_xlsx

    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, EXPORT_HEADER, export_rows(tickets))
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, EXPORT_HEADER, export_rows(tickets))
    return ("\ufeff" + text.getvalue()).encode("utf-8")


def export_file(tickets: QuerySet[Ticket], path: Any) -> int:
    """Write the tickets to a .csv or .xlsx file; the number of rows."""
    from kam.dataio.export import write_csv, write_xlsx

    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(path, EXPORT_HEADER, export_rows(tickets))
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            return write_csv(handle, EXPORT_HEADER, export_rows(tickets))
    raise ValueError(f"cannot export to '{path.name}' (expected a file ending in .csv or .xlsx)")


def account_open_tickets(user: User, account: Account) -> list[Ticket]:
    """The account's open tickets the user sees, with their clocks, soonest due first."""
    rows, _sort = search_tickets(user, TicketFilters(status="open", account=account.pk, sort="due"))
    return with_clocks(rows[:ACCOUNT_SECTION_ROWS])


ACCOUNT_SECTION_ROWS = 10
