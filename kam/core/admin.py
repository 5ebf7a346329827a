"""Admin for users, teams, regions, the audit trail and API tokens, and AuditedAdmin: the
base of every admin that changes business records, so admin edits are audited too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db import models
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core import audit
from kam.core.models import ApiToken, AuditAction, AuditEvent, Department, Region, Team, User

admin.site.site_header = _("KAM administration")
admin.site.site_title = _("KAM administration")
admin.site.index_title = _("Users, teams and records")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = (
        "username",
        "first_name",
        "last_name",
        "role",
        "team",
        "region",
        "department",
        "is_active",
    )
    list_filter = ("role", "team", "region", "department", "is_active", "is_staff", "is_superuser")
    list_select_related = ("team", "region", "department")
    search_fields = ("username", "first_name", "last_name", "email")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Role and organisation"), {"fields": ("role", "team", "region", "department")}),
    )
    add_fieldsets = (
        *DjangoUserAdmin.add_fieldsets,
        (_("Role and organisation"), {"fields": ("role", "team", "region", "department")}),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "region", "member_count")
    list_filter = ("region",)
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Team]:
        return (
            super()
            .get_queryset(request)
            .select_related("region")
            .annotate(members_total=models.Count("members"))
        )

    @admin.display(description=_("members"), ordering="members_total")
    def member_count(self, team: Any) -> int:
        return int(team.members_total)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_zh")
    search_fields = ("code", "name", "name_zh")


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_zh")
    search_fields = ("code", "name", "name_zh")


class ReadOnlyAdmin(admin.ModelAdmin):
    """History is append-only: nobody adds, changes or deletes it here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_repr", "account_id", "source")
    list_filter = ("action", "object_type", "source")
    list_select_related = ("actor",)
    search_fields = ("object_repr", "actor__username", "source")
    date_hierarchy = "at"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are made by their owners; here an administrator can only revoke them."""

    list_display = (
        "prefix",
        "user",
        "name",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_filter = ("revoked_at", "expires_at")
    list_select_related = ("user",)
    search_fields = ("prefix", "name", "user__username")
    readonly_fields = (
        "user",
        "name",
        "prefix",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    exclude = ("digest",)
    actions = ("revoke",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at=None).update(revoked_at=timezone.now())
        self.message_user(
            request, _("%(count)d token(s) revoked.") % {"count": count}, messages.SUCCESS
        )


class AuditedAdmin(admin.ModelAdmin):
    """Saves and deletes made in the admin enter the audit trail like any other (PLAT-2)."""

    source = "admin"

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        raise NotImplementedError

    def audit_account_id(self, obj: Any) -> int | None:
        return getattr(obj, "account_id", None)

    def save_model(
        self, request: HttpRequest, obj: Any, form: ModelForm[Any], change: bool
    ) -> None:
        stored = type(obj)._default_manager.filter(pk=obj.pk).first() if change else None
        obj._audit_before = self.audit_snapshot(stored) if stored is not None else None
        super().save_model(request, obj, form, change)

    def save_related(
        self, request: HttpRequest, form: ModelForm[Any], formsets: Sequence[Any], change: bool
    ) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        before = getattr(obj, "_audit_before", None)
        after = self.audit_snapshot(obj)
        audit.record(
            actor=request.user if isinstance(request.user, User) else None,
            action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
            instance=obj,
            changes=audit.created(after) if before is None else audit.diff(before, after),
            account_id=self.audit_account_id(obj),
            source=self.source,
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        entry = audit.event(
            actor=request.user if isinstance(request.user, User) else None,
            action=AuditAction.DELETE,
            instance=obj,
            changes=audit.deleted(self.audit_snapshot(obj)),
            account_id=self.audit_account_id(obj),
            source=self.source,
        )
        super().delete_model(request, obj)
        entry.save()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for obj in queryset:
            self.delete_model(request, obj)
