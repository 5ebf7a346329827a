"""Demo tickets for `kam demo`: some nine hundred requests and complaints of the last
eighteen months, deterministic with the generator, so the ticket pages and the account
pages show real content — most met their targets, some missed them (with the escalations
they caused), complaints handed over to colleagues, a few reopened, and a handful open
right now: on track, at risk and in breach.

Tickets come from customers that were buying at the time (from their first order to two
months after their last), more from higher tiers. Complaints cluster where real books
have them: in the half year before an account stops buying (four times as likely) — so
the churn model's complaint features have a signal to find in the demo
(docs/methods/risk.md says so beside its figures).

Nobody is notified: the history is written as it happened, with each escalation level
already reached recorded, so the first SLA check of `kam worker` only escalates what
moves on from here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from kam.accounts.models import Account
from kam.core.models import Role, User
from kam.service.clock import add_working_seconds
from kam.service.models import (
    EventKind,
    PauseReason,
    ServicePolicy,
    SlaClock,
    Ticket,
    TicketCategory,
    TicketChannel,
    TicketEvent,
    TicketKind,
    TicketPause,
    TicketPriority,
    TicketStatus,
)
from kam.service.sla import Calendars, moment_after, refresh_due, risk_seconds, ticket_clocks
from kam.transactions.models import Order

HISTORY_TICKETS = 900
OPEN_TICKETS = 28
HISTORY_DAYS = 540
TIER_WEIGHT = {"diamond": 6.0, "core": 3.0, "potential": 1.5, "basic": 0.6}
COMPLAINT_SHARE = 0.38
#: A customer raises tickets until this long after its last order.
AFTER_LAST_ORDER = dt.timedelta(days=60)
#: Complaints are LAPSE_COMPLAINTS times as likely in the LAPSE_BEFORE before the last order
#: of an account that has stopped buying (no order in the LAPSED_AFTER before the end).
LAPSE_COMPLAINTS = 4.0
LAPSE_BEFORE = dt.timedelta(days=180)
LAPSED_AFTER = dt.timedelta(days=90)
#: An account without orders (a prospect) asks this much less; it does not complain.
PROSPECT_REQUESTS = 0.3

# fmt: off
SUBJECTS: dict[str, tuple[str, ...]] = {
    TicketCategory.PRODUCT_QUALITY: (
        "产品表面划伤，要求更换", "批次尺寸超差", "设备运行异响", "涂层起皮", "来料检验不合格",
        "传感器读数漂移",
    ),
    TicketCategory.DELIVERY: (
        "交货延迟", "到货数量短少", "外包装破损", "发错型号", "物流信息未更新",
    ),
    TicketCategory.BILLING: (
        "发票金额与合同不符", "重复开票", "付款条件核对", "增值税发票信息有误", "对账单差异",
    ),
    TicketCategory.TECHNICAL: (
        "系统对接报错", "参数调试支持", "软件升级后无法登录", "远程诊断请求", "接口文档咨询",
    ),
    TicketCategory.INSTALLATION: ("安装排期确认", "调试验收延期", "现场安装指导"),
    TicketCategory.DOCUMENTATION: ("需要材质证明", "合格证缺失", "提供检测报告", "出口认证文件"),
    TicketCategory.SERVICE_ATTITUDE: ("服务人员响应不及时", "热线等待时间过长",
                                      "现场工程师态度问题"),
    TicketCategory.OTHER: ("年度合同续签咨询", "培训需求", "参观工厂申请"),
}
COMPLAINT_CATEGORIES = {
    TicketCategory.PRODUCT_QUALITY: 40, TicketCategory.DELIVERY: 25, TicketCategory.BILLING: 15,
    TicketCategory.SERVICE_ATTITUDE: 10, TicketCategory.TECHNICAL: 10,
}
REQUEST_CATEGORIES = {
    TicketCategory.TECHNICAL: 30, TicketCategory.DOCUMENTATION: 20, TicketCategory.BILLING: 15,
    TicketCategory.INSTALLATION: 15, TicketCategory.DELIVERY: 10, TicketCategory.OTHER: 10,
}
CHANNELS = {TicketChannel.PHONE: 45, TicketChannel.EMAIL: 30, TicketChannel.VISIT: 10,
            TicketChannel.PORTAL: 15}
PRIORITIES = {TicketPriority.LOW: 15, TicketPriority.NORMAL: 55, TicketPriority.HIGH: 22,
              TicketPriority.URGENT: 8}
RESPONSES = ("已电话联系客户确认情况", "已安排工程师跟进", "已回复邮件，确认收到",
             "已与客户采购确认细节")
WAITS = ("等待客户提供照片", "等待客户确认现场时间", "等待客户提供订单号", "等待客户内部审批")
RESOLUTIONS = ("已补发货物并确认签收", "已更换不良品", "已重开发票", "已远程解决，客户确认",
               "已提供所需文件", "已派工程师现场处理")
HANDOVERS = ("转交技术支持跟进", "转交财务核对发票", "转交物流部门处理", "转交质量部分析原因")
REOPENS = ("客户反馈问题仍存在", "更换后再次出现同样问题")
COMMENTS = ("已通知客户经理", "客户希望本周内答复", "同类问题上月也出现过")
# fmt: on


@dataclass
class Draft:
    ticket: Ticket
    events: list[TicketEvent] = field(default_factory=list)
    pauses: list[TicketPause] = field(default_factory=list)


@dataclass
class Cast:
    """Who works the demo's tickets."""

    workers: list[User]
    by_team: dict[int | None, list[User]]
    managers: dict[int | None, list[User]]
    directors: list[User]
    service: list[User]


