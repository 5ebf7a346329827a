"""The people inside an account (DATA-3): their place in the buying centre, how they
lean toward us, how well we know them and whom they report to."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BuyingRole(models.TextChoices):
    # The four roles of the buying centre (the seeds' 教练 / 使用者 / 技术把关者 / 决策者).
    COACH = "coach", _("Coach")  # guides us inside the account
    USER_BUYER = "user_buyer", _("User buyer")  # uses what we sell, judges its effect on work
    TECHNICAL_BUYER = "technical_buyer", _("Technical buyer")  # screens out, can say no
    ECONOMIC_BUYER = "economic_buyer", _("Economic buyer")  # the final yes and the budget
    NONE = "none", _("No buying role")


class Influence(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Stance(models.TextChoices):
    SUPPORTER = "supporter", _("Supporter")
    NEUTRAL = "neutral", _("Neutral")
    OPPONENT = "opponent", _("Opponent")
    UNKNOWN = "unknown", _("Unknown")


class Familiarity(models.IntegerChoices):
    # How well we know them, from a name on a card to a trusted relationship.
    UNKNOWN = 0, _("Not met")
    MET = 1, _("Met once")
    ACQUAINTED = 2, _("Acquainted")
    FAMILIAR = 3, _("Familiar")
    CLOSE = 4, _("Close")
    TRUSTED = 5, _("Trusted")


class Contact(models.Model):
    external_id = models.CharField(
        _("external id"), max_length=64, unique=True, null=True, blank=True
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="contacts",
    )
    name = models.CharField(_("name"), max_length=120)
    title = models.CharField(_("job title"), max_length=120, blank=True)
    department = models.CharField(_("department"), max_length=120, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    buying_role = models.CharField(
        _("buying role"), max_length=16, choices=BuyingRole.choices, default=BuyingRole.NONE
    )
    influence = models.CharField(
        _("influence"), max_length=8, choices=Influence.choices, default=Influence.MEDIUM
    )
    stance = models.CharField(
        _("stance"), max_length=10, choices=Stance.choices, default=Stance.UNKNOWN
    )
    familiarity = models.PositiveSmallIntegerField(
        _("how well we know them"), choices=Familiarity.choices, default=Familiarity.UNKNOWN
    )
    our_counterpart = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("our counterpart"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="counterpart_contacts",
    )
    reports_to = models.ForeignKey(
        "self",
        verbose_name=_("reports to"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
    )
    is_active = models.BooleanField(_("still there"), default=True)
    notes_superiors = models.TextField(_("relationship with superiors"), blank=True)
    notes_peers = models.TextField(_("relationship with peers"), blank=True)
    notes_subordinates = models.TextField(_("relationship with subordinates"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["account_id", "name", "id"]
        indexes = [models.Index(fields=["account", "buying_role"])]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("contacts:detail", args=[self.pk])
