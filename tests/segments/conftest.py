"""A small hand-made book around the cast, where every segment condition has a known answer.

Besides the cast's three accounts (Alice Steel, Bob Mining, Shared Telecom) Tom owns:

| account    | industry  | employees | revenue/yr | where                   | tags              |
| Big Chem   | chemicals | 5000      | 2e9        | DE, Bavaria, Munich     | strategic         |
| Mid Foods  | food      | 500       | 5e7        | CN, jiangsu, suzhou (E) | export, strategic |
| Tiny Tech  | it        | 20        | 1e6        | CN                      |                   |

Orders, counted back from today (the last 12 months are days 0 to 364):

- Alice Steel: 12 orders of 1,000, every 30 days from day 10; never a discount.
- Bob Mining: 1,000 at 20% off (day 100), 3,000 (day 200); 50,000 at 50% off on day 400.
- Shared Telecom: 2,000 on day 500 only.
- Big Chem: 5,000 at 10% off (day 20), 5,000 at 30% off (day 364), a credit note of -1,000
  (day 50).
- Mid Foods: 800 at 5% off on day 365, just outside the window.
- Tiny Tech: none.

Scoring: an old run (Alice diamond), the latest successful run (Alice core, champions,
mature; Bob basic, at_risk, declining; Big Chem potential, new_customers, growth) and a
newer failed run (everyone lost). Bob's tier is set to diamond by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone
from typer.testing import CliRunner, Result

import tests.segments.schemathesis_hooks  # noqa: F401  (registers the hook)
from kam.accounts.models import Account, AccountStatus, Industry, OwnershipType, Tag
from kam.core.models import User
from kam.core.tokens import issue_token
from kam.insights.models import AccountScore, RunStatus, ScoringRun, TierOverride
from kam.segments.conditions import check_definition
from kam.segments.models import Segment
from kam.segments.services import segment_members
from kam.transactions.models import Order
from kam_cli.main import app
from tests.api.conftest import ApiClient
from tests.conftest import Cast


@dataclass
class Book:
    cast: Cast
    big_chem: Account
    mid_foods: Account
    tiny_tech: Account


def days_ago(days: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=days)


def order(account: Account, days: int, amount: str, discount: str | None = None) -> Order:
    return Order.objects.create(
        account=account,
        order_date=days_ago(days),
        amount=Decimal(amount),
        discount_rate=Decimal(discount) if discount is not None else None,
    )


def score(run: ScoringRun, account: Account, tier: str, rfm: str, lifecycle: str) -> None:
    AccountScore.objects.create(
        run=run,
        account=account,
        frequency=1,
        recency=1,
        T=2,
        monetary=1,
        total_revenue=1,
        tier=tier,
        rfm_segment=rfm,
        lifecycle=lifecycle,
    )


def new_run(status: str = RunStatus.SUCCEEDED) -> ScoringRun:
    return ScoringRun.objects.create(
        status=status, as_of=timezone.localdate(), time_unit="week", horizon=52, discount_rate=0.1
    )


@pytest.fixture
def book(cast: Cast) -> Book:
    strategic = Tag.objects.create(name="strategic")
    export = Tag.objects.create(name="export")
    big_chem = Account.objects.create(
        external_id="T-1",
        name="Big Chem",
        owner=cast.tom,
        industry=Industry.CHEMICALS,
        ownership_type=OwnershipType.FOREIGN_INVESTED,
        employees=5000,
        annual_revenue=Decimal("2000000000"),
        country="DE",
        province="Bavaria",
        city="Munich",
    )
    big_chem.tags.add(strategic)
    mid_foods = Account.objects.create(
        external_id="T-2",
        name="Mid Foods",
        owner=cast.tom,
        industry=Industry.FOOD,
        employees=500,
        annual_revenue=Decimal("50000000"),
        province="jiangsu",
        city="suzhou",
        region=cast.east,
        status=AccountStatus.DORMANT,
    )
    mid_foods.tags.add(strategic, export)
    tiny_tech = Account.objects.create(
        external_id="T-3",
        name="Tiny Tech",
        owner=cast.tom,
        industry=Industry.IT,
        employees=20,
        annual_revenue=Decimal("1000000"),
        status=AccountStatus.PROSPECT,
    )
    for month in range(12):
        order(cast.alice_steel, 10 + 30 * month, "1000")
    order(cast.bob_mining, 100, "1000", "0.2")
    order(cast.bob_mining, 200, "3000")
    order(cast.bob_mining, 400, "50000", "0.5")
    order(cast.shared_telecom, 500, "2000")
    order(big_chem, 20, "5000", "0.1")
    order(big_chem, 364, "5000", "0.3")
    order(big_chem, 50, "-1000")
    order(mid_foods, 365, "800", "0.05")

    old = new_run()
    score(old, cast.alice_steel, "diamond", "loyal_customers", "growth")
    latest = new_run()
    score(latest, cast.alice_steel, "core", "champions", "mature")
    score(latest, cast.bob_mining, "basic", "at_risk", "declining")
    score(latest, big_chem, "potential", "new_customers", "growth")
    failed = new_run(RunStatus.FAILED)
    for account in (cast.alice_steel, cast.bob_mining, big_chem):
        score(failed, account, "basic", "lost", "lost")
    TierOverride.objects.create(account=cast.bob_mining, tier="diamond", reason="strategic")
    return Book(cast, big_chem, mid_foods, tiny_tech)


def rule(*conditions: dict[str, Any], match: str = "all") -> dict[str, Any]:
    return {"match": match, "conditions": list(conditions)}


def make_segment(owner: User, name: str, definition: dict[str, Any]) -> Segment:
    return Segment.objects.create(name=name, owner=owner, definition=check_definition(definition))


def names(accounts: Any) -> set[str]:
    return {account.name for account in accounts}


def members_of(user: User, *conditions: dict[str, Any], match: str = "all") -> set[str]:
    """The names of the accounts `user` sees in a segment of these conditions."""
    segment = Segment(
        name="probe", owner=user, definition=check_definition(rule(*conditions, match=match))
    )
    return names(segment_members(segment, user))


def between(field: str, low: Any = None, high: Any = None) -> dict[str, Any]:
    condition: dict[str, Any] = {"field": field, "op": "between"}
    if low is not None:
        condition["min"] = low
    if high is not None:
        condition["max"] = high
    return condition


def one_of(field: str, *values: str, op: str = "in") -> dict[str, Any]:
    return {"field": field, "op": op, "values": list(values)}


ALL_NAMES = {
    "Alice Steel Co., Ltd.",
    "Bob Mining",
    "Shared Telecom",
    "Big Chem",
    "Mid Foods",
    "Tiny Tech",
}


@pytest.fixture
def api_as(db: None) -> Any:
    """api_as(cast.alice) → a client that calls the API as Alice, with a bearer token."""
    return lambda user: ApiClient(issue_token(user=user, name="tests"))


@pytest.fixture
def kam() -> Any:
    """kam("segment", "list") runs the command in this process, on the test database."""
    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(app, list(args), catch_exceptions=False)

    return run