def weighted(rng: random.Random, options: Mapping[Any, float]) -> Any:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def populate(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
) -> dict[str, int]:
    """The demo hook: tickets of the last months up to now (see populate_tickets)."""
    return populate_tickets(rng, accounts, users, as_of)


def populate_tickets(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
    *,
    now: dt.datetime | None = None,
    history: int = HISTORY_TICKETS,
    open_count: int = OPEN_TICKETS,
) -> dict[str, int]:
    """Write `history` finished tickets of the HISTORY_DAYS before `as_of` and
    `open_count` open ones of the last days before `now`; the counts written."""
    from kam.service.policies import all_policies, tiers_of

    now = now or timezone.now()
    pool = list(Account.objects.filter(pk__in=[a.pk for a in accounts]).select_related("owner"))
    people = list(users.values()) if isinstance(users, Mapping) else list(users)
    cast = cast_of(people)
    if not pool or not cast.workers:
        return {"tickets": 0, "open tickets": 0, "ticket events": 0}
    pool.sort(key=lambda account: account.pk)
    tiers = tiers_of([a.pk for a in pool])
    policies = {p.tier: p for p in all_policies()}
    calendars = Calendars()
    team_of = team_members_of(pool)
    last = min(now - dt.timedelta(days=3), end_of(as_of))
    first = last - dt.timedelta(days=HISTORY_DAYS)
    askers = Askers(pool, tiers, last.date())
    drafts: list[Draft] = []
    for _ in range(history):
        created = working_moment(rng, first, last)
        kind = TicketKind.COMPLAINT if rng.random() < COMPLAINT_SHARE else TicketKind.REQUEST
        account = askers.pick(rng, created.date(), kind)
        draft = plan(
            rng, account, kind, tiers[account.pk], policies, calendars, cast, team_of, created
        )
        live_through(rng, draft, calendars, cast, finish=True, now=now)
        drafts.append(draft)
    for _ in range(open_count):
        created = now - dt.timedelta(minutes=rng.randint(20, 7 * 24 * 60))
        kind = TicketKind.COMPLAINT if rng.random() < COMPLAINT_SHARE else TicketKind.REQUEST
        account = askers.pick(rng, created.date(), kind)
        draft = plan(
            rng, account, kind, tiers[account.pk], policies, calendars, cast, team_of, created
        )
        live_through(rng, draft, calendars, cast, finish=False, now=now)
        drafts.append(draft)
    write(drafts, calendars, now)
    return {
        "tickets": len(drafts),
        "open tickets": sum(1 for d in drafts if d.ticket.status not in _DONE),
        "ticket events": sum(len(d.events) for d in drafts),
    }


_DONE = (TicketStatus.RESOLVED, TicketStatus.CLOSED)


