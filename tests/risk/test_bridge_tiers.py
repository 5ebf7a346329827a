"""kam.insights.risk weighs relationship gaps by the account's tier, and warns about churn
only for accounts that are still customers (docs/methods/risk.md)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from kam.accounts.models import AccountStatus
from kam.contacts.models import BuyingRole, Contact, Familiarity, Stance
from kam.insights import risk as bridge
from kam.transactions.models import Order
from tests.conftest import Cast
from tests.risk.conftest import give_tier

AS_OF = dt.date(2026, 6, 30)


def one_contact_each(cast: Cast) -> None:
    for account in (cast.alice_steel, cast.bob_mining, cast.shared_telecom):
        Contact.objects.create(
            account=account,
            name=f"Buyer of {account.name}",
            buying_role=BuyingRole.ECONOMIC_BUYER,
            familiarity=Familiarity.FAMILIAR,
            stance=Stance.SUPPORTER,
        )


def test_a_single_contact_is_high_at_a_core_account_and_low_at_a_basic_one(cast: Cast) -> None:
    one_contact_each(cast)
    give_tier(cast.alice_steel, "core")
    give_tier(cast.bob_mining, "basic")  # shared_telecom has no tier: rated as basic

    book = bridge.book_risk(AS_OF)

    severity = {pk: s.relationship["severity"] for pk, s in book.accounts.items() if s.relationship}
    assert severity[cast.alice_steel.pk] == "high"
    assert severity[cast.bob_mining.pk] == "low"
    assert severity[cast.shared_telecom.pk] == "low"
    flags = book.accounts[cast.bob_mining.pk].relationship
    assert flags is not None and flags["flags"] == ["single_threaded", "no_coach"]


def test_before_any_scoring_every_account_is_rated_as_a_key_account(cast: Cast) -> None:
    one_contact_each(cast)

    book = bridge.book_risk(AS_OF)

    assert {s.relationship["severity"] for s in book.accounts.values() if s.relationship} == {
        "high"
    }


def test_an_account_marked_lost_gets_no_churn_warning(cast: Cast) -> None:
    for account in (cast.alice_steel, cast.bob_mining):
        for month in range(1, 13):  # 2025-01 .. 2025-12, then silence
            Order.objects.create(
                account=account, order_date=dt.date(2025, month, 15), amount=Decimal(1000)
            )
    cast.alice_steel.status = AccountStatus.LOST
    cast.alice_steel.save(update_fields=["status"])

    book = bridge.book_risk(AS_OF)

    assert book.accounts[cast.alice_steel.pk].churn is None
    bob = book.accounts[cast.bob_mining.pk].churn
    assert bob is not None and bob["band"] == "high"
