"""Satisfaction pages (SVC-3): the results page with its filters, trend and export, the
list of survey requests, recording an answer taken by phone (on a ticket, on an account),
asking a contact by hand, a new link, withdrawing a request, the account page's and the
ticket page's sections — and the customer's public answer page /survey/<token>/.

Views parse input, check access and call kam.service.surveys / survey_results; rows come
from visible_surveys / visible_requests / get_*_for_user only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user, visible_accounts
from kam.contacts.models import Contact
from kam.core.models import User
from kam.core.views import EXPORT_FORMATS, AuthedRequest, list_template, login_required, paginate
from kam.dataio.records import RecordInvalid
from kam.service.models import RequestStatus, SurveyKind, SurveyRequest, Ticket, TicketStatus
from kam.service.survey_forms import (
    AnswerForm,
    AskForm,
    RecordForm,
    RequestFilterForm,
    SatisfactionFilterForm,
)
from kam.service.survey_results import (
    account_satisfaction,
    answer_rows,
    export_bytes,
    latest_comments,
    low_scores,
    satisfaction_results,
    trend_chart,
)
from kam.service.surveys import (
    Asked,
    SurveyClosed,
    answer_by_link,
    ask,
    find_by_token,
    get_request_for_user,
    may_record_surveys,
    record_answer,
    renew_link,
    status_condition,
    visible_requests,
    visible_surveys,
    withdraw_request,
)
from kam.service.tickets import get_ticket_for_user

# --- the results page --------------------------------------------------------------------------


def owners_of(user: User) -> Any:
    return User.objects.filter(pk__in=visible_accounts(user).values("owner_id")).order_by(
        "first_name", "last_name", "username"
    )


@login_required
@require_GET
def satisfaction(request: AuthedRequest) -> HttpResponse:
    """CSAT, NPS and the response rate of the accounts the user sees, by tier, owner and
    month, with the low scores and the latest comments."""
    user = request.user
    form = SatisfactionFilterForm(request.GET, owners=owners_of(user))
    results = satisfaction_results(user, form.filters())
    context = {
        "form": form,
        "results": results,
        "total": results.total,
        "chart": trend_chart(results.by_month),
        "low_scores": low_scores(user, results),
        "comments": latest_comments(user, results),
        "query": request.GET.urlencode(),
    }
    template = list_template(
        request, "service/satisfaction.html", "service/_satisfaction_results.html"
    )
    return render(request, template, context)


@login_required
@require_GET
def satisfaction_export(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = SatisfactionFilterForm(request.GET, owners=owners_of(user))
    results = satisfaction_results(user, form.filters())
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        export_bytes(answer_rows(user, results), fmt), content_type=EXPORT_FORMATS[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="satisfaction-{stamp}.{fmt}"'
    return response


# --- the requests ------------------------------------------------------------------------------


@login_required
@require_GET
def survey_requests(request: AuthedRequest) -> HttpResponse:
    """Every survey asked of the accounts the user sees: waiting, answered, expired or
    withdrawn."""
    user = request.user
    form = RequestFilterForm(request.GET, owners=owners_of(user))
    chosen = form.values()
    rows = visible_requests(user).select_related(
        "account__owner", "contact", "ticket", "survey", "created_by"
    )
    if chosen["status"]:
        rows = rows.filter(status_condition(chosen["status"], timezone.now()))
    if chosen["kind"]:
        rows = rows.filter(kind=chosen["kind"])
    if chosen["owner"]:
        rows = rows.filter(account__owner__username=chosen["owner"])
    if chosen["q"]:
        rows = rows.filter(account__name__icontains=chosen["q"])
    page = paginate(request, rows.order_by("-created_at", "-pk"))
    context = {"form": form, "page": page, "may_record": may_record_surveys(user)}
    template = list_template(
        request, "service/survey_requests.html", "service/_survey_request_results.html"
    )
    return render(request, template, context)


def back_to(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


def show_link(request: AuthedRequest, asked: Asked, back: str) -> HttpResponse:
    """The link, shown this once (only its hash is kept)."""
    context = {
        "asked": asked,
        "survey_request": asked.request,
        "url": request.build_absolute_uri(asked.url)
        if not asked.url.startswith("http")
        else asked.url,
        "back": back,
    }
    response = render(request, "service/survey_link.html", context)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def renew(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_request_for_user(request.user, pk, for_write=True)
    back = back_to(request, found.account.get_absolute_url())
    try:
        asked = renew_link(actor=request.user, request=found)
    except SurveyClosed as closed:
        messages.error(request, closed_text(closed.status))
        return redirect(back)
    return show_link(request, asked, back)


@login_required
@require_POST
def withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    found = get_request_for_user(request.user, pk, for_write=True)
    back = back_to(request, found.account.get_absolute_url())
    try:
        withdraw_request(actor=request.user, request=found)
    except SurveyClosed as closed:
        messages.error(request, closed_text(closed.status))
    else:
        messages.success(request, _("The survey was withdrawn; its link no longer works."))
    return redirect(back)


def closed_text(status: str) -> str:
    if status == RequestStatus.ANSWERED:
        return _("This survey has been answered already.")
    if status == RequestStatus.EXPIRED:
        return _("This survey has expired.")
    return _("This survey was withdrawn.")


# --- recording an answer, asking ---------------------------------------------------------------


def account_or_404(user: User, pk: int | str) -> Account:
    """The account if the user sees it, and may record (else 403 for analysts)."""
    account = get_account_for_user(user, pk)
    if not may_record_surveys(user):
        raise PermissionDenied
    return account


def record_page(
    request: AuthedRequest,
    *,
    account: Account,
    kind: str,
    ticket: Ticket | None,
    back: str,
    initial: dict[str, Any],
) -> HttpResponse:
    bound = request.method == "POST"
    form = RecordForm(request.POST if bound else None, account=account, initial=initial)
    if bound and form.is_valid():
        try:
            survey = record_answer(
                actor=request.user,
                account=account,
                kind=kind,
                values=form.values(),
                ticket=ticket,
            )
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            text = _("The customer's answer was recorded.")
            if survey.follow_up_id:
                text += " " + _(
                    "It is a low score: a follow-up call is planned for the account owner."
                )
            messages.success(request, text)
            return redirect(back)
    context = {"form": form, "account": account, "ticket": ticket, "kind": kind, "back": back}
    return render(
        request, "service/survey_record.html", context, status=422 if form.errors else 200
    )


@login_required
def record_for_ticket(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record the customer's answer about a resolved or closed ticket."""
    user = request.user
    ticket = get_ticket_for_user(user, pk)
    account = account_or_404(user, ticket.account_id)
    back = f"{ticket.get_absolute_url()}#survey"
    if ticket.status not in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
        messages.error(request, _("Ask how it went once the ticket is resolved."))
        return redirect(back)
    initial = {"contact": str(ticket.contact_id or "")}
    return record_page(
        request, account=account, kind=SurveyKind.TICKET, ticket=ticket, back=back, initial=initial
    )


