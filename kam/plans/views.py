"""Account plan pages (REL-4): the list with its filters, the plan page whose sections are
edited in place (htmx; plain form posts work too), the printable plan, the account page's
plan section and the "create plan" and "delete plan" pages.

Views parse input, check access and call kam.plans.services; visibility comes from
get_plan_for_user / visible_plans, never from a filter written here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.db.models import F
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kam.accounts.models import Account
from kam.accounts.services import get_account_for_user
from kam.core.models import User
from kam.core.views import AuthedRequest, list_template, login_required, paginate, require_write
from kam.dataio.records import RecordInvalid
from kam.plans.forms import PART_FORMS, AxesForm, PlanFilterForm, PlanForm, PlanPartForm
from kam.plans.models import DEFAULT_REVIEW_DAYS, AccountPlan, CellStatus, PlanStatus
from kam.plans.services import (
    PARTS,
    Grid,
    PartKind,
    clean_grid,
    clean_part,
    clean_plan,
    current_plan,
    delete_part,
    delete_plan,
    get_part,
    get_plan_for_user,
    grid_of,
    may_change_plans,
    names_from_text,
    open_actions,
    part_kind,
    part_values,
    people_who_see,
    plan_history,
    plan_list,
    plan_values,
    plan_writers,
    review_overdue_filter,
    save_part,
    save_plan,
    set_axes,
    set_whitespace,
    swot_quadrants,
    target_rows,
    visible_plans,
)

HISTORY_ROWS = 15
ACCOUNT_SECTION_ACTIONS = 5
SECTIONS = (
    "basics",
    "objectives",
    "targets",
    "swot",
    "competitors",
    "whitespace",
    "actions",
    "reviews",
)


# --- the list ---------------------------------------------------------------------------------


@login_required
def plan_list_page(request: AuthedRequest) -> HttpResponse:
    user = request.user
    plans = plan_list(user)
    owners = User.objects.filter(pk__in=visible_plans(user).values("owner_id")).order_by("username")
    form = PlanFilterForm(request.GET, owners=owners)
    soonest = F("next_review_due").asc(nulls_last=True)
    rows = form.filter(plans).order_by(soonest, "account__name", "-year", "pk")
    context = {
        "form": form,
        "page": paginate(request, rows),
        "today": timezone.localdate(),
        "overdue_reviews": visible_plans(user).filter(review_overdue_filter()).count(),
    }
    template = list_template(request, "plans/list.html", "plans/_results.html")
    return render(request, template, context)


# --- creating and deleting a plan ---------------------------------------------------------


def plan_defaults(account: Account) -> dict[str, Any]:
    has_active = account.plans.filter(status=PlanStatus.ACTIVE).exists()
    return {
        "year": timezone.localdate().year,
        "status": PlanStatus.DRAFT if has_active else PlanStatus.ACTIVE,
        "owner": account.owner.username,
        "review_every_days": DEFAULT_REVIEW_DAYS,
    }


@login_required
def plan_create(request: AuthedRequest) -> HttpResponse:
    require_write(request)
    account = get_account_for_user(request.user, request.GET.get("account") or "", for_write=True)
    people = plan_writers(account)
    if request.method == "POST":
        form = PlanForm(request.POST, people=people)
        try:
            values = clean_plan(form.posted(), actor=request.user, account=account)
            plan = save_plan(actor=request.user, values=values)
        except RecordInvalid as problem:
            form.show_problems(problem)
        else:
            messages.success(request, _("Account plan created."))
            return redirect(plan)
    else:
        form = PlanForm(initial=plan_defaults(account), people=people)
    return render(request, "plans/create.html", {"form": form, "account": account})


@login_required
def plan_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, for_write=True)
    if request.method == "POST":
        account = plan.account
        delete_plan(actor=request.user, plan=plan)
        messages.success(request, _("Account plan deleted."))
        return redirect(account)
    return render(request, "plans/delete.html", {"plan": plan})


# --- the plan page and its sections ---------------------------------------------------------


@dataclass
class Editing:
    """Which section shows a form, for which item ("new", an id, "basics" or "axes")."""

    section: str
    item: str
    form: Any = None


def section_data(plan: AccountPlan, section: str) -> dict[str, Any]:
    """What one section of the plan page shows."""
    if section == "basics":
        return {}
    if section == "targets":
        return {"target_rows": target_rows(plan)}
    if section == "swot":
        return {"quadrants": swot_quadrants(plan.swot.all())}
    if section == "whitespace":
        return {"grid": grid_of(plan), "cell_statuses": CellStatus.choices}
    kind = PARTS[section]
    return {section: list(kind.rows(plan))}


def section_context(
    request: AuthedRequest, plan: AccountPlan, section: str, editing: Editing | None
) -> dict[str, Any]:
    context = {
        "plan": plan,
        "may_change": may_change_plans(request.user),
        "today": timezone.localdate(),
        "editing": editing if editing is not None and editing.section == section else None,
        **section_data(plan, section),
    }
    return context


def page_context(
    request: AuthedRequest, plan: AccountPlan, editing: Editing | None = None
) -> dict[str, Any]:
    context: dict[str, Any] = {
        "plan": plan,
        "may_change": may_change_plans(request.user),
        "today": timezone.localdate(),
        "editing": editing,
        "history": plan_history(plan)[:HISTORY_ROWS],
        "other_plans": plan.account.plans.exclude(pk=plan.pk).order_by("-year", "-pk"),
    }
    for section in SECTIONS:
        context.update(section_data(plan, section))
    return context


def editing_from(request: AuthedRequest, plan: AccountPlan, section: str, item: str) -> Editing:
    """The form of `section` for `item`, filled with its current values."""
    people = None
    if section == "basics":
        return Editing(
            section, item, PlanForm(initial=plan_values(plan), people=plan_writers(plan.account))
        )
    if section == "whitespace":
        return Editing(
            section,
            "axes",
            AxesForm(
                initial={
                    "product_lines": "\n".join(plan.product_lines),
                    "business_units": "\n".join(plan.business_units),
                }
            ),
        )
    kind = part_kind(section)
    initial: dict[str, Any] = {}
    if item != "new":
        initial = part_values(kind, get_part(plan, kind, item))
    elif section == "reviews":
        initial = {"reviewed_on": timezone.localdate()}
    elif section == "actions":
        initial = {"owner": request.user.username}
    if section == "actions":
        people = people_who_see(plan.account)
    return Editing(section, item, part_form(kind, initial=initial, people=people))


def part_form(
    kind: PartKind, *, data: Any = None, initial: Any = None, people: Any = None
) -> PlanPartForm:
    form_class = PART_FORMS[kind.name]
    if kind.name == "actions":
        return form_class(data, initial=initial, people=people or [])  # type: ignore[call-arg]
    return form_class(data, initial=initial)


def parse_edit(value: str) -> tuple[str, str] | None:
    """ "objectives:12" or "objectives:new" or "basics" → (section, item)."""
    section, _sep, item = value.partition(":")
    if section not in SECTIONS:
        return None
    if section in PARTS and not (item == "new" or item.isdigit()):
        return None
    return section, item or section


@login_required
def plan_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk)
    editing = None
    wanted = parse_edit(request.GET.get("edit", ""))
    if wanted is not None and may_change_plans(request.user):
        editing = editing_from(request, plan, *wanted)
    return render(request, "plans/detail.html", page_context(request, plan, editing))


def answer(
    request: AuthedRequest, plan: AccountPlan, section: str, editing: Editing | None = None
) -> HttpResponse:
    """After a change: htmx gets the section again; a plain post goes back to the page (or,
    with problems, gets the page with the form and its messages)."""
    if request.htmx:
        context = section_context(request, plan, section, editing)
        return render(request, f"plans/_section_{section}.html", context)
    if editing is not None:
        return render(request, "plans/detail.html", page_context(request, plan, editing))
    return redirect(reverse("plans:detail", args=[plan.pk]) + f"#{section}")


@login_required
def part_section(request: AuthedRequest, pk: int, kind: str) -> HttpResponse:
    """One section of the plan page, to show (htmx), or with a form (?edit=new or an id)."""
    plan = get_plan_for_user(request.user, pk)
    if kind not in SECTIONS:
        raise Http404("No such section")
    editing = None
    item = request.GET.get("edit", "")
    if item:
        require_write(request)
        wanted = parse_edit(f"{kind}:{item}" if kind in PARTS else kind)
        if wanted is None:
            raise Http404("No such item")
        editing = editing_from(request, plan, *wanted)
    if not request.htmx:
        suffix = f"?edit={kind}:{item}" if item else ""
        return redirect(reverse("plans:detail", args=[plan.pk]) + suffix + f"#{kind}")
    return render(
        request, f"plans/_section_{kind}.html", section_context(request, plan, kind, editing)
    )


@login_required
@require_POST
def part_save(request: AuthedRequest, pk: int, kind: str, item: int | None = None) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, for_write=True)
    spec = part_kind(kind)
    part = get_part(plan, spec, item) if item is not None else None
    people = people_who_see(plan.account) if kind == "actions" else None
    form = part_form(spec, data=request.POST, people=people)
    try:
        values = clean_part(spec, form.posted(), actor=request.user, plan=plan, part=part)
        save_part(spec, actor=request.user, plan=plan, values=values, part=part)
    except RecordInvalid as problem:
        form.show_problems(problem)
        return answer(request, plan, kind, Editing(kind, str(item or "new"), form))
    if not request.htmx:
        messages.success(request, _("Plan saved."))
    return answer(request, plan, kind)


@login_required
@require_POST
def part_delete(request: AuthedRequest, pk: int, kind: str, item: int) -> HttpResponse:
    plan = get_plan_for_user(request.user, pk, for_write=True)
    spec = part_kind(kind)
    delete_part(spec, actor=request.user, part=get_part(plan, spec, item))
    if not request.htmx:
        messages.success(request, _("Removed from the plan."))
    return answer(request, plan, kind)


@login_required
@require_POST
def basics(request: AuthedRequest, pk: int) -> HttpResponse:
    """The plan's year, status, owner, review cadence and vision."""
    plan = get_plan_for_user(request.user, pk, for_write=True)
    form = PlanForm(request.POST, people=plan_writers(plan.account))
    try:
        values = clean_plan(form.posted(), actor=request.user, plan=plan)
        save_plan(actor=request.user, values=values, plan=plan)
    except RecordInvalid as problem:
        plan.refresh_from_db()
        form.show_problems(problem)
        return answer(request, plan, "basics", Editing("basics", "basics", form))
    if not request.htmx:
        messages.success(request, _("Plan saved."))
    return answer(request, plan, "basics")


