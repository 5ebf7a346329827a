"""The customer club (REL-5): memberships, the points rules, the benefits catalogue, the
points ledger, and club events with their invitations.

The ledger never loses a point: every change of a balance is one PointsEntry row, and the
balance is the sum of the rows. Rows are append-only; a correction is a new row.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, NoReturn

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from kam.insights.models import Tier


class Level(models.TextChoices):
    """The club level: it follows the account's effective tier, it is never typed."""

    DIAMOND = "diamond", pgettext_lazy("club level", "Diamond")
    GOLD = "gold", pgettext_lazy("club level", "Gold")
    SILVER = "silver", pgettext_lazy("club level", "Silver")
    MEMBER = "member", pgettext_lazy("club level", "Member")


#: The level each tier gives; an account without a tier yet is a plain member.
LEVEL_OF_TIER: dict[str, str] = {
    Tier.DIAMOND: Level.DIAMOND,
    Tier.CORE: Level.GOLD,
    Tier.POTENTIAL: Level.SILVER,
    Tier.BASIC: Level.MEMBER,
}


class Membership(models.Model):
    """An account's club membership. One per account; leaving keeps the row and its points."""

    account = models.OneToOneField(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="club_membership",
    )
    number = models.CharField(_("member number"), max_length=20, unique=True)
    joined_on = models.DateField(_("joined"))
    left_on = models.DateField(_("left"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("enrolled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["number"]
        verbose_name = _("club membership")
        verbose_name_plural = _("club memberships")

    def __str__(self) -> str:
        return self.number

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class PointsRules(models.Model):
    """How points are earned (one row). Directors change it; every change is audited."""

    purchase_points = models.PositiveIntegerField(
        _("points per purchase unit"),
        default=1,
        help_text=_("Points an order earns for each full purchase unit of its amount."),
    )
    purchase_unit = models.PositiveIntegerField(
        _("purchase unit"),
        default=100,
        help_text=_("The amount, in the book's currency, that earns the points above."),
    )
    referral_points = models.PositiveIntegerField(_("points per referral"), default=2000)
    event_points = models.PositiveIntegerField(
        _("points per event attended"),
        default=500,
        help_text=_("Unless the event sets its own."),
    )
    multiplier_diamond = models.PositiveIntegerField(_("diamond multiplier (%)"), default=200)
    multiplier_core = models.PositiveIntegerField(_("core multiplier (%)"), default=150)
    multiplier_potential = models.PositiveIntegerField(_("potential multiplier (%)"), default=120)
    multiplier_basic = models.PositiveIntegerField(_("basic multiplier (%)"), default=100)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    updated_by = models.ForeignKey(
        "core.User",
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("points rules")
        verbose_name_plural = _("points rules")

    def __str__(self) -> str:
        return str(_("Points rules"))

    @classmethod
    def load(cls) -> PointsRules:
        found, _created = cls.objects.get_or_create(pk=1)
        return found

    def multiplier_percent(self, tier: str) -> int:
        return int(getattr(self, f"multiplier_{tier}", 100))

    def purchase_points_for(self, amount: Decimal, tier: str) -> int:
        """Whole units of the amount × points per unit × the tier's multiplier, rounded down."""
        if amount <= 0 or self.purchase_unit <= 0:
            return 0
        units = int(amount // self.purchase_unit)
        return units * self.purchase_points * self.multiplier_percent(tier) // 100


class Benefit(models.Model):
    """Something a member can redeem points for. Never deleted: switched off instead."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    description = models.TextField(_("description"), blank=True)
    points_cost = models.PositiveIntegerField(_("points"))
    active = models.BooleanField(_("available"), default=True)
    stock = models.PositiveIntegerField(
        _("stock"), null=True, blank=True, help_text=_("Leave empty for no limit.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["points_cost", "name"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")

    def __str__(self) -> str:
        return self.name


class ClubEvent(models.Model):
    """A club event (forum, factory visit, golf day …) for contacts of member accounts."""

    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_at = models.DateTimeField(_("starts"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("capacity"))
    points = models.PositiveIntegerField(
        _("points for attending"),
        null=True,
        blank=True,
        help_text=_("Leave empty for the points of the rules."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    created_by = models.ForeignKey(
        "core.User",
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["-starts_at", "-id"]
        verbose_name = _("club event")
        verbose_name_plural = _("club events")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("club:event", args=[self.pk])


class EntryKind(models.TextChoices):
    EARN_PURCHASE = "earn_purchase", _("Purchase")
    EARN_REFERRAL = "earn_referral", _("Referral")
    EARN_EVENT = "earn_event", _("Event attended")
    REDEEM = "redeem", _("Redemption")
    ADJUST = "adjust", _("Adjustment")


class AppendOnly(Exception):
    """Ledger rows are never changed or deleted: a correction is a new adjusting row."""


def refuse_change(*_args: Any, **_kwargs: Any) -> NoReturn:
    raise AppendOnly("points entries are append-only: record an adjustment instead")


class EntryQuerySet(models.QuerySet["PointsEntry"]):
    def update(self, **kwargs: Any) -> int:
        refuse_change()

    def delete(self) -> tuple[int, dict[str, int]]:
        refuse_change()


class PointsEntry(models.Model):
    """One change of a member's points: + earned, − redeemed, ± adjusted.

    `reference` names the source once ("order:123", "event:4:account:9", "redeem:…"), so a
    source can never earn twice. Deleting the account deletes its membership and ledger.
    """

    membership = models.ForeignKey(
        Membership,
        verbose_name=_("membership"),
        on_delete=models.CASCADE,
        related_name="entries",
    )
    delta = models.BigIntegerField(_("points"))
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    reference = models.CharField(_("reference"), max_length=80, unique=True)
    note = models.TextField(_("note"), blank=True)
    benefit = models.ForeignKey(
        Benefit,
        verbose_name=_("benefit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="redemptions",
    )
    event = models.ForeignKey(
        ClubEvent,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="entries",
    )
    actor = models.ForeignKey(
        "core.User",
        verbose_name=_("who"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), default=timezone.now)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["membership", "at"]), models.Index(fields=["kind", "at"])]
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")

    def __str__(self) -> str:
        return f"{self.reference} {self.delta:+d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            refuse_change()
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        refuse_change()


class InvitationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    ATTENDED = "attended", _("Attended")
    NO_SHOW = "no_show", _("No-show")


#: The invitations that take a seat: capacity counts them.
SEATED = (InvitationStatus.ACCEPTED, InvitationStatus.ATTENDED)


class Invitation(models.Model):
    """A contact of a member account invited to a club event."""

    event = models.ForeignKey(
        ClubEvent, verbose_name=_("event"), on_delete=models.CASCADE, related_name="invitations"
    )
    contact = models.ForeignKey(
        "contacts.Contact",
        verbose_name=_("contact"),
        on_delete=models.CASCADE,
        related_name="club_invitations",
    )
    account = models.ForeignKey(
        "accounts.Account",
        verbose_name=_("account"),
        on_delete=models.CASCADE,
        related_name="club_invitations",
    )
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InvitationStatus.choices,
        default=InvitationStatus.INVITED,
    )
    invited_by = models.ForeignKey(
        "core.User",
        verbose_name=_("invited by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invited_at = models.DateTimeField(_("invited"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        ordering = ["event", "account__name", "contact__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["event", "contact"], name="club_one_invitation")
        ]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.event_id}/{self.contact_id} {self.status}"
