"""What the web stories add to the cast: people in the accounts' buying centres, orders
and payments (one overdue, one paid late), and a logged-in client per person."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from kam.contacts.models import BuyingRole, Contact, Stance
from kam.transactions.models import Order, Payment
from tests.conftest import Cast


@dataclass
class Archive:
    boss: Contact  # economic buyer at Alice Steel
    engineer: Contact  # technical buyer who reports to the boss
    miner: Contact  # at Bob Mining
    order: Order
    overdue: Payment
    paid_late: Payment
    bob_order: Order


@pytest.fixture
def archive(cast: Cast) -> Archive:
    today = timezone.localdate()
    boss = Contact.objects.create(
        external_id="C-1",
        account=cast.alice_steel,
        name="Wang Wei",
        title="CFO",
        buying_role=BuyingRole.ECONOMIC_BUYER,
        stance=Stance.SUPPORTER,
    )
    engineer = Contact.objects.create(
        external_id="C-2",
        account=cast.alice_steel,
        name="Li Na",
        title="Chief engineer",
        buying_role=BuyingRole.TECHNICAL_BUYER,
        reports_to=boss,
    )
    miner = Contact.objects.create(external_id="C-3", account=cast.bob_mining, name="Zhao Lei")
    order = Order.objects.create(
        external_id="O-1",
        account=cast.alice_steel,
        order_date=today - dt.timedelta(days=40),
        amount=Decimal("120000.00"),
        product="Rolled steel",
    )
    bob_order = Order.objects.create(
        external_id="O-2",
        account=cast.bob_mining,
        order_date=today - dt.timedelta(days=10),
        amount=Decimal("5000.00"),
        product="Drill bits",
    )
    overdue = Payment.objects.create(
        external_id="P-1",
        account=cast.alice_steel,
        order=order,
        due_date=today - dt.timedelta(days=10),
        amount=Decimal("60000.00"),
    )
    paid_late = Payment.objects.create(
        external_id="P-2",
        account=cast.alice_steel,
        order=order,
        due_date=today - dt.timedelta(days=20),
        paid_date=today - dt.timedelta(days=15),
        amount=Decimal("60000.00"),
    )
    Payment.objects.create(
        external_id="P-3",
        account=cast.bob_mining,
        order=bob_order,
        due_date=today + dt.timedelta(days=20),
        amount=Decimal("5000.00"),
    )
    return Archive(boss, engineer, miner, order, overdue, paid_late, bob_order)


def client_for(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client
