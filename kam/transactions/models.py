"""Orders and payments from the ERP (DATA-4): the raw material of every value model."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Order(models.Model):
    """One sale: an order or invoice line, as the ERP exports it."""

    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="orders",
    )
    order_date = models.DateField(_("order date"))
    amount = models.DecimalField(
        _("amount"),
        max_digits=16,
        decimal_places=2,
        help_text=_("Net revenue; negative for a credit note."),
    )
    product = models.CharField(_("product"), max_length=120, blank=True)
    quantity = models.DecimalField(
        _("quantity"), max_digits=14, decimal_places=3, default=Decimal(1)
    )
    margin = models.DecimalField(
        _("gross margin"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    discount_rate = models.DecimalField(
        _("discount"),
        max_digits=5,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_("Share off the list price, 0 to 1."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-order_date", "-id"]
        indexes = [
            models.Index(fields=["account", "order_date"]),
            models.Index(fields=["order_date"]),
        ]
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return f"{self.external_id or self.pk} {self.order_date} {self.amount}"


class Payment(models.Model):
    """An amount the customer owes by a due date, and when it was paid (if it was)."""

    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="payments",
    )
    order = models.ForeignKey(
        Order,
        verbose_name=_("order"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
    )
    due_date = models.DateField(_("due date"))
    paid_date = models.DateField(_("paid date"), null=True, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=16, decimal_places=2)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        ordering = ["-due_date", "-id"]
        indexes = [models.Index(fields=["account", "due_date"])]
        verbose_name = _("payment")
        verbose_name_plural = _("payments")

    def __str__(self) -> str:
        return f"{self.external_id or self.pk} {self.due_date} {self.amount}"

    def days_late(self, as_of: dt.date | None = None) -> int:
        """Days past the due date: until payment, or until `as_of` while unpaid."""
        end = self.paid_date or as_of or timezone.localdate()
        return max((end - self.due_date).days, 0)

    def is_overdue(self, as_of: dt.date | None = None) -> bool:
        return self.paid_date is None and self.days_late(as_of) > 0