@login_required
def record_for_account(request: AuthedRequest, pk: int) -> HttpResponse:
    """Record a relationship survey answer (taken by phone or on a visit)."""
    user = request.user
    account = account_or_404(user, pk)
    back = f"{account.get_absolute_url()}#satisfaction"
    initial = {"contact": request.GET.get("contact", "")}
    return record_page(
        request,
        account=account,
        kind=SurveyKind.RELATIONSHIP,
        ticket=None,
        back=back,
        initial=initial,
    )


@login_required
def ask_for_account(request: AuthedRequest, pk: int) -> HttpResponse:
    """Ask a contact for a relationship survey now: the link is emailed (when it can be)
    and shown once."""
    user = request.user
    account = account_or_404(user, pk)
    back = f"{account.get_absolute_url()}#satisfaction"
    bound = request.method == "POST"
    form = AskForm(request.POST if bound else None, account=account)
    if bound and form.is_valid():
        key = form.cleaned_data.get("contact") or ""
        contact = Contact.objects.filter(account=account, pk=key).first() if key.isdigit() else None
        try:
            asked = ask(
                actor=user, account=account, contact=contact, send=bool(form.cleaned_data["send"])
            )
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            return show_link(request, asked, back)
    context = {"form": form, "account": account, "back": back}
    return render(request, "service/survey_ask.html", context)