def posted_grid(request: AuthedRequest) -> dict[str, Any]:
    """The grid as the page posts it: line-<i> and unit-<j> name the rows and columns (as
    the page showed them), cell-<i>-<j> holds a status or nothing."""
    post = request.POST
    lines = {k[5:]: str(v) for k, v in post.items() if k.startswith("line-")}
    units = {k[5:]: str(v) for k, v in post.items() if k.startswith("unit-")}
    cells = []
    for key, status in post.items():
        if not key.startswith("cell-") or not status:
            continue
        i, _sep, j = key[5:].partition("-")
        if i in lines and j in units:
            cells.append({"product_line": lines[i], "business_unit": units[j], "status": status})

    def ordered(names: dict[str, str]) -> list[str]:
        return [names[k] for k in sorted(names, key=lambda k: int(k) if k.isdigit() else 0)]

    return {"product_lines": ordered(lines), "business_units": ordered(units), "cells": cells}


@login_required
@require_POST
def whitespace(request: AuthedRequest, pk: int) -> HttpResponse:
    """Save the whole grid (the page posts it whenever a cell changes)."""
    plan = get_plan_for_user(request.user, pk, for_write=True)
    try:
        grid: Grid = clean_grid(posted_grid(request))
    except RecordInvalid as problem:
        messages.error(request, str(problem))
        return answer(request, plan, "whitespace")
    set_whitespace(actor=request.user, plan=plan, grid=grid)
    return answer(request, plan, "whitespace")


