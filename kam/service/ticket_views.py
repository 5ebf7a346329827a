"""Ticket pages (SVC-2): the list with its filters and export, recording a ticket (also
from an account page), the ticket with its two SLA clocks, its workflow steps, handover,
comments, attachments and history, and the account page's ticket section.

Views parse input, check access and call kam.service.tickets; rows come from
visible_tickets / get_ticket_for_user only.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user, visible_accounts
from kam.core.access import require_writer
from kam.core.models import User
from kam.core.views import (
    EXPORT_FORMATS,
    AuthedRequest,
    list_template,
    login_required,
    paginate,
)
from kam.dataio.records import RecordInvalid
from kam.insights.models import Tier
from kam.service.models import EventKind, Ticket, TicketEvent
from kam.service.sla import target_text, ticket_clocks
from kam.service.ticket_forms import (
    ActionForm,
    AttachmentForm,
    CommentForm,
    HandoverForm,
    TicketFilterForm,
    TicketForm,
    contact_choices,
)
from kam.service.tickets import (
    TRANSITIONS,
    TicketConflict,
    account_open_tickets,
    act,
    add_attachment,
    allowed_actions,
    attachment_response,
    change_ticket,
    comment,
    create_ticket,
    export_bytes,
    get_attachment_for_user,
    get_ticket_for_user,
    hand_over,
    handover_candidates,
    may_contribute,
    may_manage_ticket,
    may_record_tickets,
    orphaned_tickets,
    search_tickets,
    ticket_history,
    ticket_values,
    visible_tickets,
    with_clocks,
)

# --- the list -------------------------------------------------------------------------------


def filter_form(request: AuthedRequest) -> TicketFilterForm:
    tickets = visible_tickets(request.user)
    owners = User.objects.filter(pk__in=tickets.values("owner_id")).order_by(
        "first_name", "last_name", "username"
    )
    accounts = Account.objects.filter(pk__in=tickets.values("account_id")).order_by("name", "pk")
    return TicketFilterForm(request.GET, owners=owners, accounts=accounts)


@login_required
def ticket_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    form = filter_form(request)
    rows, sort = search_tickets(user, form.filters())
    page = paginate(request, rows)
    page.object_list = with_clocks(page.object_list)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "may_record": may_record_tickets(user),
        "orphaned": orphaned_tickets(user).count(),
    }
    template = list_template(request, "service/ticket_list.html", "service/ticket_results.html")
    return render(request, template, context)


@login_required
def ticket_export(request: AuthedRequest) -> HttpResponse:
    form = filter_form(request)
    rows, _sort = search_tickets(request.user, form.filters())
    fmt = request.GET.get("format", "csv")
    fmt = fmt if fmt in EXPORT_FORMATS else "csv"
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(export_bytes(rows, fmt), content_type=EXPORT_FORMATS[fmt])
    response["Content-Disposition"] = f'attachment; filename="tickets-{stamp}.{fmt}"'
    return response


# --- recording and changing -----------------------------------------------------------------


def recordable_accounts(user: User) -> QuerySet[Account]:
    return visible_accounts(user).only("pk", "name").order_by("name", "pk")


@login_required
def ticket_create(request: AuthedRequest) -> HttpResponse:
    user = request.user
    require_writer(user)
    chosen = request.POST.get("account") or request.GET.get("account") or ""
    account = get_account_for_user(user, chosen) if chosen else None
    bound = request.method == "POST"
    form = TicketForm(
        request.POST if bound else None,
        request.FILES if bound else None,
        accounts=recordable_accounts(user),
        account=account,
    )
    if bound and form.is_valid():
        if account is None:
            form.add_error("account", _("Choose the customer's account."))
        else:
            try:
                ticket = create_ticket(
                    actor=user,
                    account=account,
                    values=form.values(),
                    upload=form.cleaned_data.get("file"),
                )
            except RecordInvalid as problem:
                form.show_problems(problem)
            else:
                messages.success(
                    request,
                    _("Ticket %(number)s recorded; you own it until you hand it over.")
                    % {"number": ticket.number},
                )
                return redirect(ticket)
    return render(request, "service/ticket_form.html", {"form": form, "account": account})


@login_required
@require_GET
def contact_options(request: AuthedRequest) -> HttpResponse:
    """The <option>s of an account's contacts (the new-ticket form asks when the account
    changes)."""
    chosen = request.GET.get("account") or ""
    account = get_account_for_user(request.user, chosen) if chosen.isdigit() else None
    return render(
        request, "service/ticket_contact_options.html", {"options": contact_choices(account)}
    )


@login_required
def ticket_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = get_ticket_for_user(user, pk, for_write=True)
    if not may_manage_ticket(user, ticket):
        raise PermissionDenied
    current = ticket_values(ticket)
    initial = {**current, "contact": str(ticket.contact_id or "")}
    bound = request.method == "POST"
    form = TicketForm(
        request.POST if bound else None, account=ticket.account, editing=True, initial=initial
    )
    if bound and form.is_valid():
        try:
            change_ticket(actor=user, ticket=ticket, values=form.values())
        except RecordInvalid as problem:
            form.show_problems(problem)
        except TicketConflict as conflict:
            messages.error(request, str(conflict))
            return redirect(ticket)
        else:
            messages.success(request, _("Ticket changed."))
            return redirect(ticket)
    return render(
        request, "service/ticket_form.html", {"form": form, "ticket": ticket, "account": None}
    )


# --- the ticket page -------------------------------------------------------------------------


def detail_context(request: AuthedRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    user = request.user
    clocks = ticket_clocks(ticket)
    actions = allowed_actions(user, ticket)
    may_manage = may_manage_ticket(user, ticket)
    action_forms = [
        (TRANSITIONS[name], forms.get(f"action_{name}") or ActionForm(action=name))
        for name in actions
    ]
    account_visible = visible_accounts(user).filter(pk=ticket.account_id).exists()
    return {
        "ticket": ticket,
        "clocks": clocks,
        "response_target": target_text(ticket.response_minutes),
        "resolution_target": target_text(ticket.resolution_minutes),
        "history": described(ticket_history(ticket)),
        "attachments": ticket.attachments.select_related("uploaded_by"),
        "action_forms": action_forms,
        "may_manage": may_manage and ticket.status != "closed",
        "may_contribute": may_contribute(user, ticket),
        "handover_form": forms.get("handover_form")
        or HandoverForm(candidates=handover_candidates(ticket)),
        "comment_form": forms.get("comment_form") or CommentForm(),
        "attach_form": forms.get("attach_form") or AttachmentForm(),
        "account_visible": account_visible,
    }


def described(events: Iterable[TicketEvent]) -> list[TicketEvent]:
    """The history with each step's details in words (`lines`), in the page's language."""
    items = list(events)
    for event in items:
        event.lines = event_lines(event)  # type: ignore[attr-defined]
    return items


def tier_name(code: str) -> str:
    return str(Tier(code).label) if code in Tier.values else _("no tier")


def event_lines(event: TicketEvent) -> list[str]:
    data = event.data or {}
    kind = event.kind
    if kind == EventKind.CREATED:
        return [
            _(
                "Tier %(tier)s: first response within %(response)s, "
                "resolution within %(resolution)s."
            )
            % {
                "tier": tier_name(data.get("tier", "")),
                "response": target_text(int(data.get("response_minutes", 0))),
                "resolution": target_text(int(data.get("resolution_minutes", 0))),
            }
        ]
    if kind == EventKind.HANDED_OVER:
        return [
            _("From %(from)s to %(to)s.")
            % {"from": person_name(event.from_user), "to": person_name(event.to_user)}
        ]
    if kind == EventKind.RESPONDED and data.get("by") == "wait":
        return [_("Asking the customer counts as the first response.")]
    if kind == EventKind.RESPONDED and data.get("by") == "resolve":
        return [_("Resolved at once: that was the first response too.")]
    if kind == EventKind.TARGETS_CHANGED:
        return targets_lines(data)
    if kind == EventKind.ESCALATED:
        level = LEVEL_WORDS.get(event.level or 0, "")
        names = ", ".join(data.get("recipients") or []) or _("nobody active")
        return [
            _("%(clock)s clock: %(level)s. Told: %(names)s.")
            % {"clock": event.get_clock_display(), "level": level, "names": names}
        ]
    if kind == EventKind.CHANGED:
        return [
            f"{field}: {old or '—'} → {new or '—'}"
            for field, (old, new) in sorted((data.get("changes") or {}).items())
        ]
    if kind == EventKind.RESOLVED and data.get("note"):
        return [str(data["note"])]
    if kind.startswith("survey_"):  # SVC-3: asked, answered, withdrawn
        from kam.service.surveys import event_lines as survey_lines

        return survey_lines(event)
    return []


LEVEL_WORDS = {
    1: gettext_lazy("at risk"),
    2: gettext_lazy("breached"),
    3: gettext_lazy("overdue by more than half the target, escalated to the directors"),
}


def person_name(user: User | None) -> str:
    if user is None:
        return "—"
    return user.get_full_name() or user.username


def targets_lines(data: dict[str, Any]) -> list[str]:
    if data.get("reason") == "tier_change":
        why = _("The account's tier changed from %(from)s to %(to)s.") % {
            "from": tier_name(data.get("from_tier", "")),
            "to": tier_name(data.get("to_tier", "")),
        }
    else:
        why = _("The service policy of tier %(tier)s changed.") % {
            "tier": tier_name(data.get("to_tier", ""))
        }
    before, after = data.get("before") or {}, data.get("after") or {}
    return [
        why,
        _("First response: %(old)s → %(new)s; resolution: %(old_res)s → %(new_res)s.")
        % {
            "old": target_text(int(before.get("response_minutes", 0))),
            "new": target_text(int(after.get("response_minutes", 0))),
            "old_res": target_text(int(before.get("resolution_minutes", 0))),
            "new_res": target_text(int(after.get("resolution_minutes", 0))),
        },
    ]


@login_required
def ticket_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    ticket = get_ticket_for_user(request.user, pk)
    return render(request, "service/ticket_detail.html", detail_context(request, ticket))


def refused(request: AuthedRequest, ticket: Ticket, conflict: TicketConflict) -> HttpResponse:
    messages.error(request, str(conflict))
    return redirect(ticket)


@login_required
@require_POST
def ticket_action(request: AuthedRequest, pk: int, action: str) -> HttpResponse:
    if action not in TRANSITIONS:
        raise Http404("No such action")
    user = request.user
    ticket = get_ticket_for_user(user, pk, for_write=True)
    form = ActionForm(request.POST, action=action)
    form.is_valid()
    data = form.cleaned_data
    try:
        act(
            actor=user,
            ticket=ticket,
            action=action,
            note=data.get("note") or "",
            resolution=data.get("resolution") or "",
        )
    except TicketConflict as conflict:
        return refused(request, ticket, conflict)
    except RecordInvalid as problem:
        form.show_problems(problem)
        context = detail_context(request, ticket, **{f"action_{action}": form})
        return render(request, "service/ticket_detail.html", context, status=422)
    messages.success(request, _("Done: %(step)s.") % {"step": TRANSITIONS[action].label})
    return redirect(ticket)


@login_required
@require_POST
def ticket_handover(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = get_ticket_for_user(user, pk, for_write=True)
    form = HandoverForm(request.POST, candidates=handover_candidates(ticket))
    to = form.chosen()
    try:
        changed = hand_over(
            actor=user, ticket=ticket, to=to, note=form.cleaned_data.get("note") or ""
        )
    except TicketConflict as conflict:
        return refused(request, ticket, conflict)
    except RecordInvalid as problem:
        form.show_problems(problem)
        context = detail_context(request, ticket, handover_form=form)
        return render(request, "service/ticket_detail.html", context, status=422)
    messages.success(
        request,
        _("Ticket %(number)s handed over to %(name)s.")
        % {
            "number": changed.number,
            "name": changed.owner.get_full_name() or changed.owner.username,
        },
    )
    return redirect(changed)


@login_required
@require_POST
def ticket_comment(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = get_ticket_for_user(user, pk, for_write=True)
    form = CommentForm(request.POST)
    form.is_valid()
    try:
        comment(actor=user, ticket=ticket, text=form.cleaned_data.get("text") or "")
    except RecordInvalid as problem:
        form.show_problems(problem)
        context = detail_context(request, ticket, comment_form=form)
        return render(request, "service/ticket_detail.html", context, status=422)
    return redirect(f"{ticket.get_absolute_url()}#history")


@login_required
@require_POST
def ticket_attach(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    ticket = get_ticket_for_user(user, pk, for_write=True)
    form = AttachmentForm(request.POST, request.FILES)
    form.is_valid()
    upload = form.cleaned_data.get("file")
    try:
        if upload is None:
            raise RecordInvalid([])
        add_attachment(actor=user, ticket=ticket, upload=upload)
    except RecordInvalid as problem:
        if problem.problems:
            form.show_problems(problem)
        else:
            form.add_error("file", _("Choose a file to attach."))
        context = detail_context(request, ticket, attach_form=form)
        return render(request, "service/ticket_detail.html", context, status=422)
    messages.success(request, _("File attached."))
    return redirect(f"{ticket.get_absolute_url()}#attachments")


@login_required
@require_GET
def attachment_download(request: AuthedRequest, pk: int, attachment: int) -> HttpResponse:
    found = get_attachment_for_user(request.user, pk, attachment)
    # A streaming response, as login_required allows.
    return cast(HttpResponse, attachment_response(found))


# --- the account page's section -------------------------------------------------------------


@login_required
@require_GET
def account_tickets(request: AuthedRequest, pk: int) -> HttpResponse:
    """The account's open tickets with their clocks: the account page loads it after
    itself (htmx)."""
    user = request.user
    account = get_account_for_user(user, pk)
    context = {
        "account": account,
        "account_tickets": account_open_tickets(user, account),
        "ticket_count": visible_tickets(user).filter(account=account).count(),
        "may_record": may_record_tickets(user),
    }
    return render(request, "service/_account_tickets.html", context)
