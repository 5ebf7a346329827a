"""The API of notifications: a user's own, and marking them read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from kam.core.api import actor
from kam.core.schemas import ErrorOut, PageParams, RecordId, paginate
from kam.notifications.messages import render
from kam.notifications.models import Notification
from kam.notifications.services import (
    get_notification_for_user,
    mark_all_read,
    mark_read,
    notifications_for,
)

router = Router(tags=["notifications"])

ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}


class NotificationOut(Schema):
    id: int
    created_at: dt.datetime
    code: str = Field(description="What kind of message this is (stable).")
    text: str = Field(description="The message in the request's language.")
    params: dict[str, Any] = Field(description="The figures the message quotes.")
    link: str = Field(description="The page it is about (a path on this site), or empty.")
    account_id: int | None
    read: bool

    @staticmethod
    def resolve_text(note: Notification) -> str:
        return render(note.code, note.params)

    @staticmethod
    def resolve_read(note: Notification) -> bool:
        return note.is_read


class NotificationPage(Schema):
    count: int
    unread: int
    items: list[NotificationOut]


class NotificationFilter(PageParams):
    unread: bool = Field(False, description="Only the unread ones.")


class ReadAllOut(Schema):
    marked: int


@router.get(
    "/notifications",
    response={200: NotificationPage, 401: ErrorOut, 422: ErrorOut},
    summary="Your notifications, newest first",
)
def list_notifications(request: HttpRequest, filters: Query[NotificationFilter]) -> dict[str, Any]:
    user = actor(request)
    rows = notifications_for(user)
    unread = rows.filter(read_at__isnull=True)
    shown = unread if filters.unread else rows
    return {**paginate(shown, filters), "unread": unread.count()}


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, **ERRORS},
    summary="Mark one of your notifications read",
)
def read_notification(request: HttpRequest, notification_id: RecordId) -> Notification:
    user = actor(request)
    return mark_read(user, get_notification_for_user(user, notification_id))


@router.post(
    "/notifications/read-all",
    response={200: ReadAllOut, 401: ErrorOut},
    summary="Mark all your notifications read",
)
def read_all_notifications(request: HttpRequest) -> dict[str, int]:
    return {"marked": mark_all_read(actor(request))}
