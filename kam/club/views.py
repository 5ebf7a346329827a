"""Club pages (REL-5): the overview, the members, a member's ledger with its forms, the
account page's club section, the benefits, the events with their invitations, the rules.

Views parse input, check access through the club's helpers and call kam.club.services;
refusals come back as messages on the page they were sent from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user, visible_accounts
from kam.club.forms import (
    AdjustForm,
    BenefitForm,
    EventForm,
    JoinForm,
    MemberFilterForm,
    RedeemForm,
    ReferralForm,
    RulesForm,
)
from kam.club.models import (
    Benefit,
    ClubEvent,
    InvitationStatus,
    Membership,
    PointsRules,
)
from kam.club.services import (
    ClubRefused,
    NameTaken,
    account_club,
    add_seats,
    adjust,
    benefit_values,
    club_overview,
    event_points,
    event_values,
    filter_level,
    get_benefit_for_user,
    get_event_for_user,
    get_invitation_for_user,
    invitable_contacts,
    invite,
    join,
    leave,
    ledger,
    level_history,
    level_label,
    level_of_tier,
    may_manage_club,
    membership_of,
    record_attendance,
    record_referral,
    redeem,
    require_club_manager,
    respond,
    rules_history,
    rules_values,
    save_benefit,
    save_event,
    save_rules,
    tiers_of,
    visible_benefits,
    visible_events,
    visible_invitations,
    visible_memberships,
    with_balance,
    with_tier,
)
from kam.core.views import AuthedRequest, form_data, login_required, paginate, require_write
from kam.dataio.records import RecordInvalid

LEDGER_ROWS = 200  # on the member page; the API pages through all of them


def refused_message(request: AuthedRequest, problem: Exception) -> None:
    if isinstance(problem, ClubRefused):
        messages.error(request, problem.message)
    elif isinstance(problem, RecordInvalid):
        for name, message in problem.by_field().items():
            messages.error(request, f"{name}: {message}" if name else message)
    else:  # pragma: no cover - callers pass only the two above
        raise problem


def attempt(request: AuthedRequest, action: Callable[[], Any], done: str) -> bool:
    """Run a write; say `done` when it worked, the reason when a rule refused it."""
    try:
        action()
    except (ClubRefused, RecordInvalid) as problem:
        refused_message(request, problem)
        return False
    messages.success(request, done)
    return True


def safe_next(request: AuthedRequest, fallback: str) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


# --- the overview and the members -------------------------------------------------------------


@login_required
def overview(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "overview": club_overview(user),
        "rules": PointsRules.load(),
        "may_manage": may_manage_club(user),
    }
    return render(request, "club/overview.html", context)


@login_required
def member_list(request: AuthedRequest) -> HttpResponse:
    form = MemberFilterForm(request.GET or None)
    form.is_valid()
    chosen = form.cleaned_data if form.is_bound else {}
    rows = with_tier(visible_memberships(request.user)).select_related("account", "account__owner")
    if chosen.get("level"):
        rows = filter_level(rows, chosen["level"])
    status = chosen.get("status") or ""
    if status == "left":
        rows = rows.filter(left_on__isnull=False)
    elif status != "all":
        rows = rows.filter(left_on__isnull=True)
    page = paginate(request, with_balance(rows).order_by("account__name", "pk"))
    for membership in page.object_list:
        membership.level = level_of_tier(membership.tier)
        membership.level_label = level_label(membership.level)
    return render(request, "club/members.html", {"page": page, "form": form})


# --- one member -------------------------------------------------------------------------------


@login_required
def member_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk)
    membership = membership_of(account)
    level = level_of_tier(tiers_of([account.pk])[account.pk])
    may_write = not user.is_read_only and user.is_active
    context: dict[str, Any] = {
        "account": account,
        "membership": membership,
        "level": level,
        "level_label": level_label(level),
        "may_write": may_write,
        "may_manage": may_manage_club(user),
        "join_form": JoinForm(initial={"joined_on": timezone.localdate()}),
    }
    if membership is not None:
        entries = list(ledger(membership)[:LEDGER_ROWS])
        context.update(
            {
                "entries": entries,
                "entry_count": membership.entries.count(),
                "balance": int(entries[0].balance_after) if entries else 0,  # type: ignore[attr-defined]
                "history": level_history(membership),
                "redeem_form": RedeemForm(),
                "adjust_form": AdjustForm(),
                "referral_form": ReferralForm(),
                "benefits": Benefit.objects.filter(active=True).exists(),
                "events": list(
                    visible_events(user)
                    .filter(starts_at__gt=timezone.now())
                    .order_by("starts_at", "pk")[:10]
                ),
                "contacts": list(account.contacts.order_by("name", "pk")),
                "invitations": list(
                    visible_invitations(user)
                    .filter(account=account)
                    .select_related("event", "contact")
                    .order_by("-event__starts_at", "contact__name")[:50]
                ),
            }
        )
    return render(request, "club/member.html", context)


def member_url(account: Account) -> str:
    return reverse("club:member", args=[account.pk])


@login_required
def account_section(request: AuthedRequest, pk: int) -> HttpResponse:
    """The account page's club section (it loads after the page, with htmx)."""
    account = get_account_for_user(request.user, pk)
    context = {"account": account, "club": account_club(request.user, account)}
    return render(request, "club/_account_club.html", context)


