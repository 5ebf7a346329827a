from __future__ import annotations

from typing import Any

from django.contrib import admin

from kam.accounts.models import Account, AccountTeamMember, Tag
from kam.accounts.services import account_snapshot
from kam.core.admin import AuditedAdmin


class AccountTeamMemberInline(admin.TabularInline):
    model = AccountTeamMember
    extra = 1
    autocomplete_fields = ("user",)


@admin.register(Account)
class AccountAdmin(AuditedAdmin):
    list_display = (
        "name",
        "external_id",
        "industry",
        "ownership_type",
        "status",
        "province",
        "owner",
        "region",
        "updated_at",
    )
    list_filter = (
        "status",
        "industry",
        "ownership_type",
        "hierarchy_level",
        "credit_rating",
        "region",
    )
    list_select_related = ("owner", "region")
    search_fields = ("name", "external_id", "city")
    autocomplete_fields = ("owner", "parent")
    filter_horizontal = ("tags",)
    readonly_fields = ("created_at", "updated_at")
    inlines = (AccountTeamMemberInline,)
    date_hierarchy = "updated_at"

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        values = account_snapshot(obj)
        members = obj.team.select_related("user") if obj.pk else []
        values["account team"] = ", ".join(sorted(f"{m.user.username}:{m.role}" for m in members))
        return values

    def audit_account_id(self, obj: Any) -> int | None:
        return int(obj.pk)


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)
