"""Customer satisfaction surveys (SVC-3): asking, answering, and what a low score sets off.

A survey is *asked* as a SurveyRequest and *answered* as a Survey (CSAT 1–5 and/or NPS
0–10, with a comment):

* after a ticket closes (`request_after_close`, queued on commit by the ticket's close
  step): one request to the ticket's contact; a ticket reopened before the answer
  withdraws it (`withdraw_ticket_requests`), and the next close asks again;
* periodically (`issue_relationship_surveys`): the key contacts of every active or
  dormant account whose last relationship survey is older than its tier's
  `survey_interval_days` (economic buyer first, then technical and user buyers, coaches;
  higher influence first; active contacts with an email);
* by hand (`ask`), from the account page.

The customer answers through a single-use link /survey/<token>/. The token is random
(secrets.token_urlsafe) and only its SHA-256 hash is stored: the plain token exists in
the link emailed (when KAM_SURVEY_EMAILS and the contact has an email and was not asked
in the last KAM_SURVEY_QUIET_DAYS) or shown once to a colleague. A link expires after
KAM_SURVEY_EXPIRY_DAYS. Colleagues who see the account may record an answer taken by
phone instead (`record_answer`); it answers the open request, or makes one.

An answer with CSAT ≤ KAM_SURVEY_LOW_CSAT or NPS ≤ KAM_SURVEY_LOW_NPS plans a follow-up
call for the account owner on the next working day and tells them (`ensure_follow_up`,
once per survey). Every write is audited; ticket surveys also appear in the ticket's
history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account, AccountStatus
from kam.accounts.services import visible_accounts
from kam.contacts.models import BuyingRole, Contact, Influence
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, Role, User
from kam.dataio.records import Problem, RecordInvalid
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from kam.service.models import (
    ClockKind,
    EventKind,
    RequestStatus,
    Survey,
    SurveyKind,
    SurveyRequest,
    Ticket,
    TicketEvent,
    TicketStatus,
)

log = logging.getLogger(__name__)

TOKEN_BYTES = 24  # 32 URL-safe characters, 192 random bits
TOKEN_MAX = 100  # longer "tokens" in a URL are not looked up at all
COMMENT_MAX = 2000
EARLIEST_ANSWER = dt.date(2000, 1, 1)
#: Contacts asked first in a periodic survey: the buying centre's decision makers.
ROLE_ORDER = {
    BuyingRole.ECONOMIC_BUYER: 0,
    BuyingRole.TECHNICAL_BUYER: 1,
    BuyingRole.USER_BUYER: 2,
    BuyingRole.COACH: 3,
    BuyingRole.NONE: 4,
}
INFLUENCE_ORDER = {Influence.HIGH: 0, Influence.MEDIUM: 1, Influence.LOW: 2}
#: Accounts the periodic relationship survey asks (not prospects, not lost ones).
SURVEYED_STATUSES = (AccountStatus.ACTIVE, AccountStatus.DORMANT)
SURVEY_EVENTS = (EventKind.SURVEY_REQUESTED, EventKind.SURVEY_ANSWERED, EventKind.SURVEY_CANCELLED)

#: Why a request was not emailed (stored in the ticket's history, shown in words).
NOT_EMAILED = {
    "no_contact": gettext_lazy("no customer contact is named"),
    "contact_left": gettext_lazy("the contact has left the company"),
    "no_email": gettext_lazy("the contact has no email address"),
    "emails_off": gettext_lazy("survey emails are switched off"),
    "asked_recently": gettext_lazy("the contact was sent a survey recently"),
    "by_hand": gettext_lazy("recorded or asked by a colleague"),
}


class SurveyClosed(Exception):
    """The request cannot be answered any more: answered, expired or withdrawn."""

    def __init__(self, status: str) -> None:
        super().__init__(f"the survey is {status}")
        self.status = status


# --- tokens and links -------------------------------------------------------------------------


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> tuple[str, str]:
    """A fresh token and its hash (the hash is stored, the token only put in a link)."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, token_hash(token)


def answer_path(token: str) -> str:
    return reverse("survey:answer", args=[token])


def answer_url(token: str) -> str:
    """The link as the customer gets it (KAM_SITE_URL in front when set)."""
    return f"{settings.KAM_SITE_URL.rstrip('/')}{answer_path(token)}"


def expiry_of(moment: dt.datetime) -> dt.datetime:
    return moment + dt.timedelta(days=settings.KAM_SURVEY_EXPIRY_DAYS)


def emails_enabled() -> bool:
    """Survey links go out by email only with a mail server and the site's address."""
    return bool(settings.KAM_SURVEY_EMAILS and settings.KAM_SITE_URL)


