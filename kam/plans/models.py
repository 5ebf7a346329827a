"""Account plans (REL-4): per key account and plan year, the shared long-term vision, the
objectives, the revenue targets by year, SWOT, the competitors present, the whitespace
grid, the actions and the reviews.

A plan is visible exactly when its account is (kam.plans.services.visible_plans). One plan
per account is active at a time, and one plan per account and year is current (draft or
active): the database refuses a second one. Archived plans stay readable.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

DEFAULT_REVIEW_DAYS = 90


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")  # being written
    ACTIVE = "active", _("Active")  # what we work by now; one per account
    ARCHIVED = "archived", _("Archived")  # a past plan, kept to read


class AccountPlan(models.Model):
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="plans",
    )
    year = models.PositiveSmallIntegerField(_("plan year"))
    status = models.CharField(
        _("status"), max_length=10, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="account_plans",
        help_text=_("Who keeps the plan up to date and is reminded of its reviews."),
    )
    vision = models.TextField(
        _("shared vision"),
        blank=True,
        help_text=_("Where we and the customer want to be together in three to five years."),
    )
    review_every_days = models.PositiveSmallIntegerField(
        _("review every (days)"), default=DEFAULT_REVIEW_DAYS
    )
    # The rows and columns of the whitespace grid, in the order they are shown.
    product_lines = models.JSONField(_("product lines"), default=list, blank=True)
    business_units = models.JSONField(_("business units"), default=list, blank=True)
    # Kept by the services: the last review (or the plan's start) plus the cadence.
    next_review_due = models.DateField(_("next review due"), null=True, blank=True)
    # The due date the owner was last reminded of, so that reminding twice tells nobody twice.
    review_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-year", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="active"),
                name="plans_one_active_plan_per_account",
            ),
            models.UniqueConstraint(
                fields=["account", "year"],
                condition=~models.Q(status="archived"),
                name="plans_one_current_plan_per_account_and_year",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_review_due"])]
        verbose_name = _("account plan")
        verbose_name_plural = _("account plans")

    def __str__(self) -> str:
        return f"{self.account} {self.year}" if self.account_id else str(self.year)

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("plans:detail", args=[self.pk])

    def review_overdue(self, as_of: dt.date | None = None) -> bool:
        today = as_of or timezone.localdate()
        return (
            self.status == PlanStatus.ACTIVE
            and self.next_review_due is not None
            and self.next_review_due < today
        )


class ObjectiveStatus(models.TextChoices):
    OPEN = "open", _("Not started")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    ACHIEVED = "achieved", _("Achieved")
    MISSED = "missed", _("Missed")


class PlanObjective(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="objectives"
    )
    text = models.CharField(_("objective"), max_length=500)
    measure = models.CharField(
        _("measure"), max_length=300, blank=True, help_text=_("How we know it is reached.")
    )
    target_date = models.DateField(_("target date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ObjectiveStatus.choices, default=ObjectiveStatus.OPEN
    )

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("objective")
        verbose_name_plural = _("objectives")

    def __str__(self) -> str:
        return self.text[:80]


class PlanRevenueTarget(models.Model):
    """What we aim to sell to the account in a year; the actual comes from its orders."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("target revenue"), max_digits=18, decimal_places=2)

    class Meta:
        ordering = ["plan", "year"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "year"], name="plans_one_target_per_year")
        ]
        verbose_name = _("revenue target")
        verbose_name_plural = _("revenue targets")

    def __str__(self) -> str:
        return f"{self.year}: {self.amount}"


class Quadrant(models.TextChoices):
    STRENGTH = "strength", _("Strength")  # ours, with this account
    WEAKNESS = "weakness", _("Weakness")  # ours, with this account
    OPPORTUNITY = "opportunity", _("Opportunity")  # theirs, in their market
    THREAT = "threat", _("Threat")  # theirs, in their market


class PlanSwotItem(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="swot"
    )
    quadrant = models.CharField(_("quadrant"), max_length=12, choices=Quadrant.choices)
    text = models.CharField(_("text"), max_length=500)

    class Meta:
        ordering = ["plan", "quadrant", "id"]
        verbose_name = _("SWOT item")
        verbose_name_plural = _("SWOT items")

    def __str__(self) -> str:
        return f"{self.quadrant}: {self.text[:70]}"


class CompetitorPosition(models.TextChoices):
    PREFERRED = "preferred", pgettext_lazy("competitor", "Preferred supplier")
    ESTABLISHED = "established", pgettext_lazy("competitor", "Established")
    CHALLENGER = "challenger", pgettext_lazy("competitor", "Challenger")
    MINOR = "minor", pgettext_lazy("competitor", "Minor")


class PlanCompetitor(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="competitors"
    )
    name = models.CharField(_("competitor"), max_length=200)
    products = models.CharField(
        _("their products"), max_length=500, blank=True, help_text=_("What they sell here.")
    )
    share_of_wallet = models.DecimalField(
        _("share of wallet (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Their share of the account's spend in our categories, if known."),
    )
    position = models.CharField(
        _("position"),
        max_length=12,
        choices=CompetitorPosition.choices,
        default=CompetitorPosition.ESTABLISHED,
    )
    counter_strategy = models.TextField(_("our counter-strategy"), blank=True)

    class Meta:
        ordering = ["plan", "id"]
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")

    def __str__(self) -> str:
        return self.name


class CellStatus(models.TextChoices):
    SOLD = "sold", _("Sold")
    IN_PROGRESS = "in_progress", _("In progress")
    OPEN = "open", _("Open")
    NOT_RELEVANT = "not_relevant", _("Not relevant")


class PlanWhitespaceCell(models.Model):
    """One product line in one business unit of the account; a pair without a cell is
    not assessed yet."""

    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="cells"
    )
    product_line = models.CharField(_("product line"), max_length=100)
    business_unit = models.CharField(_("business unit"), max_length=100)
    status = models.CharField(_("status"), max_length=12, choices=CellStatus.choices)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "product_line", "business_unit"], name="plans_one_cell_per_pair"
            )
        ]
        verbose_name = _("whitespace cell")
        verbose_name_plural = _("whitespace cells")

    def __str__(self) -> str:
        return f"{self.product_line} × {self.business_unit}: {self.status}"


class ActionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    DROPPED = "dropped", _("Dropped")


OPEN_ACTION_STATUSES = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)


class PlanAction(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="actions"
    )
    text = models.CharField(_("action"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="plan_actions",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    # The due date the owner was last reminded of (see services.remind).
    reminded_for = models.DateField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["plan", "due_date", "id"]
        indexes = [models.Index(fields=["status", "due_date"])]
        verbose_name = _("action")
        verbose_name_plural = _("actions")

    def __str__(self) -> str:
        return self.text[:80]

    def is_overdue(self, as_of: dt.date | None = None) -> bool:
        today = as_of or timezone.localdate()
        return (
            self.status in OPEN_ACTION_STATUSES
            and self.due_date is not None
            and self.due_date < today
        )


class PlanReview(models.Model):
    plan = models.ForeignKey(
        AccountPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="reviews"
    )
    reviewed_on = models.DateField(_("review date"))
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.PROTECT,
        related_name="plan_reviews",
    )
    notes = models.TextField(_("notes"), blank=True)

    class Meta:
        ordering = ["plan", "-reviewed_on", "-id"]
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")

    def __str__(self) -> str:
        return f"{self.reviewed_on:%Y-%m-%d}"
