"""kam.insights.risk builds the risk models' frames from the database, and the real models
find the risks planted in a small book (the only Django code that calls them)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest

from kam.contacts.models import BuyingRole, Contact, Familiarity, Stance
from kam.core.models import User
from kam.insights import risk as bridge
from kam.risk.models import AccountRisk
from kam.risk.services import check_risks
from kam.transactions.models import Order, Payment
from tests.conftest import Cast

AS_OF = dt.date(2026, 6, 30)


def months(first: dt.date, count: int) -> list[dt.date]:
    return [
        dt.date(first.year + (first.month - 1 + n) // 12, (first.month - 1 + n) % 12 + 1, 15)
        for n in range(count)
    ]


@pytest.fixture
def planted(cast: Cast) -> Cast:
    """Alice Steel stopped buying a year ago and owes 8,000 since 120 days; Bob Mining buys
    1,000 a month and has just ordered 20,000; Shared Telecom has a single contact."""
    for day in months(dt.date(2024, 1, 1), 18):  # 2024-01 .. 2025-06
        Order.objects.create(account=cast.alice_steel, order_date=day, amount=Decimal(5000))
    for day in months(dt.date(2025, 1, 1), 18):  # 2025-01 .. 2026-06
        Order.objects.create(
            account=cast.bob_mining, order_date=day, amount=Decimal(1000), discount_rate="0.05"
        )
    Order.objects.create(account=cast.bob_mining, order_date=dt.date(2026, 6, 20), amount=20000)
    Order.objects.create(account=cast.shared_telecom, order_date=dt.date(2026, 5, 2), amount=700)
    Order.objects.create(account=cast.shared_telecom, order_date=dt.date(2027, 1, 2), amount=1)
    Payment.objects.create(
        account=cast.alice_steel, due_date=AS_OF - dt.timedelta(days=120), amount=Decimal(8000)
    )
    Payment.objects.create(
        account=cast.bob_mining,
        due_date=dt.date(2026, 5, 1),
        paid_date=dt.date(2026, 5, 11),
        amount=Decimal(1000),
    )
    Payment.objects.create(
        account=cast.bob_mining,
        due_date=dt.date(2026, 6, 1),
        paid_date=dt.date(2026, 7, 20),  # paid after AS_OF: still open on that date
        amount=Decimal(3000),
    )
    people = [
        (cast.alice_steel, BuyingRole.ECONOMIC_BUYER, Familiarity.FAMILIAR, True),
        (cast.alice_steel, BuyingRole.COACH, Familiarity.CLOSE, True),
        (cast.alice_steel, BuyingRole.COACH, Familiarity.UNKNOWN, False),  # left the company
        (cast.bob_mining, BuyingRole.ECONOMIC_BUYER, Familiarity.UNKNOWN, True),
        (cast.bob_mining, BuyingRole.COACH, Familiarity.MET, True),
        (cast.shared_telecom, BuyingRole.COACH, Familiarity.MET, True),
    ]
    for n, (account, role, familiarity, active) in enumerate(people):
        Contact.objects.create(
            account=account,
            name=f"Person {n}",
            buying_role=role,
            familiarity=familiarity,
            stance=Stance.SUPPORTER,
            is_active=active,
        )
    return cast


def test_it_reads_the_orders_as_of_a_date(planted: Cast) -> None:
    frame = bridge.orders_frame(AS_OF)

    assert list(frame.columns) == ["customer_id", "date", "amount", "order_id", "discount_rate"]
    assert len(frame) == 18 + 18 + 1 + 1  # not the order after AS_OF
    assert frame["date"].max() == pd.Timestamp("2026-06-20")
    bob = frame[frame["customer_id"] == str(planted.bob_mining.pk)]
    assert bob["amount"].sum() == 38000.0
    assert bob["discount_rate"].iloc[0] == 0.05
    assert bob["discount_rate"].isna().sum() == 1
    assert str(frame["customer_id"].dtype) in {"object", "str", "string"}


def test_it_reads_payments_limits_contacts_and_owners(planted: Cast) -> None:
    payments = bridge.payments_frame()
    assert list(payments.columns) == ["customer_id", "due_date", "paid_date", "amount"]
    assert payments["paid_date"].isna().sum() == 1

    limits = bridge.credit_limits_frame()
    assert limits.to_dict("records") == [
        {"customer_id": str(planted.alice_steel.pk), "credit_limit": 500000.0}
    ]

    contacts = bridge.contacts_frame(AS_OF).set_index("contact_id")
    assert list(contacts.columns) == [
        "account_id",
        "buying_role",
        "stance",
        "is_active",
        "last_met",
    ]
    met = contacts["last_met"].notna().tolist()
    assert met == [True, True, False, False, True, True]  # "not met" = never met
    assert contacts["last_met"].dropna().unique().tolist() == [pd.Timestamp(AS_OF)]
    assert contacts["is_active"].tolist() == [True, True, False, True, True, True]

    User.objects.filter(pk=planted.bob.pk).update(is_active=False)
    owners = bridge.owners_frame().set_index("account_id")["owner_active"].to_dict()
    assert owners == {
        str(planted.alice_steel.pk): True,
        str(planted.bob_mining.pk): False,
        str(planted.shared_telecom.pk): False,
    }


def test_it_gives_the_churn_model_the_payments_as_they_were_on_each_date(planted: Cast) -> None:
    behaviour = bridge.payment_behaviour(bridge.payments_frame())

    assert behaviour(dt.date(2020, 1, 1)) is None
    now = behaviour(AS_OF).set_index("customer_id")
    bob, alice = str(planted.bob_mining.pk), str(planted.alice_steel.pk)
    # 1,000 paid 10 days late; 3,000 due on 1 June still open on 30 June: 29 days late.
    assert now.loc[bob, "payment_mean_days_late"] == pytest.approx((1000 * 10 + 3000 * 29) / 4000)
    assert now.loc[bob, "payment_overdue_share"] == pytest.approx(0.75)
    assert now.loc[alice, "payment_overdue_share"] == 1.0
    before = behaviour(dt.date(2026, 5, 20)).set_index("customer_id")
    assert bob in before.index and alice in before.index
    assert before.loc[bob, "payment_overdue_share"] == 0.0  # the 3,000 was not due yet


def test_the_real_models_find_the_planted_risks(planted: Cast) -> None:
    book = bridge.book_risk(AS_OF)

    alice = book.accounts[planted.alice_steel.pk]
    bob = book.accounts[planted.bob_mining.pk]
    telecom = book.accounts[planted.shared_telecom.pk]
    assert (alice.revenue_12m, bob.revenue_12m, telecom.revenue_12m) == (0.0, 32000.0, 700.0)
    assert alice.churn is not None and alice.churn["band"] == "high"
    assert alice.churn["reasons_en"] == [
        "BG/NBD: a >99% chance of no purchase in the next 180 days"
    ]
    assert alice.churn["reasons_zh"] == ["BG/NBD模型：未来180天不下单的概率为>99%"]
    assert bob.churn is not None and bob.churn["band"] == "low"
    assert bob.churn["reasons_en"] == []  # a low risk needs no reasons
    assert alice.credit is not None and alice.credit["flag"] == "stop"
    assert alice.credit["ageing"]["overdue_over_90"] == 8000.0
    assert alice.credit["overdue_amount"] == 8000.0
    assert alice.credit["utilisation"] == pytest.approx(8000 / 500000)
    assert "more than 90 days overdue" in alice.credit["reasons_en"][0]
    assert alice.relationship is not None and alice.relationship["severity"] == "none"
    assert bob.anomalies["count"] >= 1
    assert any("order of 20,000.00" in r for r in bob.anomalies["reasons_en"])
    assert bob.anomalies["latest"] == dt.date(2026, 6, 20)
    assert bob.relationship is not None
    assert bob.relationship["flags"] == ["economic_buyer_not_met"]
    assert bob.relationship["reasons_zh"] == ["从未见过决策者"]
    assert bob.credit is not None and bob.credit["flag"] == "ok"
    assert telecom.relationship is not None and telecom.relationship["severity"] == "high"
    assert "single_threaded" in telecom.relationship["flags"]
    assert telecom.credit is None  # no payments and no limit
    assert book.churn_model["method"] == "rules"  # three accounts are too few to train
    assert any("Too little history" in w["text"] for w in book.warnings)
    assert (book.order_count, book.payment_count) == (38, 3)


def test_a_run_with_the_real_models_stores_what_they_found(planted: Cast) -> None:
    run = check_risks(actor=planted.root, as_of=AS_OF)

    assert run.status == "succeeded", run.error
    levels = dict(AccountRisk.objects.filter(run=run).values_list("account_id", "level"))
    assert levels[planted.alice_steel.pk] == "high"
    assert levels[planted.shared_telecom.pk] == "high"
    mining = AccountRisk.objects.get(run=run, account=planted.bob_mining)
    assert set(mining.risk_types()) >= {"relationship", "anomaly"}
    assert mining.revenue_at_stake == 32000.0


def test_an_empty_book_is_checked_without_error(cast: Cast) -> None:
    run = check_risks(actor=cast.root, as_of=AS_OF)

    assert run.status == "succeeded", run.error
    assert run.account_count == 3
    assert set(AccountRisk.objects.values_list("relationship_severity", flat=True)) == {"high"}
    assert not AccountRisk.objects.exclude(churn_band="").exists()
