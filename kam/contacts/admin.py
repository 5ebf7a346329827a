from __future__ import annotations

from typing import Any

from django.contrib import admin

from kam.contacts.models import Contact
from kam.contacts.services import contact_snapshot
from kam.core.admin import AuditedAdmin


@admin.register(Contact)
class ContactAdmin(AuditedAdmin):
    list_display = (
        "name",
        "account",
        "title",
        "buying_role",
        "influence",
        "stance",
        "familiarity",
        "is_active",
    )
    list_filter = ("buying_role", "stance", "influence", "familiarity", "is_active")
    list_select_related = ("account",)
    search_fields = ("name", "external_id", "email", "title", "account__name")
    autocomplete_fields = ("account", "our_counterpart", "reports_to")
    readonly_fields = ("created_at", "updated_at")

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return contact_snapshot(obj)
