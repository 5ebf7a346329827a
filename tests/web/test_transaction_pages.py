"""Orders and payments (DATA-4): lists by visibility, by account, by date and by payment
state, with export; adding an order or a payment from the account page."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.urls import reverse
from django.utils import timezone

from kam.transactions.models import Order, Payment
from tests.conftest import Cast
from tests.web.conftest import Archive, client_for


def test_it_lists_only_visible_orders(cast: Cast, archive: Archive) -> None:
    alice = client_for(cast.alice).get(reverse("transactions:orders"))
    assert [o.external_id for o in alice.context["page"].object_list] == ["O-1"]
    dora = client_for(cast.dora).get(reverse("transactions:orders"))
    assert [o.external_id for o in dora.context["page"].object_list] == ["O-2", "O-1"]


def test_it_filters_orders_by_account_and_date(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.dora)
    today = timezone.localdate()

    def ids(**params: object) -> list[str]:
        page = client.get(reverse("transactions:orders"), params).context["page"]
        return [o.external_id for o in page.object_list]

    assert ids(account=cast.bob_mining.pk) == ["O-2"]
    assert ids(date_from=(today - dt.timedelta(days=20)).isoformat()) == ["O-2"]
    assert ids(date_to=(today - dt.timedelta(days=20)).isoformat()) == ["O-1"]
    assert ids(q="steel") == ["O-1"]
    assert ids(sort="amount") == ["O-2", "O-1"]


def test_it_filters_payments_by_state(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.dora)

    def ids(state: str) -> list[str]:
        page = client.get(reverse("transactions:payments"), {"state": state}).context["page"]
        return sorted(p.external_id for p in page.object_list)

    assert ids("overdue") == ["P-1"]
    assert ids("open") == ["P-1", "P-3"]
    assert ids("paid") == ["P-2"]
    assert ids("late") == ["P-2"]
    assert ids("") == ["P-1", "P-2", "P-3"]


def test_it_marks_overdue_and_late_payments(cast: Cast, archive: Archive) -> None:
    page = client_for(cast.alice).get(reverse("transactions:payments")).content.decode()
    assert "Overdue 10 days" in page
    assert "Paid 5 days late" in page
    assert "P-3" not in page  # Bob Mining's


def test_it_exports_the_filtered_payments(cast: Cast, archive: Archive) -> None:
    response = client_for(cast.dora).get(
        reverse("transactions:payments_export"), {"state": "overdue", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["external_id"] for r in rows] == ["P-1"]


def test_it_exports_only_visible_orders(cast: Cast, archive: Archive) -> None:
    response = client_for(cast.bob).get(reverse("transactions:orders_export"), {"format": "csv"})
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["external_id"] for r in rows] == ["O-2"]


def test_it_adds_an_order_and_a_payment_from_the_account_page(cast: Cast, archive: Archive) -> None:
    client = client_for(cast.alice)
    suffix = f"?account={cast.alice_steel.pk}"
    response = client.post(
        reverse("transactions:order_create") + suffix,
        {"account": "A-1", "order_date": "2026-01-15", "amount": "8800.50", "product": "Coil"},
    )
    order = Order.objects.get(product="Coil")
    assert response["Location"] == cast.alice_steel.get_absolute_url() + "#orders"
    assert order.amount == 8800.50 and order.external_id.startswith("KAM-O")

    form = client.get(reverse("transactions:payment_create") + suffix).context["form"]
    assert order.external_id in str(form["order"])
    client.post(
        reverse("transactions:payment_create") + suffix,
        {
            "account": "A-1",
            "order": order.external_id,
            "due_date": "2026-02-15",
            "amount": "8800.50",
        },
    )
    assert Payment.objects.get(order=order).amount == 8800.50


def test_it_rejects_an_order_for_an_invisible_account(cast: Cast, archive: Archive) -> None:
    response = client_for(cast.alice).post(
        reverse("transactions:order_create"),
        {"account": "B-1", "order_date": "2026-13-01", "amount": "x"},
    )
    errors = response.context["form"].errors
    assert errors["order_date"][0].startswith("not a date")
    assert errors["amount"][0].startswith("not a number")
    assert (
        not Order.objects.filter(account=cast.bob_mining).exclude(pk=archive.bob_order.pk).exists()
    )
