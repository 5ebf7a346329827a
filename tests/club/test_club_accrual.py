"""Earning from purchases (`kam club accrue`): the rules and the tier multiplier, and
idempotence — each order earns at most once however often the accrual runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from kam.club.models import EntryKind, PointsEntry, PointsRules
from kam.club.services import accrue_purchases, balance_of, leave, save_rules
from kam.club.tasks import accrue_club_points
from kam.insights.models import Tier
from tests.cli.helpers import Kam
from tests.club.conftest import ALICE_POINTS, BOB_POINTS, Club, order, set_tier


def test_orders_since_joining_earn_by_the_rules_and_the_tier(club: Club) -> None:
    result = accrue_purchases()

    assert (result.entries, result.points, result.members) == (2, ALICE_POINTS + BOB_POINTS, 2)
    assert balance_of(club.alice_member) == ALICE_POINTS  # 123 units × 1 × 200 %
    assert balance_of(club.bob_member) == BOB_POINTS  # 300 units × 1 × 150 %
    alice = PointsEntry.objects.get(membership=club.alice_member)
    assert alice.kind == EntryKind.EARN_PURCHASE
    assert alice.reference.startswith("order:")
    assert alice.note == "Order CL-2 of 2026-03-10: 12,345.67 (×200%)"
    assert alice.at.date().isoformat() == "2026-03-10"  # earned on the order's date


def test_accrual_is_idempotent(club: Club) -> None:
    accrue_purchases()
    rows = set(PointsEntry.objects.values_list("reference", "delta"))

    again = accrue_purchases()

    assert (again.entries, again.points) == (0, 0)
    assert set(PointsEntry.objects.values_list("reference", "delta")) == rows
    # a new order earns, the old ones do not earn again, even after the tier changed
    set_tier(club.cast.alice_steel, Tier.CORE)
    order(club.cast.alice_steel, "2026-06-01", "1000", "CL-6")
    third = accrue_purchases()
    assert (third.entries, third.points) == (1, 15)  # 10 units × 150 %
    assert balance_of(club.alice_member) == ALICE_POINTS + 15


def test_former_members_non_members_and_small_orders_earn_nothing(club: Club) -> None:
    leave(actor=club.cast.bob, membership=club.bob_member)
    order(club.cast.shared_telecom, "2026-03-01", "90000", "CL-7")  # not a member
    accrue_purchases()
    assert balance_of(club.bob_member) == 0
    assert not PointsEntry.objects.filter(membership__account=club.cast.shared_telecom).exists()
    # the 99.00 order is under one unit: it earns once the unit is small enough
    save_rules(actor=club.cast.dora, values={**rules(), "purchase_unit": 10})
    later = accrue_purchases()
    assert later.entries == 1 and later.points == 9 * 2


def rules() -> dict[str, int]:
    from kam.club.services import rules_values

    return rules_values(PointsRules.load())


def test_only_directors_and_the_system_accrue(club: Club) -> None:
    with pytest.raises(PermissionDenied):
        accrue_purchases(actor=club.cast.alice)
    assert accrue_purchases(actor=club.cast.dora).entries == 2


def test_the_task_accrues_once(club: Club) -> None:
    assert accrue_club_points.call() == 2
    assert accrue_club_points.call() == 0


def test_kam_club_accrue(club: Club, kam: Kam) -> None:
    first = kam("club", "accrue", "--as", "dora")
    assert first.exit_code == 0, first.output
    assert f"Accrued {ALICE_POINTS + BOB_POINTS} points from 2 orders for 2 members" in first.output
    again = kam("club", "accrue", "--as", "dora")
    assert "Accrued 0 points from 0 orders for 0 members" in again.output
    refused = kam("club", "accrue", "--as", "alice")
    assert refused.exit_code == 2
    assert "alice may not accrue club points" in refused.output
