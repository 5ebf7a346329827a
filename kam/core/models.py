"""Who works here and what they changed: users with roles, teams, regions, the audit
trail and API tokens. Every other app builds on these."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrator")  # users, imports, everything
    DIRECTOR = "director", _("Director")  # sees and changes all accounts
    SALES_MANAGER = "sales_manager", _("Sales manager")  # the team's accounts
    ACCOUNT_MANAGER = "account_manager", _("Account manager")  # own and account-team accounts
    ANALYST = "analyst", _("Analyst")  # reads everything, writes nothing
    SERVICE_AGENT = "service_agent", _("Service staff")  # the accounts they serve, tickets


class Region(models.Model):
    """A sales region (e.g. East China), used to organise teams and filter accounts."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name


class Team(models.Model):
    """A sales team with its manager; a sales manager sees the accounts of the team."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def __str__(self) -> str:
        return self.name


class Department(models.Model):
    """A back-office department that supports key accounts (customer service, finance,
    logistics, …): service KPIs are counted per department and per person."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    role = models.CharField(
        _("role"), max_length=20, choices=Role.choices, default=Role.ACCOUNT_MANAGER
    )
    team = models.ForeignKey(
        Team,
        verbose_name=_("team"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    region = models.ForeignKey(
        Region, verbose_name=_("region"), null=True, blank=True, on_delete=models.SET_NULL
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )

    class Meta:
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    @property
    def sees_all_accounts(self) -> bool:
        return self.is_superuser or self.role in {
            Role.ADMINISTRATOR,
            Role.DIRECTOR,
            Role.ANALYST,
        }

    @property
    def is_read_only(self) -> bool:
        return self.role == Role.ANALYST and not self.is_superuser

    @property
    def can_import(self) -> bool:
        return not self.is_read_only


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")


class AuditEvent(models.Model):
    """One change to a record: who, when, and each field's old and new value.

    Append-only. `account_id` is a plain integer, not a foreign key, so the history of
    an account outlives the account itself.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        User, verbose_name=_("who"), null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(_("action"), max_length=10, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    object_repr = models.CharField(_("object"), max_length=200)
    account_id = models.BigIntegerField(_("account id"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict)
    source = models.CharField(_("source"), max_length=40, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.object_type} {self.object_repr}"

    def change_rows(self) -> list[tuple[str, Any, Any]]:
        return [(field, pair[0], pair[1]) for field, pair in sorted(self.changes.items())]


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, blank=True)
    prefix = models.CharField(_("prefix"), max_length=8)
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    def is_usable(self) -> bool:
        return self.revoked_at is None and self.expires_at > timezone.now()
