"""Demo content of relationship management: two years of activities before the demo's as-of
date (key accounts visited often, basic ones rarely; a few lapsed key accounts whose
visit is overdue, a few whose economic buyer we never meet), planned visits and meetings
in the weeks after it, and gifts and entertainment — one of which takes a decision maker
above the yearly limit, logged with an acknowledgement.

The same rng, the same activities. The demo contacts already report to one another
(kam.core.demo builds the org chart), so reports_to is left as it is.

Call after the demo book is loaded and scored (the tiers decide how often accounts are
visited): ``populate(random.Random(seed), Account.objects.all(), users, book.as_of)``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from kam.accounts.models import Account
from kam.contacts.models import BuyingRole, Contact
from kam.core import audit
from kam.core.models import AuditAction, AuditEvent, Role, User
from kam.relations.models import Activity, ActivityKind, ActivityStatus, Sentiment
from kam.relations.services import (
    ActivityDraft,
    GiftLimitExceeded,
    company_currency,
    gift_limit,
    save_activity,
)
from kam.transactions.models import Order

SOURCE = "demo"
YEAR_DAYS = 365
#: Years of done activities before the as-of date (the churn model trained one window
#: back still sees a year of contact history).
HISTORY_YEARS = 2
HISTORY_DAYS = HISTORY_YEARS * YEAR_DAYS
#: A customer is courted from this long before its first order and visited until this long
#: after its last one (nobody visits a customer that left a year ago).
COURTING = dt.timedelta(days=90)
AFTER_LAST_ORDER = dt.timedelta(days=90)
#: Activities per year by tier: kind → (fewest, most).
PER_YEAR: dict[str, dict[str, tuple[int, int]]] = {
    "diamond": {
        "visit": (10, 14),
        "meeting": (3, 6),
        "call": (10, 18),
        "email": (8, 14),
        "event": (1, 3),
        "club_event": (1, 2),
    },
    "core": {
        "visit": (3, 6),
        "meeting": (1, 3),
        "call": (4, 10),
        "email": (3, 8),
        "event": (0, 2),
        "club_event": (0, 1),
    },
    "potential": {"visit": (1, 3), "meeting": (0, 1), "call": (2, 5), "email": (1, 4)},
    "basic": {"visit": (0, 1), "call": (0, 2), "email": (0, 2)},
}
#: Share of basic accounts with any activity in the year.
BASIC_ACTIVE = 0.3
#: Share of diamond and core accounts whose visits lapsed (the cadence shows them overdue).
LAPSED = 0.1
#: Share of diamond and core accounts whose economic buyer we never meet.
DECIDER_UNMET = 0.12
#: Days between business reviews with the economic buyer at key accounts (the seeds'
#: high-level exchanges); one review in REVIEW_SKIPPED does not take place.
REVIEW_DAYS = {"diamond": 90, "core": 150}
REVIEW_SKIPPED = 0.15
REVIEW_SUBJECTS = ("高层业务回顾：年度合作进展", "与总经理商谈年度合作规划", "季度高层会晤")
GIFT_ACCOUNTS = 16

SUBJECTS: dict[str, tuple[str, ...]] = {
    "visit": (
        "季度业务回顾",
        "拜访采购部，沟通年度框架协议",
        "现场走访新产线",
        "拜访技术部，了解改造需求",
        "售后回访，确认设备运行情况",
        "拜访总经理，汇报合作进展",
    ),
    "meeting": (
        "技术方案交流会",
        "年度合作规划会",
        "项目启动会",
        "价格与交付条款谈判",
        "样板工厂参观接待",
    ),
    "call": (
        "电话跟进报价",
        "电话确认交期",
        "电话沟通付款安排",
        "电话了解试用反馈",
        "视频会议：需求澄清",
    ),
    "email": (
        "发送技术资料",
        "发送报价单",
        "发送会议纪要",
        "发送年度服务报告",
    ),
    "event": ("行业展会接待", "新品发布会", "技术研讨会"),
    "club_event": ("客户俱乐部年会", "俱乐部高尔夫邀请赛", "俱乐部技术沙龙"),
}
OUTCOMES = (
    "客户认可方案，下一步安排试用",
    "需求已明确，两周内提交报价",
    "对交期有顾虑，需要生产部确认",
    "预算审批中，下月再跟进",
    "提出价格异议，需准备成本分析",
    "同意扩大采购范围",
    "关系良好，约定下次拜访时间",
    "投诉响应速度，已转服务部处理",
)
SENTIMENTS = {Sentiment.POSITIVE: 55, Sentiment.NEUTRAL: 33, Sentiment.NEGATIVE: 8, "": 4}
DURATIONS = {"visit": (60, 180), "meeting": (60, 240), "call": (10, 45), "email": (0, 0)}


def weighted(rng: random.Random, options: Mapping[Any, float]) -> Any:
    keys = list(options)
    return rng.choices(keys, weights=[options[k] for k in keys])[0]


def on_a_weekday(day: dt.date) -> dt.date:
    if day.weekday() == 5:
        return day - dt.timedelta(days=1)
    if day.weekday() == 6:
        return day + dt.timedelta(days=1)
    return day


def moment(rng: random.Random, day: dt.date) -> dt.datetime:
    hour = rng.choice((9, 10, 10, 11, 14, 14, 15, 16))
    minute = rng.choice((0, 0, 15, 30, 30, 45))
    return timezone.make_aware(dt.datetime.combine(on_a_weekday(day), dt.time(hour, minute)))


def spread(rng: random.Random, count: int, start: dt.date, days: int) -> list[dt.date]:
    """`count` days spread evenly over `days` days from `start`, with some jitter."""
    if count <= 0:
        return []
    step = days / count
    return sorted(
        start + dt.timedelta(days=int(min(days - 1, max(0, (i + rng.uniform(0.1, 0.9)) * step))))
        for i in range(count)
    )


def people_of(accounts: Sequence[Account]) -> dict[int, list[Contact]]:
    found: dict[int, list[Contact]] = defaultdict(list)
    for contact in Contact.objects.filter(account__in=accounts, is_active=True).order_by("pk"):
        found[contact.account_id].append(contact)
    return found


def buying_spans(accounts: Sequence[Account]) -> dict[int, tuple[dt.date, dt.date]]:
    """account pk → the days of its first and last order (accounts with orders only)."""
    rows = (
        Order.objects.filter(account__in=accounts)
        .values("account_id")
        .annotate(first=Min("order_date"), last=Max("order_date"))
    )
    return {row["account_id"]: (row["first"], row["last"]) for row in rows}


def managers_of(people: Sequence[User]) -> dict[int, User]:
    return {u.team_id: u for u in people if u.role == Role.SALES_MANAGER and u.team_id}


def pick_contacts(
    rng: random.Random, contacts: Sequence[Contact], kind: str, avoid_decider: bool
) -> list[Contact]:
    if not contacts or (kind == "email" and rng.random() < 0.3):
        return []
    weights: dict[str, int] = {
        BuyingRole.ECONOMIC_BUYER: 0 if avoid_decider else 2,
        BuyingRole.TECHNICAL_BUYER: 4,
        BuyingRole.USER_BUYER: 4,
        BuyingRole.COACH: 5,
        BuyingRole.NONE: 1,
    }
    chosen: list[Contact] = []
    for _n in range(1 if rng.random() < 0.6 else 2):
        pool = [c for c in contacts if c not in chosen and weights.get(c.buying_role, 1) > 0]
        if not pool:
            break
        chosen.append(rng.choices(pool, weights=[weights.get(c.buying_role, 1) for c in pool])[0])
    return chosen


class Plan:
    """The activities of the demo, collected before they are written in bulk."""

    def __init__(self) -> None:
        self.activities: list[Activity] = []
        self.contacts: list[list[Contact]] = []
        self.participants: list[list[User]] = []

    def add(
        self,
        activity: Activity,
        contacts: list[Contact],
        participants: list[User] | None = None,
    ) -> None:
        self.activities.append(activity)
        self.contacts.append(contacts)
        self.participants.append(participants or [])

    def write(self) -> int:
        made = Activity.objects.bulk_create(self.activities, batch_size=2000)
        contact_rows = [
            Activity.contacts.through(activity_id=a.pk, contact_id=c.pk)
            for a, people in zip(made, self.contacts, strict=True)
            for c in people
        ]
        Activity.contacts.through.objects.bulk_create(contact_rows, batch_size=5000)
        user_rows = [
            Activity.participants.through(activity_id=a.pk, user_id=u.pk)
            for a, people in zip(made, self.participants, strict=True)
            for u in people
        ]
        Activity.participants.through.objects.bulk_create(user_rows, batch_size=5000)
        audit.record_many(
            audit_event(a, people) for a, people in zip(made, self.contacts, strict=True)
        )
        return len(made)


def audit_event(activity: Activity, contacts: list[Contact]) -> AuditEvent:
    values = {
        "kind": activity.kind,
        "status": activity.status,
        "subject": activity.subject,
        "starts_at": timezone.localtime(activity.starts_at).strftime("%Y-%m-%d %H:%M"),
        "owner": activity.owner.username,
        "contacts": audit.plain(sorted(c.name for c in contacts)),
        "sentiment": activity.sentiment,
        "outcome": activity.outcome,
    }
    return audit.event(
        actor=None,
        action=AuditAction.CREATE,
        instance=activity,
        changes=audit.created(values),
        account_id=activity.account_id,
        source=SOURCE,
    )


def activity(
    rng: random.Random,
    account: Account,
    kind: str,
    day: dt.date,
    status: str = ActivityStatus.DONE,
) -> Activity:
    when = moment(rng, day)
    low, high = DURATIONS.get(kind, (60, 240))
    done = status == ActivityStatus.DONE
    return Activity(
        account=account,
        kind=kind,
        status=status,
        subject=rng.choice(SUBJECTS[kind]),
        starts_at=when,
        duration_minutes=rng.randrange(low, high + 1, 5) if high else None,
        owner=account.owner,
        outcome=rng.choice(OUTCOMES) if done and kind != "email" and rng.random() < 0.7 else "",
        sentiment=weighted(rng, SENTIMENTS) if done and kind != "email" else "",
        created_by=account.owner,
        created_at=when if done else timezone.now(),
    )


def plan_account(
    rng: random.Random,
    plan: Plan,
    account: Account,
    tier: str,
    contacts: list[Contact],
    manager: User | None,
    as_of: dt.date,
    span: tuple[dt.date, dt.date] | None = None,
) -> int:
    """HISTORY_YEARS of done activities and the planned ones ahead; returns how many are
    planned."""
    key = tier in {"diamond", "core"}
    if tier == "basic" and rng.random() > BASIC_ACTIVE:
        return 0
    lapsed = key and rng.random() < LAPSED
    shy = key and rng.random() < DECIDER_UNMET
    start = as_of - dt.timedelta(days=HISTORY_DAYS)
    for kind, (low, high) in PER_YEAR[tier].items():
        count = sum(rng.randint(low, high) for _year in range(HISTORY_YEARS))
        days = HISTORY_DAYS - (150 if lapsed and kind in {"visit", "meeting"} else 0)
        for day in spread(rng, count, start, days):
            if span and not span[0] - COURTING <= day <= span[1] + AFTER_LAST_ORDER:
                continue
            made = activity(rng, account, kind, day)
            people = [manager] if manager and tier == "diamond" and rng.random() < 0.3 else []
            plan.add(made, pick_contacts(rng, contacts, kind, shy), people)
    if key and not shy and not lapsed:
        add_reviews(rng, plan, account, tier, contacts, manager, start, span)
    planned = 0
    gone = span is not None and as_of > span[1] + AFTER_LAST_ORDER
    if tier != "basic" and not lapsed and not gone:
        for _n in range(rng.randint(0 if tier == "potential" else 1, 2)):
            day = as_of + dt.timedelta(days=rng.randint(3, 45))
            kind = rng.choice(("visit", "visit", "meeting", "call"))
            made = activity(rng, account, kind, day, ActivityStatus.PLANNED)
            plan.add(made, pick_contacts(rng, contacts, kind, shy))
            planned += 1
    return planned


def add_reviews(
    rng: random.Random,
    plan: Plan,
    account: Account,
    tier: str,
    contacts: list[Contact],
    manager: User | None,
    start: dt.date,
    span: tuple[dt.date, dt.date] | None,
) -> None:
    """Business reviews with the economic buyer every REVIEW_DAYS (some skipped), the
    account's coach often at the table and the team's manager at diamond accounts."""
    deciders = [c for c in contacts if c.buying_role == BuyingRole.ECONOMIC_BUYER]
    if not deciders:
        return
    coaches = [c for c in contacts if c.buying_role == BuyingRole.COACH]
    every = REVIEW_DAYS[tier]
    day = start + dt.timedelta(days=rng.randrange(every))
    while day <= start + dt.timedelta(days=HISTORY_DAYS - 1):
        ended = span is not None and day > span[1] + AFTER_LAST_ORDER
        if rng.random() >= REVIEW_SKIPPED and not ended:
            made = activity(rng, account, ActivityKind.MEETING, day)
            made.subject = rng.choice(REVIEW_SUBJECTS)
            people = [rng.choice(deciders)] + (coaches[:1] if rng.random() < 0.5 else [])
            plan.add(made, people, [manager] if manager and tier == "diamond" else [])
        day += dt.timedelta(days=every + rng.randint(-15, 15))


def give(
    account: Account,
    kind: str,
    subject: str,
    when: dt.datetime,
    value: str,
    recipients: list[Contact],
    *,
    acknowledge: bool = False,
) -> bool:
    draft = ActivityDraft(
        values={
            "kind": kind,
            "status": ActivityStatus.DONE,
            "subject": subject,
            "starts_at": when,
            "duration_minutes": None,
            "notes": "",
            "outcome": "",
            "sentiment": Sentiment.POSITIVE,
            "value": Decimal(value),
            "currency": company_currency(),
        },
        owner=account.owner,
        participants=[],
        contacts=recipients,
        recipients=recipients,
    )
    try:
        save_activity(
            actor=account.owner,
            account=account,
            draft=draft,
            acknowledge=acknowledge,
            source=SOURCE,
        )
    except GiftLimitExceeded:
        return False
    return True


def festival(as_of: dt.date, month: int, day: int) -> dt.date:
    """The last time this day of the year came before as_of."""
    found = dt.date(as_of.year, month, day)
    return found if found < as_of else dt.date(as_of.year - 1, month, day)


def add_gifts(
    rng: random.Random, accounts: list[Account], contacts: dict[int, list[Contact]], as_of: dt.date
) -> tuple[int, int]:
    """Mid-autumn and Spring Festival gifts and business dinners at some key accounts;
    the first account's economic buyer ends above the yearly limit (acknowledged)."""
    given = over = 0
    for number, account in enumerate(accounts[:GIFT_ACCOUNTS]):
        people = contacts.get(account.pk, [])
        deciders = [c for c in people if c.buying_role == BuyingRole.ECONOMIC_BUYER]
        coaches = [c for c in people if c.buying_role == BuyingRole.COACH]
        if not people:
            continue
        first = (deciders or people)[0]
        autumn = moment(rng, festival(as_of, 9, 15))
        value = str(rng.choice((300, 400, 500, 600, 800)))
        given += give(account, ActivityKind.GIFT, "中秋月饼礼盒", autumn, value, [first])
        if coaches and rng.random() < 0.6:
            spring = moment(rng, festival(as_of, 1, 20))
            given += give(account, ActivityKind.GIFT, "春节茶叶礼盒", spring, "300", coaches[:1])
        if len(people) >= 2 and rng.random() < 0.7:
            dinner = moment(rng, as_of - dt.timedelta(days=rng.randint(20, 200)))
            guests = rng.sample(people, min(len(people), rng.randint(2, 3)))
            value = str(rng.choice((1200, 1800, 2400, 3000)))
            given += give(account, ActivityKind.ENTERTAINMENT, "商务晚宴", dinner, value, guests)
        if number == 0:
            # A second, larger gift to the same decision maker within the year: above the
            # limit, logged only with the owner's acknowledgement.
            when = moment(rng, as_of - dt.timedelta(days=10))
            value = str(gift_limit() + 500)
            if give(
                account, ActivityKind.GIFT, "高端白酒礼盒", when, value, [first], acknowledge=True
            ):
                given += 1
                over += 1
    return given, over