@login_required
@require_POST
def whitespace_axes(request: AuthedRequest, pk: int) -> HttpResponse:
    """New rows (product lines) and columns (business units); kept pairs keep their status."""
    plan = get_plan_for_user(request.user, pk, for_write=True)
    form = AxesForm(request.POST)
    form.is_valid()
    try:
        set_axes(
            actor=request.user,
            plan=plan,
            product_lines=names_from_text(form.cleaned_data.get("product_lines", "")),
            business_units=names_from_text(form.cleaned_data.get("business_units", "")),
        )
    except RecordInvalid as problem:
        form.add_error(None, str(problem))
        return answer(request, plan, "whitespace", Editing("whitespace", "axes", form))
    return answer(request, plan, "whitespace")


# --- print -----------------------------------------------------------------------------------


@login_required
def plan_print(request: AuthedRequest, pk: int) -> HttpResponse:
    """The plan on A4 paper: its own page without the site's navigation."""
    plan = get_plan_for_user(request.user, pk)
    context = page_context(request, plan)
    context["printed_at"] = timezone.localtime()
    context["last_review"] = next(iter(context["reviews"]), None)
    return render(request, "plans/print.html", context)


# --- the account page's section ---------------------------------------------------------------


@dataclass
class AccountPlanSection:
    plan: AccountPlan | None
    open_actions: list[Any]
    more_actions: bool  # more open actions than shown
    may_create: bool


@login_required
def account_section(request: AuthedRequest, pk: int) -> HttpResponse:
    """The account page's plan section: the current plan's vision, next review and open
    actions, or a button to create one. It loads after the page (htmx)."""
    user = request.user
    account = get_account_for_user(user, pk)
    plan = current_plan(user, account)
    actions: list[Any] = []
    if plan is not None:
        actions = list(open_actions(plan).order_by("due_date", "pk")[: ACCOUNT_SECTION_ACTIONS + 1])
    section = AccountPlanSection(
        plan=plan,
        open_actions=actions[:ACCOUNT_SECTION_ACTIONS],
        more_actions=len(actions) > ACCOUNT_SECTION_ACTIONS,
        may_create=may_change_plans(user),
    )
    context = {"account": account, "plan_section": section, "today": timezone.localdate()}
    template = list_template(request, "plans/account_plan.html", "plans/_account_plan.html")
    return render(request, template, context)