# --- visibility -----------------------------------------------------------------------------


def visible_surveys(user: User) -> QuerySet[Survey]:
    """Answers of the accounts the user sees (account_scope)."""
    scope = account_scope(user, prefix="account__")
    rows = Survey.objects.all()
    return rows if scope is None else rows.filter(scope)


def visible_requests(user: User) -> QuerySet[SurveyRequest]:
    scope = account_scope(user, prefix="account__")
    rows = SurveyRequest.objects.all()
    return rows if scope is None else rows.filter(scope)


def get_survey_for_user(user: User, pk: int | str) -> Survey:
    try:
        return (
            visible_surveys(user)
            .select_related("account__owner", "contact", "ticket", "recorded_by", "follow_up")
            .get(pk=pk)
        )
    except (Survey.DoesNotExist, ValueError, TypeError):
        raise Http404("No such survey") from None


def get_request_for_user(user: User, pk: int | str, *, for_write: bool = False) -> SurveyRequest:
    try:
        found = (
            visible_requests(user)
            .select_related("account__owner", "contact", "ticket", "survey")
            .get(pk=pk)
        )
    except (SurveyRequest.DoesNotExist, ValueError, TypeError):
        raise Http404("No such survey request") from None
    if for_write:
        require_writer(user)
    return found


def may_record_surveys(user: User) -> bool:
    return user.is_authenticated and user.is_active and not user.is_read_only


def require_account_access(user: User, account: Account) -> None:
    """Only colleagues who see the account (and write) ask, record or withdraw its surveys."""
    require_writer(user)
    if not visible_accounts(user).filter(pk=account.pk).exists():
        raise PermissionDenied("only colleagues who see the account handle its surveys")


def open_requests(now: dt.datetime | None = None) -> QuerySet[SurveyRequest]:
    """Requests still waiting for their answer (not answered, withdrawn or expired)."""
    return SurveyRequest.objects.filter(
        survey__isnull=True, cancelled_at__isnull=True, expires_at__gt=now or timezone.now()
    )


def status_condition(status: str, now: dt.datetime) -> Q:
    if status == RequestStatus.ANSWERED:
        return Q(survey__isnull=False)
    unanswered = Q(survey__isnull=True)
    if status == RequestStatus.CANCELLED:
        return unanswered & Q(cancelled_at__isnull=False)
    if status == RequestStatus.EXPIRED:
        return unanswered & Q(cancelled_at__isnull=True, expires_at__lte=now)
    if status == RequestStatus.OPEN:
        return unanswered & Q(cancelled_at__isnull=True, expires_at__gt=now)
    return Q()


# --- checking input ---------------------------------------------------------------------------


def is_low(csat: int | None, nps: int | None) -> bool:
    """A score low enough to call the customer back (KAM_SURVEY_LOW_CSAT / _NPS)."""
    return (csat is not None and csat <= settings.KAM_SURVEY_LOW_CSAT) or (
        nps is not None and nps <= settings.KAM_SURVEY_LOW_NPS
    )


def nps_group(nps: int | None) -> str:
    """promoter (9–10), passive (7–8), detractor (0–6), or '' without an NPS answer."""
    if nps is None:
        return ""
    if nps >= 9:
        return "promoter"
    return "passive" if nps >= 7 else "detractor"


def parse_score(value: Any, name: str, low: int, high: int, problems: list[Problem]) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().lstrip("-").isdigit():
        number = int(value.strip())
    else:
        number = None
    if number is None or not low <= number <= high:
        problems.append(
            Problem(None, name, f"'{value}' is not a score (expected a whole number {low}–{high})")
        )
        return None
    return number


def parse_day(value: Any, problems: list[Problem], today: dt.date) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        day: dt.date | None = (
            timezone.localdate(value) if timezone.is_aware(value) else value.date()
        )
    elif isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value).strip())
        except ValueError:
            day = None
    if day is None:
        problems.append(
            Problem(None, "responded_on", f"'{value}' is not a date (expected YYYY-MM-DD)")
        )
        return None
    if day > today:
        problems.append(
            Problem(None, "responded_on", f"{day} is in the future (expected today or earlier)")
        )
        return None
    if day < EARLIEST_ANSWER:
        problems.append(
            Problem(None, "responded_on", f"{day} is too early (expected 2000-01-01 or later)")
        )
        return None
    return day


