"""Account pages (DATA-1, DATA-2): the list with filters and export, the account page
with its hierarchy, buying centre, transactions and history, and the editor."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib import messages
from django.db.models import Count, ProtectedError, QuerySet, Sum
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.forms import ACCOUNT_SORTS, AccountFilterForm, AccountForm, TeamMemberForm
from kam.accounts.models import Account
from kam.accounts.services import (
    AccountInUse,
    TreeNode,
    add_account_team_member,
    delete_account,
    get_account_for_user,
    hierarchy_for,
    likely_duplicates,
    may_manage_team,
    remove_account_team_member,
    save_account,
    visible_accounts,
)
from kam.contacts.services import org_chart, visible_contacts
from kam.core.models import AuditEvent, User
from kam.core.views import (
    AuthedRequest,
    default_values,
    export_response,
    form_data,
    list_template,
    login_required,
    overdue,
    paginate,
    require_write,
    sort_rows,
)
from kam.dataio.records import current_values
from kam.insights.models import Tier
from kam.insights.services import account_value_context, latest_run
from kam.risk.services import account_risk_context
from kam.transactions.services import visible_orders, visible_payments

RECENT_ROWS = 50
HISTORY_ROWS = 20  # on the account page; the history page has them all


def owners_of(accounts: QuerySet[Account]) -> QuerySet[User]:
    return User.objects.filter(pk__in=accounts.values("owner_id")).order_by("username")


def filter_form(request: AuthedRequest, accounts: QuerySet[Account]) -> AccountFilterForm:
    return AccountFilterForm(request.GET, owners=owners_of(accounts))


@login_required
def account_list(request: AuthedRequest) -> HttpResponse:
    accounts = visible_accounts(request.user)
    form = filter_form(request, accounts)
    rows = form.filter(accounts).select_related("owner", "region").prefetch_related("tags")
    rows, sort = sort_rows(rows, form.cleaned_data.get("sort") or "", ACCOUNT_SORTS, "name")
    page = paginate(request, rows)
    label_tiers(page.object_list)
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "can_write": not request.user.is_read_only,
        "no_scoring_run": bool(
            form.uses_value_filters() and not page.object_list and latest_run() is None
        ),
    }
    template = list_template(request, "accounts/list.html", "accounts/_results.html")
    return render(request, template, context)


def label_tiers(accounts: Iterable[Account]) -> None:
    """Name the effective tier (with_value_results' annotation) of each listed account."""
    labels = dict(Tier.choices)
    for account in accounts:
        tier = getattr(account, "effective_tier", None) or ""
        account.effective_tier_label = labels.get(tier, tier)  # type: ignore[attr-defined]


@login_required
def account_export(request: AuthedRequest) -> HttpResponse:
    accounts = visible_accounts(request.user)
    rows = filter_form(request, accounts).filter(accounts)
    return export_response("accounts", rows, request.GET.get("format", "csv"), "accounts")


@login_required
def account_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk)
    contacts = list(
        visible_contacts(user)
        .filter(account=account)
        .select_related("our_counterpart")
        .order_by("name", "pk")
    )
    tree = hierarchy_for(user, account)
    path = path_to(tree, account.pk) or [tree]
    ancestors = [node.account for node in path[:-1]]
    orders = visible_orders(user).filter(account=account)
    payments = visible_payments(user).filter(account=account)
    context = {
        "account": account,
        "tags": account.tags.all(),
        "team": account.team.select_related("user").order_by("user__username"),
        "team_form": TeamMemberForm(account=account) if may_manage_team(user, account) else None,
        "tree": tree,
        "node": path[-1],
        "ancestors": ancestors,
        "parent": ancestors[-1] if ancestors else None,
        "org_chart": org_chart(contacts),
        "contact_count": len(contacts),
        "orders": orders[:RECENT_ROWS],
        "order_count": orders.count(),
        "payments": payments.select_related("order")[:RECENT_ROWS],
        "payment_count": payments.count(),
        "overdue": overdue(payments).aggregate(total=Sum("amount"), count=Count("pk")),
        "duplicates": likely_duplicates(user, account).select_related("owner"),
        "history": account_history(account)[:HISTORY_ROWS],
        "history_count": account_history(account).count(),
        "can_write": not user.is_read_only,
        "recent_rows": RECENT_ROWS,
    }
    context.update(account_value_context(user, account))
    context.update(account_risk_context(user, account))
    return render(request, "accounts/detail.html", context)