class Askers:
    """Who raises a ticket on a given day: the accounts buying then, weighted by tier, with
    complaints drawn towards accounts about to stop buying (see the module's text). The
    weights are worked out once a month of the history and kind."""

    def __init__(self, pool: list[Account], tiers: Mapping[int, str], end: dt.date) -> None:
        self.pool = pool
        self.tiers = tiers
        self.end = end
        spans = Order.objects.filter(account__in=pool).values("account_id")
        self.spans: dict[int, tuple[dt.date, dt.date]] = {
            row["account_id"]: (row["first"], row["last"])
            for row in spans.annotate(first=Min("order_date"), last=Max("order_date"))
        }
        self.cache: dict[tuple[int, int, str], list[float]] = {}

    def pick(self, rng: random.Random, day: dt.date, kind: str) -> Account:
        key = (day.year, day.month, kind)
        if key not in self.cache:
            self.cache[key] = [self.weight(a, day, kind) for a in self.pool]
        weights = self.cache[key]
        if not any(weights):
            weights = [TIER_WEIGHT.get(self.tiers[a.pk], 1.0) for a in self.pool]
        return rng.choices(self.pool, weights=weights)[0]

    def weight(self, account: Account, day: dt.date, kind: str) -> float:
        base = TIER_WEIGHT.get(self.tiers[account.pk], 1.0)
        if not self.spans:  # a book without orders: every account may ask
            return base
        span = self.spans.get(account.pk)
        if span is None:
            return 0.0 if kind == TicketKind.COMPLAINT else base * PROSPECT_REQUESTS
        first, last = span
        if day < first or day > last + AFTER_LAST_ORDER:
            return 0.0
        lapsed = last < self.end - LAPSED_AFTER
        if kind == TicketKind.COMPLAINT and lapsed and day >= last - LAPSE_BEFORE:
            return base * LAPSE_COMPLAINTS
        return base


def end_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59)))


def cast_of(people: Sequence[User]) -> Cast:
    working = {Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.SERVICE_AGENT}
    workers = sorted(
        (u for u in people if u.is_active and u.role in working), key=lambda u: u.username
    )
    by_team: dict[int | None, list[User]] = defaultdict(list)
    managers: dict[int | None, list[User]] = defaultdict(list)
    for user in workers:
        by_team[user.team_id].append(user)
        if user.role == Role.SALES_MANAGER:
            managers[user.team_id].append(user)
    directors = sorted(
        (u for u in people if u.is_active and u.role == Role.DIRECTOR), key=lambda u: u.username
    )
    service = [u for u in workers if u.role == Role.SERVICE_AGENT]
    return Cast(workers, dict(by_team), dict(managers), directors, service)


def team_members_of(accounts: list[Account]) -> dict[int, list[User]]:
    from kam.accounts.models import AccountTeamMember

    found: dict[int, list[User]] = defaultdict(list)
    rows = AccountTeamMember.objects.filter(account__in=accounts, user__is_active=True)
    for member in rows.select_related("user").order_by("account_id", "user__username"):
        if not member.user.is_read_only:
            found[member.account_id].append(member.user)
    return dict(found)


def working_moment(rng: random.Random, first: dt.datetime, last: dt.datetime) -> dt.datetime:
    """A moment between the two, mostly on a working day in office hours."""
    span = max(1, (last - first).days)
    for _ in range(20):
        day = (first + dt.timedelta(days=rng.randrange(span))).date()
        if day.weekday() < 5 or rng.random() < 0.08:
            break
    hour = rng.choices(range(7, 21), weights=[1, 4, 8, 8, 6, 3, 7, 8, 7, 6, 3, 2, 1, 1])[0]
    moment = dt.datetime.combine(day, dt.time(hour, rng.randrange(60)))
    return timezone.make_aware(moment)


def plan(
    rng: random.Random,
    account: Account,
    kind: str,
    tier: str,
    policies: dict[str, ServicePolicy],
    calendars: Calendars,
    cast: Cast,
    team_of: dict[int, list[User]],
    created: dt.datetime,
) -> Draft:
    """A recorded ticket: who took the call, what about, under which targets."""
    category = weighted(rng, COMPLAINT_CATEGORIES if kind == "complaint" else REQUEST_CATEGORIES)
    recorder = pick_recorder(rng, account, cast, team_of)
    policy = policies[tier]
    subject = rng.choice(SUBJECTS[category])
    ticket = Ticket(
        account=account,
        kind=kind,
        category=category,
        priority=weighted(rng, PRIORITIES),
        channel=weighted(rng, CHANNELS),
        subject=subject,
        description=f"{account.name}反馈：{subject}。请按服务等级要求跟进。",
        status=TicketStatus.NEW,
        owner=recorder,
        recorded_by=recorder,
        created_at=created,
        updated_at=created,
        tier=tier,
        clock=policy.clock,
        response_minutes=policy.first_response_minutes,
        resolution_minutes=policy.resolution_minutes,
    )
    draft = Draft(ticket)
    event(
        draft,
        EventKind.CREATED,
        recorder,
        created,
        to_status=TicketStatus.NEW,
        to_user=recorder,
        data={
            "tier": tier,
            "clock": policy.clock,
            "response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
        },
    )
    return draft