def clean_answer(
    values: Mapping[str, Any],
    *,
    account: Account | None = None,
    contact_by: str = "pk",
    today: dt.date | None = None,
) -> dict[str, Any]:
    """Check an answer: csat (1–5), nps (0–10) — at least one — and comment; with an
    account also contact (one of its contacts, by id or external id) and responded_on
    (a date, not in the future). RecordInvalid names each bad field."""
    from kam.service.tickets import find_contact

    problems: list[Problem] = []
    clean: dict[str, Any] = {
        "csat": parse_score(values.get("csat"), "csat", 1, 5, problems),
        "nps": parse_score(values.get("nps"), "nps", 0, 10, problems),
    }
    if (
        clean["csat"] is None
        and clean["nps"] is None
        and not any(p.column in {"csat", "nps"} for p in problems)
    ):
        problems.append(
            Problem(
                None,
                "csat",
                "missing value (expected a satisfaction score 1–5, a recommendation "
                "score 0–10, or both)",
            )
        )
    comment = values.get("comment")
    comment = "" if comment is None else str(comment).strip()
    if len(comment) > COMMENT_MAX:
        problems.append(
            Problem(None, "comment", f"too long (expected at most {COMMENT_MAX} characters)")
        )
    if "\x00" in comment:
        problems.append(Problem(None, "comment", "not text (expected text without NUL characters)"))
    clean["comment"] = comment
    if account is not None:
        clean["contact"] = find_contact(account, values.get("contact"), contact_by, problems)
        clean["responded_on"] = parse_day(
            values.get("responded_on"), problems, today or timezone.localdate()
        )
    if problems:
        raise RecordInvalid(problems)
    return clean


def moment_of(day: dt.date | None, now: dt.datetime) -> dt.datetime:
    """When an answer given on `day` is dated: now for today (or no day), else noon."""
    if day is None or day >= timezone.localdate(now):
        return now
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


# --- asking -----------------------------------------------------------------------------------


@dataclass
class Asked:
    """A request just made, with its plain token (never stored) and whether it is emailed
    (or why not)."""

    request: SurveyRequest
    token: str
    not_emailed: str  # a NOT_EMAILED code, or "" when the link is emailed

    @property
    def emailed(self) -> bool:
        return not self.not_emailed

    @property
    def url(self) -> str:
        return answer_url(self.token)


def request_snapshot(request: SurveyRequest) -> dict[str, Any]:
    return {
        "kind": request.kind,
        "account": request.account.external_id or request.account.name,
        "contact": request.contact.name if request.contact_id and request.contact else None,
        "ticket": request.ticket.number if request.ticket_id and request.ticket else None,
        "expires_at": timezone.localtime(request.expires_at).strftime("%Y-%m-%d %H:%M"),
        "email": request.email,
    }


def why_not_emailed(contact: Contact | None, now: dt.datetime) -> str:
    if contact is None:
        return "no_contact"
    if not contact.is_active:
        return "contact_left"
    if not contact.email:
        return "no_email"
    if not emails_enabled():
        return "emails_off"
    if recently_emailed(contact, now):
        return "asked_recently"
    return ""


def recently_emailed(contact: Contact, now: dt.datetime) -> bool:
    days = settings.KAM_SURVEY_QUIET_DAYS
    if days <= 0:
        return False
    since = now - dt.timedelta(days=days)
    return SurveyRequest.objects.filter(
        contact=contact, emailed_at__gte=since, cancelled_at__isnull=True
    ).exists()


def create_request(
    *,
    kind: str,
    account: Account,
    contact: Contact | None,
    ticket: Ticket | None = None,
    actor: User | None = None,
    now: dt.datetime | None = None,
    send: bool = True,
    source: str = "system",
) -> Asked:
    """Ask one survey: a request with a fresh link, audited; with `send` the link is
    emailed once the transaction commits (when the contact can and may be emailed)."""
    now = now or timezone.now()
    token, hashed = new_token()
    reason = why_not_emailed(contact, now) if send else "by_hand"
    request = SurveyRequest.objects.create(
        kind=kind,
        account=account,
        contact=contact,
        ticket=ticket,
        token_hash=hashed,
        created_at=now,
        created_by=actor if actor is not None and actor.pk else None,
        expires_at=expiry_of(now),
        email=contact.email if contact is not None and not reason else "",
    )
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=request,
        changes=audit.created(request_snapshot(request)),
        account_id=account.pk,
        source=source,
    )
    if not reason:
        transaction.on_commit(partial(send_request_email, request.pk, token), robust=True)
    return Asked(request, token, reason)


def ticket_event(
    ticket: Ticket, kind: str, *, actor: User | None, at: dt.datetime, **fields: Any
) -> TicketEvent:
    from kam.service.tickets import add_event

    return add_event(ticket, kind, actor=actor, at=at, **fields)


