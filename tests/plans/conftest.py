"""What the plan stories add to the cast: Alice's active 2026 plan for Alice Steel with one of
each part, and orders of Alice Steel in 2025 and 2026 to measure the targets against.

* orders of Alice Steel: 2025: 300,000 + 100,000 − 20,000 (a credit note) = 380,000;
  2026: 150,000; Bob Mining has 2026 orders too (never counted for Alice Steel).
* targets: 2025: 400,000 (95.0 %), 2026: 600,000 (25.0 %), 2027: 0 (no attainment).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from kam.plans.models import (
    AccountPlan,
    PlanAction,
    PlanCompetitor,
    PlanObjective,
    PlanRevenueTarget,
    PlanReview,
    PlanStatus,
    PlanSwotItem,
    PlanWhitespaceCell,
)
from kam.plans.services import refresh_next_review
from kam.transactions.models import Order
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.conftest import Cast


@dataclass
class Planned:
    plan: AccountPlan
    objective: PlanObjective
    target_2025: PlanRevenueTarget
    target_2026: PlanRevenueTarget
    swot: PlanSwotItem
    competitor: PlanCompetitor
    late_action: PlanAction  # due ten days ago, open
    done_action: PlanAction  # due long ago, done: never overdue
    future_action: PlanAction  # due next month
    review: PlanReview


def order(account: object, day: dt.date, amount: str, product: str = "") -> Order:
    return Order.objects.create(
        account=account, order_date=day, amount=Decimal(amount), product=product
    )


@pytest.fixture
def planned(cast: Cast) -> Planned:
    today = timezone.localdate()
    steel = cast.alice_steel
    order(steel, dt.date(2025, 3, 1), "300000", "MES licence")
    order(steel, dt.date(2025, 9, 1), "100000", "PLC controllers")
    order(steel, dt.date(2025, 12, 31), "-20000", "PLC controllers")
    order(steel, dt.date(2026, 1, 1), "150000", "PLC controllers")
    order(cast.bob_mining, dt.date(2026, 2, 1), "999999", "Drill bits")
    plan = AccountPlan.objects.create(
        account=steel,
        year=2026,
        status=PlanStatus.ACTIVE,
        owner=cast.alice,
        vision="Become Alice Steel's partner for the digital plant.",
        review_every_days=90,
        product_lines=["MES licence", "PLC controllers"],
        business_units=["Suzhou mill", "Wuxi rolling"],
    )
    AccountPlan.objects.filter(pk=plan.pk).update(
        created_at=dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
    )
    plan.refresh_from_db()
    objective = PlanObjective.objects.create(
        plan=plan, text="Win the MES roll-out", measure="Signed contract", status="on_track"
    )
    target_2025 = PlanRevenueTarget.objects.create(plan=plan, year=2025, amount=Decimal("400000"))
    target_2026 = PlanRevenueTarget.objects.create(plan=plan, year=2026, amount=Decimal("600000"))
    swot = PlanSwotItem.objects.create(plan=plan, quadrant="strength", text="Trusted by the CTO")
    competitor = PlanCompetitor.objects.create(
        plan=plan, name="Siemens", position="preferred", share_of_wallet=Decimal("40")
    )
    PlanWhitespaceCell.objects.create(
        plan=plan, product_line="MES licence", business_unit="Suzhou mill", status="sold"
    )
    late = PlanAction.objects.create(
        plan=plan, text="Workshop with the CTO", owner=cast.alice, due_date=today - dt.timedelta(10)
    )
    done = PlanAction.objects.create(
        plan=plan,
        text="Send the references",
        owner=cast.alice,
        due_date=dt.date(2026, 2, 1),
        status="done",
    )
    future = PlanAction.objects.create(
        plan=plan, text="Plant visit", owner=cast.alice, due_date=today + dt.timedelta(30)
    )
    review = PlanReview.objects.create(
        plan=plan, reviewed_on=dt.date(2026, 6, 1), reviewer=cast.mary, notes="On track."
    )
    refresh_next_review(plan)  # 2026-06-01 + 90 days = 2026-08-30
    return Planned(
        plan, objective, target_2025, target_2026, swot, competitor, late, done, future, review
    )
