"""Relationship management (REL-1, REL-2): the activities with an account's people, and
the reminders of overdue visits already sent.

An activity hangs off its account: it is visible exactly when the account is. The sales
module links activities to deals later with a nullable foreign key on Activity (a plain
AddField migration); nothing here depends on it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ActivityKind(models.TextChoices):
    VISIT = "visit", _("Visit")  # we go to the customer
    CALL = "call", _("Call")  # phone or video call
    MEETING = "meeting", _("Meeting")  # face to face, at our place or elsewhere
    EMAIL = "email", _("Email")
    EVENT = "event", _("Event")  # a trade fair, a seminar, a plant tour
    GIFT = "gift", _("Gift")  # with value and recipients (anti-bribery compliance)
    ENTERTAINMENT = "entertainment", _("Entertainment")  # a dinner, a show: value, recipients
    CLUB_EVENT = "club_event", _("Customer club event")


#: The kinds that carry a value and recipients, checked against the yearly limit.
GIFT_KINDS = frozenset({ActivityKind.GIFT.value, ActivityKind.ENTERTAINMENT.value})


class ActivityStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class Activity(models.Model):
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="activities",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ActivityKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.DONE
    )
    subject = models.CharField(_("subject"), max_length=200)
    starts_at = models.DateTimeField(_("start"), db_index=True)
    duration_minutes = models.PositiveIntegerField(_("duration (minutes)"), null=True, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_activities",
    )
    participants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our participants"),
        blank=True,
        related_name="joined_activities",
    )
    contacts = models.ManyToManyField(
        "contacts.Contact",
        verbose_name=_("contacts"),
        blank=True,
        related_name="activities",
    )
    notes = models.TextField(_("notes"), blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    sentiment = models.CharField(
        _("sentiment"), max_length=10, choices=Sentiment.choices, blank=True
    )
    # Gifts and entertainment only: what it was worth and who received it.
    value = models.DecimalField(_("value"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    recipients = models.ManyToManyField(
        "contacts.Contact",
        verbose_name=_("recipients"),
        blank=True,
        related_name="gifts_received",
    )
    # The yearly gift limit: what was exceeded when it was saved, and who went on anyway.
    # [{"contact": id, "name": …, "year": 2026, "total": "2400.00", "limit": "2000.00"}]
    limit_warnings = models.JSONField(_("gift limit warnings"), default=list, blank=True)
    limit_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("limit warning acknowledged by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    limit_acknowledged_at = models.DateTimeField(
        _("limit warning acknowledged"), null=True, blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-starts_at", "-id"]
        indexes = [
            models.Index(fields=["account", "status", "starts_at"]),
            models.Index(fields=["status", "kind", "starts_at"]),
        ]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.subject}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("relations:activity", args=[self.pk])

    @property
    def is_gift(self) -> bool:
        return self.kind in GIFT_KINDS


class VisitReminder(models.Model):
    """An overdue visit the owner was told about, so that each is told once. `due` is the
    due date's ISO text, or "never" for an account never visited."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="visit_reminders",
    )
    due = models.CharField(_("due"), max_length=10)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)

    class Meta:
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["account", "due"], name="visit_reminder_once"),
        ]
        verbose_name = _("visit reminder")
        verbose_name_plural = _("visit reminders")

    def __str__(self) -> str:
        return f"{self.account_id} {self.due}"
