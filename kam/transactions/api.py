"""Orders and payments in the REST API (DATA-4): /api/orders and /api/payments."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    MAX_ID,
    DateParam,
    InputSchema,
    NumberOut,
    Page,
    PageParams,
    RecordId,
    date_field,
    number_field,
    paginate,
    text_field,
)
from kam.dataio.records import current_values, validate_one
from kam.transactions.io import MONEY, ORDER_FIELDS, PAYMENT_FIELDS
from kam.transactions.models import Order, Payment
from kam.transactions.services import (
    delete_row,
    get_order_for_user,
    get_payment_for_user,
    order_snapshot,
    payment_snapshot,
    save_order,
    save_payment,
    visible_orders,
    visible_payments,
)

ORDERS, PAYMENTS = "transactions", "payments"  # the import's kinds
orders_router = Router(tags=["orders"])
payments_router = Router(tags=["payments"])

Row = TypeVar("Row", Order, Payment)


class OrderOut(Schema):
    id: int
    external_id: str | None
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    order_date: dt.date
    amount: NumberOut
    product: str
    quantity: NumberOut
    margin: NumberOut | None
    discount_rate: NumberOut | None = Field(description="Share off the list price, 0 to 1.")
    created_at: dt.datetime

    @staticmethod
    def resolve_account(order: Order) -> str | None:
        return order.account.external_id


class PaymentOut(Schema):
    id: int
    external_id: str | None
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    order_id: int | None
    order: str | None = Field(description="The order's external_id.")
    due_date: dt.date
    paid_date: dt.date | None
    amount: NumberOut
    days_late: int = Field(description="Days past the due date, until paid or until today.")
    created_at: dt.datetime

    @staticmethod
    def resolve_account(payment: Payment) -> str | None:
        return payment.account.external_id

    @staticmethod
    def resolve_order(payment: Payment) -> str | None:
        return payment.order.external_id if payment.order else None

    @staticmethod
    def resolve_days_late(payment: Payment) -> int:
        return payment.days_late()


class DateRange(PageParams):
    account: int | None = Field(None, ge=1, le=MAX_ID, description="An account's id.")
    since: DateParam | None = Field(None, description="From this day (YYYY-MM-DD).")
    until: DateParam | None = Field(None, description="To this day (YYYY-MM-DD).")


def in_range(rows: QuerySet[Row], filters: DateRange, date_field: str) -> QuerySet[Row]:
    if filters.account is not None:
        rows = rows.filter(account_id=filters.account)
    if filters.since:
        rows = rows.filter(**{f"{date_field}__gte": filters.since})
    if filters.until:
        rows = rows.filter(**{f"{date_field}__lte": filters.until})
    return rows


ACCOUNT_HELP = "The external_id of the account."


# --- orders ---------------------------------------------------------------------------

OF = ORDER_FIELDS
OrderAccount = Annotated[str | None, text_field(OF, "account", 64, blank=False)]
OrderDate = Annotated[str | None, date_field(OF, "order_date")]
Amount = Annotated[
    float | None, number_field(OF, "amount", places=2, minimum=-MONEY, maximum=MONEY)
]


class OrderFields(InputSchema):
    product: Annotated[str | None, text_field(OF, "product", 120)] = None
    quantity: Annotated[
        float | None,
        number_field(
            OF,
            "quantity",
            places=3,
            minimum=Decimal(-1_000_000_000),
            maximum=Decimal(1_000_000_000),
        ),
    ] = Field(None, description="Default: 1.")
    margin: Annotated[
        float | None, number_field(OF, "margin", places=2, minimum=-MONEY, maximum=MONEY)
    ] = Field(None, description="Gross margin.")
    discount_rate: Annotated[
        float | None,
        number_field(OF, "discount_rate", places=4, minimum=Decimal(0), maximum=Decimal(1)),
    ] = Field(None, description="Share off the list price, 0 to 1.")


class OrderCreate(OrderFields):
    external_id: Annotated[str | None, text_field(OF, "external_id", 64)] = Field(
        None, description="The ERP's order or invoice number; assigned (KAM-O…) when left out."
    )
    account: OrderAccount = Field(description=ACCOUNT_HELP)
    order_date: OrderDate
    amount: Amount = Field(description="Net revenue; negative for a credit note.")


class OrderPatch(OrderFields):
    """Only the fields sent change; null empties a field."""

    external_id: Annotated[str | None, text_field(OF, "external_id", 64, blank=False)] = Field(
        None, description="Change the external id (it stays unique)."
    )
    account: OrderAccount = Field(None, description=ACCOUNT_HELP)
    order_date: OrderDate = None
    amount: Amount = Field(None, description="Net revenue; negative for a credit note.")


@orders_router.get("", response={200: Page[OrderOut], **ERRORS_READ}, summary="Orders you can see")
def list_orders(request: HttpRequest, filters: Query[DateRange]) -> dict[str, Any]:
    rows = in_range(visible_orders(actor(request)), filters, "order_date")
    return paginate(rows.select_related("account"), filters)


@orders_router.get("/{order_id}", response={200: OrderOut, **ERRORS_ONE}, summary="One order")
def read_order(request: HttpRequest, order_id: RecordId) -> Order:
    return get_order_for_user(actor(request), order_id)


@orders_router.post("", response={201: OrderOut, **ERRORS_CREATE}, summary="Record an order")
def create_order(request: HttpRequest, payload: OrderCreate) -> Status[Order]:
    user = actor(request)
    require_writer(user)
    with transaction.atomic():
        values = validate_one(ORDERS, payload.import_row(), actor=user)
        order = save_order(actor=user, values=values, source="api")
    return Status(201, order)


@orders_router.patch(
    "/{order_id}", response={200: OrderOut, **ERRORS_CHANGE}, summary="Change an order"
)
def change_order(request: HttpRequest, order_id: RecordId, payload: OrderPatch) -> Order:
    user = actor(request)
    order = get_order_for_user(user, order_id, for_write=True)
    with transaction.atomic():
        row = {**current_values(ORDERS, order), **payload.import_row()}
        values = validate_one(ORDERS, row, actor=user, instance=order)
        return save_order(actor=user, values=values, order=order, source="api")


@orders_router.delete(
    "/{order_id}", response={204: None, **ERRORS_DELETE}, summary="Delete an order"
)
def remove_order(request: HttpRequest, order_id: RecordId) -> Status[None]:
    user = actor(request)
    order = get_order_for_user(user, order_id, for_write=True)
    delete_row(actor=user, row=order, snapshot=order_snapshot, source="api")
    return Status(204, None)


# --- payments -------------------------------------------------------------------------

PF = PAYMENT_FIELDS
PaymentAccount = Annotated[str | None, text_field(PF, "account", 64, blank=False)]
DueDate = Annotated[str | None, date_field(PF, "due_date")]
PaymentAmount = Annotated[
    float | None, number_field(PF, "amount", places=2, minimum=-MONEY, maximum=MONEY)
]


class PaymentFields(InputSchema):
    order: Annotated[str | None, text_field(PF, "order", 64)] = Field(
        None, description="The external_id of an order of the same account."
    )
    paid_date: Annotated[str | None, date_field(PF, "paid_date")] = Field(
        None, description="Empty while unpaid."
    )


class PaymentCreate(PaymentFields):
    external_id: Annotated[str | None, text_field(PF, "external_id", 64)] = Field(
        None, description="The ERP's receipt number; assigned (KAM-P…) when left out."
    )
    account: PaymentAccount = Field(description=ACCOUNT_HELP)
    due_date: DueDate
    amount: PaymentAmount


class PaymentPatch(PaymentFields):
    """Only the fields sent change; null empties a field."""

    external_id: Annotated[str | None, text_field(PF, "external_id", 64, blank=False)] = Field(
        None, description="Change the external id (it stays unique)."
    )
    account: PaymentAccount = Field(None, description=ACCOUNT_HELP)
    due_date: DueDate = None
    amount: PaymentAmount = None


@payments_router.get(
    "", response={200: Page[PaymentOut], **ERRORS_READ}, summary="Payments you can see"
)
def list_payments(request: HttpRequest, filters: Query[DateRange]) -> dict[str, Any]:
    rows = in_range(visible_payments(actor(request)), filters, "due_date")
    return paginate(rows.select_related("account", "order"), filters)


@payments_router.get(
    "/{payment_id}", response={200: PaymentOut, **ERRORS_ONE}, summary="One payment"
)
def read_payment(request: HttpRequest, payment_id: RecordId) -> Payment:
    return get_payment_for_user(actor(request), payment_id)


@payments_router.post("", response={201: PaymentOut, **ERRORS_CREATE}, summary="Record a payment")
def create_payment(request: HttpRequest, payload: PaymentCreate) -> Status[Payment]:
    user = actor(request)
    require_writer(user)
    with transaction.atomic():
        values = validate_one(PAYMENTS, payload.import_row(), actor=user)
        payment = save_payment(actor=user, values=values, source="api")
    return Status(201, payment)


@payments_router.patch(
    "/{payment_id}", response={200: PaymentOut, **ERRORS_CHANGE}, summary="Change a payment"
)
def change_payment(request: HttpRequest, payment_id: RecordId, payload: PaymentPatch) -> Payment:
    user = actor(request)
    payment = get_payment_for_user(user, payment_id, for_write=True)
    with transaction.atomic():
        row = {**current_values(PAYMENTS, payment), **payload.import_row()}
        values = validate_one(PAYMENTS, row, actor=user, instance=payment)
        return save_payment(actor=user, values=values, payment=payment, source="api")


@payments_router.delete(
    "/{payment_id}", response={204: None, **ERRORS_DELETE}, summary="Delete a payment"
)
def remove_payment(request: HttpRequest, payment_id: RecordId) -> Status[None]:
    user = actor(request)
    payment = get_payment_for_user(user, payment_id, for_write=True)
    delete_row(actor=user, row=payment, snapshot=payment_snapshot, source="api")
    return Status(204, None)
