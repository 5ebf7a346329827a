"""Orders and payments: visibility follows the account; the writes that matter."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import models, transaction
from django.db.models import QuerySet
from django.http import Http404

from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.models import AuditAction, User
from kam.transactions.io import ORDER_PLAIN_FIELDS, PAYMENT_PLAIN_FIELDS
from kam.transactions.models import Order, Payment

Row = TypeVar("Row", Order, Payment)


def visible_orders(user: User) -> QuerySet[Order]:
    return _scoped(Order.objects.all(), user)


def visible_payments(user: User) -> QuerySet[Payment]:
    return _scoped(Payment.objects.all(), user)


def _scoped(rows: QuerySet[Row], user: User) -> QuerySet[Row]:
    scope = account_scope(user, prefix="account__")
    return rows if scope is None else rows.filter(scope)


def get_order_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Order:
    return _get(visible_orders(user), pk, user, for_write=for_write)


def get_payment_for_user(user: User, pk: int | str, *, for_write: bool = False) -> Payment:
    return _get(visible_payments(user), pk, user, for_write=for_write)


def _get(rows: QuerySet[Row], pk: int | str, user: User, *, for_write: bool) -> Row:
    try:
        row = rows.select_related("account").get(pk=pk)
    except (rows.model.DoesNotExist, ValueError, TypeError):
        raise Http404("Not found") from None
    if for_write:
        require_writer(user)
    return row


def order_snapshot(order: Order) -> dict[str, Any]:
    values = audit.snapshot(order, ORDER_PLAIN_FIELDS)
    values["account"] = order.account.external_id if order.account_id else None
    return values


def payment_snapshot(payment: Payment) -> dict[str, Any]:
    values = audit.snapshot(payment, PAYMENT_PLAIN_FIELDS)
    values["account"] = payment.account.external_id if payment.account_id else None
    values["order"] = payment.order.external_id if payment.order else None
    return values


def save_order(
    *, actor: User, values: dict[str, Any], order: Order | None = None, source: str = "web"
) -> Order:
    return _save(actor, Order, values, order, order_snapshot, "KAM-O", source)


def save_payment(
    *, actor: User, values: dict[str, Any], payment: Payment | None = None, source: str = "web"
) -> Payment:
    return _save(actor, Payment, values, payment, payment_snapshot, "KAM-P", source)


@transaction.atomic
def _save(
    actor: User,
    model: type[Row],
    values: dict[str, Any],
    instance: Row | None,
    snapshot: Any,
    id_prefix: str,
    source: str,
) -> Row:
    require_writer(actor)
    creating = instance is None
    target = instance or model()
    before = {} if creating else snapshot(target)
    for name, value in values.items():
        setattr(target, name, value)
    target.save()
    if creating and not target.external_id:
        target.external_id = f"{id_prefix}{target.pk:08d}"
        target.save(update_fields=["external_id"])
    after = snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=target.account_id,
        source=source,
    )
    return target


@transaction.atomic
def delete_row(*, actor: User, row: models.Model, snapshot: Any, source: str = "web") -> None:
    require_writer(actor)
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=row,
        changes=audit.deleted(snapshot(row)),
        account_id=getattr(row, "account_id", None),
        source=source,
    )
    row.delete()
    entry.save()
