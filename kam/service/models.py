"""Differentiated service: the service policy of each tier and the business calendar
the SLA clocks count in (SVC-1, SVC-2).

Tickets, their history and the satisfaction surveys live here too (see the models
below the policy).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.insights.models import Tier


class ServiceModel(models.TextChoices):
    DEDICATED_TEAM = "dedicated_team", _("Dedicated team")
    DEDICATED_MANAGER = "dedicated_manager", _("Dedicated account manager")
    SHARED_MANAGER = "shared_manager", _("Shared account manager")
    SERVICE_CENTRE = "service_centre", _("Service centre")


class ClockKind(models.TextChoices):
    BUSINESS = "business", _("Business hours")  # the business calendar's working time
    ALWAYS = "always", _("Around the clock")  # every hour counts (24×7)


class ServicePolicy(models.Model):
    """How one tier is served: SLA targets, who serves it, how often we visit, what is
    customised, and the discount ceiling the sales process applies."""

    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(
        _("first response target (minutes)"), validators=[MinValueValidator(1)]
    )
    resolution_minutes = models.PositiveIntegerField(
        _("resolution target (minutes)"), validators=[MinValueValidator(1)]
    )
    clock = models.CharField(
        _("SLA clock"), max_length=10, choices=ClockKind.choices, default=ClockKind.BUSINESS
    )
    service_model = models.CharField(
        _("service model"), max_length=20, choices=ServiceModel.choices
    )
    visit_interval_days = models.PositiveIntegerField(
        _("visit every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text=_("Empty: no regular visits."),
    )
    survey_interval_days = models.PositiveIntegerField(
        _("relationship survey every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(3660)],
        help_text=_("Empty: no periodic relationship surveys."),
    )
    customisation = models.TextField(_("what is customised"), blank=True)
    discount_ceiling = models.DecimalField(
        _("discount ceiling (%)"),
        max_digits=5,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("service policy")
        verbose_name_plural = _("service policies")

    def __str__(self) -> str:
        return str(self.get_tier_display())


class BusinessCalendar(models.Model):
    """The working week and hours the SLA clocks count in (one calendar for the company;
    its time zone is the installation's, KAM_TIME_ZONE)."""

    weekdays = models.CharField(
        _("working weekdays"),
        max_length=20,
        default="0,1,2,3,4",
        help_text=_("Monday = 0 … Sunday = 6, separated by commas."),
    )
    hours = models.CharField(
        _("working hours"),
        max_length=120,
        default="09:00-12:00, 13:00-18:00",
        help_text=_("Periods like 09:00-12:00, 13:00-18:00 (a lunch break between)."),
    )
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendar")

    def __str__(self) -> str:
        return f"{self.weekdays} {self.hours}"

    @classmethod
    def load(cls) -> BusinessCalendar:
        found, _created = cls.objects.get_or_create(pk=1)
        return found


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Make-up working day")


class CalendarDay(models.Model):
    """An exception to the working week: a public holiday, or a weekend day worked to
    make up for one (调休)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=DayKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.kind} {self.name}".strip()


class SurveyKind(models.TextChoices):
    TICKET = "ticket", _("After a ticket")
    RELATIONSHIP = "relationship", _("Periodic relationship survey")


class Survey(models.Model):
    """One answered satisfaction survey (SVC-3): CSAT 1–5 and/or NPS 0–10, with comment."""

    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="surveys",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
    )
    kind = models.CharField(_("kind"), max_length=12, choices=SurveyKind.choices)
    csat = models.PositiveSmallIntegerField(
        _("satisfaction (CSAT 1–5)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    nps = models.PositiveSmallIntegerField(
        _("likelihood to recommend (NPS 0–10)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(10)],
    )
    comment = models.TextField(_("comment"), blank=True)
    responded_at = models.DateTimeField(_("answered"), default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="surveys",
        help_text=_("The ticket this survey followed (surveys after a ticket)."),
    )
    follow_up = models.ForeignKey(
        "relations.Activity",
        verbose_name=_("follow-up"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="satisfaction_surveys",
        help_text=_("The call planned for the account owner after a low score."),
    )

    class Meta:
        ordering = ["-responded_at", "-id"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(csat__isnull=False) | models.Q(nps__isnull=False),
                name="survey_has_a_score",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.responded_at:%Y-%m-%d}"


class RequestStatus(models.TextChoices):
    OPEN = "open", _("Waiting for the answer")
    ANSWERED = "answered", _("Answered")
    EXPIRED = "expired", _("Expired")
    CANCELLED = "cancelled", _("Withdrawn")


class SurveyRequest(models.Model):
    """One survey asked (SVC-3): after a ticket closed, periodically of an account's key
    contacts, or by hand. The customer answers through a single-use link; only the
    SHA-256 hash of its token is stored (the token itself is in the link emailed or shown
    once). Staff may record an answer taken by phone instead. See kam.service.surveys."""

    kind = models.CharField(_("kind"), max_length=12, choices=SurveyKind.choices)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="survey_requests",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_requests",
    )
    ticket = models.ForeignKey(
        "service.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="survey_requests",
    )
    token_hash = models.CharField(_("link token (hash)"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("asked"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("asked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Empty: asked by the system (a ticket closed, the periodic survey)."),
    )
    expires_at = models.DateTimeField(_("expires"))
    email = models.EmailField(_("emailed to"), blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)
    survey = models.OneToOneField(
        Survey,
        verbose_name=_("answer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="request",
    )
    cancelled_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)
    cancel_reason = models.CharField(_("why withdrawn"), max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["account", "kind", "created_at"]),
            models.Index(fields=["kind", "created_at"]),
        ]
        verbose_name = _("survey request")
        verbose_name_plural = _("survey requests")

    def __str__(self) -> str:
        return f"{self.account_id} {self.kind} {self.created_at:%Y-%m-%d}"

    def status_at(self, now: Any = None) -> str:
        if self.survey_id is not None:
            return RequestStatus.ANSWERED
        if self.cancelled_at is not None:
            return RequestStatus.CANCELLED
        if self.expires_at <= (now or timezone.now()):
            return RequestStatus.EXPIRED
        return RequestStatus.OPEN

    @property
    def status(self) -> str:
        return self.status_at()

    def get_status_display(self) -> str:
        return str(RequestStatus(self.status).label)


# --- tickets and complaints (SVC-2) ---------------------------------------------------------


class TicketKind(models.TextChoices):
    REQUEST = "request", _("Request")
    COMPLAINT = "complaint", _("Complaint")


class TicketCategory(models.TextChoices):
    PRODUCT_QUALITY = "product_quality", _("Product quality")
    DELIVERY = "delivery", _("Delivery and logistics")
    BILLING = "billing", _("Invoice and billing")
    TECHNICAL = "technical", _("Technical support")
    INSTALLATION = "installation", _("Installation and commissioning")
    DOCUMENTATION = "documentation", _("Documents and certificates")
    SERVICE_ATTITUDE = "service_attitude", _("Service attitude")
    OTHER = "other", _("Other")


class TicketPriority(models.TextChoices):
    LOW = "low", _("Low")
    NORMAL = "normal", _("Normal")
    HIGH = "high", _("High")
    URGENT = "urgent", _("Urgent")


class TicketChannel(models.TextChoices):
    PHONE = "phone", _("Phone")
    EMAIL = "email", _("Email")
    VISIT = "visit", _("Visit")
    PORTAL = "portal", _("Customer portal")


class TicketStatus(models.TextChoices):
    NEW = "new", _("New")
    IN_PROGRESS = "in_progress", _("In progress")
    WAITING_CUSTOMER = "waiting_customer", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")


#: Statuses in which a ticket is still being worked on (its clocks may run).
OPEN_STATUSES = (TicketStatus.NEW, TicketStatus.IN_PROGRESS, TicketStatus.WAITING_CUSTOMER)


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")
    MISSED = "missed", _("Missed")


class Ticket(models.Model):
    """A customer's request or complaint, with the SLA targets in force for it.

    First-contact accountability (首问负责制): whoever records a ticket owns it until they
    hand it over to a named colleague; the owner is never empty (NOT NULL, PROTECT).
    The targets are copied from the account's tier policy when the ticket is recorded and
    replaced when the tier or the policy changes (see kam.service.sla); the due moments
    are stored so lists can filter by them, and refreshed whenever the clocks change.
    """

    number = models.CharField(_("number"), max_length=20, unique=True, null=True, blank=True)
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="tickets",
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="tickets",
    )
    kind = models.CharField(
        _("kind"), max_length=10, choices=TicketKind.choices, default=TicketKind.REQUEST
    )
    category = models.CharField(
        _("category"), max_length=20, choices=TicketCategory.choices, default=TicketCategory.OTHER
    )
    priority = models.CharField(
        _("priority"),
        max_length=10,
        choices=TicketPriority.choices,
        default=TicketPriority.NORMAL,
    )
    channel = models.CharField(
        _("channel"), max_length=10, choices=TicketChannel.choices, default=TicketChannel.PHONE
    )
    subject = models.CharField(_("subject"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_tickets",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="recorded_tickets",
    )
    created_at = models.DateTimeField(_("recorded"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    first_response_at = models.DateTimeField(_("first response"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    resolution = models.TextField(_("resolution"), blank=True)
    # The targets in force: the tier's policy when recorded, or after a tier/policy change.
    tier = models.CharField(_("tier"), max_length=10, choices=Tier.choices)
    clock = models.CharField(
        _("SLA clock"), max_length=10, choices=ClockKind.choices, default=ClockKind.BUSINESS
    )
    response_minutes = models.PositiveIntegerField(_("first response target (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution target (minutes)"))
    response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    # When 75 % of each target is used up (see kam.service.sla.AT_RISK_SHARE); lists
    # filter "at risk" by these. Empty while the clock is paused.
    response_risk_at = models.DateTimeField(_("first response at risk"), null=True, blank=True)
    resolution_risk_at = models.DateTimeField(_("resolution at risk"), null=True, blank=True)
    # 0 none, 1 at risk (owners told), 2 breached (manager), 3 badly breached (directors)
    response_escalation = models.PositiveSmallIntegerField(
        _("first response escalation"), default=0
    )
    resolution_escalation = models.PositiveSmallIntegerField(_("resolution escalation"), default=0)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "owner"]),
            models.Index(fields=["account", "status"]),
        ]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")

    def __str__(self) -> str:
        return f"{self.number or '—'} {self.subject}"[:200]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tickets:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class EventKind(models.TextChoices):
    CREATED = "created", _("Recorded")
    RESPONDED = "responded", _("First response")
    HANDED_OVER = "handed_over", _("Handed over")
    PAUSED = "paused", _("Waiting for the customer")
    RESUMED = "resumed", _("Resumed")
    TARGETS_CHANGED = "targets_changed", _("Targets changed")
    ESCALATED = "escalated", _("Escalated")
    RESOLVED = "resolved", _("Resolved")
    CLOSED = "closed", _("Closed")
    REOPENED = "reopened", _("Reopened")
    COMMENTED = "commented", _("Comment")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    CHANGED = "changed", _("Details changed")
    SURVEY_REQUESTED = "survey_requested", _("Satisfaction survey asked")
    SURVEY_ANSWERED = "survey_answered", _("Satisfaction survey answered")
    SURVEY_CANCELLED = "survey_cancelled", _("Satisfaction survey withdrawn")


class SlaClock(models.TextChoices):
    RESPONSE = "response", _("First response")
    RESOLUTION = "resolution", _("Resolution")


class TicketEvent(models.Model):
    """One step in a ticket's history (append-only): who did what, when."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("what"), max_length=20, choices=EventKind.choices)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    from_status = models.CharField(
        _("from status"), max_length=20, choices=TicketStatus.choices, blank=True
    )
    to_status = models.CharField(
        _("to status"), max_length=20, choices=TicketStatus.choices, blank=True
    )
    from_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("from"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    clock = models.CharField(_("clock"), max_length=10, choices=SlaClock.choices, blank=True)
    level = models.PositiveSmallIntegerField(_("escalation level"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["ticket", "at"])]
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ValueError("the ticket history is append-only")
        super().save(*args, **kwargs)


class PauseReason(models.TextChoices):
    WAITING = "waiting", _("Waiting for the customer")
    RESOLVED = "resolved", _("Resolved until reopened")


class TicketPause(models.Model):
    """A stretch in which the resolution clock stood still: waiting for the customer, or
    resolved until the customer reopened it. An open pause has no end yet."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="pauses"
    )
    reason = models.CharField(_("reason"), max_length=10, choices=PauseReason.choices)
    started_at = models.DateTimeField(_("from"))
    ended_at = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        ordering = ["started_at", "id"]
        verbose_name = _("ticket pause")
        verbose_name_plural = _("ticket pauses")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.reason} {self.started_at:%Y-%m-%d %H:%M}"


def attachment_path(instance: TicketAttachment, filename: str) -> str:
    """Stored under a random name (the shown name is kept on the row): no name from a
    browser ever becomes a path."""
    import uuid
    from pathlib import PurePath

    suffix = PurePath(filename).suffix.lower()[:10]
    return f"tickets/{instance.ticket_id}/{uuid.uuid4().hex}{suffix}"


class TicketAttachment(models.Model):
    """A file on a ticket (a photo of the damage, the invoice in question, a log).
    Downloaded only through the ticket's page, which checks who may see it."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=300)
    name = models.CharField(_("file name"), max_length=150)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("type"), max_length=120)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("ticket attachment")
        verbose_name_plural = _("ticket attachments")

    def __str__(self) -> str:
        return self.name