def request_after_close(ticket_id: int, *, now: dt.datetime | None = None) -> Asked | None:
    """The ticket closed (and the close committed): ask its contact how it went — unless
    a request is open for it already, or the customer answered since it was resolved.
    The request shows in the ticket's history."""
    now = now or timezone.now()
    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("account", "contact")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.status != TicketStatus.CLOSED:
            return None
        if open_requests(now).filter(ticket=ticket).exists():
            return None
        since = ticket.resolved_at or ticket.closed_at or now
        if ticket.surveys.filter(responded_at__gte=since).exists():
            return None
        asked = create_request(
            kind=SurveyKind.TICKET,
            account=ticket.account,
            contact=ticket.contact,
            ticket=ticket,
            now=now,
            source="ticket-close",
        )
        ticket_event(
            ticket,
            EventKind.SURVEY_REQUESTED,
            actor=None,
            at=now,
            data={
                "request_id": asked.request.pk,
                "contact": ticket.contact.name if ticket.contact else "",
                "email": asked.request.email,
                "not_emailed": asked.not_emailed,
            },
        )
    return asked


def after_close(ticket_id: int) -> None:
    """Queued on commit by the ticket's close step; a failure never undoes the close."""
    try:
        request_after_close(ticket_id)
    except Exception:
        log.exception("could not ask the survey of ticket %s", ticket_id)


def withdraw_ticket_requests(
    ticket: Ticket, *, actor: User | None, now: dt.datetime, reason: str, source: str = "web"
) -> int:
    """The ticket was reopened: its open survey request is withdrawn (the link then says
    so); the next close asks again. Runs inside the reopen's transaction."""
    found = list(open_requests(now).filter(ticket=ticket).select_for_update())
    for request in found:
        withdraw(request, actor=actor, now=now, reason=reason, source=source)
    if found:
        ticket_event(
            ticket, EventKind.SURVEY_CANCELLED, actor=actor, at=now, data={"reason": "reopened"}
        )
    return len(found)


def withdraw(
    request: SurveyRequest, *, actor: User | None, now: dt.datetime, reason: str, source: str
) -> None:
    request.cancelled_at = now
    request.cancel_reason = reason[:200]
    request.save(update_fields=["cancelled_at", "cancel_reason"])
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=request,
        changes={"cancelled_at": [None, timezone.localtime(now).strftime("%Y-%m-%d %H:%M")]},
        account_id=request.account_id,
        source=source,
    )


def withdraw_request(
    *, actor: User, request: SurveyRequest, reason: str = "", source: str = "web"
) -> SurveyRequest:
    """Withdraw an open request by hand (asked by mistake, the wrong person)."""
    require_account_access(actor, request.account)
    now = timezone.now()
    with transaction.atomic():
        locked = SurveyRequest.objects.select_for_update().get(pk=request.pk)
        status = locked.status_at(now)
        if status != RequestStatus.OPEN:
            raise SurveyClosed(status)
        withdraw(locked, actor=actor, now=now, reason=reason or "withdrawn by hand", source=source)
        if locked.ticket_id is not None:
            ticket = Ticket.objects.get(pk=locked.ticket_id)
            ticket_event(
                ticket, EventKind.SURVEY_CANCELLED, actor=actor, at=now, data={"reason": "by_hand"}
            )
    return locked


def ask(
    *,
    actor: User,
    account: Account,
    contact: Contact | None,
    kind: str = SurveyKind.RELATIONSHIP,
    ticket: Ticket | None = None,
    send: bool = True,
    source: str = "web",
) -> Asked:
    """Ask a survey by hand (the account page): a new link, emailed when it can be; the
    caller shows the link once (to send by WeChat, say)."""
    require_account_access(actor, account)
    if contact is not None and contact.account_id != account.pk:
        raise RecordInvalid(
            [Problem(None, "contact", f"{contact.name} is not a contact of {account.name}")]
        )
    with transaction.atomic():
        return create_request(
            kind=kind,
            account=account,
            contact=contact,
            ticket=ticket,
            actor=actor,
            send=send,
            source=source,
        )


def renew_link(*, actor: User, request: SurveyRequest, source: str = "web") -> Asked:
    """A new link for an unanswered request (the old one stops working; an expired request
    gets another KAM_SURVEY_EXPIRY_DAYS). Not emailed: the colleague sends it on."""
    require_account_access(actor, request.account)
    now = timezone.now()
    with transaction.atomic():
        locked = (
            SurveyRequest.objects.select_for_update(of=("self",))
            .select_related("account", "contact", "ticket")
            .get(pk=request.pk)
        )
        status = locked.status_at(now)
        if status in {RequestStatus.ANSWERED, RequestStatus.CANCELLED}:
            raise SurveyClosed(status)
        token, hashed = new_token()
        before = timezone.localtime(locked.expires_at).strftime("%Y-%m-%d %H:%M")
        locked.token_hash = hashed
        locked.expires_at = expiry_of(now)
        locked.save(update_fields=["token_hash", "expires_at"])
        audit.record(
            actor=actor,
            action=AuditAction.UPDATE,
            instance=locked,
            changes={
                "link": ["", "renewed"],
                "expires_at": [
                    before,
                    timezone.localtime(locked.expires_at).strftime("%Y-%m-%d %H:%M"),
                ],
            },
            account_id=locked.account_id,
            source=source,
        )
    return Asked(locked, token, "by_hand")


