from django.contrib import admin

from kam.risk.models import AccountRisk, RiskRun


@admin.register(RiskRun)
class RiskRunAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "as_of",
        "status",
        "trigger",
        "started_at",
        "account_count",
        "at_risk_count",
    ]
    list_filter = ["status", "trigger"]
    raw_id_fields = ["scoring_run"]


@admin.register(AccountRisk)
class AccountRiskAdmin(admin.ModelAdmin):
    list_display = [
        "account",
        "run",
        "level",
        "tier",
        "revenue_at_stake",
        "churn_band",
        "credit_flag",
        "relationship_severity",
        "anomaly_count",
    ]
    list_filter = ["level", "churn_band", "credit_flag", "relationship_severity"]
    raw_id_fields = ["account", "run"]
