"""The risk bridge reads the activities and complaints: the churn model's interaction
columns as of any date, the relationship risk's meetings with the economic buyer and the
owner's own activity."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pandas as pd
import pytest
from django.utils import timezone

from kam.accounts.models import Account
from kam.contacts.models import BuyingRole, Contact, Familiarity, Stance
from kam.core.models import User
from kam.insights import risk as bridge
from kam.relations.models import Activity, ActivityKind, ActivityStatus
from kam.service.models import Ticket, TicketKind, TicketStatus
from kam.transactions.models import Order
from tests.conftest import Cast

AS_OF = dt.date(2026, 6, 30)


def moment(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def log(
    account: Account,
    owner: User,
    day: dt.date,
    *,
    kind: str = ActivityKind.VISIT,
    status: str = ActivityStatus.DONE,
    contacts: tuple[Contact, ...] = (),
) -> Activity:
    activity = Activity.objects.create(
        account=account, kind=kind, status=status, subject="s", starts_at=moment(day), owner=owner
    )
    activity.contacts.set(contacts)
    return activity


def complaint(
    account: Account, owner: User, opened: dt.date, resolved: dt.date | None = None
) -> Ticket:
    return Ticket.objects.create(
        account=account,
        kind=TicketKind.COMPLAINT,
        subject="late delivery",
        status=TicketStatus.RESOLVED if resolved else TicketStatus.IN_PROGRESS,
        owner=owner,
        recorded_by=owner,
        created_at=moment(opened),
        resolved_at=moment(resolved) if resolved else None,
        tier="core",
        response_minutes=240,
        resolution_minutes=1440,
    )


def contact(account: Account, role: str, familiarity: int = Familiarity.FAMILIAR) -> Contact:
    return Contact.objects.create(
        account=account,
        name=f"{account.name} {role}",
        buying_role=role,
        familiarity=familiarity,
        stance=Stance.SUPPORTER,
    )


@pytest.fixture
def customers(cast: Cast) -> Cast:
    """All three accounts buy from 2025 on; Shared Telecom only since March 2026."""
    for account, first in (
        (cast.alice_steel, dt.date(2025, 1, 10)),
        (cast.bob_mining, dt.date(2025, 1, 10)),
        (cast.shared_telecom, dt.date(2026, 3, 1)),
    ):
        Order.objects.create(account=account, order_date=first, amount=Decimal(1000))
        Order.objects.create(account=account, order_date=dt.date(2026, 6, 1), amount=Decimal(900))
    return cast


def test_the_churn_model_gets_contact_recency_and_complaints_as_of_each_date(
    customers: Cast,
) -> None:
    c = customers
    log(c.alice_steel, c.alice, dt.date(2026, 1, 5))  # the first activity on record
    log(c.alice_steel, c.alice, dt.date(2026, 6, 20), kind=ActivityKind.CALL)
    log(c.alice_steel, c.alice, dt.date(2026, 6, 29), status=ActivityStatus.PLANNED)
    log(c.bob_mining, c.bob, dt.date(2026, 2, 1), status=ActivityStatus.CANCELLED)
    complaint(c.bob_mining, c.bob, dt.date(2026, 2, 10), resolved=dt.date(2026, 2, 20))
    complaint(c.bob_mining, c.bob, dt.date(2026, 5, 2), resolved=dt.date(2026, 7, 3))
    complaint(c.bob_mining, c.bob, dt.date(2026, 6, 15))
    activities, complaints = bridge.interaction_frames()
    orders = bridge.orders_frame()
    behaviour = bridge.interaction_behaviour(
        activities, complaints, orders.groupby("customer_id")["date"].min()
    )

    assert behaviour(dt.date(2025, 12, 31)) is None  # nothing on record yet
    now = behaviour(AS_OF).set_index("customer_id")
    alice, bob, telecom = (str(a.pk) for a in (c.alice_steel, c.bob_mining, c.shared_telecom))
    assert now.loc[alice, "days_since_last_activity"] == 10  # the call of 20 June
    # No done activity: as long as the records go back (5 January).
    assert now.loc[bob, "days_since_last_activity"] == (AS_OF - dt.date(2026, 1, 5)).days
    assert now.loc[telecom, "days_since_last_activity"] == (AS_OF - dt.date(2026, 1, 5)).days
    assert now.loc[bob, "open_complaints"] == 2  # resolved on 3 July, and the open one
    assert now.loc[bob, "complaints_last_90_days"] == 2  # 2 May and 15 June
    assert now.loc[alice, "open_complaints"] == 0
    march = behaviour(dt.date(2026, 2, 15)).set_index("customer_id")
    assert telecom not in march.index  # not a customer yet
    assert march.loc[bob, "open_complaints"] == 1
    assert march.loc[alice, "days_since_last_activity"] == 41
    january = behaviour(dt.date(2026, 1, 20)).set_index("customer_id")
    assert "open_complaints" not in january.columns  # before the first complaint on record


def test_the_model_sees_payments_and_interactions_in_one_row_per_customer(
    customers: Cast,
) -> None:
    c = customers
    log(c.alice_steel, c.alice, dt.date(2026, 6, 1))
    complaint(c.bob_mining, c.bob, dt.date(2026, 6, 15))
    from kam.transactions.models import Payment

    Payment.objects.create(account=c.alice_steel, due_date=dt.date(2026, 5, 1), amount=100)
    behaviour = bridge.book_behaviour(bridge.orders_frame(), bridge.payments_frame())

    assert behaviour is not None
    frame = behaviour(AS_OF)
    assert frame is not None
    assert frame["customer_id"].is_unique
    assert set(frame.columns) == {
        "customer_id",
        "payment_mean_days_late",
        "payment_overdue_share",
        "days_since_last_activity",
        "open_complaints",
        "complaints_last_90_days",
    }
    row = frame.set_index("customer_id").loc[str(c.alice_steel.pk)]
    assert row["payment_overdue_share"] == 1.0
    assert row["days_since_last_activity"] == 29


def test_meetings_on_record_decide_whether_the_economic_buyer_was_met(customers: Cast) -> None:
    c = customers
    # Alice Steel is tracked: its coach was visited, its economic buyer never.
    buyer = contact(c.alice_steel, BuyingRole.ECONOMIC_BUYER)
    coach = contact(c.alice_steel, BuyingRole.COACH)
    log(c.alice_steel, c.alice, dt.date(2026, 5, 5), contacts=(coach,))
    log(c.alice_steel, c.alice, dt.date(2026, 6, 6), kind=ActivityKind.CALL, contacts=(buyer,))
    log(c.alice_steel, c.alice, dt.date(2026, 7, 7), contacts=(buyer,))  # after AS_OF
    # Bob Mining has no meeting on record: the familiarity stands in.
    bobs = contact(c.bob_mining, BuyingRole.ECONOMIC_BUYER, Familiarity.CLOSE)

    frame = bridge.contacts_frame(AS_OF).set_index("contact_id")["last_met"]

    assert pd.isna(frame[buyer.pk])  # a call is not a meeting; July is after the date
    assert frame[coach.pk] == pd.Timestamp("2026-05-05")
    assert frame[bobs.pk] == pd.Timestamp(AS_OF)
    assert bridge.contacts_frame(dt.date(2026, 7, 31)).set_index("contact_id").loc[
        buyer.pk, "last_met"
    ] == pd.Timestamp("2026-07-07")


def test_the_owner_activity_counts_only_the_owners_own_done_activities(customers: Cast) -> None:
    c = customers
    assert "owner_last_activity" not in bridge.owners_frame(AS_OF).columns  # none on record

    log(c.alice_steel, c.alice, dt.date(2026, 3, 1))
    log(c.alice_steel, c.tom, dt.date(2026, 6, 1))  # a teammate, not the owner
    log(c.alice_steel, c.alice, dt.date(2026, 6, 25), status=ActivityStatus.PLANNED)
    log(c.bob_mining, c.bob, dt.date(2026, 6, 10))
    log(c.bob_mining, c.bob, dt.date(2026, 8, 10))  # after AS_OF
    owners = bridge.owners_frame(AS_OF).set_index("account_id")["owner_last_activity"]

    assert owners[str(c.alice_steel.pk)] == pd.Timestamp("2026-03-01")
    assert owners[str(c.bob_mining.pk)] == pd.Timestamp("2026-06-10")
    assert pd.isna(owners[str(c.shared_telecom.pk)])


def test_the_watch_list_names_the_unmet_buyer_and_the_idle_owner(customers: Cast) -> None:
    c = customers
    buyer = contact(c.alice_steel, BuyingRole.ECONOMIC_BUYER)
    coach = contact(c.alice_steel, BuyingRole.COACH)
    log(c.alice_steel, c.alice, dt.date(2026, 2, 1), contacts=(coach,))
    assert buyer.pk  # known and familiar, but never met on record

    book = bridge.book_risk(AS_OF, evaluate=False)

    alice = book.accounts[c.alice_steel.pk].relationship
    assert alice is not None
    assert "economic_buyer_not_met" in alice["flags"]
    assert "the economic buyer has never been met" in alice["reasons_en"]
    assert "owner_inactive" in alice["flags"]  # Alice's last visit was 149 days before
    assert any("no activity by the account owner for 149 days" in r for r in alice["reasons_en"])
    assert not any("owner_last_activity" in w["text"] for w in book.warnings)
