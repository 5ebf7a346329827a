"""Relationship pages (REL-1 … REL-3): the activity list with filters and export, logging
and editing activities (also quickly, from the account and contact pages), the account's
timeline and relationship sections, the buying-centre map, the visit cadence of a team,
the calendar, the overdue visits on the home page and the gift register for directors.

Views parse input, check access through the services' helpers and call the services.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user, visible_accounts
from kam.contacts.models import Contact
from kam.contacts.services import get_contact_for_user
from kam.core.models import User
from kam.core.views import (
    EXPORT_FORMATS,
    AuthedRequest,
    form_data,
    list_template,
    login_required,
    paginate,
    sort_rows,
)
from kam.dataio.records import RecordInvalid
from kam.relations import services
from kam.relations.forms import (
    ACTIVITY_SORTS,
    ActivityFilterForm,
    ActivityForm,
    CadenceFilterForm,
    CompleteForm,
    initial_for,
)
from kam.relations.models import Activity

TIMELINE_ROWS = 10
HOME_ROWS = 8


def active_users() -> Any:
    return User.objects.filter(is_active=True).order_by("username")


def owners_of(user: User) -> Any:
    accounts = visible_accounts(user)
    return User.objects.filter(pk__in=accounts.values("owner_id")).order_by("username")


def download(data: bytes, fmt: str, stem: str) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(data, content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="{stem}-{stamp}.{fmt}"'
    return response


def export_format(request: AuthedRequest) -> str:
    fmt = request.GET.get("format", "csv")
    return fmt if fmt in EXPORT_FORMATS else "csv"


# --- the activity list -------------------------------------------------------------------------


@login_required
def activity_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ActivityFilterForm(request.GET, owners=owners_of(user))
    rows = form.filter(services.visible_activities(user))
    rows, sort = sort_rows(rows, form.sort_key, ACTIVITY_SORTS, "-starts_at")
    page = paginate(request, services.with_people(rows))
    account = None
    if form.cleaned_data.get("account"):
        account = visible_accounts(user).filter(pk=form.cleaned_data["account"]).first()
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "account": account,
        "can_write": not user.is_read_only,
        "may_see_register": services.may_see_gift_register(user),
    }
    template = list_template(
        request, "relations/activity_list.html", "relations/_activity_results.html"
    )
    return render(request, template, context)


@login_required
def activity_export(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = ActivityFilterForm(request.GET, owners=owners_of(user))
    rows = form.filter(services.visible_activities(user)).order_by("-starts_at", "-pk")
    fmt = export_format(request)
    data = services.table_bytes(services.EXPORT_HEADER, services.export_rows(rows), fmt)
    return download(data, fmt, "activities")


# --- one activity -------------------------------------------------------------------------------


@login_required
def activity_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = services.get_activity_for_user(user, pk)
    context = {
        "activity": activity,
        "history": services.activity_history(activity)[:50],
        "can_write": not user.is_read_only,
        "complete_form": CompleteForm(initial={"sentiment": activity.sentiment}),
    }
    return render(request, "relations/activity_detail.html", context)


def save_from_form(
    request: AuthedRequest,
    form: ActivityForm,
    account: Account,
    activity: Activity | None,
    contact: Contact | None = None,
) -> Activity | None:
    """Check and save what the form sent; None with the problems on the form. Logged from
    a contact's page, the activity is with that contact unless others are chosen."""
    raw = form.raw()
    if contact is not None and not raw.get("contacts"):
        raw["contacts"] = [str(contact.pk)]
    try:
        draft = services.clean_activity(
            raw, actor=request.user, account=account, activity=activity, contacts_by="pk"
        )
        return services.save_activity(
            actor=request.user,
            account=account,
            draft=draft,
            activity=activity,
            acknowledge=form.acknowledged,
        )
    except RecordInvalid as problem:
        form.show_problems(problem)
    except services.GiftLimitExceeded as exceeded:
        form.show_limit(exceeded.lines())
    return None


