"""The club in the demo: the diamond, core and potential accounts enrolled, the points of
their orders accrued, a benefits catalogue, a few redemptions, referrals and an
adjustment, two past events with attendance and one upcoming with invitations.

Call `populate(rng, accounts, users, as_of)` after the demo book is loaded and scored
(the levels follow the tiers). The same rng, the same club.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from kam.club.models import (
    Benefit,
    ClubEvent,
    EntryKind,
    Invitation,
    InvitationStatus,
    Membership,
    PointsEntry,
    PointsRules,
)
from kam.club.services import (
    ClubRefused,
    accrue_purchases,
    adjust,
    balances_of,
    earn,
    earn_for_attendance,
    member_number,
    redeem,
    tiers_of,
)
from kam.core.models import Role
from kam.insights.models import Tier

if TYPE_CHECKING:
    from kam.accounts.models import Account
    from kam.core.models import User

ENROLLED_TIERS = (Tier.DIAMOND, Tier.CORE, Tier.POTENTIAL)

# (name, description, points, stock or None)
BENEFITS = (
    ("技术培训名额 · Technical training seat", "A seat at a two-day training.", 3_000, None),
    ("优先服务升级 · Priority support upgrade", "Six months of priority handling.", 8_000, None),
    ("年度客户峰会 · Annual customer summit pass", "Two passes with hotel.", 15_000, 80),
    ("专家驻场一天 · On-site expert day", "A senior engineer on site for a day.", 30_000, 40),
    ("总部参观考察 · Headquarters study visit", "Factory and R&D visit for two.", 60_000, 20),
    ("定制方案工作坊 · Custom solution workshop", "A joint two-day design workshop.", 120_000, 10),
    ("海外考察团 · Overseas study tour", "A week's study tour, two places.", 250_000, 4),
    ("旧版礼品卡 · Legacy gift card", "No longer offered.", 5_000, 0),
)

# (name, place, days from the anchor, capacity, points or None for the rules')
PAST_EVENTS = (
    ("钻石客户高尔夫邀请赛 · Diamond golf day", "上海佘山 · Sheshan, Shanghai", -150, 40, 800),
    ("数字化转型论坛 · Digital transformation forum", "北京国贸 · CWTC, Beijing", -60, 120, None),
)
UPCOMING_EVENT = ("年度客户答谢会 · Annual customer gala", "苏州金鸡湖 · Suzhou", 30, 80)


def populate(
    rng: random.Random,
    accounts: Iterable[Account],
    users: Mapping[str, User] | Iterable[User],
    as_of: dt.date,
) -> dict[str, int]:
    """Create the demo club; returns what was made."""
    people = list(users.values()) if isinstance(users, Mapping) else list(users)
    director = next(
        (u for u in people if u.role in {Role.DIRECTOR, Role.ADMINISTRATOR} or u.is_superuser),
        None,
    )
    with transaction.atomic():
        PointsRules.load()
        members = enrol(rng, list(accounts), as_of)
        benefits = add_benefits()
        accrual = accrue_purchases()
        referrals = add_referrals(rng, members)
        redemptions = add_redemptions(rng, members, benefits)
        if director is not None and members:
            adjust(
                actor=director,
                membership=members[0],
                delta=1_000,
                reason="Goodwill: delivery delay in Q3 (demo)",
                source="demo",
            )
        invitations = add_events(rng, members, as_of, director)
    return {
        "club members": len(members),
        "benefits": len(benefits),
        "points from orders": accrual.entries,
        "referrals": referrals,
        "redemptions": redemptions,
        "club events": len(PAST_EVENTS) + 1,
        "invitations": invitations,
        "ledger rows": PointsEntry.objects.count(),
    }


def enrol(rng: random.Random, accounts: list[Account], as_of: dt.date) -> list[Membership]:
    """Diamond, core and potential accounts, enrolled one to three years before as_of."""
    tiers = tiers_of(a.pk for a in accounts)
    chosen = [a for a in sorted(accounts, key=lambda a: a.pk) if tiers[a.pk] in ENROLLED_TIERS]
    members = [
        Membership(
            account=account,
            number=member_number(account),
            joined_on=min(as_of, timezone.localdate()) - dt.timedelta(days=rng.randint(200, 1000)),
        )
        for account in chosen
    ]
    Membership.objects.bulk_create(members, batch_size=1000)
    found = Membership.objects.filter(account__in=chosen).select_related("account__owner")
    return sorted(found, key=lambda m: m.account_id)


def add_benefits() -> list[Benefit]:
    made = []
    for name, description, points, stock in BENEFITS:
        made.append(
            Benefit.objects.create(
                name=name,
                description=description,
                points_cost=points,
                stock=stock,
                active=stock != 0,
            )
        )
    return made


def add_referrals(rng: random.Random, members: list[Membership]) -> int:
    """A few members brought in a newer, smaller customer."""
    from kam.accounts.models import Account

    member_ids = {m.account_id for m in members}
    newcomers = list(Account.objects.exclude(pk__in=member_ids).order_by("-pk")[:20])
    rules = PointsRules.load()
    made = 0
    referrers = rng.sample(members, min(3, len(members)))
    for membership, referred in zip(referrers, newcomers, strict=False):
        entry = earn(
            membership=membership,
            delta=rules.referral_points,
            kind=EntryKind.EARN_REFERRAL,
            reference=f"referral:{referred.pk}",
            note=f"Referred {referred.name}",
            actor=membership.account.owner,
        )
        made += entry is not None
    return made


def add_redemptions(rng: random.Random, members: list[Membership], benefits: list[Benefit]) -> int:
    """The richest members and some others spend some of their points."""
    balances = balances_of(m.pk for m in members)
    rich = sorted(members, key=lambda m: -balances[m.pk])[:15]
    others = [m for m in members if m not in rich and balances[m.pk] >= 6_000]
    rich += rng.sample(others, min(25, len(others)))
    offered = [b for b in benefits if b.active]
    made = 0
    for membership in rich:
        for _ in range(rng.randint(1, 2)):
            affordable = [b for b in offered if b.points_cost <= balances[membership.pk] // 2]
            if not affordable:
                break
            benefit = rng.choice(affordable)
            try:
                entry = redeem(
                    actor=membership.account.owner,
                    membership=membership,
                    benefit=benefit,
                    note="Demo redemption",
                    source="demo",
                )
            except ClubRefused:
                continue
            balances[membership.pk] += entry.delta
            made += 1
    return made


def add_events(
    rng: random.Random, members: list[Membership], as_of: dt.date, director: User | None
) -> int:
    """Two past events with attendance recorded, one upcoming with invitations."""
    today = timezone.localdate()
    anchor = min(as_of, today)
    made = 0
    for name, place, days, capacity, points in PAST_EVENTS:
        event = ClubEvent.objects.create(
            name=name,
            place=place,
            starts_at=at_time(anchor + dt.timedelta(days=days), 14),
            capacity=capacity,
            points=points,
            created_by=director,
        )
        made += invite_guests(rng, event, members, capacity, past=True, director=director)
    name, place, days, capacity = UPCOMING_EVENT
    upcoming = ClubEvent.objects.create(
        name=name,
        place=place,
        starts_at=at_time(max(as_of, today) + dt.timedelta(days=days), 18),
        capacity=capacity,
        description="Dinner and awards for the club's members.",
        created_by=director,
    )
    made += invite_guests(rng, upcoming, members, capacity, past=False, director=director)
    return made


def invite_guests(
    rng: random.Random,
    event: ClubEvent,
    members: list[Membership],
    capacity: int,
    *,
    past: bool,
    director: User | None,
) -> int:
    from kam.contacts.models import Contact

    guests = rng.sample(members, min(len(members), max(1, capacity // 3)))
    contacts: dict[int, list[Contact]] = {}
    rows = Contact.objects.filter(account__in=[m.account_id for m in guests]).order_by("pk")
    for contact in rows:
        contacts.setdefault(contact.account_id, []).append(contact)
    made = 0
    seated = 0
    for membership in guests:
        people = contacts.get(membership.account_id, [])
        for contact in rng.sample(people, min(len(people), rng.randint(1, 2))):
            status = pick_status(rng, past=past, full=seated >= capacity)
            seated += status in (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED)
            invitation = Invitation.objects.create(
                event=event,
                contact=contact,
                account_id=membership.account_id,
                status=status,
                invited_by=membership.account.owner,
            )
            if status == InvitationStatus.ATTENDED:
                earn_for_attendance(invitation, actor=director)
            made += 1
    return made


def at_time(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


def pick_status(rng: random.Random, *, past: bool, full: bool) -> str:
    if past:
        options = [InvitationStatus.DECLINED, InvitationStatus.NO_SHOW]
        if not full:
            options += [InvitationStatus.ATTENDED] * 6
        return rng.choice(options)
    options = [InvitationStatus.INVITED] * 3 + [InvitationStatus.DECLINED]
    if not full:
        options += [InvitationStatus.ACCEPTED] * 4
    return rng.choice(options)
