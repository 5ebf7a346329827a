"""What the relationship stories add to the cast: Alice Steel's buying centre with a year
of activities, and Bob Mining's one contact.

Alice Steel (Alice's, tier core: a visit every 90 days):
* Wang Wei, economic buyer, high influence, supporter — visited on TODAY - 20 days;
* Li Na, technical buyer reporting to Wang, medium influence, neutral — met TODAY - 20;
* Zhou Min, user buyer reporting to Li, low influence, supporter — never met;
* no coach.
Bob Mining (Bob's, no tier yet: basic, no regular visits): Zhao Lei, one contact.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

import tests.relations.schemathesis_hooks  # noqa: F401  (what the schema cannot say)
from kam.contacts.models import BuyingRole, Contact, Influence, Stance
from kam.core.models import User
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from tests.api.conftest import api_as  # noqa: F401 - the API stories' client
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.conftest import Cast


@dataclass
class Centre:
    boss: Contact
    engineer: Contact
    user: Contact
    miner: Contact
    visit: Activity


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def log(
    account: object,
    owner: User,
    kind: str,
    day: dt.date,
    *,
    contacts: tuple[Contact, ...] = (),
    status: str = ActivityStatus.DONE,
    sentiment: str = "",
    subject: str = "",
    value: Decimal | None = None,
    recipients: tuple[Contact, ...] = (),
) -> Activity:
    activity = Activity.objects.create(
        account=account,
        owner=owner,
        kind=kind,
        status=status,
        subject=subject or f"{kind} {day}",
        starts_at=at(day),
        sentiment=sentiment,
        value=value,
        currency="CNY" if value is not None else "",
    )
    activity.contacts.set(contacts)
    activity.recipients.set(recipients)
    return activity


def set_tier(account: object, tier: str, actor: User) -> None:
    from kam.insights.services import set_tier_override

    set_tier_override(actor=actor, account=account, tier=tier, reason="test")  # type: ignore[arg-type]


@pytest.fixture
def centre(cast: Cast) -> Centre:
    today = timezone.localdate()
    boss = Contact.objects.create(
        external_id="RC-1",
        account=cast.alice_steel,
        name="Wang Wei",
        title="CFO",
        buying_role=BuyingRole.ECONOMIC_BUYER,
        influence=Influence.HIGH,
        stance=Stance.SUPPORTER,
    )
    engineer = Contact.objects.create(
        external_id="RC-2",
        account=cast.alice_steel,
        name="Li Na",
        title="Chief engineer",
        buying_role=BuyingRole.TECHNICAL_BUYER,
        influence=Influence.MEDIUM,
        stance=Stance.NEUTRAL,
        reports_to=boss,
    )
    user = Contact.objects.create(
        external_id="RC-3",
        account=cast.alice_steel,
        name="Zhou Min",
        title="Plant manager",
        buying_role=BuyingRole.USER_BUYER,
        influence=Influence.LOW,
        stance=Stance.SUPPORTER,
        reports_to=engineer,
    )
    miner = Contact.objects.create(external_id="RC-4", account=cast.bob_mining, name="Zhao Lei")
    visit = log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.VISIT,
        today - dt.timedelta(days=20),
        contacts=(boss, engineer),
        sentiment="positive",
        subject="Quarterly review",
    )
    set_tier(cast.alice_steel, "core", cast.dora)
    return Centre(boss, engineer, user, miner, visit)
