"""Telling people things: in-app notifications, and the same by email when the
deployment has a mail server (Django's EMAIL_* settings; see README, configuration).

`notify` is the one way to write a notification. A notification belongs to its
recipient: nobody else lists or reads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone, translation

from kam.core.models import User
from kam.notifications.messages import is_known, render
from kam.notifications.models import Notification

log = logging.getLogger(__name__)


def notify(
    recipients: Iterable[User | None],
    code: str,
    params: dict[str, Any] | None = None,
    *,
    link: str = "",
    account_id: int | None = None,
    email: bool = True,
) -> list[Notification]:
    """Tell each (distinct, active) recipient; None entries are skipped. The emails go out
    once the surrounding transaction commits, so a rolled-back change sends nothing."""
    if not is_known(code):
        raise ValueError(f"unknown notification message {code!r}")
    people = distinct_active(recipients)
    created = [
        Notification.objects.create(
            recipient=person,
            code=code,
            params=params or {},
            link=link,
            account_id=account_id,
        )
        for person in people
    ]
    if email and settings.KAM_EMAIL_NOTIFICATIONS:
        ids = [note.pk for note in created if note.recipient.email]
        if ids:
            transaction.on_commit(partial(send_emails, ids))
    return created


def distinct_active(recipients: Iterable[User | None]) -> list[User]:
    seen: set[int] = set()
    people = []
    for person in recipients:
        if person is None or not person.is_active or person.pk in seen:
            continue
        seen.add(person.pk)
        people.append(person)
    return people


def send_emails(notification_ids: list[int]) -> None:
    """Email each notification to its recipient; a mail server that fails is logged and
    leaves the in-app notification in place."""
    notes = Notification.objects.filter(pk__in=notification_ids, emailed_at__isnull=True)
    for note in notes.select_related("recipient"):
        try:
            send_one(note)
        except Exception:
            log.exception("notification %s could not be emailed", note.pk)


def send_one(note: Notification) -> None:
    with translation.override(settings.LANGUAGE_CODE):
        text = render(note.code, note.params)
    body = text
    if note.link and settings.KAM_SITE_URL:
        body = f"{text}\n\n{settings.KAM_SITE_URL.rstrip('/')}{note.link}"
    send_mail(
        subject=f"[KAM] {text[:120]}",
        message=body,
        from_email=None,
        recipient_list=[note.recipient.email],
    )
    note.emailed_at = timezone.now()
    note.save(update_fields=["emailed_at"])


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's own notifications, newest first."""
    return Notification.objects.filter(recipient=user)


def unread_count(user: User) -> int:
    if not user.is_authenticated:
        return 0
    return notifications_for(user).filter(read_at__isnull=True).count()


def get_notification_for_user(user: User, pk: int | str) -> Notification:
    found = notifications_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("No such notification")
    return found


def mark_read(user: User, note: Notification) -> Notification:
    if note.recipient_id != user.pk:
        raise Http404("No such notification")
    if note.read_at is None:
        note.read_at = timezone.now()
        note.save(update_fields=["read_at"])
    return note


def mark_all_read(user: User) -> int:
    return notifications_for(user).filter(read_at__isnull=True).update(read_at=timezone.now())