@login_required
def activity_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    contact = None
    if request.GET.get("contact"):
        contact = get_contact_for_user(user, request.GET["contact"], for_write=True)
        account = contact.account
    else:
        account = get_account_for_user(user, request.GET.get("account", ""), for_write=True)
    form = ActivityForm(
        form_data(request),
        initial=initial_for(None, actor=user, contact=contact),
        account=account,
        users=active_users(),
    )
    if form.is_bound and form.is_valid():
        activity = save_from_form(request, form, account, None)
        if activity is not None:
            messages.success(
                request, _("Activity “%(subject)s” logged.") % {"subject": activity.subject}
            )
            return redirect(activity)
    context = {"form": form, "activity": None, "account": account}
    return render(request, "relations/activity_form.html", context)


@login_required
def activity_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    activity = services.get_activity_for_user(user, pk, for_write=True)
    form = ActivityForm(
        form_data(request),
        initial=initial_for(activity, actor=user),
        account=activity.account,
        users=active_users(),
    )
    if form.is_bound and form.is_valid():
        saved = save_from_form(request, form, activity.account, activity)
        if saved is not None:
            messages.success(
                request, _("Activity “%(subject)s” saved.") % {"subject": saved.subject}
            )
            return redirect(saved)
    context = {"form": form, "activity": activity, "account": activity.account}
    return render(request, "relations/activity_form.html", context)


@login_required
@require_POST
def activity_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = services.get_activity_for_user(request.user, pk, for_write=True)
    form = CompleteForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    try:
        services.complete_activity(
            actor=request.user,
            activity=activity,
            outcome=data.get("outcome") or activity.outcome,
            sentiment=data.get("sentiment") or activity.sentiment,
        )
    except RecordInvalid as problem:
        messages.error(request, str(problem))
    else:
        messages.success(request, _("Marked done."))
    return redirect(activity)


