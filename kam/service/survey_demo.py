"""Demo satisfaction surveys for `kam demo` (SVC-3), built after the demo tickets:

* a survey asked after every closed ticket, answered for about 55 % of them — lower
  satisfaction when the ticket missed its SLA or was reopened, a little lower for
  complaints;
* relationship surveys over the last year for the accounts whose tier asks for them
  (diamond every 90 days, core 180, potential 365), of up to three key contacts each,
  answered about 60 % of the time — a mood per account, darker where complaints missed
  their targets;
* every low score with its follow-up call for the account owner (done with an outcome
  when it lies in the past, planned when it is still to come);
* the latest requests still waiting for their answer.

Deterministic with the generator; nobody is emailed or notified. Comments are in Chinese,
as the demo's customers write them. Links of demo requests open nothing (their tokens
are random and never shown).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import User
from kam.relations.models import Activity, ActivityKind, ActivityStatus, Sentiment
from kam.service.models import (
    EventKind,
    Survey,
    SurveyKind,
    SurveyRequest,
    Ticket,
    TicketEvent,
    TicketKind,
    TicketStatus,
)
from kam.service.surveys import SURVEYED_STATUSES, is_low, key_contacts

TICKET_ANSWER_SHARE = 0.55
RELATIONSHIP_ANSWER_SHARE = 0.6
COMMENT_SHARE = 0.6
HISTORY_DAYS = 365

# fmt: off
PRAISE = (
    "响应很快，工程师很专业，问题当天就解决了。", "客户经理跟进及时，沟通顺畅，非常满意。",
    "处理结果令人满意，感谢团队的支持。", "服务态度好，技术支持很到位。",
    "交付准时，质量稳定，希望继续保持。", "对接人专业负责，合作很愉快。",
)
NEUTRAL = (
    "问题解决了，但中间等待时间有点长。", "整体还可以，希望反馈渠道更直接一些。",
    "技术方案不错，报价方面希望更有竞争力。", "服务基本满意，文档资料可以再完善。",
    "合作正常，希望客户经理能多来现场交流。",
)
COMPLAINTS = (
    "同样的问题反复出现，影响了我们的生产计划。", "响应太慢，催了好几次才有人处理。",
    "发票问题拖了两周，财务很不满意。", "交货一再延期，已经考虑其他供应商。",
    "现场工程师对问题不熟悉，来回沟通浪费时间。", "质量问题没有给出根本原因分析。",
)
OUTCOMES = (
    "已致电客户说明整改措施，客户表示理解。", "与客户采购经理面谈，约定每周同步进度。",
    "安排质量部回访，提供8D报告。", "客户接受补偿方案，关系有所缓和。",
    "客户仍有顾虑，已升级至销售总监跟进。",
)
# fmt: on


@dataclass
class Drafted:
    request: SurveyRequest
    survey: Survey | None


def populate(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
) -> dict[str, int]:
    """The demo hook: surveys after the demo tickets and the relationship surveys of the
    last year (see the module's doc); the counts written."""
    return populate_surveys(rng, accounts, as_of)


def end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def clamp(value: float, low: int, high: int) -> int:
    return max(low, min(high, round(value)))


def populate_surveys(
    rng: random.Random,
    accounts: Iterable[Account],
    as_of: dt.date,
    *,
    now: dt.datetime | None = None,
) -> dict[str, int]:
    from kam.service.policies import all_policies, tiers_of

    now = min(now or timezone.now(), end_of(as_of))
    pool = list(
        Account.objects.filter(pk__in=[a.pk for a in accounts])
        .select_related("owner")
        .order_by("pk")
    )
    if not pool:
        return {"survey requests": 0, "survey answers": 0, "low-score follow-ups": 0}
    contacts: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(account__in=pool).order_by("account_id", "pk"):
        contacts[contact.account_id].append(contact)
    by_pk = {a.pk: a for a in pool}
    drafted: list[Drafted] = []
    events: list[TicketEvent] = []
    moods = {a.pk: rng.gauss(0, 0.8) for a in pool}
    tickets = list(
        Ticket.objects.filter(
            account__in=pool, status=TicketStatus.CLOSED, closed_at__lte=now
        ).order_by("closed_at", "pk")
    )
    for ticket in tickets:
        if ticket_went_badly(ticket):
            moods[ticket.account_id] -= 0.25
        drafted.append(ticket_survey(rng, ticket, by_pk[ticket.account_id], contacts, now, events))
    tiers = tiers_of([a.pk for a in pool])
    intervals = {p.tier: p.survey_interval_days for p in all_policies()}
    for account in pool:
        interval = intervals.get(tiers[account.pk])
        if not interval or account.status not in SURVEYED_STATUSES:
            continue
        chosen = key_contacts(contacts.get(account.pk, []))
        if not chosen:
            continue
        first = now - dt.timedelta(days=HISTORY_DAYS) + dt.timedelta(days=rng.randrange(interval))
        moment = first
        while moment < now:
            for contact in chosen:
                drafted.append(
                    relationship_survey(rng, account, contact, moment, moods[account.pk], now)
                )
            moment += dt.timedelta(days=interval)
    return write(rng, drafted, events, now)


def ticket_went_badly(ticket: Ticket) -> bool:
    missed_response = (
        ticket.first_response_at is not None
        and ticket.response_due_at is not None
        and ticket.first_response_at > ticket.response_due_at
    )
    missed_resolution = (
        ticket.resolved_at is not None
        and ticket.resolution_due_at is not None
        and ticket.resolved_at > ticket.resolution_due_at
    )
    return missed_response or missed_resolution or ticket.reopen_count > 0


def pick_contact(rng: random.Random, candidates: list[Contact]) -> Contact | None:
    active = [c for c in candidates if c.is_active]
    return rng.choice(active) if active else None


def token(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def answer_delay(rng: random.Random) -> dt.timedelta:
    return dt.timedelta(hours=min(24 * 25, rng.expovariate(1 / 30)) + 0.2)


def ticket_survey(
    rng: random.Random,
    ticket: Ticket,
    account: Account,
    contacts: Mapping[int, list[Contact]],
    now: dt.datetime,
    events: list[TicketEvent],
) -> Drafted:
    assert ticket.closed_at is not None
    contact = ticket.contact or pick_contact(rng, contacts.get(account.pk, []))
    asked = ticket.closed_at + dt.timedelta(minutes=rng.randint(1, 20))
    request = draft_request(rng, SurveyKind.TICKET, account, contact, asked, ticket=ticket)
    events.append(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.SURVEY_REQUESTED,
            at=asked,
            data={
                "contact": contact.name if contact else "",
                "email": request.email,
                "not_emailed": "" if request.email else "no_email" if contact else "no_contact",
            },
        )
    )
    answered = asked + answer_delay(rng)
    if rng.random() >= TICKET_ANSWER_SHARE or answered > min(now, request.expires_at):
        return Drafted(request, None)
    mood = 4.4 - 0.3 * (ticket.kind == TicketKind.COMPLAINT)
    missed = (ticket.resolved_at or now) > (ticket.resolution_due_at or now) or (
        ticket.first_response_at or now
    ) > (ticket.response_due_at or now)
    mood -= 1.3 * missed + 1.0 * min(2, ticket.reopen_count)
    csat = clamp(rng.gauss(mood, 0.7), 1, 5)
    nps = clamp(csat * 2 + rng.gauss(0, 1.0), 0, 10) if rng.random() < 0.8 else None
    survey = draft_survey(rng, request, csat, nps, answered)
    events.append(
        TicketEvent(
            ticket=ticket,
            kind=EventKind.SURVEY_ANSWERED,
            at=answered,
            note=survey.comment,
            data={
                "csat": csat,
                "nps": nps,
                "contact": contact.name if contact else "",
                "by": "link" if request.email else "colleague",
            },
        )
    )
    return Drafted(request, survey)


def relationship_survey(
    rng: random.Random,
    account: Account,
    contact: Contact,
    moment: dt.datetime,
    mood: float,
    now: dt.datetime,
) -> Drafted:
    asked = moment + dt.timedelta(minutes=rng.randint(0, 120))
    request = draft_request(rng, SurveyKind.RELATIONSHIP, account, contact, asked)
    answered = asked + answer_delay(rng) * 2
    if rng.random() >= RELATIONSHIP_ANSWER_SHARE or answered > min(now, request.expires_at):
        return Drafted(request, None)
    nps = clamp(rng.gauss(8.3 + 1.2 * mood, 1.3), 0, 10)
    csat = clamp(nps / 2 + rng.gauss(0.2, 0.6), 1, 5) if rng.random() < 0.85 else None
    return Drafted(request, draft_survey(rng, request, csat, nps, answered))


def draft_request(
    rng: random.Random,
    kind: str,
    account: Account,
    contact: Contact | None,
    asked: dt.datetime,
    *,
    ticket: Ticket | None = None,
) -> SurveyRequest:
    email = contact.email if contact is not None and contact.is_active else ""
    return SurveyRequest(
        kind=kind,
        account=account,
        contact=contact,
        ticket=ticket,
        token_hash=token(rng),
        created_at=asked,
        expires_at=asked + dt.timedelta(days=settings.KAM_SURVEY_EXPIRY_DAYS),
        email=email,
        emailed_at=asked if email else None,
    )


def draft_survey(
    rng: random.Random,
    request: SurveyRequest,
    csat: int | None,
    nps: int | None,
    answered: dt.datetime,
) -> Survey:
    score = csat if csat is not None else (nps or 0) / 2
    pool: tuple[str, ...]
    if score >= 4:
        pool = PRAISE
    elif score >= 3:
        pool = NEUTRAL
    else:
        pool = COMPLAINTS
    low = is_low(csat, nps)
    comment = rng.choice(pool) if low or rng.random() < COMMENT_SHARE else ""
    return Survey(
        account=request.account,
        contact=request.contact,
        kind=request.kind,
        csat=csat,
        nps=nps,
        comment=comment,
        responded_at=answered,
        recorded_by=None if request.email else request.account.owner,
        ticket=request.ticket,
    )


def follow_up(
    rng: random.Random, survey: Survey, owner: User, now: dt.datetime
) -> tuple[Activity, Contact | None]:
    from kam.service.surveys import follow_up_subject, next_working_morning, scores_text

    starts = next_working_morning(survey.responded_at)
    done = starts < now - dt.timedelta(hours=4)
    who = survey.contact.name if survey.contact else survey.account.name
    scores = scores_text(survey.csat, survey.nps)
    cancelled = done and rng.random() < 0.05
    activity = Activity(
        account=survey.account,
        kind=ActivityKind.CALL,
        status=(
            ActivityStatus.CANCELLED
            if cancelled
            else ActivityStatus.DONE
            if done
            else ActivityStatus.PLANNED
        ),
        subject=follow_up_subject(scores, who)[:200],
        starts_at=starts,
        duration_minutes=30,
        owner=owner,
        notes=f"{scores}\n{survey.comment}".strip(),
        outcome=rng.choice(OUTCOMES) if done and not cancelled else "",
        sentiment=(
            rng.choice([Sentiment.NEUTRAL, Sentiment.NEGATIVE, Sentiment.POSITIVE])
            if done and not cancelled
            else ""
        ),
        created_at=survey.responded_at,
    )
    return activity, survey.contact


@transaction.atomic
def write(
    rng: random.Random, drafted: list[Drafted], events: list[TicketEvent], now: dt.datetime
) -> dict[str, int]:
    surveys = [d.survey for d in drafted if d.survey is not None]
    Survey.objects.bulk_create(surveys, batch_size=500)
    for item in drafted:
        item.request.survey = item.survey
    SurveyRequest.objects.bulk_create([d.request for d in drafted], batch_size=500)
    TicketEvent.objects.bulk_create(events, batch_size=1000)
    follow_ups = 0
    for survey in surveys:
        if not is_low(survey.csat, survey.nps):
            continue
        owner = survey.account.owner
        if not owner.is_active:
            continue
        activity, contact = follow_up(rng, survey, owner, now)
        activity.save()
        if contact is not None:
            activity.contacts.set([contact])
        Survey.objects.filter(pk=survey.pk).update(follow_up=activity)
        follow_ups += 1
    return {
        "survey requests": len(drafted),
        "survey answers": len(surveys),
        "low-score follow-ups": follow_ups,
    }
