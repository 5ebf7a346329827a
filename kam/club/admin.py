"""The club in the admin: to look, not to change. Memberships, the rules, benefits, events
and invitations change on the club pages (audited there); ledger rows are append-only and
are never changed or deleted anywhere."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.club.models import Benefit, ClubEvent, Invitation, Membership, PointsEntry, PointsRules


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ("number", "account", "joined_on", "left_on")
    list_select_related = ("account",)
    search_fields = ("number", "account__name", "account__external_id")


@admin.register(PointsEntry)
class PointsEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "membership", "kind", "delta", "reference", "actor")
    list_filter = ("kind",)
    list_select_related = ("membership", "actor")
    search_fields = ("reference", "membership__number", "membership__account__name")


@admin.register(PointsRules)
class PointsRulesAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "purchase_points", "purchase_unit", "updated_at", "updated_by")


@admin.register(Benefit)
class BenefitAdmin(ReadOnlyAdmin):
    list_display = ("name", "points_cost", "active", "stock")
    list_filter = ("active",)
    search_fields = ("name",)


@admin.register(ClubEvent)
class ClubEventAdmin(ReadOnlyAdmin):
    list_display = ("name", "starts_at", "place", "capacity", "points")
    search_fields = ("name", "place")


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdmin):
    list_display = ("event", "contact", "account", "status")
    list_filter = ("status",)
    list_select_related = ("event", "contact", "account")
