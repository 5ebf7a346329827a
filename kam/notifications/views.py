"""The notifications page: the signed-in user's own notifications, newest first."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from kam.core.views import AuthedRequest, login_required, paginate
from kam.notifications.messages import render as render_message
from kam.notifications.services import (
    get_notification_for_user,
    mark_all_read,
    mark_read,
    notifications_for,
)


@login_required
def notification_list(request: AuthedRequest) -> HttpResponse:
    rows = notifications_for(request.user)
    if request.GET.get("unread"):
        rows = rows.filter(read_at__isnull=True)
    page = paginate(request, rows)
    for note in page.object_list:
        note.text = render_message(note.code, note.params)
    return render(
        request,
        "notifications/list.html",
        {"page": page, "unread_only": bool(request.GET.get("unread"))},
    )


@login_required
@require_POST
def open_notification(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark it read and go where it points (only within this site)."""
    note = mark_read(request.user, get_notification_for_user(request.user, pk))
    allowed = {request.get_host()}
    if note.link and url_has_allowed_host_and_scheme(note.link, allowed_hosts=allowed):
        return redirect(note.link)
    return redirect("notifications:list")


@login_required
@require_POST
def read_all(request: AuthedRequest) -> HttpResponse:
    mark_all_read(request.user)
    return redirect("notifications:list")
