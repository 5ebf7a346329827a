"""In-app notifications: what the system tells one person (a ticket about to breach its
SLA, an account that changed tier, a low satisfaction score).

A notification stores a message code and its figures, not finished text, so it reads in
whatever language the recipient's page is in (see kam.notifications.messages).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    code = models.CharField(_("message"), max_length=60)
    params = models.JSONField(_("figures"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=300, blank=True)
    account_id = models.BigIntegerField(_("account id"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"])]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.code}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