def populate(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
) -> dict[str, int]:
    """Create the demo activities; returns what was made."""
    from kam.service.policies import tiers_of

    chosen = sorted(accounts, key=lambda a: a.pk)
    if not chosen:
        return {"activities": 0}
    people = list(users.values()) if isinstance(users, Mapping) else list(users)
    managers = managers_of(people)
    owners = {u.pk: u for u in User.objects.filter(pk__in={a.owner_id for a in chosen})}
    for account in chosen:
        account.owner = owners[account.owner_id]
    tiers = tiers_of([a.pk for a in chosen])
    contacts = people_of(chosen)
    spans = buying_spans(chosen)
    plan = Plan()
    planned = 0
    with transaction.atomic():
        for account in chosen:
            manager = managers.get(account.owner.team_id) if account.owner.team_id else None
            planned += plan_account(
                rng,
                plan,
                account,
                tiers[account.pk],
                contacts[account.pk],
                manager,
                as_of,
                spans.get(account.pk),
            )
        made = plan.write()
        rank = {"diamond": 0, "core": 1}
        key = sorted(
            (a for a in chosen if tiers[a.pk] in rank), key=lambda a: (rank[tiers[a.pk]], a.pk)
        )
        gifts, over = add_gifts(rng, key, contacts, as_of)
    return {
        "activities": made - planned,
        "planned activities": planned,
        "gifts and entertainment": gifts,
        "gifts above the limit (acknowledged)": over,
    }
