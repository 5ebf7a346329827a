"""Segments (SEG-1) and the strategy decided for each (SEG-5).

A segment is a rule, not a list: its `definition` says which accounts belong, and the
members are computed whenever they are asked for (see services.segment_members), so
they follow every import, every edit and every scoring run without being refreshed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SegmentKind(models.TextChoices):
    RULE = "rule", _("Rule-based")  # conditions written by people (SEG-1)
    CLUSTER = "cluster", _("Data-driven")  # a cluster of a ClusteringRun (SEG-2)


class Match(models.TextChoices):
    ALL = "all", _("all of the conditions")  # and
    ANY = "any", _("any of the conditions")  # or


def empty_definition() -> dict[str, object]:
    return {"match": Match.ALL.value, "conditions": []}


class Segment(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=SegmentKind.choices, default=SegmentKind.RULE
    )
    definition = models.JSONField(
        _("definition"),
        default=empty_definition,
        help_text=_("Conditions on the accounts, combined with all (and) or any (or)."),
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="segments",
    )
    # Which built-in starting point this is ("industry:energy", "size:small", …); the
    # seeding creates each one once, and never again once it exists or was renamed.
    builtin_key = models.CharField(
        _("built-in key"), max_length=60, unique=True, null=True, blank=True, editable=False
    )
    # A data-driven segment is one cluster of one clustering run: its members are that
    # run's result (ClusterMember), not a rule, so they do not change with the book.
    cluster_run = models.ForeignKey(
        "ClusteringRun",
        verbose_name=_("clustering run"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="segments",
    )
    cluster_label = models.PositiveSmallIntegerField(
        _("cluster"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("segment")
        verbose_name_plural = _("segments")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("segments:detail", args=[self.pk])


class StrategyStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being worked out
    ACTIVE = "active", _("Active")  # what we do now; one per segment
    RETIRED = "retired", _("Retired")  # what we did before


class Strategy(models.Model):
    """What we do for the accounts of a segment: the 4Ps and the revenue we aim for."""

    segment = models.ForeignKey(
        Segment, verbose_name=_("segment"), on_delete=models.CASCADE, related_name="strategies"
    )
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=StrategyStatus.choices, default=StrategyStatus.DRAFT
    )
    product = models.TextField(_("product"), blank=True, help_text=_("What we offer them."))
    price = models.TextField(_("price"), blank=True, help_text=_("How we price and discount."))
    channel = models.TextField(
        _("channel"), blank=True, help_text=_("How we reach and serve them.")
    )
    promotion = models.TextField(
        _("promotion"), blank=True, help_text=_("How we communicate and promote.")
    )
    target_revenue = models.DecimalField(
        _("target revenue"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="segment_strategies",
    )
    review_date = models.DateField(_("review date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["segment", "status", "-updated_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["segment"],
                condition=models.Q(status="active"),
                name="segments_one_active_strategy",
            )
        ]
        verbose_name = _("strategy")
        verbose_name_plural = _("strategies")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return self.segment.get_absolute_url() + f"#strategy-{self.pk}"


class ClusteringRun(models.Model):
    """One k-means segmentation of the whole book (SEG-2): the k curve, the clusters'
    profiles and descriptions; the membership is in ClusterMember."""

    created_at = models.DateTimeField(_("run at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("run by"),
        on_delete=models.PROTECT,
        related_name="clustering_runs",
    )
    scoring_run = models.ForeignKey(
        "insights.ScoringRun",
        verbose_name=_("scoring run"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    k = models.PositiveSmallIntegerField(_("clusters"))
    silhouette = models.FloatField(_("silhouette"), null=True, blank=True)
    account_count = models.PositiveIntegerField(_("accounts"), default=0)
    features = models.JSONField(
        _("features"), default=dict
    )  # {"numeric": [..], "categorical": [..]}
    curve = models.JSONField(_("k curve"), default=list)  # [{"k", "silhouette", "inertia"}]
    profiles = models.JSONField(_("profiles"), default=list)  # one per cluster, 1..k
    notes = models.JSONField(_("notes"), default=list)
    seconds = models.FloatField(_("seconds"), default=0.0)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("clustering run")
        verbose_name_plural = _("clustering runs")

    def __str__(self) -> str:
        return f"#{self.pk} ({self.k})"

    def profile(self, label: int) -> dict[str, object]:
        return next((p for p in self.profiles if p.get("label") == label), {})


class ClusterMember(models.Model):
    """The cluster an account was put in by a clustering run (a result, not a rule)."""

    run = models.ForeignKey(
        ClusteringRun, verbose_name=_("run"), on_delete=models.CASCADE, related_name="members"
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    label = models.PositiveSmallIntegerField(_("cluster"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["run", "account"], name="segments_one_cluster_per_run")
        ]
        indexes = [models.Index(fields=["run", "label"])]
        verbose_name = _("cluster member")
        verbose_name_plural = _("cluster members")

    def __str__(self) -> str:
        return f"{self.run_id}:{self.label}:{self.account_id}"


class StpPlan(models.Model):
    """Segmenting, targeting, positioning (SEG-3): the goal, the segments looked at and the
    segments chosen as targets; the strategies are those of the target segments."""

    goal = models.TextField(_("goal"))
    segments = models.ManyToManyField(
        Segment, verbose_name=_("segments considered"), related_name="stp_plans", blank=True
    )
    targets = models.ManyToManyField(
        Segment, verbose_name=_("target segments"), related_name="stp_targets", blank=True
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="stp_plans",
    )
    review_date = models.DateField(_("review date"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        verbose_name = _("STP plan")
        verbose_name_plural = _("STP plans")

    def __str__(self) -> str:
        return self.goal[:80]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("segments:stp_detail", args=[self.pk])