@login_required
@require_POST
def member_join(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    form = JoinForm(request.POST)
    joined_on = form.cleaned_data.get("joined_on") if form.is_valid() else None
    if not form.is_valid():
        messages.error(request, _("The joined date is not a date."))
    else:
        try:
            membership = join(actor=user, account=account, joined_on=joined_on)
        except ClubRefused as refused:
            messages.error(request, refused.message)
        else:
            messages.success(
                request,
                _("%(account)s joined the club (member number %(number)s).")
                % {"account": account.name, "number": membership.number},
            )
    return redirect(safe_next(request, member_url(account)))


@login_required
@require_POST
def member_leave(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    membership = membership_or_404(account)
    attempt(
        request,
        lambda: leave(actor=user, membership=membership),
        _("%(account)s left the club; its points are kept.") % {"account": account.name},
    )
    return redirect(member_url(account))


def membership_or_404(account: Account) -> Membership:
    from django.http import Http404

    membership = membership_of(account)
    if membership is None:
        raise Http404("This account is not a club member")
    membership.account = account
    return membership


@login_required
@require_POST
def member_redeem(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    membership = membership_or_404(account)
    form = RedeemForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose an available benefit."))
    else:
        benefit = form.cleaned_data["benefit"]
        attempt(
            request,
            lambda: redeem(
                actor=user,
                membership=membership,
                benefit=benefit,
                note=form.cleaned_data.get("note") or "",
            ),
            _("Redeemed %(benefit)s for %(cost)s points.")
            % {"benefit": benefit.name, "cost": benefit.points_cost},
        )
    return redirect(member_url(account))


@login_required
@require_POST
def member_adjust(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    require_club_manager(user)
    membership = membership_or_404(account)
    form = AdjustForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("An adjustment needs whole points other than 0 and a reason."))
    else:
        points = form.cleaned_data["points"]
        attempt(
            request,
            lambda: adjust(
                actor=user, membership=membership, delta=points, reason=form.cleaned_data["reason"]
            ),
            _("Adjusted by %(points)s points.") % {"points": points},
        )
    return redirect(member_url(account))


@login_required
@require_POST
def member_referral(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    membership = membership_or_404(account)
    form = ReferralForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the external id of the referred account."))
        return redirect(member_url(account))
    external_id = form.cleaned_data["referred_account"].strip()
    referred = visible_accounts(user).filter(external_id=external_id).first()
    if referred is None:
        messages.error(
            request, _("No account you can see has the external id %(id)s.") % {"id": external_id}
        )
    else:
        attempt(
            request,
            lambda: record_referral(
                actor=user,
                membership=membership,
                referred=referred,
                note=form.cleaned_data.get("note") or "",
            ),
            _("Referral of %(account)s recorded.") % {"account": referred.name},
        )
    return redirect(member_url(account))


# --- benefits ---------------------------------------------------------------------------------


@login_required
def benefit_list(request: AuthedRequest) -> HttpResponse:
    benefits = visible_benefits(request.user).order_by("-active", "points_cost", "name")
    context = {"benefits": benefits, "may_manage": may_manage_club(request.user)}
    return render(request, "club/benefits.html", context)


@login_required
def benefit_create(request: AuthedRequest) -> HttpResponse:
    return benefit_form(request, None)


@login_required
def benefit_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return benefit_form(request, get_benefit_for_user(request.user, pk, for_write=True))


def benefit_form(request: AuthedRequest, benefit: Benefit | None) -> HttpResponse:
    require_write(request)
    require_club_manager(request.user)
    initial = benefit_values(benefit) if benefit is not None else {"active": True}
    form = BenefitForm(form_data(request), initial=initial)
    if form.is_bound:
        try:
            save_benefit(actor=request.user, values=form.values(), benefit=benefit)
        except (RecordInvalid, NameTaken) as problem:
            form.show_problems(problem)
        else:
            messages.success(request, _("Benefit saved."))
            return redirect("club:benefits")
    return render(request, "club/benefit_form.html", {"form": form, "benefit": benefit})


# --- events -----------------------------------------------------------------------------------


@login_required
def event_list(request: AuthedRequest) -> HttpResponse:
    now = timezone.now()
    events = visible_events(request.user)
    upcoming = add_seats(list(events.filter(starts_at__gte=now).order_by("starts_at", "pk")))
    past = add_seats(list(events.filter(starts_at__lt=now).order_by("-starts_at", "-pk")[:50]))
    rules = PointsRules.load()
    for event in [*upcoming, *past]:
        event.points_for_attending = event_points(event, rules)  # type: ignore[attr-defined]
    context = {
        "upcoming": upcoming,
        "past": past,
        "may_manage": may_manage_club(request.user),
    }
    return render(request, "club/events.html", context)


@login_required
def event_page(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    event = add_seats([get_event_for_user(user, pk)])[0]
    invitations = list(
        visible_invitations(user)
        .filter(event=event)
        .select_related("contact", "account")
        .order_by("account__name", "contact__name", "pk")
    )
    started = event.starts_at <= timezone.now()
    chosen_account = None
    contacts: list[Any] = []
    member_accounts: list[Account] = []
    if not user.is_read_only and not started:
        member_accounts = list(
            visible_accounts(user)
            .filter(club_membership__left_on__isnull=True)
            .order_by("name", "pk")
            .only("pk", "name")
        )
        wanted = request.GET.get("account") or ""
        if wanted.isdigit():
            chosen_account = next((a for a in member_accounts if a.pk == int(wanted)), None)
        if chosen_account is not None:
            contacts = list(invitable_contacts(user, event).filter(account=chosen_account))
    context = {
        "event": event,
        "points": event_points(event),
        "invitations": invitations,
        "may_write": user.is_active and not user.is_read_only,
        "started": started,
        "may_manage": may_manage_club(user),
        "member_accounts": member_accounts,
        "chosen_account": chosen_account,
        "contacts": contacts,
        "statuses": InvitationStatus,
    }
    return render(request, "club/event.html", context)


@login_required
def event_create(request: AuthedRequest) -> HttpResponse:
    return event_form(request, None)


@login_required
def event_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    return event_form(request, get_event_for_user(request.user, pk, for_write=True))


def event_form(request: AuthedRequest, event: ClubEvent | None) -> HttpResponse:
    require_write(request)
    require_club_manager(request.user)
    initial = {}
    if event is not None:
        initial = {**event_values(event), "starts_at": timezone.localtime(event.starts_at)}
    form = EventForm(form_data(request), initial=initial)
    if form.is_bound:
        try:
            saved = save_event(actor=request.user, values=form.values(), event=event)
        except RecordInvalid as problem:
            form.show_problems(problem)
        except ClubRefused as refused:
            form.add_error("capacity", refused.message)
        else:
            messages.success(request, _("Event saved."))
            return redirect(saved)
    return render(request, "club/event_form.html", {"form": form, "event": event})


@login_required
@require_POST
def event_invite(request: AuthedRequest, pk: int) -> HttpResponse:
    event = get_event_for_user(request.user, pk)
    return invite_contacts(request, event, None, event.get_absolute_url())


@login_required
@require_POST
def member_invite(request: AuthedRequest, pk: int) -> HttpResponse:
    """Invite contacts of this account to the event chosen on the member page."""
    account = get_account_for_user(request.user, pk, for_write=True)
    wanted = request.POST.get("event") or ""
    event = get_event_for_user(request.user, wanted if wanted.isdigit() else 0)
    return invite_contacts(request, event, account, member_url(account) + "#events")


def invite_contacts(
    request: AuthedRequest, event: ClubEvent, account: Account | None, back: str
) -> HttpResponse:
    from kam.contacts.services import visible_contacts

    user = request.user
    require_write(request)
    ids = [value for value in request.POST.getlist("contact") if value.isdigit()]
    chosen = visible_contacts(user).filter(pk__in=ids).select_related("account")
    if account is not None:
        chosen = chosen.filter(account=account)
    contacts = list(chosen)
    if not contacts:
        messages.error(request, _("Choose at least one contact to invite."))
    invited = 0
    for contact in contacts:
        try:
            invite(actor=user, event=event, contact=contact)
        except ClubRefused as refused:
            messages.error(request, refused.message)
        else:
            invited += 1
    if invited:
        messages.success(
            request,
            ngettext(
                "%(count)s contact invited to %(event)s.",
                "%(count)s contacts invited to %(event)s.",
                invited,
            )
            % {"count": invited, "event": event.name},
        )
    return redirect(safe_next(request, back))


@login_required
@require_POST
def invitation_respond(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    invitation = get_invitation_for_user(user, pk, for_write=True)
    accepted = request.POST.get("answer") == "accepted"
    attempt(
        request,
        lambda: respond(actor=user, invitation=invitation, accepted=accepted),
        _("Answer recorded."),
    )
    return redirect(safe_next(request, invitation.event.get_absolute_url()))


@login_required
@require_POST
def invitation_attendance(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    invitation = get_invitation_for_user(user, pk, for_write=True)
    attended = request.POST.get("attended") == "yes"
    attempt(
        request,
        lambda: record_attendance(actor=user, invitation=invitation, attended=attended),
        _("Attendance recorded."),
    )
    return redirect(safe_next(request, invitation.event.get_absolute_url()))


# --- the rules --------------------------------------------------------------------------------


@login_required
def rules_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    rules = PointsRules.load()
    may_manage = may_manage_club(user)
    form = RulesForm(form_data(request), initial=rules_values(rules)) if may_manage else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("only directors and administrators change the points rules")
        try:
            save_rules(actor=user, values=form.values())
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            messages.success(request, _("Points rules saved."))
            return redirect("club:rules")
    context = {
        "rules": rules,
        "form": form,
        "may_manage": may_manage,
        "history": rules_history(),
        "examples": rule_examples(rules),
    }
    return render(request, "club/rules.html", context)


def rule_examples(rules: PointsRules) -> list[tuple[str, int, str, int]]:
    """What an order of ten purchase units earns at each level."""
    from decimal import Decimal

    from kam.club.models import LEVEL_OF_TIER

    amount = Decimal(rules.purchase_unit * 10)
    return [
        (
            level_label(level),
            rules.multiplier_percent(tier),
            f"{amount:,}",
            rules.purchase_points_for(amount, tier),
        )
        for tier, level in LEVEL_OF_TIER.items()
    ]
