from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.admin import AuditedAdmin
from kam.transactions.models import Order, Payment
from kam.transactions.services import order_snapshot, payment_snapshot


@admin.register(Order)
class OrderAdmin(AuditedAdmin):
    list_display = ("external_id", "account", "order_date", "amount", "product", "quantity")
    list_select_related = ("account",)
    search_fields = ("external_id", "product", "account__name", "account__external_id")
    autocomplete_fields = ("account",)
    date_hierarchy = "order_date"
    readonly_fields = ("created_at",)

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return order_snapshot(obj)


class PaymentStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("overdue", _("Overdue")),
            ("open", _("Not paid yet")),
            ("late", _("Paid late")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "overdue":
            return queryset.filter(paid_date=None, due_date__lt=timezone.localdate())
        if self.value() == "open":
            return queryset.filter(paid_date=None)
        if self.value() == "late":
            return queryset.filter(paid_date__gt=F("due_date"))
        return queryset


@admin.register(Payment)
class PaymentAdmin(AuditedAdmin):
    list_display = ("external_id", "account", "due_date", "paid_date", "amount", "overdue")
    list_filter = (PaymentStateFilter,)
    list_select_related = ("account",)
    search_fields = ("external_id", "account__name", "account__external_id")
    autocomplete_fields = ("account", "order")
    date_hierarchy = "due_date"
    readonly_fields = ("created_at",)

    @admin.display(description=_("overdue"), boolean=True)
    def overdue(self, payment: Payment) -> bool:
        return payment.is_overdue()

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return payment_snapshot(obj)
