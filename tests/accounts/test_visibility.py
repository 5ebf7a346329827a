"""Row-level visibility (PLAT-2): an account manager sees own accounts and those where
on the account team; a sales manager the team's; director, analyst, admin all."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from kam.accounts.services import get_account_for_user, visible_accounts
from kam.contacts.models import Contact
from kam.contacts.services import get_contact_for_user, visible_contacts
from kam.transactions.models import Order, Payment
from kam.transactions.services import visible_orders, visible_payments
from tests.conftest import Cast


def names(cast: Cast, who: str) -> list[str]:
    user = getattr(cast, who)
    return sorted(a.external_id for a in visible_accounts(user))


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("alice", ["A-1", "B-2"]),  # own + account team
        ("tom", []),  # teammate of Alice: not on her accounts
        ("bob", ["B-1", "B-2"]),
        ("mary", ["A-1"]),  # East's manager: accounts owned by East's people
        ("nick", ["B-1", "B-2"]),  # North's manager
        ("dora", ["A-1", "B-1", "B-2"]),
        ("ann", ["A-1", "B-1", "B-2"]),
        ("root", ["A-1", "B-1", "B-2"]),
    ],
)
def test_it_shows_each_role_its_accounts(cast: Cast, who: str, expected: list[str]) -> None:
    assert names(cast, who) == expected


def test_it_hides_an_invisible_account_like_a_missing_one(cast: Cast) -> None:
    with pytest.raises(Http404):
        get_account_for_user(cast.alice, cast.bob_mining.pk)
    with pytest.raises(Http404):
        get_account_for_user(cast.alice, 999_999)
    with pytest.raises(Http404):
        get_account_for_user(cast.alice, "not-a-number")
    assert get_account_for_user(cast.alice, cast.shared_telecom.pk) == cast.shared_telecom


def test_an_analyst_reads_but_never_writes(cast: Cast) -> None:
    assert get_account_for_user(cast.ann, cast.bob_mining.pk) == cast.bob_mining
    with pytest.raises(PermissionDenied):
        get_account_for_user(cast.ann, cast.bob_mining.pk, for_write=True)


def test_an_inactive_user_sees_nothing(cast: Cast) -> None:
    cast.dora.is_active = False
    cast.dora.save()
    assert names(cast, "dora") == []


def test_what_hangs_off_an_account_follows_its_visibility(cast: Cast) -> None:
    secret = Contact.objects.create(external_id="C-B", account=cast.bob_mining, name="Zhao")
    mine = Contact.objects.create(external_id="C-A", account=cast.alice_steel, name="Qian")
    Order.objects.create(
        external_id="O-B", account=cast.bob_mining, order_date="2024-01-01", amount=1
    )
    Payment.objects.create(
        external_id="P-B", account=cast.bob_mining, due_date="2024-01-01", amount=1
    )
    assert list(visible_contacts(cast.alice)) == [mine]
    assert not visible_orders(cast.alice).exists()
    assert not visible_payments(cast.alice).exists()
    assert visible_orders(cast.nick).count() == 1
    with pytest.raises(Http404):
        get_contact_for_user(cast.alice, secret.pk)
