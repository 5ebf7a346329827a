"""Writes through the services: each one audited with old → new; hierarchy roll-ups."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied

from kam.accounts.models import Account, HierarchyLevel
from kam.accounts.services import (
    AccountInUse,
    add_account_team_member,
    delete_account,
    hierarchy_for,
    remove_account_team_member,
    save_account,
)
from kam.contacts.models import Contact
from kam.contacts.services import save_contact
from kam.core.models import AuditEvent
from kam.dataio.records import RecordInvalid, validate_one
from kam.transactions.models import Order
from kam.transactions.services import save_order
from tests.conftest import Cast


def test_it_audits_a_change_with_old_and_new_values(cast: Cast) -> None:
    values = validate_one(
        "accounts",
        {"name": "Alice Steel Group", "credit_limit": "750000", "tags": "战略"},
        actor=cast.alice,
        instance=cast.alice_steel,
    )
    save_account(actor=cast.alice, values=values, account=cast.alice_steel)
    event = AuditEvent.objects.get(object_type="account", action="update")
    assert event.actor == cast.alice
    assert event.account_id == cast.alice_steel.pk
    assert event.changes["name"] == ["Alice Steel Co., Ltd.", "Alice Steel Group"]
    assert event.changes["credit_limit"] == ["500000", "750000"]
    assert event.changes["tags"] == ["", "战略"]


def test_it_assigns_an_external_id_to_a_new_account(cast: Cast) -> None:
    values = validate_one("accounts", {"name": "Nova"}, actor=cast.alice)
    account = save_account(actor=cast.alice, values=values)
    assert account.external_id == f"KAM-A{account.pk:06d}"
    assert account.owner == cast.alice
    created = AuditEvent.objects.get(object_type="account", action="create")
    assert created.changes["name"] == [None, "Nova"]


def test_it_validates_with_the_import_messages(cast: Cast) -> None:
    with pytest.raises(RecordInvalid) as caught:
        validate_one(
            "accounts", {"name": "", "employees": "many", "external_id": "B-1"}, actor=cast.alice
        )
    assert caught.value.by_field() == {
        "name": "missing value (got '', expected a value)",
        "employees": "not a whole number (got 'many', expected a whole number such as 250)",
    }
    with pytest.raises(RecordInvalid) as caught:
        validate_one("accounts", {"name": "X", "external_id": "B-1"}, actor=cast.alice)
    assert caught.value.by_field() == {
        "external_id": "already used (got 'B-1', expected an external_id no other record has)"
    }


def test_an_analyst_cannot_save(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        save_account(actor=cast.ann, values={"name": "X"}, account=cast.alice_steel)


def test_it_audits_contacts_orders_and_team_changes(cast: Cast) -> None:
    contact = save_contact(
        actor=cast.alice,
        values=validate_one("contacts", {"account": "A-1", "name": "Wang"}, actor=cast.alice),
    )
    save_order(
        actor=cast.alice,
        values=validate_one(
            "transactions",
            {"account": "A-1", "order_date": "2024-05-01", "amount": "10"},
            actor=cast.alice,
        ),
    )
    add_account_team_member(
        actor=cast.mary, account=cast.alice_steel, user=cast.tom, role="technical"
    )
    kinds = list(
        AuditEvent.objects.filter(account_id=cast.alice_steel.pk)
        .order_by("id")
        .values_list("object_type", "action")
    )
    assert kinds == [("contact", "create"), ("order", "create"), ("account", "update")]
    assert contact.external_id == f"KAM-C{contact.pk:06d}"


def test_it_deletes_with_an_audit_entry_but_not_a_group_with_children(cast: Cast) -> None:
    child = Account.objects.create(
        external_id="A-2", name="Alice Branch", owner=cast.alice, parent=cast.alice_steel
    )
    with pytest.raises(AccountInUse, match="still heads 1 subsidiary or branch"):
        delete_account(actor=cast.alice, account=cast.alice_steel)
    pk = child.pk
    delete_account(actor=cast.alice, account=child)
    event = AuditEvent.objects.get(action="delete")
    assert (event.object_id, event.account_id, event.changes["name"]) == (
        pk,
        pk,
        ["Alice Branch", None],
    )


def test_it_rolls_up_revenue_through_the_group_visible_to_the_user(cast: Cast) -> None:
    group = cast.alice_steel
    group.hierarchy_level = HierarchyLevel.GROUP
    group.save()
    sub = Account.objects.create(external_id="A-2", name="Sub", owner=cast.alice, parent=group)
    branch = Account.objects.create(external_id="A-3", name="Branch", owner=cast.alice, parent=sub)
    hidden = Account.objects.create(
        external_id="B-9", name="Bob's branch", owner=cast.bob, parent=group
    )
    for account, amount in [(group, "100"), (sub, "20"), (branch, "3"), (hidden, "5000")]:
        Order.objects.create(
            account=account, order_date=dt.date(2024, 1, 1), amount=Decimal(amount)
        )
    Contact.objects.create(account=branch, name="Li")
    tree = hierarchy_for(cast.alice, branch)
    assert tree.account == group
    assert tree.total_revenue == Decimal("123")  # Bob's branch is not Alice's to see
    assert (tree.total_orders, tree.total_contacts, tree.accounts_in_tree) == (3, 1, 3)
    assert [c.account for c in tree.children] == [sub]
    assert tree.children[0].total_revenue == Decimal("23")
    director_tree = hierarchy_for(cast.dora, branch)
    assert director_tree.total_revenue == Decimal("5123")


def test_the_account_team_is_staffed_by_owner_manager_or_director(cast: Cast) -> None:
    from kam.accounts.services import NotAllowed, visible_accounts

    add_account_team_member(actor=cast.alice, account=cast.alice_steel, user=cast.tom, role="sales")
    assert cast.alice_steel in visible_accounts(cast.tom)  # Tom now sees it
    add_account_team_member(
        actor=cast.mary, account=cast.alice_steel, user=cast.tom, role="service"
    )
    with pytest.raises(NotAllowed):  # Tom is on the team but does not staff it
        remove_account_team_member(actor=cast.tom, account=cast.alice_steel, user=cast.tom)
    with pytest.raises(NotAllowed):  # another team's manager
        remove_account_team_member(actor=cast.nick, account=cast.alice_steel, user=cast.tom)
    with pytest.raises(NotAllowed):  # the analyst
        remove_account_team_member(actor=cast.ann, account=cast.alice_steel, user=cast.tom)
    remove_account_team_member(actor=cast.dora, account=cast.alice_steel, user=cast.tom)
    assert cast.alice_steel not in visible_accounts(cast.tom)
    changes = [
        e.changes["account team"]
        for e in AuditEvent.objects.filter(account_id=cast.alice_steel.pk).order_by("id")
    ]
    assert changes == [["", "tom (sales)"], ["tom (sales)", "tom (service)"], ["tom (service)", ""]]
    with pytest.raises(ValueError, match="owner"):
        add_account_team_member(
            actor=cast.dora, account=cast.alice_steel, user=cast.alice, role="sales"
        )
