"""What the satisfaction-survey stories (tests/service/test_surveys_*.py) share: the cast's
customers with their key contacts, tickets taken to closed, and survey emails switched on.

Alice Steel (Alice's, diamond): Wang Wei (economic buyer, email), Li Na (technical
buyer, email), Sun Mei (coach, no email), Old Zhou (left the company).
Bob Mining (Bob's, core): Zhao Lei (user buyer, email).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.utils import timezone

from kam.contacts.models import BuyingRole, Contact, Influence
from kam.core.models import User
from kam.insights.services import set_tier_override
from kam.service.models import Ticket
from kam.service.tickets import act, create_ticket
from tests.conftest import Cast

SITE = "https://kam.example.com"


@dataclass
class People:
    cast: Cast
    wang: Contact
    li: Contact
    sun: Contact
    zhou: Contact
    zhao: Contact


@pytest.fixture
def people(cast: Cast) -> People:
    steel = cast.alice_steel
    wang = Contact.objects.create(
        external_id="C-WANG",
        account=steel,
        name="Wang Wei",
        title="CFO",
        email="wang.wei@alice-steel.example.cn",
        buying_role=BuyingRole.ECONOMIC_BUYER,
        influence=Influence.HIGH,
    )
    li = Contact.objects.create(
        external_id="C-LI",
        account=steel,
        name="Li Na",
        email="li.na@alice-steel.example.cn",
        buying_role=BuyingRole.TECHNICAL_BUYER,
    )
    sun = Contact.objects.create(
        external_id="C-SUN", account=steel, name="Sun Mei", buying_role=BuyingRole.COACH
    )
    zhou = Contact.objects.create(
        external_id="C-ZHOU",
        account=steel,
        name="Old Zhou",
        email="zhou@alice-steel.example.cn",
        buying_role=BuyingRole.ECONOMIC_BUYER,
        is_active=False,
    )
    zhao = Contact.objects.create(
        external_id="C-ZHAO",
        account=cast.bob_mining,
        name="Zhao Lei",
        email="zhao.lei@bob-mining.example.cn",
        buying_role=BuyingRole.USER_BUYER,
    )
    set_tier_override(actor=cast.dora, account=steel, tier="diamond", reason="Top customer")
    set_tier_override(actor=cast.dora, account=cast.bob_mining, tier="core", reason="Big")
    return People(cast, wang, li, sun, zhou, zhao)


@pytest.fixture
def emails_on(settings: Any) -> None:
    settings.KAM_SURVEY_EMAILS = True
    settings.KAM_SITE_URL = SITE
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def resolved_ticket(
    actor: User, contact: Contact | None, subject: str = "Coating peels off", **values: Any
) -> Ticket:
    account = contact.account if contact is not None else values.pop("account")
    ticket = create_ticket(
        actor=actor,
        account=account,
        values={"subject": subject, "contact": contact, "kind": "complaint", **values},
    )
    return act(actor=actor, ticket=ticket, action="resolve", resolution="Replaced the batch")


def close(actor: User, ticket: Ticket, capture: Callable[..., Any]) -> Ticket:
    """Close the ticket and run what its commit sets off (the survey request)."""
    with capture(execute=True):
        return act(actor=actor, ticket=ticket, action="close")


def ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)