@login_required
@require_POST
def activity_cancel(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = services.get_activity_for_user(request.user, pk, for_write=True)
    services.cancel_activity(actor=request.user, activity=activity)
    messages.success(request, _("Activity cancelled."))
    return redirect(activity)


@login_required
@require_POST
def activity_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    activity = services.get_activity_for_user(request.user, pk, for_write=True)
    account = activity.account
    try:
        services.delete_activity(actor=request.user, activity=activity)
    except services.ActivityKept:
        messages.error(request, _("A done activity is kept: change it or cancel it instead."))
        return redirect(activity)
    messages.success(request, _("Activity deleted."))
    return redirect(account.get_absolute_url() + "#activities")


# --- the timeline sections of the account and contact pages, with quick logging ------------------


def timeline_context(
    request: AuthedRequest,
    account: Account,
    *,
    contact: Contact | None = None,
    form: ActivityForm | None = None,
    logged: Activity | None = None,
) -> dict[str, Any]:
    user = request.user
    if contact is not None:
        rows, count = services.contact_timeline(user, contact, TIMELINE_ROWS)
    else:
        rows, count = services.account_timeline(user, account, TIMELINE_ROWS)
    can_write = not user.is_read_only
    if form is None and can_write:
        form = ActivityForm(
            initial=initial_for(None, actor=user, contact=contact),
            account=account,
            users=User.objects.none(),
            quick=True,
        )
    return {
        "account": account,
        "contact": contact,
        "timeline": rows,
        "timeline_count": count,
        "quick_form": form,
        "can_write": can_write,
        "logged": logged,
        "timeline_loaded": True,
    }


def section(request: AuthedRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """The section alone for htmx, or inside a page of its own for a plain request."""
    if request.htmx and not request.htmx.boosted:
        return render(request, template, context)
    return render(request, "relations/section_page.html", {**context, "section_template": template})


@login_required
def account_activities(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    return section(
        request, "relations/_account_activities.html", timeline_context(request, account)
    )


@login_required
def contact_activities(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_contact_for_user(request.user, pk)
    context = timeline_context(request, contact.account, contact=contact)
    return section(request, "relations/_contact_activities.html", context)


def quick_log(
    request: AuthedRequest, account: Account, contact: Contact | None, template: str, back: str
) -> HttpResponse:
    form = ActivityForm(request.POST, account=account, users=User.objects.none(), quick=True)
    logged = save_from_form(request, form, account, None, contact) if form.is_valid() else None
    if logged is not None and not request.htmx:
        messages.success(request, _("Activity “%(subject)s” logged.") % {"subject": logged.subject})
        return redirect(back)
    context = timeline_context(
        request, account, contact=contact, form=None if logged else form, logged=logged
    )
    return section(request, template, context)


@login_required
@require_POST
def account_log(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk, for_write=True)
    back = account.get_absolute_url() + "#activities"
    return quick_log(request, account, None, "relations/_account_activities.html", back)


@login_required
@require_POST
def contact_log(request: AuthedRequest, pk: int) -> HttpResponse:
    contact = get_contact_for_user(request.user, pk, for_write=True)
    back = contact.get_absolute_url() + "#activities"
    return quick_log(request, contact.account, contact, "relations/_contact_activities.html", back)


# --- the buying-centre map -----------------------------------------------------------------------


@login_required
def account_relationship(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = {"account": account, "centre": services.buying_centre(account)}
    return section(request, "relations/_account_relationship.html", context)


@login_required
def account_map(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    centre = services.buying_centre(account)
    context = {"account": account, "centre": centre, "roles": services.role_rows(centre)}
    return render(request, "relations/account_map.html", context)


# --- visit cadence, the home page's overdue visits and the calendar ------------------------------


@login_required
def cadence_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = CadenceFilterForm(request.GET, owners=owners_of(user))
    criteria = form.criteria()
    rows = services.cadence_for_user(user, **criteria)
    context = {
        "form": form,
        "owners": services.per_owner(rows),
        "page": paginate_list(request, rows),
        "row_count": len(rows),
        "today": timezone.localdate(),
    }
    template = list_template(request, "relations/cadence.html", "relations/_cadence_results.html")
    return render(request, template, context)


def paginate_list(request: AuthedRequest, rows: list[Any]) -> Any:
    from django.conf import settings
    from django.core.paginator import Paginator

    return Paginator(rows, settings.KAM_PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def home_overdue(request: AuthedRequest) -> HttpResponse:
    """The home page's part: the user's own accounts whose visit is overdue (htmx)."""
    user = request.user
    rows = services.cadence_for_user(user, owner=user.username, show="overdue")
    context = {"overdue_rows": rows[:HOME_ROWS], "overdue_total": len(rows), "overdue_loaded": True}
    return section(request, "relations/_home_overdue.html", context)


def month_of(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(f"{text}-01")
    except ValueError:
        return timezone.localdate().replace(day=1)


@login_required
def calendar_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    first = month_of(request.GET.get("month", ""))
    scope = "team" if request.GET.get("scope") == "team" else "mine"
    previous = (first - dt.timedelta(days=1)).replace(day=1)
    following = (first + dt.timedelta(days=32)).replace(day=1)
    context = {
        "weeks": services.calendar_month(user, first, scope),
        "first": first,
        "scope": scope,
        "previous": previous.strftime("%Y-%m"),
        "following": following.strftime("%Y-%m"),
        "today": timezone.localdate(),
        "weekdays": [dt.date(2024, 1, day) for day in range(1, 8)],  # Monday … Sunday
    }
    return render(request, "relations/calendar.html", context)


# --- gifts and entertainment for directors -------------------------------------------------------


def register_year(request: AuthedRequest) -> int:
    text = request.GET.get("year", "")
    year = int(text) if text.isdigit() and 1900 <= int(text) <= 2199 else timezone.localdate().year
    return year


@login_required
def gift_register_page(request: AuthedRequest) -> HttpResponse:
    if not services.may_see_gift_register(request.user):
        raise PermissionDenied
    year = register_year(request)
    entries = services.gift_register(year)
    context = {
        "year": year,
        "entries": entries,
        "limit": services.gift_limit(),
        "over": sum(1 for e in entries if e.over_limit),
        "years": range(timezone.localdate().year + 1, timezone.localdate().year - 5, -1),
    }
    return render(request, "relations/gift_register.html", context)


@login_required
def gift_register_export(request: AuthedRequest) -> HttpResponse:
    if not services.may_see_gift_register(request.user):
        raise PermissionDenied
    year = register_year(request)
    fmt = export_format(request)
    rows = services.register_rows(year, services.gift_register(year))
    return download(services.table_bytes(services.REGISTER_HEADER, rows, fmt), fmt, f"gifts-{year}")
