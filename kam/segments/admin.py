from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from kam.core.admin import AuditedAdmin
from kam.segments.conditions import DefinitionInvalid, check_definition
from kam.segments.models import ClusteringRun, Segment, StpPlan, Strategy
from kam.segments.services import segment_snapshot, strategy_snapshot


class SegmentAdminForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Segment
        fields = ["name", "description", "kind", "owner", "definition"]

    def clean_definition(self) -> Any:
        try:
            return check_definition(self.cleaned_data.get("definition"))
        except DefinitionInvalid as invalid:
            raise ValidationError([p.message for p in invalid.problems]) from None


class StrategyInline(admin.StackedInline):
    model = Strategy
    extra = 0
    fields = ["name", "status", "owner", "review_date", "target_revenue"]
    readonly_fields = ["name", "status", "owner", "review_date", "target_revenue"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False  # strategies are audited one by one: add them on their own page


@admin.register(Segment)
class SegmentAdmin(AuditedAdmin):
    form = SegmentAdminForm
    list_display = ("name", "kind", "owner", "builtin_key", "updated_at")
    list_filter = ("kind",)
    list_select_related = ("owner",)
    search_fields = ("name", "description")
    autocomplete_fields = ("owner",)
    readonly_fields = ("builtin_key", "created_at", "updated_at")
    inlines = (StrategyInline,)

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return segment_snapshot(obj)


@admin.register(Strategy)
class StrategyAdmin(AuditedAdmin):
    list_display = ("name", "segment", "status", "owner", "review_date", "updated_at")
    list_filter = ("status",)
    list_select_related = ("segment", "owner")
    search_fields = ("name", "segment__name")
    autocomplete_fields = ("owner",)
    readonly_fields = ("created_at", "updated_at")

    def audit_snapshot(self, obj: Any) -> dict[str, Any]:
        return strategy_snapshot(obj)


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Results and plans are written through their pages (audited there); the admin shows them."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(ClusteringRun)
class ClusteringRunAdmin(ReadOnlyAdmin):
    list_display = ("pk", "created_at", "actor", "scoring_run")
    list_select_related = ("actor", "scoring_run")


@admin.register(StpPlan)
class StpPlanAdmin(ReadOnlyAdmin):
    list_display = ("goal", "owner", "updated_at")
    list_select_related = ("owner",)
    search_fields = ("goal",)
