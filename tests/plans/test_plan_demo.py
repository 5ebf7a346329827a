"""The demo's plans: active plans for the diamond accounts and the top core ones, with
every part filled, some actions and reviews overdue, the same for the same seed."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from kam.accounts.models import Account
from kam.core.models import User
from kam.insights.models import TierChange
from kam.plans import demo
from kam.plans.models import AccountPlan, PlanAction, PlanStatus
from kam.transactions.models import Order
from tests.conftest import Cast

AS_OF = dt.date(2026, 10, 31)


def book(cast: Cast) -> None:
    for number, account in enumerate([cast.alice_steel, cast.bob_mining, cast.shared_telecom]):
        for year in (2024, 2025, 2026):
            Order.objects.create(
                account=account,
                order_date=dt.date(year, 6, 1),
                amount=Decimal(100000 * (number + 1)),
                product=f"Product {number}",
            )
    TierChange.objects.create(account=cast.alice_steel, to_tier="diamond")
    TierChange.objects.create(account=cast.bob_mining, to_tier="core")
    TierChange.objects.create(account=cast.shared_telecom, to_tier="basic")


def run(seed: int) -> dict[str, int]:
    users = {u.username: u for u in User.objects.all()}
    return demo.populate(random.Random(seed), Account.objects.all(), users, AS_OF)


def test_it_plans_the_diamond_and_top_core_accounts(cast: Cast) -> None:
    book(cast)
    counts = run(7)
    active = AccountPlan.objects.filter(status=PlanStatus.ACTIVE)
    assert {p.account.name for p in active} == {"Alice Steel Co., Ltd.", "Bob Mining"}
    assert counts["account plans"] == 2
    plan = active.get(account=cast.alice_steel)
    assert plan.owner == cast.alice and plan.year == 2026 and plan.vision
    assert plan.objectives.count() >= 3 and plan.targets.count() == 3
    assert {s.quadrant for s in plan.swot.all()} == {
        "strength",
        "weakness",
        "opportunity",
        "threat",
    }
    assert plan.competitors.count() >= 2
    assert plan.product_lines == ["Product 0"] and len(plan.business_units) >= 3
    assert plan.reviews.exists() and plan.next_review_due is not None
    assert PlanAction.objects.filter(plan__in=active).count() == counts["plan actions"]
    # Owners of actions see the account.
    for action in PlanAction.objects.filter(plan=plan):
        assert action.owner in {cast.alice, cast.mary}


def test_it_is_the_same_for_the_same_seed(cast: Cast) -> None:
    book(cast)
    run(3)
    first = list(PlanAction.objects.order_by("pk").values_list("text", "due_date", "status"))
    AccountPlan.objects.all().delete()
    run(3)
    assert (
        list(PlanAction.objects.order_by("pk").values_list("text", "due_date", "status")) == first
    )


def test_some_demo_actions_are_overdue(cast: Cast) -> None:
    book(cast)
    for seed in range(4):
        AccountPlan.objects.all().delete()
        run(seed)
    overdue = [a for a in PlanAction.objects.all() if a.is_overdue(AS_OF)]
    assert overdue
    assert len(overdue) < PlanAction.objects.count()
