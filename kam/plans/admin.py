"""Account plans in the admin: to read. Plans change through their pages, the API and the
CLI, which check the rules and audit every change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from kam.core.admin import ReadOnlyAdmin
from kam.plans.models import (
    AccountPlan,
    PlanAction,
    PlanCompetitor,
    PlanObjective,
    PlanRevenueTarget,
    PlanReview,
    PlanSwotItem,
)


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ObjectiveInline(ReadOnlyInline):
    model = PlanObjective


class TargetInline(ReadOnlyInline):
    model = PlanRevenueTarget


class SwotInline(ReadOnlyInline):
    model = PlanSwotItem


class CompetitorInline(ReadOnlyInline):
    model = PlanCompetitor


class ActionInline(ReadOnlyInline):
    model = PlanAction


class ReviewInline(ReadOnlyInline):
    model = PlanReview


@admin.register(AccountPlan)
class AccountPlanAdmin(ReadOnlyAdmin):
    list_display = ["account", "year", "status", "owner", "next_review_due", "updated_at"]
    list_filter = ["status", "year"]
    search_fields = ["account__name", "account__external_id"]
    inlines = [
        ObjectiveInline,
        TargetInline,
        SwotInline,
        CompetitorInline,
        ActionInline,
        ReviewInline,
    ]
