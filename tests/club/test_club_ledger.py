"""The points ledger never loses a point: the balance is always the sum of the rows, rows
are never changed or deleted, spending never takes a balance below zero, and a refused
write leaves nothing behind."""

from __future__ import annotations

import itertools

import pytest
from django.contrib.admin.sites import site
from django.core.exceptions import PermissionDenied
from django.db.models import Sum
from django.test import RequestFactory
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.accounts.models import Account
from kam.club.models import AppendOnly, Benefit, EntryKind, PointsEntry
from kam.club.services import (
    ClubRefused,
    NotEnoughPoints,
    adjust,
    balance_of,
    earn,
    join,
    leave,
    ledger,
    redeem,
)
from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid
from tests.club.conftest import Club

COUNTER = itertools.count()


def rows_sum(membership: object) -> int:
    rows = PointsEntry.objects.filter(membership=membership)
    return int(rows.aggregate(t=Sum("delta"))["t"] or 0)


def give(membership: object, points: int) -> PointsEntry:
    entry = earn(
        membership=membership,  # type: ignore[arg-type]
        delta=points,
        kind=EntryKind.EARN_REFERRAL,
        reference=f"test:{next(COUNTER)}",
        note="test points",
        actor=None,
    )
    assert entry is not None
    return entry


Operation = st.one_of(
    st.tuples(st.just("earn"), st.integers(1, 500)),
    st.tuples(st.just("redeem"), st.integers(1, 400)),
    st.tuples(st.just("adjust"), st.integers(-400, 400).filter(bool)),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(Operation, max_size=12))
def test_the_balance_is_always_the_sum_of_the_rows(club: Club, operations: list) -> None:
    cast = club.cast
    account = Account.objects.create(name=f"Prop {next(COUNTER)}", owner=cast.alice)
    membership = join(actor=cast.alice, account=account)
    expected = 0
    for kind, points in operations:
        before = PointsEntry.objects.filter(membership=membership).count()
        try:
            if kind == "earn":
                give(membership, points)
                expected += points
            elif kind == "redeem":
                benefit = Benefit.objects.create(name=f"B{next(COUNTER)}", points_cost=points)
                redeem(actor=cast.alice, membership=membership, benefit=benefit)
                expected -= points
            else:
                adjust(actor=cast.dora, membership=membership, delta=points, reason="property")
                expected += points
        except NotEnoughPoints:
            # refused: the balance would have gone below zero, and nothing was written
            assert expected - abs(points) < 0
            assert PointsEntry.objects.filter(membership=membership).count() == before
        assert balance_of(membership) == rows_sum(membership) == expected >= 0
        running = [int(e.balance_after) for e in ledger(membership)]  # type: ignore[attr-defined]
        assert running[:1] == ([expected] if running else [])
        assert all(value >= 0 for value in running)


def test_redeeming_more_than_the_balance_is_refused_and_writes_nothing(club: Club) -> None:
    cast = club.cast
    give(club.alice_member, 150)
    redeem(actor=cast.alice, membership=club.alice_member, benefit=club.training)
    rows, audits = PointsEntry.objects.count(), AuditEvent.objects.count()

    with pytest.raises(NotEnoughPoints) as refused:
        redeem(actor=cast.alice, membership=club.alice_member, benefit=club.training)

    assert str(refused.value) == (
        "Not enough points: Training seat costs 100 points and the balance of "
        "Alice Steel Co., Ltd. is 50."
    )
    assert PointsEntry.objects.count() == rows and AuditEvent.objects.count() == audits
    assert balance_of(club.alice_member) == 50


def test_a_redemption_is_a_negative_row_with_the_benefit_and_is_audited(club: Club) -> None:
    give(club.alice_member, 300)
    entry = redeem(
        actor=club.cast.alice, membership=club.alice_member, benefit=club.summit, note="for Wang"
    )
    assert (entry.delta, entry.kind, entry.benefit, entry.note) == (
        -200,
        EntryKind.REDEEM,
        club.summit,
        "for Wang",
    )
    assert entry.reference.startswith("redeem:") and entry.actor == club.cast.alice
    assert balance_of(club.alice_member) == 100
    club.summit.refresh_from_db()
    assert club.summit.stock == 0
    event = AuditEvent.objects.get(object_type="pointsentry", object_id=entry.pk)
    assert event.account_id == club.cast.alice_steel.pk and event.changes["delta"] == [None, -200]


def test_stock_switched_off_benefits_and_former_members_are_refused(club: Club) -> None:
    cast = club.cast
    give(club.alice_member, 1000)
    redeem(actor=cast.alice, membership=club.alice_member, benefit=club.summit)
    with pytest.raises(ClubRefused, match="Summit pass is out of stock"):
        redeem(actor=cast.alice, membership=club.alice_member, benefit=club.summit)
    with pytest.raises(ClubRefused, match="Old gift is not available"):
        redeem(actor=cast.alice, membership=club.alice_member, benefit=club.old_gift)
    leave(actor=cast.alice, membership=club.alice_member)
    with pytest.raises(ClubRefused, match="left the club"):
        redeem(actor=cast.alice, membership=club.alice_member, benefit=club.training)
    assert balance_of(club.alice_member) == 800  # leaving keeps the points


