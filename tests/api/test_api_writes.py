"""Writes through the API go through the same services as the web pages and the import:
validated as an import row, saved, and audited with source "api"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import AuditEvent, User
from kam.transactions.models import Order, Payment
from tests.api.conftest import ApiClient
from tests.conftest import Cast

ApiAs = Callable[[User], ApiClient]


def api_events() -> list[tuple[str, str, str]]:
    return [
        (e.action, e.object_type, e.actor.username if e.actor else "")
        for e in AuditEvent.objects.filter(source="api").order_by("id")
    ]


def test_it_creates_an_account_with_natural_keys_and_audits_it(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.mary).post(
        "/api/accounts",
        {
            "name": "Suzhou Steel Group",
            "industry": "manufacturing",
            "owner": "alice",
            "region": "east",
            "parent": "A-1",
            "tags": ["steel", "state-owned"],
            "annual_revenue": 1234567.89,
            "employees": 250,
        },
    )
    assert response.status_code == 201, response.content
    made = response.json()
    account = Account.objects.get(pk=made["id"])
    assert made["external_id"] == account.external_id and account.external_id.startswith("KAM-A")
    assert (made["owner"], made["owner_id"]) == ("alice", cast.alice.pk)
    assert (made["parent"], made["parent_id"]) == ("A-1", cast.alice_steel.pk)
    assert (made["region"], made["tags"]) == ("east", ["state-owned", "steel"])
    assert account.annual_revenue == Decimal("1234567.89")
    assert api_events() == [("create", "account", "mary")]


def test_it_changes_only_the_fields_sent(cast: Cast, api_as: ApiAs) -> None:
    account = cast.alice_steel
    response = api_as(cast.alice).patch(f"/api/accounts/{account.pk}", {"city": "Wuxi"})
    assert response.status_code == 200, response.content
    stored = Account.objects.get(pk=account.pk)
    assert (stored.city, stored.province, stored.credit_limit) == (
        "Wuxi",
        "Jiangsu",
        Decimal(500000),
    )
    event = AuditEvent.objects.get(source="api")
    assert (event.action, event.changes) == ("update", {"city": ["Suzhou", "Wuxi"]})


def test_it_empties_a_field_sent_as_null(cast: Cast, api_as: ApiAs) -> None:
    account = cast.alice_steel
    response = api_as(cast.alice).patch(f"/api/accounts/{account.pk}", {"credit_limit": None})
    assert response.json()["credit_limit"] is None
    assert Account.objects.get(pk=account.pk).credit_limit is None


def test_it_lets_a_team_member_change_an_account_without_taking_it_over(
    cast: Cast, api_as: ApiAs
) -> None:
    telecom = cast.shared_telecom
    response = api_as(cast.alice).patch(f"/api/accounts/{telecom.pk}", {"status": "dormant"})
    assert response.status_code == 200, response.content
    assert response.json()["owner"] == "bob"


def test_it_refuses_to_hand_an_account_to_someone_outside_the_team(
    cast: Cast, api_as: ApiAs
) -> None:
    response = api_as(cast.alice).patch(f"/api/accounts/{cast.alice_steel.pk}", {"owner": "bob"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner"


def test_it_refuses_to_delete_an_account_that_heads_others_with_409(
    cast: Cast, api_as: ApiAs
) -> None:
    Account.objects.create(
        external_id="A-1-SZ", name="Alice Steel Suzhou", owner=cast.alice, parent=cast.alice_steel
    )
    response = api_as(cast.alice).delete(f"/api/accounts/{cast.alice_steel.pk}")
    assert response.status_code == 409
    assert response.json()["code"] == "conflict"
    assert Account.objects.filter(pk=cast.alice_steel.pk).exists()


def test_it_deletes_an_account_with_its_records_and_audits_it(cast: Cast, api_as: ApiAs) -> None:
    response = api_as(cast.alice).delete(f"/api/accounts/{cast.alice_steel.pk}")
    assert (response.status_code, response.content) == (204, b"")
    assert not Account.objects.filter(pk=cast.alice_steel.pk).exists()
    assert api_events() == [("delete", "account", "alice")]


def test_it_creates_changes_and_deletes_a_contact(cast: Cast, api_as: ApiAs) -> None:
    alice = api_as(cast.alice)
    boss = alice.post(
        "/api/contacts", {"account": "A-1", "name": "Zhang", "buying_role": "economic_buyer"}
    )
    made = alice.post(
        "/api/contacts",
        {
            "account": "A-1",
            "name": "Li",
            "reports_to": boss.json()["external_id"],
            "familiarity": 2,
        },
    )
    assert made.status_code == 201, made.content
    contact = made.json()
    assert (contact["reports_to"], contact["reports_to_id"]) == (
        boss.json()["external_id"],
        boss.json()["id"],
    )
    changed = alice.patch(
        f"/api/contacts/{contact['id']}", {"stance": "supporter", "is_active": False}
    )
    assert (changed.json()["stance"], changed.json()["is_active"]) == ("supporter", False)
    assert alice.delete(f"/api/contacts/{contact['id']}").status_code == 204
    assert not Contact.objects.filter(pk=contact["id"]).exists()
    assert api_events() == [
        ("create", "contact", "alice"),
        ("create", "contact", "alice"),
        ("update", "contact", "alice"),
        ("delete", "contact", "alice"),
    ]


def test_it_records_an_order_and_its_payment(cast: Cast, api_as: ApiAs) -> None:
    alice = api_as(cast.alice)
    order = alice.post(
        "/api/orders",
        {"account": "A-1", "order_date": "2024-05-01", "amount": 1200.5, "discount_rate": 0.05},
    ).json()
    payment = alice.post(
        "/api/payments",
        {
            "account": "A-1",
            "order": order["external_id"],
            "due_date": "2024-06-01",
            "amount": 1200.5,
        },
    )
    assert payment.status_code == 201, payment.content
    assert (payment.json()["order"], payment.json()["order_id"]) == (
        order["external_id"],
        order["id"],
    )
    paid = alice.patch(f"/api/payments/{payment.json()['id']}", {"paid_date": "2024-06-11"})
    assert (paid.json()["paid_date"], paid.json()["days_late"]) == ("2024-06-11", 10)
    assert Payment.objects.get().paid_date == dt.date(2024, 6, 11)
    assert Order.objects.get().discount_rate == Decimal("0.05")


def test_it_deletes_an_order_and_a_payment_with_audit(cast: Cast, api_as: ApiAs) -> None:
    order = Order.objects.create(
        external_id="O-1",
        account=cast.alice_steel,
        order_date=dt.date(2024, 1, 2),
        amount=Decimal(5),
    )
    payment = Payment.objects.create(
        external_id="P-1", account=cast.alice_steel, due_date=dt.date(2024, 2, 2), amount=Decimal(5)
    )
    alice = api_as(cast.alice)
    assert alice.delete(f"/api/payments/{payment.pk}").status_code == 204
    assert alice.delete(f"/api/orders/{order.pk}").status_code == 204
    assert api_events() == [("delete", "payment", "alice"), ("delete", "order", "alice")]


def test_it_keeps_tags_unless_sent_and_replaces_them_when_sent(cast: Cast, api_as: ApiAs) -> None:
    alice = api_as(cast.alice)
    path = f"/api/accounts/{cast.alice_steel.pk}"
    alice.patch(path, {"tags": ["steel", "export"]})
    assert alice.patch(path, {"city": "Wuxi"}).json()["tags"] == ["export", "steel"]
    assert alice.patch(path, {"tags": ["steel"]}).json()["tags"] == ["steel"]
    assert alice.patch(path, {"tags": []}).json()["tags"] == []


def test_it_refuses_a_parent_that_makes_a_loop(cast: Cast, api_as: ApiAs) -> None:
    Account.objects.create(
        external_id="A-1-SZ", name="Alice Steel Suzhou", owner=cast.alice, parent=cast.alice_steel
    )
    response = api_as(cast.alice).patch(
        f"/api/accounts/{cast.alice_steel.pk}", {"parent": "A-1-SZ"}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"].startswith("makes a loop in the hierarchy")