# --- the email ----------------------------------------------------------------------------------


def email_text(request: SurveyRequest, token: str) -> tuple[str, str]:
    """(subject, body) of the request's email: the text in Chinese and in English (the
    installation's language first), one link."""
    from django.template.loader import render_to_string

    first = settings.LANGUAGE_CODE
    languages = [first, *(code for code, _name in settings.LANGUAGES if code != first)]
    context = {
        "request": request,
        "contact": request.contact,
        "ticket": request.ticket,
        "url": answer_url(token),
        "days": settings.KAM_SURVEY_EXPIRY_DAYS,
    }
    subjects: list[str] = []
    bodies: list[str] = []
    for code in languages:
        with translation.override(code):
            subject = render_to_string("service/survey_email_subject.txt", context).strip()
            body = render_to_string("service/survey_email.txt", context).strip()
        if subject not in subjects:
            subjects.append(subject)
        if body not in bodies:
            bodies.append(body)
    return " / ".join(subjects), "\n\n————————\n\n".join(bodies) + "\n"


def send_request_email(request_id: int, token: str) -> bool:
    """Email the link (after the request's transaction committed); a mail server that
    fails is logged and leaves the request open (a colleague can send a new link)."""
    from django.core.mail import send_mail

    request = (
        SurveyRequest.objects.select_related("account", "contact", "ticket")
        .filter(pk=request_id)
        .first()
    )
    if request is None or request.status != RequestStatus.OPEN or not request.email:
        return False
    subject, body = email_text(request, token)
    try:
        send_mail(subject=subject, message=body, from_email=None, recipient_list=[request.email])
    except Exception:
        log.exception("survey request %s could not be emailed", request_id)
        return False
    SurveyRequest.objects.filter(pk=request_id).update(emailed_at=timezone.now())
    return True


# --- answering ----------------------------------------------------------------------------------


def find_by_token(token: str) -> SurveyRequest | None:
    """The request a link's token opens, or None (unknown tokens and bad input alike)."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return (
        SurveyRequest.objects.select_related("account", "contact", "ticket", "survey")
        .filter(token_hash=token_hash(token))
        .first()
    )


def answer_by_link(
    token: str, values: Mapping[str, Any], *, now: dt.datetime | None = None
) -> Survey:
    """The customer's answer through the link: once, before it expires. Http404 for an
    unknown token, SurveyClosed when it was answered, expired or withdrawn."""
    now = now or timezone.now()
    clean = clean_answer(values)
    with transaction.atomic():
        request = (
            SurveyRequest.objects.select_for_update(of=("self",))
            .select_related("account", "contact", "ticket")
            .filter(token_hash=token_hash(token or ""))
            .first()
        )
        if request is None or len(token or "") > TOKEN_MAX:
            raise Http404("No such survey")
        status = request.status_at(now)
        if status != RequestStatus.OPEN:
            raise SurveyClosed(status)
        return write_answer(
            request,
            actor=None,
            csat=clean["csat"],
            nps=clean["nps"],
            comment=clean["comment"],
            contact=request.contact,
            responded_at=now,
            now=now,
            source="survey-link",
        )


def write_answer(
    request: SurveyRequest,
    *,
    actor: User | None,
    csat: int | None,
    nps: int | None,
    comment: str,
    contact: Contact | None,
    responded_at: dt.datetime,
    now: dt.datetime,
    source: str,
) -> Survey:
    """The answer of a (locked) request: the Survey row, the request answered, audited,
    the ticket's history, and the follow-up of a low score."""
    survey = Survey.objects.create(
        account=request.account,
        contact=contact,
        kind=request.kind,
        csat=csat,
        nps=nps,
        comment=comment,
        responded_at=responded_at,
        recorded_by=actor if actor is not None and actor.pk else None,
        ticket=request.ticket,
    )
    request.survey = survey
    request.save(update_fields=["survey"])
    audit.record(
        actor=actor,
        action=AuditAction.CREATE,
        instance=survey,
        changes=audit.created(survey_snapshot(survey)),
        account_id=survey.account_id,
        source=source,
    )
    if request.ticket is not None:
        ticket_event(
            request.ticket,
            EventKind.SURVEY_ANSWERED,
            actor=actor,
            at=now,
            note=comment,
            data={
                "survey_id": survey.pk,
                "csat": csat,
                "nps": nps,
                "contact": contact.name if contact else "",
                "by": "link" if actor is None else "colleague",
            },
        )
    ensure_follow_up(survey, actor=actor, now=now)
    return survey


