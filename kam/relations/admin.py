from __future__ import annotations

from typing import Any

from django.contrib import admin

from kam.core.admin import AuditedAdmin
from kam.relations.models import Activity, VisitReminder
from kam.relations.services import activity_snapshot


@admin.register(Activity)
class ActivityAdmin(AuditedAdmin):
    list_display = ("starts_at", "kind", "status", "subject", "account", "owner", "value")
    list_filter = ("kind", "status", "sentiment")
    list_select_related = ("account", "owner")
    search_fields = ("subject", "account__name")
    raw_id_fields = ("account", "owner", "contacts", "recipients", "participants")
    readonly_fields = ("limit_warnings", "limit_acknowledged_by", "limit_acknowledged_at")
    date_hierarchy = "starts_at"

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return activity_snapshot(obj)


@admin.register(VisitReminder)
class VisitReminderAdmin(admin.ModelAdmin):
    list_display = ("account", "due", "owner", "sent_at")
    raw_id_fields = ("account", "owner")
