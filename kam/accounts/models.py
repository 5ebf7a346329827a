"""The customer archive (DATA-1, DATA-2): accounts, their place in a group, the tags
that label them and the people of ours who work on them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kam.core.text import normalise_company_name


class Industry(models.TextChoices):
    MANUFACTURING = "manufacturing", _("Manufacturing")
    TELECOM = "telecom", _("Telecommunications")
    FINANCE = "finance", _("Banking and finance")
    HEALTHCARE = "healthcare", _("Healthcare and medical devices")
    ENERGY = "energy", _("Energy and utilities")
    RETAIL = "retail", _("Retail and consumer goods")
    LOGISTICS = "logistics", _("Transport and logistics")
    CONSTRUCTION = "construction", _("Construction and real estate")
    IT = "it", _("IT and software")
    GOVERNMENT = "government", _("Government and public sector")
    EDUCATION = "education", _("Education")
    CHEMICALS = "chemicals", _("Chemicals and materials")
    AUTOMOTIVE = "automotive", _("Automotive")
    FOOD = "food", _("Food and beverage")
    AGRICULTURE = "agriculture", _("Agriculture")
    OTHER = "other", _("Other")


class OwnershipType(models.TextChoices):
    # The seeds: state-owned, private and foreign-invested firms each buy differently.
    STATE_OWNED = "state_owned", _("State-owned")
    PRIVATE = "private", _("Private")
    FOREIGN_INVESTED = "foreign_invested", _("Foreign-invested")
    JOINT_VENTURE = "joint_venture", _("Joint venture")
    COLLECTIVE = "collective", _("Collective")
    PUBLIC_INSTITUTION = "public_institution", _("Public institution")
    OTHER = "other", _("Other")


class CreditRating(models.TextChoices):
    AAA = "AAA", "AAA"
    AA = "AA", "AA"
    A = "A", "A"
    BBB = "BBB", "BBB"
    BB = "BB", "BB"
    B = "B", "B"
    C = "C", "C"
    UNRATED = "unrated", _("Unrated")


class AccountStatus(models.TextChoices):
    PROSPECT = "prospect", _("Prospect")  # no order yet
    ACTIVE = "active", _("Active")  # buying
    DORMANT = "dormant", _("Dormant")  # stopped buying, not lost
    LOST = "lost", _("Lost")  # gone to a competitor or closed


class HierarchyLevel(models.TextChoices):
    GROUP = "group", _("Group")  # a group headquarters with subsidiaries
    SUBSIDIARY = "subsidiary", _("Subsidiary")
    BRANCH = "branch", _("Branch")
    STANDALONE = "standalone", _("Standalone company")


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Account(models.Model):
    external_id = models.CharField(
        _("external id"),
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        help_text=_("The key of this customer in your ERP; imports update by it."),
    )
    name = models.CharField(_("name"), max_length=200)
    name_key = models.CharField(_("normalised name"), max_length=200, db_index=True, editable=False)
    industry = models.CharField(
        _("industry"), max_length=20, choices=Industry.choices, default=Industry.OTHER
    )
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    annual_revenue = models.DecimalField(
        _("annual revenue"), max_digits=18, decimal_places=2, null=True, blank=True
    )
    country = models.CharField(
        _("country"), max_length=2, default="CN", help_text=_("ISO 3166 code")
    )
    province = models.CharField(_("province / state"), max_length=60, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    region = models.ForeignKey(
        "core.Region",
        verbose_name=_("sales region"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
    )
    ownership_type = models.CharField(
        _("ownership type"),
        max_length=20,
        choices=OwnershipType.choices,
        default=OwnershipType.PRIVATE,
    )
    credit_rating = models.CharField(
        _("credit rating"),
        max_length=8,
        choices=CreditRating.choices,
        default=CreditRating.UNRATED,
    )
    credit_limit = models.DecimalField(
        _("credit limit"), max_digits=16, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="accounts")
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent account"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    hierarchy_level = models.CharField(
        _("hierarchy level"),
        max_length=12,
        choices=HierarchyLevel.choices,
        default=HierarchyLevel.STANDALONE,
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_accounts",
    )
    team_members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("account team"),
        through="AccountTeamMember",
        related_name="team_accounts",
        blank=True,
    )
    website = models.CharField(_("website"), max_length=200, blank=True)
    business_situation = models.TextField(_("business situation"), blank=True)
    decision_process = models.TextField(_("decision process"), blank=True)
    latent_needs = models.TextField(_("latent needs"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["industry"]),
            models.Index(fields=["ownership_type"]),
            models.Index(fields=["province"]),
            models.Index(fields=["owner", "name"]),
        ]
        verbose_name = _("account")
        verbose_name_plural = _("accounts")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = normalise_company_name(self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("accounts:detail", args=[self.pk])

    def ancestors(self) -> list[Account]:
        chain: list[Account] = []
        node = self.parent
        while node is not None and node not in chain:
            chain.append(node)
            node = node.parent
        return chain[::-1]


class TeamRole(models.TextChoices):
    SALES = "sales", _("Sales")
    MARKETING = "marketing", _("Marketing planner")
    TECHNICAL = "technical", _("Technical support")
    SERVICE = "service", _("After-sales service")
    EXECUTIVE = "executive", _("Executive sponsor")


class AccountTeamMember(models.Model):
    """A colleague on the account team besides the owner; they see the account too."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE
    )
    role = models.CharField(
        _("role"), max_length=12, choices=TeamRole.choices, default=TeamRole.SALES
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "user"], name="unique_account_team_member")
        ]
        verbose_name = _("account team member")
        verbose_name_plural = _("account team members")

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()}"
