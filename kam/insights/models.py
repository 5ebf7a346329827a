"""Scores, tiers and their history (VAL-4, VAL-6, VAL-7).

A ScoringRun is one dated snapshot of the whole book; AccountScore holds what the value
engine said about one account in that run. The tier an account has *now* is its
effective tier: an active TierOverride if there is one, else the computed tier of the
latest run. Every change of the effective tier is a TierChange row (append-only).
"""

from __future__ import annotations

from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.core.runs import BackgroundRun
from kam.core.runs import RunStatus as RunStatus  # its home until runs were shared


class Tier(models.TextChoices):
    DIAMOND = "diamond", pgettext_lazy("tier", "Diamond")  # the few that carry the business
    CORE = "core", pgettext_lazy("tier", "Core")  # the next ones by the ranking measure
    POTENTIAL = "potential", pgettext_lazy("tier", "Potential")  # high predicted growth
    BASIC = "basic", pgettext_lazy("tier", "Basic")  # everyone else


#: Higher is better; an upgrade moves to a higher rank.
TIER_RANK = {Tier.BASIC: 1, Tier.POTENTIAL: 2, Tier.CORE: 3, Tier.DIAMOND: 4}


class Lifecycle(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")  # no purchase yet
    NEW = "new", _("New")  # first purchases, recently
    GROWTH = "growth", _("Growth")  # spending more than before
    MATURE = "mature", _("Mature")  # steady
    DECLINING = "declining", _("Declining")  # spending less, or P(alive) falling
    LOST = "lost", _("Lost")  # most likely gone


class TimeUnit(models.TextChoices):
    DAY = "day", _("Day")
    WEEK = "week", _("Week")
    MONTH = "month", _("Month")


class RankingMeasure(models.TextChoices):
    CLV = "clv", _("Customer lifetime value")
    SCORE = "score", _("Composite score")
    REVENUE = "revenue", _("Revenue")


class Criterion(models.TextChoices):
    """The composite score's criteria, named as the value engine names them."""

    VOLUME = "volume", _("Purchase volume")
    FREQUENCY = "frequency", _("Purchase frequency")
    PAYMENT = "payment", _("Payment record")
    CLV = "clv", _("Customer lifetime value")
    GROWTH = "growth", _("Growth potential")
    COOPERATION = "cooperation", _("Cooperation willingness")
    BRAND_INFLUENCE = "brand_influence", _("Brand influence")
    INDUSTRY_POSITION = "industry_position", _("Industry position")
    MARKET_SHARE = "market_share", _("Market share")


#: The criteria an account manager rates by hand (1-5): criterion -> AccountRating field.
RATING_FIELDS = {
    Criterion.COOPERATION: "cooperation_willingness",
    Criterion.BRAND_INFLUENCE: "brand_influence",
    Criterion.INDUSTRY_POSITION: "industry_position",
    Criterion.MARKET_SHARE: "market_share",
}

DEFAULT_WEIGHTS: dict[str, float] = {
    Criterion.VOLUME: 0.20,
    Criterion.FREQUENCY: 0.10,
    Criterion.PAYMENT: 0.10,
    Criterion.CLV: 0.25,
    Criterion.GROWTH: 0.15,
    Criterion.COOPERATION: 0.05,
    Criterion.BRAND_INFLUENCE: 0.05,
    Criterion.INDUSTRY_POSITION: 0.05,
    Criterion.MARKET_SHARE: 0.05,
}
DEFAULT_TIER_SHARES: dict[str, float] = {
    Tier.DIAMOND: 0.02,
    Tier.CORE: 0.18,
    Tier.POTENTIAL: 0.30,
    Tier.BASIC: 0.50,
}


def default_weights() -> dict[str, float]:
    return {str(k): v for k, v in DEFAULT_WEIGHTS.items()}


def default_tier_shares() -> dict[str, float]:
    return {str(k): v for k, v in DEFAULT_TIER_SHARES.items()}


class ScoringRun(BackgroundRun):
    """One scoring of the whole book as of a date: a dated snapshot of scores and tiers."""

    time_unit = models.CharField(_("time unit"), max_length=5, choices=TimeUnit.choices)
    horizon = models.PositiveIntegerField(_("horizon"))
    discount_rate = models.FloatField(_("annual discount rate"))
    config = models.JSONField(_("configuration"), default=dict)
    pareto = models.JSONField(_("Pareto summary"), default=dict)
    clv_params = models.JSONField(_("CLV parameters"), default=dict)
    account_count = models.PositiveIntegerField(_("accounts scored"), default=0)
    order_count = models.PositiveIntegerField(_("orders read"), default=0)
    change_count = models.PositiveIntegerField(_("tier changes"), default=0)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")


class AccountScore(models.Model):
    """What the value engine said about one account in one run."""

    run = models.ForeignKey(
        ScoringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="scores"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="scores",
    )
    frequency = models.FloatField(_("repeat purchases"))
    recency = models.FloatField(_("recency"))
    T = models.FloatField(_("age"))
    monetary = models.FloatField(_("average repeat spend"))
    total_revenue = models.FloatField(_("total revenue"))
    r_score = models.PositiveSmallIntegerField(_("R score"), null=True, blank=True)
    f_score = models.PositiveSmallIntegerField(_("F score"), null=True, blank=True)
    m_score = models.PositiveSmallIntegerField(_("M score"), null=True, blank=True)
    rfm_code = models.CharField(_("RFM code"), max_length=10, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=40, blank=True)
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    expected_spend = models.FloatField(_("expected spend"), null=True, blank=True)
    clv = models.FloatField(_("CLV"), null=True, blank=True)
    score = models.FloatField(_("score"), null=True, blank=True)
    breakdown = models.JSONField(_("score breakdown"), default=dict)
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    tier_reason = models.TextField(_("why this tier"), blank=True)
    tier_reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    lifecycle = models.CharField(
        _("lifecycle stage"), max_length=10, choices=Lifecycle.choices, blank=True
    )

    class Meta:
        ordering = ["-run_id", "-clv"]
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="insights_score_once_per_run")
        ]
        indexes = [models.Index(fields=["account", "run"])]
        verbose_name = _("account score")
        verbose_name_plural = _("account scores")

    def __str__(self) -> str:
        return f"{self.account_id} in run {self.run_id}: {self.tier}"