def path_to(tree: TreeNode, pk: int) -> list[TreeNode]:
    """The nodes from the top of the visible group down to the account `pk`."""
    if tree.account.pk == pk:
        return [tree]
    for child in tree.children:
        below = path_to(child, pk)
        if below:
            return [tree, *below]
    return []


def account_history(account: Account) -> QuerySet[AuditEvent]:
    """Changes to the account and to what hangs off it, newest first."""
    return AuditEvent.objects.filter(account_id=account.pk).select_related("actor")


@login_required
def account_history_page(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk)
    context = {"account": account, "page": paginate(request, account_history(account))}
    template = list_template(request, "accounts/history.html", "accounts/_history_results.html")
    return render(request, template, context)


@login_required
def account_create(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    user = request.user
    initial = {**default_values("accounts"), "owner": user.username}
    form = AccountForm(form_data(request), actor=user, initial=initial)
    if form.is_bound:
        values = form.validated(actor=user)
        if values is not None:
            account = save_account(actor=user, values=values)
            messages.success(request, _("Account “%(name)s” created.") % {"name": account.name})
            return redirect(account)
    return render(request, "accounts/form.html", {"form": form, "account": None})


@login_required
def account_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    base = current_values("accounts", account)
    form = AccountForm(form_data(request), actor=user, initial=base, current_owner=account.owner)
    if form.is_bound:
        values = form.validated(actor=user, instance=account, base=base)
        if values is not None:
            save_account(actor=user, values=values, account=account)
            messages.success(request, _("Account “%(name)s” saved.") % {"name": account.name})
            return redirect(account)
    return render(request, "accounts/form.html", {"form": form, "account": account})


@login_required
def account_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    user = request.user
    account = get_account_for_user(user, pk, for_write=True)
    if request.method == "POST":
        name = account.name
        try:
            delete_account(actor=user, account=account)
        except (AccountInUse, ProtectedError):
            messages.error(
                request,
                _("“%(name)s” has subsidiaries or branches; move or delete them first.")
                % {"name": name},
            )
            return redirect(account)
        messages.success(request, _("Account “%(name)s” deleted.") % {"name": name})
        return redirect("accounts:list")
    context = {
        "account": account,
        "contact_count": account.contacts.count(),
        "order_count": account.orders.count(),
        "payment_count": account.payments.count(),
        "child_count": account.children.count(),
    }
    return render(request, "accounts/delete.html", context)


@login_required
@require_POST
def account_team_add(request: AuthedRequest, pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk, for_write=True)
    form = TeamMemberForm(request.POST, account=account)
    if not form.is_valid():
        messages.error(request, _("Choose a colleague and a role."))
        return redirect(team_anchor(account))
    member = form.cleaned_data["user"]
    add_account_team_member(
        actor=request.user, account=account, user=member, role=form.cleaned_data["role"]
    )
    messages.success(request, _("%(name)s is on the account team.") % {"name": member})
    return redirect(team_anchor(account))


@login_required
@require_POST
def account_team_remove(request: AuthedRequest, pk: int, user_pk: int) -> HttpResponse:
    account = get_account_for_user(request.user, pk, for_write=True)
    member = get_object_or_404(account.team_members.all(), pk=user_pk)
    remove_account_team_member(actor=request.user, account=account, user=member)
    messages.success(request, _("%(name)s left the account team.") % {"name": member})
    return redirect(team_anchor(account))


def team_anchor(account: Account) -> str:
    return account.get_absolute_url() + "#team"
