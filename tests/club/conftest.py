"""What the club stories add to the cast.

* tiers: Alice Steel diamond, Bob Mining core, Shared Telecom without a tier (basic);
* Alice Steel joined the club on 2026-01-01 (member KC…), Bob Mining on 2026-02-01;
  Shared Telecom is not a member;
* orders of Alice Steel: 2025-12-15 50,000 (before joining: earns nothing),
  2026-03-10 12,345.67, 2026-04-02 −2,000 (a credit note: nothing), 2026-05-20 99.00
  (under one unit: nothing); of Bob Mining: 2026-03-01 30,000;
* contacts: Wang Wei and Li Na at Alice Steel, Zhao Lei at Bob Mining;
* benefits: Training seat 100 points, Summit pass 200 points (stock 1), Old gift 10
  points (switched off).

With the default rules (1 point per 100, diamond ×2, core ×1.5) accrual gives Alice Steel
123 × 2 = 246 points and Bob Mining 300 × 1.5 = 450 points.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.club.models import Benefit, ClubEvent, Membership, PointsRules
from kam.club.services import member_number
from kam.contacts.models import Contact
from kam.insights.models import Tier, TierChange
from kam.transactions.models import Order
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.conftest import Cast

ALICE_POINTS = 246
BOB_POINTS = 450


@dataclass
class Club:
    cast: Cast
    alice_member: Membership
    bob_member: Membership
    wang: Contact
    li: Contact
    zhao: Contact
    telecom_contact: Contact
    training: Benefit
    summit: Benefit
    old_gift: Benefit


def set_tier(account: Account, tier: str) -> TierChange:
    return TierChange.objects.create(account=account, to_tier=tier, from_tier="")


def order(account: Account, day: str, amount: str, external_id: str) -> Order:
    return Order.objects.create(
        external_id=external_id,
        account=account,
        order_date=dt.date.fromisoformat(day),
        amount=Decimal(amount),
    )


def enrol(account: Account, day: str) -> Membership:
    return Membership.objects.create(
        account=account, number=member_number(account), joined_on=dt.date.fromisoformat(day)
    )


def event(name: str, *, days: float, capacity: int = 10, points: int | None = None) -> ClubEvent:
    return ClubEvent.objects.create(
        name=name,
        starts_at=timezone.now() + dt.timedelta(days=days),
        capacity=capacity,
        points=points,
    )


@pytest.fixture
def club(cast: Cast) -> Club:
    PointsRules.load()
    set_tier(cast.alice_steel, Tier.DIAMOND)
    set_tier(cast.bob_mining, Tier.CORE)
    alice_member = enrol(cast.alice_steel, "2026-01-01")
    bob_member = enrol(cast.bob_mining, "2026-02-01")
    order(cast.alice_steel, "2025-12-15", "50000", "CL-1")
    order(cast.alice_steel, "2026-03-10", "12345.67", "CL-2")
    order(cast.alice_steel, "2026-04-02", "-2000", "CL-3")
    order(cast.alice_steel, "2026-05-20", "99.00", "CL-4")
    order(cast.bob_mining, "2026-03-01", "30000", "CL-5")
    wang = Contact.objects.create(external_id="CC-1", account=cast.alice_steel, name="Wang Wei")
    li = Contact.objects.create(external_id="CC-2", account=cast.alice_steel, name="Li Na")
    zhao = Contact.objects.create(external_id="CC-3", account=cast.bob_mining, name="Zhao Lei")
    telecom = Contact.objects.create(
        external_id="CC-4", account=cast.shared_telecom, name="Sun Tao"
    )
    training = Benefit.objects.create(name="Training seat", points_cost=100)
    summit = Benefit.objects.create(name="Summit pass", points_cost=200, stock=1)
    old_gift = Benefit.objects.create(name="Old gift", points_cost=10, active=False)
    return Club(
        cast=cast,
        alice_member=alice_member,
        bob_member=bob_member,
        wang=wang,
        li=li,
        zhao=zhao,
        telecom_contact=telecom,
        training=training,
        summit=summit,
        old_gift=old_gift,
    )