def survey_snapshot(survey: Survey) -> dict[str, Any]:
    return {
        "kind": survey.kind,
        "account": survey.account.external_id or survey.account.name,
        "contact": survey.contact.name if survey.contact_id and survey.contact else None,
        "csat": survey.csat,
        "nps": survey.nps,
        "comment": survey.comment[:200],
        "responded_at": timezone.localtime(survey.responded_at).strftime("%Y-%m-%d %H:%M"),
        "ticket": survey.ticket.number if survey.ticket_id and survey.ticket else None,
        "recorded_by": survey.recorded_by.username if survey.recorded_by else None,
    }


def record_answer(
    *,
    actor: User,
    account: Account,
    kind: str,
    values: Mapping[str, Any],
    ticket: Ticket | None = None,
    contact_by: str = "pk",
    now: dt.datetime | None = None,
    source: str = "web",
) -> Survey:
    """A colleague records the customer's answer (taken by phone or on a visit): it
    answers the open request of the ticket (or of the contact's relationship survey),
    else a request is made for it. Only colleagues who see the account; audited."""
    require_account_access(actor, account)
    now = now or timezone.now()
    problems: list[Problem] = []
    if kind not in SurveyKind.values:
        problems.append(
            Problem(None, "kind", f"unknown value '{kind}' (expected ticket or relationship)")
        )
    if ticket is not None and ticket.account_id != account.pk:
        problems.append(Problem(None, "ticket", f"{ticket.number} is not a ticket of {account}"))
    elif ticket is not None and ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        problems.append(
            Problem(
                None,
                "ticket",
                f"{ticket.number} is still open (expected a resolved or closed ticket)",
            )
        )
    if ticket is not None and kind != SurveyKind.TICKET:
        problems.append(Problem(None, "kind", "a survey about a ticket is of kind ticket"))
    try:
        clean = clean_answer(
            values, account=account, contact_by=contact_by, today=timezone.localdate(now)
        )
    except RecordInvalid as bad:
        problems.extend(bad.problems)
    if problems:
        raise RecordInvalid(problems)
    contact: Contact | None = clean["contact"]
    with transaction.atomic():
        pending = open_requests(now).select_for_update(of=("self",))
        if ticket is not None:
            request = pending.filter(ticket=ticket).order_by("-created_at", "-pk").first()
        else:
            pending = pending.filter(account=account, kind=kind, ticket__isnull=True)
            pending = pending.filter(contact=contact) if contact else pending.filter(contact=None)
            request = pending.order_by("created_at", "pk").first()
        if request is None:
            request = create_request(
                kind=kind,
                account=account,
                contact=contact,
                ticket=ticket,
                actor=actor,
                now=now,
                send=False,
                source=source,
            ).request
        return write_answer(
            request,
            actor=actor,
            csat=clean["csat"],
            nps=clean["nps"],
            comment=clean["comment"],
            contact=contact,
            responded_at=moment_of(clean["responded_on"], now),
            now=now,
            source=source,
        )


# --- a low score: the follow-up call ----------------------------------------------------------


def follow_up_owner(account: Account) -> User | None:
    """Who calls back: the account owner; when deactivated, the owner's sales manager,
    else a director."""
    owner = account.owner
    if owner.is_active:
        return owner
    managers = User.objects.filter(is_active=True, role=Role.SALES_MANAGER)
    manager = (
        managers.filter(team_id=owner.team_id).order_by("pk").first() if owner.team_id else None
    )
    return manager or User.objects.filter(is_active=True, role=Role.DIRECTOR).order_by("pk").first()


def next_working_morning(now: dt.datetime) -> dt.datetime:
    """The start of the next working day of the business calendar (09:00 by default)."""
    from kam.service.policies import work_calendar

    calendar = work_calendar(ClockKind.BUSINESS)
    day = timezone.localdate(now)
    for _step in range(366):
        day += dt.timedelta(days=1)
        periods = calendar.periods(day)
        if periods:
            return periods[0][0]
    return now + dt.timedelta(days=1)


def scores_text(csat: int | None, nps: int | None) -> str:
    parts = []
    if csat is not None:
        parts.append(f"CSAT {csat}")
    if nps is not None:
        parts.append(f"NPS {nps}")
    return " / ".join(parts)


