"""Risk snapshots (RISK-1, RISK-2, RISK-4, RISK-5).

A RiskRun is one dated check of the whole book; AccountRisk holds what it found about one
account: the churn warning, the credit position, the relationship flags and the order
anomalies, each with its reasons in English and Chinese as the models word them, the
account's effective tier at the time (the tier at risk) and its revenue at stake.
The figures come from `kam.insights.risk` (the bridge to kam_analytics); docs/how-to/risk.md
says what each one means.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from kam.core.runs import BackgroundRun
from kam.insights.models import Tier


class RiskLevel(models.TextChoices):
    HIGH = "high", _("High")  # churn likely, credit stopped, or a buying centre in danger
    MEDIUM = "medium", _("Medium")  # something to watch
    LOW = "low", _("Low")  # minor: an order anomaly or a missing coach only
    NONE = "none", _("None")  # nothing found


#: Higher is worse; sorting and the dashboard go by it.
LEVEL_RANK = {RiskLevel.NONE: 0, RiskLevel.LOW: 1, RiskLevel.MEDIUM: 2, RiskLevel.HIGH: 3}


class RiskType(models.TextChoices):
    CHURN = "churn", _("Churn")  # likely to stop buying (band medium or high)
    CREDIT = "credit", _("Credit")  # receivables overdue or over the limit (watch or stop)
    RELATIONSHIP = "relationship", _("Relationship")  # thin buying centre (medium or high)
    ANOMALY = "anomaly", _("Order anomaly")  # an unusual recent order or discount


class ChurnBand(models.TextChoices):
    HIGH = "high", _("High")  # P(churn) from 50%
    MEDIUM = "medium", _("Medium")  # from 25%
    LOW = "low", _("Low")


class CreditFlag(models.TextChoices):
    STOP = "stop", _("Stop")  # more than 90 days overdue, or over the limit by more than 10%
    WATCH = "watch", _("Watch")  # more than 30 days overdue, paying later, near the limit
    OK = "ok", _("OK")


class Severity(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")
    NONE = "none", _("None")


class RiskTrigger(models.TextChoices):
    SCORING = "scoring", _("After a scoring run")
    REQUEST = "request", _("Checked on request")  # the button or the API
    COMMAND = "command", _("kam risk")


class RiskRun(BackgroundRun):
    """One check of the whole book as of a date: a dated snapshot of every account's risks."""

    trigger = models.CharField(
        _("started by"), max_length=10, choices=RiskTrigger.choices, default=RiskTrigger.REQUEST
    )
    scoring_run = models.ForeignKey(
        "insights.ScoringRun",
        verbose_name=_("after scoring run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risk_runs",
    )
    churn_model = models.JSONField(
        _("churn model"),
        default=dict,
        help_text=_(
            "Method, training figures and, when trained, its out-of-time AUC, lift, "
            "calibration and Brier score."
        ),
    )
    account_count = models.PositiveIntegerField(_("accounts checked"), default=0)
    at_risk_count = models.PositiveIntegerField(_("accounts at risk"), default=0)
    order_count = models.PositiveIntegerField(_("orders read"), default=0)
    payment_count = models.PositiveIntegerField(_("payments read"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("risk run")
        verbose_name_plural = _("risk runs")

    def churn_evaluation(self) -> dict[str, object]:
        """The churn model's out-of-time figures, empty when it was not trained."""
        found = self.churn_model.get("evaluation") if isinstance(self.churn_model, dict) else None
        return found if isinstance(found, dict) else {}


def reasons_field(label: Any) -> models.JSONField:
    return models.JSONField(label, default=list, blank=True)


class AccountRisk(models.Model):
    """What the risk check found about one account in one run."""

    run = models.ForeignKey(
        RiskRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="risks"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="risks",
    )
    level = models.CharField(
        _("risk level"), max_length=6, choices=RiskLevel.choices, default=RiskLevel.NONE
    )
    tier = models.CharField(_("tier at the time"), max_length=10, choices=Tier.choices, blank=True)
    revenue_at_stake = models.FloatField(
        _("revenue at stake"),
        default=0.0,
        help_text=_("The account's revenue of the 12 months up to the run's date."),
    )
    # RISK-1: churn early warning (empty without orders)
    churn_probability = models.FloatField(_("churn probability"), null=True, blank=True)
    churn_band = models.CharField(
        _("churn risk"), max_length=6, choices=ChurnBand.choices, blank=True
    )
    churn_reasons_en = reasons_field(_("churn reasons (English)"))
    churn_reasons_zh = reasons_field(_("churn reasons (Chinese)"))
    # RISK-2: credit (empty without payments and credit limit)
    credit_flag = models.CharField(
        _("credit flag"), max_length=5, choices=CreditFlag.choices, blank=True
    )
    open_receivables = models.FloatField(_("open receivables"), default=0.0)
    overdue_amount = models.FloatField(_("overdue amount"), default=0.0)
    ageing = models.JSONField(_("ageing buckets"), default=dict, blank=True)
    max_days_past_due = models.PositiveIntegerField(_("most days past due"), default=0)
    dso_days = models.FloatField(_("DSO (days)"), null=True, blank=True)
    delay_trend_days = models.FloatField(_("payment delay trend (days)"), null=True, blank=True)
    credit_limit = models.FloatField(_("credit limit"), null=True, blank=True)
    utilisation = models.FloatField(_("credit limit used"), null=True, blank=True)
    credit_reasons_en = reasons_field(_("credit reasons (English)"))
    credit_reasons_zh = reasons_field(_("credit reasons (Chinese)"))
    # RISK-4: relationships
    relationship_severity = models.CharField(
        _("relationship risk"), max_length=6, choices=Severity.choices, blank=True
    )
    relationship_flags = models.JSONField(_("relationship flags"), default=list, blank=True)
    relationship_reasons_en = reasons_field(_("relationship reasons (English)"))
    relationship_reasons_zh = reasons_field(_("relationship reasons (Chinese)"))
    # RISK-5: anomalies in the recent orders
    anomaly_count = models.PositiveIntegerField(_("order anomalies"), default=0)
    latest_anomaly = models.DateField(_("latest anomaly"), null=True, blank=True)
    anomaly_reasons_en = reasons_field(_("anomaly reasons (English)"))
    anomaly_reasons_zh = reasons_field(_("anomaly reasons (Chinese)"))

    class Meta:
        ordering = ["-run_id", "-revenue_at_stake", "id"]
        constraints = [models.UniqueConstraint(fields=["run", "account"], name="risk_once_per_run")]
        indexes = [
            models.Index(fields=["account", "run"]),
            models.Index(fields=["run", "level"]),
            models.Index(fields=["run", "revenue_at_stake"]),
        ]
        verbose_name = _("account risk")
        verbose_name_plural = _("account risks")

    def __str__(self) -> str:
        return f"{self.account_id} in risk run {self.run_id}: {self.level}"

    def risk_types(self) -> list[str]:
        """The types of risk found (RiskType values), in their order."""
        found = {
            RiskType.CHURN: self.churn_band in {ChurnBand.MEDIUM, ChurnBand.HIGH},
            RiskType.CREDIT: self.credit_flag in {CreditFlag.WATCH, CreditFlag.STOP},
            RiskType.RELATIONSHIP: self.relationship_severity in {Severity.MEDIUM, Severity.HIGH},
            RiskType.ANOMALY: self.anomaly_count > 0,
        }
        return [str(kind) for kind, present in found.items() if present]

    def reasons(self, language: str | None = None) -> dict[str, list[str]]:
        """Risk type -> its reasons in ``language`` (default: the active one), for the
        types found."""
        zh = (language or get_language() or "").startswith("zh")
        suffix = "zh" if zh else "en"
        return {
            kind: list(getattr(self, f"{kind}_reasons_{suffix}") or [])
            for kind in self.risk_types()
        }

    def reason_lines(self, language: str | None = None) -> list[str]:
        """Every reason of the types found, in one list."""
        return [line for lines in self.reasons(language).values() for line in lines]
