from django.contrib import admin

from kam.insights.models import (
    AccountRating,
    AccountScore,
    ScoringRun,
    ScoringSettings,
    TierChange,
    TierOverride,
)


@admin.register(ScoringRun)
class ScoringRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "as_of", "status", "started_at", "account_count", "change_count"]
    list_filter = ["status"]


@admin.register(AccountScore)
class AccountScoreAdmin(admin.ModelAdmin):
    list_display = ["account", "run", "tier", "clv", "score", "rfm_segment", "lifecycle"]
    list_filter = ["tier", "lifecycle"]
    raw_id_fields = ["account", "run"]


@admin.register(TierChange)
class TierChangeAdmin(admin.ModelAdmin):
    list_display = ["account", "from_tier", "to_tier", "at", "is_override", "actor"]
    raw_id_fields = ["account", "run"]


@admin.register(TierOverride)
class TierOverrideAdmin(admin.ModelAdmin):
    list_display = ["account", "tier", "actor", "at", "cleared_at"]
    raw_id_fields = ["account"]


admin.site.register(AccountRating)
admin.site.register(ScoringSettings)