def pick_recorder(
    rng: random.Random, account: Account, cast: Cast, team_of: dict[int, list[User]]
) -> User:
    """Mostly the account's owner took the call; else someone on its team, or service."""
    owner = account.owner
    roll = rng.random()
    if roll < 0.7 and owner.is_active and not owner.is_read_only:
        return owner
    if roll < 0.88 and team_of.get(account.pk):
        return rng.choice(team_of[account.pk])
    if cast.service:
        return rng.choice(cast.service)
    return owner if owner.is_active else rng.choice(cast.workers)


def colleague_of(rng: random.Random, user: User, cast: Cast) -> User | None:
    choices = cast.service or [u for u in cast.by_team.get(user.team_id, []) if u.pk != user.pk]
    choices = [u for u in choices if u.pk != user.pk] or [
        u for u in cast.workers if u.pk != user.pk
    ]
    return rng.choice(choices) if choices else None


def event(draft: Draft, kind: str, actor: User | None, at: dt.datetime, **fields: Any) -> None:
    draft.events.append(TicketEvent(kind=kind, actor=actor, at=at, **fields))


def live_through(
    rng: random.Random,
    draft: Draft,
    calendars: Calendars,
    cast: Cast,
    *,
    finish: bool,
    now: dt.datetime,
) -> None:
    happen(rng, draft, calendars, cast, finish=finish, now=now)
    for clock_name in (SlaClock.RESPONSE, SlaClock.RESOLUTION):
        escalate_history(draft, cast, clock_name, now, calendars)


def happen(
    rng: random.Random,
    draft: Draft,
    calendars: Calendars,
    cast: Cast,
    *,
    finish: bool,
    now: dt.datetime,
) -> None:
    """What happened to the ticket: a response (late now and then), perhaps a handover,
    a wait for the customer, the resolution and closing (for finished ones)."""
    ticket = draft.ticket
    calendar = calendars.get(ticket.clock)
    created = ticket.created_at
    response_target = ticket.response_minutes * 60
    late = rng.random() < 0.12
    share = rng.uniform(1.05, 2.2) if late else rng.uniform(0.05, 0.85)
    responded = add_working_seconds(calendar, created, int(response_target * share))
    if not finish and (responded > now or rng.random() < 0.2):
        return  # still waiting for its first response
    owner = ticket.owner
    status = TicketStatus.NEW
    if ticket.kind == TicketKind.COMPLAINT and rng.random() < 0.4:
        to = colleague_of(rng, owner, cast)
        if to is not None:
            at = created + (responded - created) * rng.uniform(0.2, 0.9)
            event(
                draft,
                EventKind.HANDED_OVER,
                owner,
                at,
                from_user=owner,
                to_user=to,
                note=rng.choice(HANDOVERS),
            )
            owner = ticket.owner = to
    ticket.first_response_at = responded
    event(
        draft,
        EventKind.RESPONDED,
        owner,
        responded,
        from_status=status,
        to_status=TicketStatus.IN_PROGRESS,
        note=rng.choice(RESPONSES),
    )
    status = ticket.status = TicketStatus.IN_PROGRESS
    cursor = responded
    if rng.random() < 0.22:
        start = add_working_seconds(calendar, cursor, rng.randint(600, 4 * 3600))
        end = add_working_seconds(calendar, start, rng.randint(2 * 3600, 16 * 3600))
        if start < now:
            event(
                draft,
                EventKind.PAUSED,
                owner,
                start,
                from_status=status,
                to_status=TicketStatus.WAITING_CUSTOMER,
                note=rng.choice(WAITS),
            )
            if end < now:
                draft.pauses.append(
                    TicketPause(reason=PauseReason.WAITING, started_at=start, ended_at=end)
                )
                event(
                    draft,
                    EventKind.RESUMED,
                    owner,
                    end,
                    from_status=TicketStatus.WAITING_CUSTOMER,
                    to_status=TicketStatus.IN_PROGRESS,
                )
                cursor = end
            else:
                draft.pauses.append(TicketPause(reason=PauseReason.WAITING, started_at=start))
                ticket.status = TicketStatus.WAITING_CUSTOMER
                return
    if rng.random() < 0.15:
        event(draft, EventKind.COMMENTED, owner, cursor, note=rng.choice(COMMENTS))
    late = rng.random() < 0.14
    share = rng.uniform(1.05, 1.9) if late else rng.uniform(0.15, 0.95)
    spans = [(p.started_at, p.ended_at) for p in draft.pauses]
    resolved = moment_after(calendar, created, int(ticket.resolution_minutes * 60 * share), spans)
    resolved = max(resolved or cursor, cursor + dt.timedelta(minutes=5))
    if not finish or resolved > now:
        return
    resolve(rng, draft, owner, resolved)
    if rng.random() < 0.05:
        reopened = resolved + dt.timedelta(hours=rng.randint(20, 72))
        again = add_working_seconds(calendar, reopened, rng.randint(3600, 6 * 3600))
        if again < now:
            draft.pauses.append(
                TicketPause(reason=PauseReason.RESOLVED, started_at=resolved, ended_at=reopened)
            )
            event(
                draft,
                EventKind.REOPENED,
                owner,
                reopened,
                from_status=TicketStatus.RESOLVED,
                to_status=TicketStatus.IN_PROGRESS,
                note=rng.choice(REOPENS),
            )
            ticket.reopen_count = 1
            resolve(rng, draft, owner, again)
            resolved = again
    closed = resolved + dt.timedelta(hours=rng.randint(4, 120))
    if rng.random() < 0.85 and closed < now:
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = closed
        event(
            draft,
            EventKind.CLOSED,
            owner,
            closed,
            from_status=TicketStatus.RESOLVED,
            to_status=TicketStatus.CLOSED,
        )