def rating_field(label: Any) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(
        label,
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )


class AccountRating(models.Model):
    """The criteria no data can measure, rated 1-5 by the people who know the account."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="rating",
    )
    cooperation_willingness = rating_field(_("cooperation willingness"))
    brand_influence = rating_field(_("brand influence"))
    industry_position = rating_field(_("industry position"))
    market_share = rating_field(_("market share"))
    updated_by = models.ForeignKey(
        "core.User",
        verbose_name=_("rated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("rated"), default=timezone.now)

    class Meta:
        verbose_name = _("account rating")
        verbose_name_plural = _("account ratings")

    def __str__(self) -> str:
        return f"ratings of {self.account_id}"


class ScoringSettings(models.Model):
    """How accounts are scored and tiered; one row (pk 1), edited by directors."""

    weights = models.JSONField(_("criterion weights"), default=default_weights)
    tier_shares = models.JSONField(_("tier shares"), default=default_tier_shares)
    ranking_measure = models.CharField(
        _("ranking measure"),
        max_length=10,
        choices=RankingMeasure.choices,
        default=RankingMeasure.CLV,
    )
    time_unit = models.CharField(
        _("time unit"), max_length=5, choices=TimeUnit.choices, default=TimeUnit.WEEK
    )
    horizon = models.PositiveIntegerField(
        _("horizon"), default=52, help_text=_("In time units; 52 weeks is one year.")
    )
    discount_rate = models.FloatField(_("annual discount rate"), default=0.10)
    updated_by = models.ForeignKey(
        "core.User",
        verbose_name=_("changed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")

    def __str__(self) -> str:
        return "scoring settings"

    @classmethod
    def load(cls) -> ScoringSettings:
        found, _created = cls.objects.get_or_create(pk=1)
        return found


class TierChange(models.Model):
    """One change of an account's effective tier (append-only)."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tier_changes",
    )
    from_tier = models.CharField(
        pgettext_lazy("tier", "from"), max_length=10, choices=Tier.choices, blank=True
    )
    to_tier = models.CharField(pgettext_lazy("tier", "to"), max_length=10, choices=Tier.choices)
    at = models.DateTimeField(_("when"), default=timezone.now)
    run = models.ForeignKey(
        ScoringRun,
        verbose_name=_("run"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tier_changes",
    )
    actor = models.ForeignKey(
        "core.User", verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    reason = models.TextField(_("reason"), blank=True)
    is_override = models.BooleanField(_("set by hand"), default=False)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["account", "at"])]
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.from_tier or '—'} → {self.to_tier}"

    @property
    def direction(self) -> str:
        """'up', 'down' or 'new' (the first tier an account gets)."""
        if not self.from_tier:
            return "new"
        before, after = TIER_RANK[Tier(self.from_tier)], TIER_RANK[Tier(self.to_tier)]
        return "up" if after > before else "down" if after < before else "same"


class TierOverride(models.Model):
    """A tier set by hand, with its reason; it wins over the computed tier until cleared."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tier_overrides",
    )
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    reason = models.TextField(_("reason"))
    actor = models.ForeignKey(
        "core.User", verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    cleared_at = models.DateTimeField(_("cleared"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(cleared_at__isnull=True),
                name="insights_one_active_override",
            )
        ]
        verbose_name = _("tier override")
        verbose_name_plural = _("tier overrides")

    def __str__(self) -> str:
        return f"{self.account_id}: {self.tier} (by hand)"