def follow_up_subject(scores: str, who: str) -> str:
    """The follow-up call's subject, in the installation's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return _("Follow up low satisfaction: %(scores)s — %(contact)s") % {
            "scores": scores,
            "contact": who,
        }


def ensure_follow_up(
    survey: Survey, *, actor: User | None = None, now: dt.datetime | None = None
) -> Activity | None:
    """A low score plans one follow-up call (kind call, planned) for the account owner on
    the next working day, linked to the survey, and tells them. Once per survey: calling
    it again returns the follow-up already planned."""
    from kam.notifications.services import notify
    from kam.relations.services import activity_snapshot

    if not is_low(survey.csat, survey.nps):
        return None
    now = now or timezone.now()
    with transaction.atomic():
        locked = Survey.objects.select_for_update(of=("self",)).get(pk=survey.pk)
        if locked.follow_up_id is not None:
            survey.follow_up_id = locked.follow_up_id
            return Activity.objects.filter(pk=locked.follow_up_id).first()
        account = Account.objects.select_related("owner").get(pk=locked.account_id)
        owner = follow_up_owner(account)
        if owner is None:
            log.warning("nobody active to follow up survey %s", survey.pk)
            return None
        contact = (
            Contact.objects.filter(pk=locked.contact_id).first() if locked.contact_id else None
        )
        scores = scores_text(locked.csat, locked.nps)
        who = contact.name if contact else account.name
        subject = follow_up_subject(scores, who)
        with translation.override(settings.LANGUAGE_CODE):
            lines = [
                _("The customer's answer (%(kind)s): %(scores)s.")
                % {"kind": SurveyKind(locked.kind).label, "scores": scores}
            ]
            if locked.ticket_id:
                number = Ticket.objects.filter(pk=locked.ticket_id).values_list("number", flat=True)
                lines.append(_("After ticket %(number)s.") % {"number": number.first() or ""})
            if locked.comment:
                lines.append(_("Comment: %(comment)s") % {"comment": locked.comment})
        starts = next_working_morning(now)
        activity = Activity.objects.create(
            account=account,
            kind=ActivityKind.CALL,
            status=ActivityStatus.PLANNED,
            subject=subject[:200],
            starts_at=starts,
            duration_minutes=30,
            owner=owner,
            notes="\n".join(lines),
            created_by=actor if actor is not None and actor.pk else None,
        )
        if contact is not None:
            activity.contacts.set([contact])
        audit.record(
            actor=actor,
            action=AuditAction.CREATE,
            instance=activity,
            changes=audit.created(activity_snapshot(activity)),
            account_id=account.pk,
            source="survey-follow-up",
        )
        locked.follow_up = activity
        locked.save(update_fields=["follow_up"])
        survey.follow_up = activity
        notify(
            [owner],
            "service.survey_low_score",
            {
                "account": account.name,
                "contact": who,
                "scores": scores,
                "due": timezone.localtime(starts).strftime("%Y-%m-%d %H:%M"),
                "comment": locked.comment[:200],
            },
            link=activity.get_absolute_url(),
            account_id=account.pk,
        )
    return activity


# --- periodic relationship surveys ------------------------------------------------------------


@dataclass
class IssueReport:
    """What one periodic run did, in figures."""

    accounts_due: int = 0
    accounts_asked: int = 0
    requests: int = 0
    emailed: int = 0
    by_phone: int = 0
    without_contact: int = 0
    owners_told: int = 0

    def as_dict(self) -> dict[str, int]:
        return asdict(self)


def contact_rank(contact: Contact) -> tuple[int, int, str, int]:
    return (
        ROLE_ORDER.get(contact.buying_role, 9),  # type: ignore[call-overload]
        INFLUENCE_ORDER.get(contact.influence, 9),  # type: ignore[call-overload]
        contact.name,
        contact.pk,
    )


def key_contacts(contacts: Iterable[Contact], limit: int | None = None) -> list[Contact]:
    """Whom a relationship survey asks: active contacts with an email, decision makers
    first (economic, technical, user buyer, coach; higher influence first), at most
    KAM_SURVEY_CONTACTS_PER_ACCOUNT. Without any email, the first active contact (to be
    asked by phone)."""
    limit = limit or settings.KAM_SURVEY_CONTACTS_PER_ACCOUNT
    active = sorted((c for c in contacts if c.is_active), key=contact_rank)
    with_email = [c for c in active if c.email]
    if with_email:
        return with_email[:limit]
    return active[:1]


@dataclass
class DueAccount:
    account: Account
    tier: str
    interval: int
    last_asked: dt.datetime | None


def relationship_surveys_due(
    now: dt.datetime | None = None, accounts: QuerySet[Account] | None = None
) -> list[DueAccount]:
    """Active and dormant accounts whose tier asks for relationship surveys and whose last
    one (a request not withdrawn) is older than the tier's interval, or that never had
    one. A few queries, whatever the number of accounts."""
    from kam.service.policies import all_policies, tiers_of

    now = now or timezone.now()
    intervals = {p.tier: p.survey_interval_days for p in all_policies()}
    rows = (accounts if accounts is not None else Account.objects.all()).filter(
        status__in=SURVEYED_STATUSES
    )
    found = list(rows.select_related("owner").order_by("pk"))
    tiers = tiers_of([a.pk for a in found])
    last = dict(
        SurveyRequest.objects.filter(
            kind=SurveyKind.RELATIONSHIP,
            cancelled_at__isnull=True,
            account_id__in=[a.pk for a in found],
        )
        .values("account_id")
        .annotate(at=Max("created_at"))
        .values_list("account_id", "at")
    )
    due = []
    for account in found:
        interval = intervals.get(tiers[account.pk])
        if not interval:
            continue
        asked = last.get(account.pk)
        if asked is None or asked <= now - dt.timedelta(days=interval):
            due.append(DueAccount(account, tiers[account.pk], interval, asked))
    return due


def issue_relationship_surveys(
    *, now: dt.datetime | None = None, dry_run: bool = False
) -> IssueReport:
    """Ask the key contacts of every account due for its relationship survey; each owner
    is told once what went out (and whom to ask by phone). Idempotent: a second run
    finds nothing due."""
    from kam.notifications.services import notify

    now = now or timezone.now()
    report = IssueReport()
    due = relationship_surveys_due(now)
    report.accounts_due = len(due)
    people: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(account_id__in=[d.account.pk for d in due]):
        people[contact.account_id].append(contact)
    told: dict[int, dict[str, Any]] = {}
    for entry in due:
        chosen = key_contacts(people.get(entry.account.pk, []))
        if not chosen:
            report.without_contact += 1
            continue
        report.accounts_asked += 1
        report.requests += len(chosen)
        if dry_run:
            continue
        with transaction.atomic():
            asked = [
                create_request(
                    kind=SurveyKind.RELATIONSHIP,
                    account=entry.account,
                    contact=contact,
                    now=now,
                    source="periodic",
                )
                for contact in chosen
            ]
        owner = entry.account.owner
        summary = told.setdefault(
            owner.pk, {"owner": owner, "accounts": 0, "emailed": 0, "by_phone": 0}
        )
        summary["accounts"] += 1
        for item in asked:
            key = "emailed" if item.emailed else "by_phone"
            summary[key] += 1
            report.emailed += item.emailed
            report.by_phone += not item.emailed
    for summary in told.values():
        link = reverse("service:survey_requests") + "?status=open&kind=relationship"
        with transaction.atomic():
            sent = notify(
                [summary["owner"]],
                "service.surveys_issued",
                {
                    "accounts": summary["accounts"],
                    "emailed": summary["emailed"],
                    "by_phone": summary["by_phone"],
                },
                link=link,
            )
        report.owners_told += len(sent)
    return report


# --- the ticket history in words --------------------------------------------------------------


def event_lines(event: TicketEvent) -> list[str]:
    """A survey step of a ticket's history in the page's language."""
    data = event.data or {}
    if event.kind == EventKind.SURVEY_REQUESTED:
        contact = data.get("contact") or _("the customer (no contact named)")
        if data.get("email"):
            return [
                _("Asked %(contact)s; the link was emailed to %(email)s.")
                % {"contact": contact, "email": data["email"]}
            ]
        reason = NOT_EMAILED.get(data.get("not_emailed") or "", "")
        return [
            _(
                "Asked %(contact)s; not emailed (%(reason)s): record the answer by phone "
                "or send a new link."
            )
            % {"contact": contact, "reason": reason}
        ]
    if event.kind == EventKind.SURVEY_ANSWERED:
        scores = scores_text(data.get("csat"), data.get("nps"))
        if data.get("by") == "link":
            return [_("The customer answered through the link: %(scores)s.") % {"scores": scores}]
        return [_("Answer recorded by a colleague: %(scores)s.") % {"scores": scores}]
    if event.kind == EventKind.SURVEY_CANCELLED:
        if data.get("reason") == "reopened":
            return [
                _(
                    "The ticket was reopened before the customer answered; it is asked "
                    "again when it closes."
                )
            ]
        return [_("Withdrawn by a colleague.")]
    return []