# --- the sections of the account and ticket pages ---------------------------------------------


@login_required
@require_GET
def account_section(request: AuthedRequest, pk: int) -> HttpResponse:
    """The account page's satisfaction section (loaded after the page, htmx)."""
    user = request.user
    account = get_account_for_user(user, pk)
    summary = account_satisfaction(user, account)
    context = {
        "account": account,
        "summary": summary,
        "figures": summary.figures,
        "may_record": may_record_surveys(user),
        "satisfaction_loaded": True,
    }
    return render(request, "service/_account_satisfaction.html", context)


@login_required
@require_GET
def ticket_section(request: AuthedRequest, pk: int) -> HttpResponse:
    """The ticket page's survey section (loaded after the page, htmx): what was asked,
    what the customer answered, and the buttons to record or resend."""
    user = request.user
    ticket = get_ticket_for_user(user, pk)
    account_visible = visible_accounts(user).filter(pk=ticket.account_id).exists()
    requests: list[SurveyRequest] = []
    answers = []
    if account_visible:
        requests = list(
            SurveyRequest.objects.filter(ticket=ticket)
            .select_related("contact", "survey")
            .order_by("-created_at", "-pk")
        )
        answers = list(
            visible_surveys(user)
            .filter(ticket=ticket)
            .select_related("contact", "recorded_by", "follow_up")
            .order_by("-responded_at", "-pk")
        )
    done = ticket.status in (TicketStatus.RESOLVED, TicketStatus.CLOSED)
    context = {
        "ticket": ticket,
        "account_visible": account_visible,
        "requests": requests,
        "answers": answers,
        "may_record": account_visible and done and may_record_surveys(user),
        "may_write": account_visible and may_record_surveys(user),
        "survey_loaded": True,
        "back": f"{ticket.get_absolute_url()}#survey",
    }
    return render(request, "service/_ticket_survey.html", context)


# --- the customer's page ------------------------------------------------------------------------


def public_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    response = render(request, template, context, status=status)
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    # The link's token never leaves in a Referer: the site's policy is same-origin, and
    # the page links nowhere else (no-referrer would make browsers send "Origin: null",
    # which the CSRF check rightly refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


@never_cache
def answer(request: HttpRequest, token: str) -> HttpResponse:
    """The customer's answer page (no login): CSAT 1–5, NPS 0–10 and a comment, once.
    An unknown link is a 404 that says nothing about any survey."""
    found = find_by_token(token)
    if found is None:
        return public_page(request, "service/survey_public_closed.html", {"state": "unknown"}, 404)
    state = found.status
    if state != RequestStatus.OPEN:
        return public_page(
            request, "service/survey_public_closed.html", {"state": state, "found": found}
        )
    form = AnswerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            answer_by_link(token, form.values())
        except RecordInvalid as problem:
            form.show_problems(problem)
        except SurveyClosed:
            pass  # answered in another tab a moment ago: the thanks page says so
        except Http404:
            return public_page(
                request, "service/survey_public_closed.html", {"state": "unknown"}, 404
            )
        else:
            return redirect(reverse("survey:answer", args=[token]))
        if not form.errors:
            return redirect(reverse("survey:answer", args=[token]))
    elif request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    context = {"form": form, "found": found, "ticket": found.ticket}
    status = 422 if form.errors else 200
    return public_page(request, "service/survey_public.html", context, status)