def resolve(rng: random.Random, draft: Draft, owner: User, at: dt.datetime) -> None:
    ticket = draft.ticket
    text = rng.choice(RESOLUTIONS)
    ticket.status = TicketStatus.RESOLVED
    ticket.resolved_at = at
    ticket.resolution = text
    event(
        draft,
        EventKind.RESOLVED,
        owner,
        at,
        from_status=TicketStatus.IN_PROGRESS,
        to_status=TicketStatus.RESOLVED,
        note=text,
    )


def escalate_history(
    draft: Draft, cast: Cast, clock_name: str, now: dt.datetime, calendars: Calendars
) -> None:
    """The escalations the clock went through, as the SLA check would have recorded
    them (at the moments each level was reached), without telling anyone now."""
    ticket = draft.ticket
    clocks = ticket_clocks(ticket, now=now, calendars=calendars, pauses=draft.pauses)
    clock = clocks.response if clock_name == SlaClock.RESPONSE else clocks.resolution
    calendar = calendars.get(ticket.clock)
    spans = (
        []
        if clock_name == SlaClock.RESPONSE
        else [(p.started_at, p.ended_at) for p in draft.pauses]
    )
    end = clock.stopped_at or now
    level = 0
    for number, seconds in (
        (1, risk_seconds(clock.target)),
        (2, clock.target + 1),
        (3, int(clock.target * 1.5) + 1),
    ):
        moment = moment_after(calendar, ticket.created_at, seconds, spans)
        if moment is None or moment > end:
            break
        level = number
        event(
            draft,
            EventKind.ESCALATED,
            None,
            moment,
            clock=clock_name,
            level=number,
            data={"recipients": recipients(ticket, number, cast)},
        )
    setattr(ticket, f"{clock_name}_escalation", level)


def recipients(ticket: Ticket, level: int, cast: Cast) -> list[str]:
    account_owner = ticket.account.owner
    if level == 1:
        people = [ticket.owner, account_owner]
    elif level == 2:
        people = [ticket.owner, account_owner, *cast.managers.get(account_owner.team_id, [])]
    else:
        people = cast.directors
    names: list[str] = []
    for person in people:
        if person.is_active and person.username not in names:
            names.append(person.username)
    return names


@transaction.atomic
def write(drafts: list[Draft], calendars: Calendars, now: dt.datetime) -> None:
    for draft in drafts:
        refresh_due(draft.ticket, calendars=calendars, pauses=draft.pauses, now=now)
        last = max(e.at for e in draft.events)
        draft.ticket.updated_at = last
    tickets = Ticket.objects.bulk_create([d.ticket for d in drafts], batch_size=500)
    for ticket in tickets:
        ticket.number = f"T-{ticket.pk:06d}"
    Ticket.objects.bulk_update(tickets, ["number"], batch_size=500)
    pauses, events = [], []
    for draft, ticket in zip(drafts, tickets, strict=True):
        for pause in draft.pauses:
            pause.ticket = ticket
            pauses.append(pause)
        for step in sorted(draft.events, key=lambda e: e.at):
            step.ticket = ticket
            events.append(step)
    TicketPause.objects.bulk_create(pauses, batch_size=1000)
    TicketEvent.objects.bulk_create(events, batch_size=1000)