def test_only_directors_adjust_with_a_reason_and_never_below_zero(club: Club) -> None:
    cast = club.cast
    give(club.alice_member, 100)
    with pytest.raises(PermissionDenied):
        adjust(actor=cast.alice, membership=club.alice_member, delta=10, reason="nice")
    with pytest.raises(RecordInvalid) as invalid:
        adjust(actor=cast.dora, membership=club.alice_member, delta=0, reason=" ")
    assert set(invalid.value.by_field()) == {"points", "reason"}
    with pytest.raises(NotEnoughPoints, match="cannot go below zero"):
        adjust(actor=cast.dora, membership=club.alice_member, delta=-101, reason="typo")
    entry = adjust(actor=cast.dora, membership=club.alice_member, delta=-100, reason="typo")
    assert (entry.kind, entry.delta, entry.note) == (EntryKind.ADJUST, -100, "typo")
    assert balance_of(club.alice_member) == 0


def test_analysts_and_outsiders_cannot_spend(club: Club) -> None:
    from django.http import Http404

    give(club.alice_member, 500)
    with pytest.raises(PermissionDenied):
        redeem(actor=club.cast.ann, membership=club.alice_member, benefit=club.training)
    with pytest.raises(Http404):
        redeem(actor=club.cast.bob, membership=club.alice_member, benefit=club.training)
    assert balance_of(club.alice_member) == 500


def test_rows_are_append_only(club: Club) -> None:
    entry = give(club.alice_member, 100)
    entry.delta = 1_000_000
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        PointsEntry.objects.filter(pk=entry.pk).update(delta=5)
    with pytest.raises(AppendOnly):
        PointsEntry.objects.filter(pk=entry.pk).delete()
    entry.refresh_from_db()
    assert entry.delta == 100 and balance_of(club.alice_member) == 100


def test_the_admin_cannot_add_change_or_delete_rows(club: Club) -> None:
    request = RequestFactory().get("/admin/")
    request.user = club.cast.root
    admin = site._registry[PointsEntry]
    entry = give(club.alice_member, 1)
    assert not admin.has_add_permission(request)
    assert not admin.has_change_permission(request, entry)
    assert not admin.has_delete_permission(request, entry)


def test_a_source_earns_once(club: Club) -> None:
    first = earn(
        membership=club.alice_member,
        delta=10,
        kind=EntryKind.EARN_PURCHASE,
        reference="order:999999",
        note="",
        actor=None,
    )
    again = earn(
        membership=club.bob_member,
        delta=10,
        kind=EntryKind.EARN_PURCHASE,
        reference="order:999999",
        note="",
        actor=None,
    )
    assert first is not None and again is None
    assert PointsEntry.objects.filter(reference="order:999999").count() == 1


def test_joining_twice_is_refused_and_rejoining_keeps_the_points(club: Club) -> None:
    cast = club.cast
    with pytest.raises(ClubRefused, match="is a club member already"):
        join(actor=cast.alice, account=cast.alice_steel)
    give(club.alice_member, 70)
    leave(actor=cast.alice, membership=club.alice_member)
    again = join(actor=cast.alice, account=cast.alice_steel)
    assert again.pk == club.alice_member.pk and again.is_active
    assert balance_of(again) == 70
    changes = AuditEvent.objects.filter(object_type="membership", object_id=again.pk)
    assert changes.count() == 2  # left, rejoined (the fixture enrolled without the service)


def test_only_directors_backdate_and_nobody_joins_in_the_future(club: Club) -> None:
    import datetime as dt

    from django.utils import timezone

    cast = club.cast
    today = timezone.localdate()
    with pytest.raises(PermissionDenied):
        join(actor=cast.bob, account=cast.shared_telecom, joined_on=today - dt.timedelta(days=3))
    with pytest.raises(ClubRefused, match="cannot be later than today"):
        join(actor=cast.dora, account=cast.shared_telecom, joined_on=today + dt.timedelta(days=1))
    member = join(
        actor=cast.dora, account=cast.shared_telecom, joined_on=today - dt.timedelta(days=3)
    )
    assert member.joined_on == today - dt.timedelta(days=3)
    assert member.number == f"KC{cast.shared_telecom.pk:08d}"


def test_deleting_the_account_takes_its_membership_and_ledger_with_it(club: Club) -> None:
    from kam.accounts.services import delete_account
    from kam.club.models import Membership

    give(club.alice_member, 100)
    redeem(actor=club.cast.alice, membership=club.alice_member, benefit=club.training)
    delete_account(actor=club.cast.dora, account=club.cast.alice_steel)
    assert not Membership.objects.filter(pk=club.alice_member.pk).exists()
    assert not PointsEntry.objects.filter(membership_id=club.alice_member.pk).exists()
    assert Benefit.objects.filter(pk=club.training.pk).exists()


def test_deleting_a_user_keeps_the_rows_they_recorded(club: Club) -> None:
    give(club.alice_member, 100)
    entry = adjust(actor=club.cast.dora, membership=club.alice_member, delta=5, reason="gift")
    club.cast.dora.delete()
    entry.refresh_from_db()
    assert entry.actor is None and entry.delta == 5
    assert balance_of(club.alice_member) == 105
