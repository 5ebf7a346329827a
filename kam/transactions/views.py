"""Order and payment pages (DATA-4): lists with filters and export, and adding an order or
a payment from an account page."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import F, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core.models import User
from kam.core.views import (
    AuthedRequest,
    RecordForm,
    choice_input,
    date_input,
    default_values,
    export_response,
    form_data,
    list_template,
    login_required,
    overdue,
    paginate,
    require_write,
    sort_rows,
    text_input,
)
from kam.transactions.models import Order, Payment
from kam.transactions.services import save_order, save_payment, visible_orders, visible_payments

ORDER_SORTS = {"date": "order_date", "amount": "amount", "account": "account__name"}
PAYMENT_SORTS = {
    "due": "due_date",
    "paid": "paid_date",
    "amount": "amount",
    "account": "account__name",
}

# --- filters --------------------------------------------------------------------------


class DateRangeFilterForm(forms.Form):
    """Narrow a list to one account and a date range; `date_field` names the date."""

    date_field: str = ""

    q = forms.CharField(
        label=gettext_lazy("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    account = forms.IntegerField(required=False, widget=forms.HiddenInput())
    sort = forms.CharField(required=False, widget=forms.HiddenInput())

    def filter(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        self.is_valid()
        data = self.cleaned_data
        if data.get("q"):
            rows = rows.filter(self.search(data["q"]))
        if data.get("account"):
            rows = rows.filter(account_id=data["account"])
        if data.get("date_from"):
            rows = rows.filter(**{f"{self.date_field}__gte": data["date_from"]})
        if data.get("date_to"):
            rows = rows.filter(**{f"{self.date_field}__lte": data["date_to"]})
        return rows

    def search(self, text: str) -> Q:
        return Q(external_id__icontains=text) | Q(account__name__icontains=text)


class OrderFilterForm(DateRangeFilterForm):
    date_field = "order_date"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Order number, product or account")

    def search(self, text: str) -> Q:
        return super().search(text) | Q(product__icontains=text)


class PaymentState:
    OVERDUE = "overdue"
    OPEN = "open"
    PAID = "paid"
    LATE = "late"

    choices = [
        ("", gettext_lazy("All payments")),
        (OVERDUE, gettext_lazy("Overdue")),
        (OPEN, gettext_lazy("Not paid yet")),
        (PAID, gettext_lazy("Paid")),
        (LATE, gettext_lazy("Paid late")),
    ]


class PaymentFilterForm(DateRangeFilterForm):
    date_field = "due_date"

    state = forms.ChoiceField(
        label=gettext_lazy("State"), required=False, choices=PaymentState.choices
    )
    field_order = ["q", "state", "date_from", "date_to"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs["placeholder"] = _("Payment number or account")
        self.fields["date_from"].label = _("Due from")
        self.fields["date_to"].label = _("Due until")

    def filter(self, rows: QuerySet[Any]) -> QuerySet[Any]:
        rows = super().filter(rows)
        return by_state(rows, self.cleaned_data.get("state") or "")


def by_state(payments: QuerySet[Payment], state: str) -> QuerySet[Payment]:
    if state == PaymentState.OVERDUE:
        return overdue(payments)
    if state == PaymentState.OPEN:
        return payments.filter(paid_date__isnull=True)
    if state == PaymentState.PAID:
        return payments.filter(paid_date__isnull=False)
    if state == PaymentState.LATE:
        return payments.filter(paid_date__gt=F("due_date"))
    return payments


def filtered_account(user: User, pk: str | int | None) -> Account | None:
    if not pk:
        return None
    return visible_accounts(user).filter(pk=pk).first()


# --- lists ------------------------------------------------------------------------------


@login_required
def order_list(request: AuthedRequest) -> HttpResponse:
    form = OrderFilterForm(request.GET)
    rows = form.filter(visible_orders(request.user)).select_related("account")
    rows, sort = sort_rows(rows, form.cleaned_data.get("sort") or "", ORDER_SORTS, "-date")
    return render_list(request, form, rows, sort, "orders")


@login_required
def order_export(request: AuthedRequest) -> HttpResponse:
    rows = OrderFilterForm(request.GET).filter(visible_orders(request.user))
    return export_response("transactions", rows, request.GET.get("format", "csv"), "orders")


@login_required
def payment_list(request: AuthedRequest) -> HttpResponse:
    form = PaymentFilterForm(request.GET)
    rows = form.filter(visible_payments(request.user)).select_related("account", "order")
    rows, sort = sort_rows(rows, form.cleaned_data.get("sort") or "", PAYMENT_SORTS, "-due")
    return render_list(request, form, rows, sort, "payments")


@login_required
def payment_export(request: AuthedRequest) -> HttpResponse:
    rows = PaymentFilterForm(request.GET).filter(visible_payments(request.user))
    return export_response("payments", rows, request.GET.get("format", "csv"), "payments")


def render_list(
    request: AuthedRequest, form: DateRangeFilterForm, rows: QuerySet[Any], sort: str, name: str
) -> HttpResponse:
    context = {
        "form": form,
        "page": paginate(request, rows),
        "sort": sort,
        "account": filtered_account(request.user, form.cleaned_data.get("account")),
        "can_write": not request.user.is_read_only,
        "today": timezone.localdate(),
    }
    template = list_template(
        request, f"transactions/{name}.html", f"transactions/_{name}_results.html"
    )
    return render(request, template, context)


# --- adding from an account page --------------------------------------------------------


class OrderForm(RecordForm):
    kind = "transactions"

    account = text_input(
        Order, "account", required=True, help_text=gettext_lazy("External id of the account.")
    )
    external_id = text_input(
        Order,
        "external_id",
        help_text=gettext_lazy("The order or invoice number; empty to assign one."),
    )
    order_date = date_input(Order, "order_date", required=True)
    amount = text_input(Order, "amount", required=True)
    product = text_input(Order, "product")
    quantity = text_input(Order, "quantity")
    margin = text_input(Order, "margin")
    discount_rate = text_input(
        Order, "discount_rate", help_text=Order._meta.get_field("discount_rate").help_text
    )


class PaymentForm(RecordForm):
    kind = "payments"

    account = text_input(
        Payment, "account", required=True, help_text=gettext_lazy("External id of the account.")
    )
    external_id = text_input(
        Payment, "external_id", help_text=gettext_lazy("The receipt number; empty to assign one.")
    )
    order = choice_input(Payment, "order", choices=[])
    due_date = date_input(Payment, "due_date", required=True)
    paid_date = date_input(Payment, "paid_date")
    amount = text_input(Payment, "amount", required=True)

    def __init__(self, *args: Any, account: Account | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        orders = Order.objects.filter(account=account).exclude(external_id=None) if account else []
        self.fields["order"].widget.choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((o.external_id, f"{o.external_id} · {o.order_date} · {o.amount}") for o in orders),
        ]


@login_required
def order_create(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    account = filtered_account(request.user, request.GET.get("account"))
    form = OrderForm(form_data(request), initial=initial_for("transactions", account))
    if form.is_bound:
        values = form.validated(actor=request.user)
        if values is not None:
            order = save_order(actor=request.user, values=values)
            messages.success(request, _("Order %(number)s added.") % {"number": order.external_id})
            return redirect(f"{order.account.get_absolute_url()}#orders")
    context = {"form": form, "account": account, "title": _("New order")}
    return render(request, "transactions/form.html", context)


@login_required
def payment_create(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    account = filtered_account(request.user, request.GET.get("account"))
    initial = initial_for("payments", account)
    form = PaymentForm(form_data(request), initial=initial, account=account)
    if form.is_bound:
        values = form.validated(actor=request.user)
        if values is not None:
            payment = save_payment(actor=request.user, values=values)
            messages.success(
                request, _("Payment %(number)s added.") % {"number": payment.external_id}
            )
            return redirect(f"{payment.account.get_absolute_url()}#payments")
    context = {"form": form, "account": account, "title": _("New payment")}
    return render(request, "transactions/form.html", context)


def initial_for(kind: str, account: Account | None) -> dict[str, Any]:
    initial = default_values(kind)
    if account is not None:
        initial["account"] = account.external_id
    return initial
