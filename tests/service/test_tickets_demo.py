"""The demo tickets: the same for the same seed, mostly met, some missed with the
escalations recorded, complaints handed over, some open now; nobody notified."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from decimal import Decimal
from typing import Any

from django.utils import timezone

from kam.accounts.models import Account, AccountTeamMember
from kam.core.models import Role, User
from kam.notifications.models import Notification
from kam.service.demo import populate, populate_tickets
from kam.service.escalation import check_slas
from kam.service.models import EventKind, SlaState, Ticket, TicketEvent, TicketStatus
from kam.service.sla import ticket_clocks
from kam.transactions.models import Order
from tests.conftest import Cast, make_user

NOW = dt.datetime(2026, 11, 23, 10, 0, tzinfo=dt.UTC)


def book(cast: Cast) -> tuple[list[Account], dict[str, User]]:
    for number in range(6):
        Account.objects.create(name=f"Demo {number}", owner=cast.tom if number % 2 else cast.alice)
    sam = make_user("sam", Role.SERVICE_AGENT)
    AccountTeamMember.objects.create(account=cast.alice_steel, user=sam, role="service")
    users = {u.username: u for u in User.objects.all()}
    return list(Account.objects.order_by("pk")), users


def summary() -> list[tuple[Any, ...]]:
    return list(
        Ticket.objects.order_by("pk").values_list(
            "account__name", "kind", "subject", "status", "owner__username", "created_at"
        )
    )


def test_the_demo_tickets_tell_a_realistic_story(cast: Cast) -> None:
    accounts, users = book(cast)
    counts = populate_tickets(random.Random(7), accounts, users, dt.date(2026, 10, 31), now=NOW)
    tickets = list(Ticket.objects.all())
    assert counts["tickets"] == len(tickets) == 928
    assert counts["ticket events"] == TicketEvent.objects.count()
    assert Notification.objects.count() == 0

    statuses = Counter(t.status for t in tickets)
    assert statuses[TicketStatus.CLOSED] > 200
    assert 10 <= counts["open tickets"] <= 40  # the open ones and a few long-running
    states = Counter(
        ticket_clocks(t, now=NOW).resolution.state
        for t in Ticket.objects.prefetch_related("pauses")
    )
    assert states[SlaState.MET] > 5 * states[SlaState.MISSED] > 0
    assert states[SlaState.BREACHED] + states[SlaState.AT_RISK] > 0
    handed = TicketEvent.objects.filter(kind=EventKind.HANDED_OVER)
    assert handed.count() > 20
    assert all(e.ticket.kind == "complaint" for e in handed.select_related("ticket"))
    assert TicketEvent.objects.filter(kind=EventKind.ESCALATED).exists()
    assert all(t.number == f"T-{t.pk:06d}" for t in tickets)
    assert all(t.owner.is_active for t in tickets)
    first = min(t.created_at for t in tickets)
    assert first >= timezone.make_aware(dt.datetime(2025, 5, 9))  # 540 days of history

    # The history is already escalated as far as it went: the first check adds little.
    report = check_slas(now=NOW)
    assert report.notified <= counts["open tickets"]


def test_tickets_come_from_buying_customers_and_complaints_before_they_stop(
    cast: Cast,
) -> None:
    accounts, users = book(cast)
    steady, stopping, prospect = accounts[3], accounts[4], accounts[5]
    for account, first, last in (
        (steady, dt.date(2024, 1, 5), dt.date(2026, 10, 20)),
        (stopping, dt.date(2024, 1, 5), dt.date(2026, 3, 31)),
    ):
        for day in (first, last):
            Order.objects.create(account=account, order_date=day, amount=Decimal(1000))

    populate_tickets(random.Random(5), accounts, users, dt.date(2026, 10, 31), now=NOW, history=300)

    owners = Counter(Ticket.objects.values_list("account_id", "kind"))
    # Accounts without orders (the prospect, the cast's accounts) ask, but never complain.
    assert {a for a, kind in owners if kind == "complaint"} == {steady.pk, stopping.pk}
    assert owners[(prospect.pk, "request")] > 0
    assert owners[(steady.pk, "request")] > owners[(prospect.pk, "request")]
    late = Ticket.objects.filter(account=stopping, created_at__date__gt=dt.date(2026, 5, 30))
    assert not late.exists()  # nothing two months after the last order
    # Same tier weight, but complaints cluster in the half year before the last order.
    window = (dt.date(2025, 10, 2), dt.date(2026, 3, 31))
    complaints = Ticket.objects.filter(kind="complaint", created_at__date__range=window)
    assert (
        complaints.filter(account=stopping).count() > 2 * complaints.filter(account=steady).count()
    )


def test_the_same_seed_makes_the_same_tickets(cast: Cast) -> None:
    accounts, users = book(cast)
    populate_tickets(random.Random(3), accounts, users, dt.date(2026, 10, 31), now=NOW, history=40)
    first = summary()
    Ticket.objects.all().delete()
    populate_tickets(random.Random(3), accounts, users, dt.date(2026, 10, 31), now=NOW, history=40)
    assert summary() == first


def test_the_hook_writes_nothing_without_accounts(cast: Cast) -> None:
    assert populate(random.Random(1), [], {}, dt.date(2026, 10, 31))["tickets"] == 0
