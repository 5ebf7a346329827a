"""Account plans (REL-4): who sees and changes which, the checks on what people type, the
writes that matter (audited, all or nothing), the figures (attainment from orders, the next
review, overdue actions) and the reminders.

A plan is visible exactly when its account is (kam.core.access.account_scope), and so is
every part of it. Whoever may change the account may change its plans; analysts read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, models, transaction
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import ExtractYear
from django.http import Http404
from django.utils import timezone

from kam.accounts.models import Account
from kam.accounts.services import visible_accounts
from kam.core import audit
from kam.core.access import account_scope, require_writer
from kam.core.fields import Field, FieldError, shown
from kam.core.models import AuditAction, AuditEvent, User
from kam.dataio.engine import Problem
from kam.dataio.records import RecordInvalid
from kam.plans.io import (
    ACTION_FIELDS,
    CELL_FIELDS,
    COMPETITOR_FIELDS,
    GRID_NAME_FIELD,
    MAX_GRID_NAMES,
    MAX_NAME,
    OBJECTIVE_FIELDS,
    PLAN_FIELDS,
    REVIEW_FIELDS,
    SWOT_FIELDS,
    TARGET_FIELDS,
)
from kam.plans.models import (
    OPEN_ACTION_STATUSES,
    AccountPlan,
    CellStatus,
    PlanAction,
    PlanCompetitor,
    PlanObjective,
    PlanRevenueTarget,
    PlanReview,
    PlanStatus,
    PlanSwotItem,
    PlanWhitespaceCell,
    Quadrant,
)

DEFAULT_PRODUCT_LINES = 12  # taken from the account's orders for a new plan
PLAN_OBJECT_TYPES = (
    "accountplan",
    "planobjective",
    "planrevenuetarget",
    "planswotitem",
    "plancompetitor",
    "planaction",
    "planreview",
)


class PlanConflict(RecordInvalid):
    """The change would break a rule of the database: a second active plan for the account,
    a second current plan for the account and year, or a second target for a year."""


# --- who sees and changes what ----------------------------------------------------------


def visible_plans(user: User) -> QuerySet[AccountPlan]:
    """The plans of the accounts `user` may see."""
    scope = account_scope(user, prefix="account__")
    plans = AccountPlan.objects.all()
    return plans if scope is None else plans.filter(scope)


def get_plan_for_user(user: User, pk: int | str, *, for_write: bool = False) -> AccountPlan:
    """The plan if `user` sees its account (and may change it, with for_write), else 404.

    Unknown and invisible plans look the same, so ids do not leak.
    """
    try:
        plan = visible_plans(user).select_related("account", "account__owner", "owner").get(pk=pk)
    except (AccountPlan.DoesNotExist, ValueError, TypeError):
        raise Http404("No such account plan") from None
    if for_write:
        require_writer(user)
    return plan


def may_change_plans(user: User) -> bool:
    """Whoever sees a plan's account and is no analyst changes the plan."""
    return bool(user.is_authenticated and user.is_active and not user.is_read_only)


def sees_account(user: User, account: Account) -> bool:
    return visible_accounts(user).filter(pk=account.pk).exists()


def people_who_see(account: Account) -> list[User]:
    """The active users who see `account` (owners of plan actions come from them).

    Two queries however many users: one for the users, one that tests the account against
    every user's scope at once.
    """
    users = list(User.objects.filter(is_active=True).order_by("username"))
    scopes = {user.pk: account_scope(user) for user in users}
    limited = {pk: scope for pk, scope in scopes.items() if scope is not None}
    flags = (
        Account.objects.filter(pk=account.pk).aggregate(
            **{f"u{pk}": Count("pk", filter=scope) for pk, scope in limited.items()}
        )
        if limited
        else {}
    )
    return [u for u in users if scopes[u.pk] is None or flags.get(f"u{u.pk}")]


def plan_writers(account: Account) -> list[User]:
    """Who may own a plan of `account`: those who see it and may write."""
    return [u for u in people_who_see(account) if not u.is_read_only]


# --- parts of a plan ---------------------------------------------------------------------


@dataclass(frozen=True)
class PartKind:
    """One kind of part of a plan: its model, its fields and what the audit trail keeps."""

    name: str  # as in the URLs and the API: objectives, targets, …
    model: type[models.Model]
    fields: list[Field]
    audit_names: tuple[str, ...]
    user_field: str | None = None  # owner of an action, reviewer of a review

    def rows(self, plan: AccountPlan) -> QuerySet[Any]:
        rows = self.model._default_manager.filter(plan=plan)
        return rows.select_related(self.user_field) if self.user_field else rows


PARTS: dict[str, PartKind] = {
    "objectives": PartKind(
        "objectives",
        PlanObjective,
        OBJECTIVE_FIELDS,
        ("text", "measure", "target_date", "status"),
    ),
    "targets": PartKind("targets", PlanRevenueTarget, TARGET_FIELDS, ("year", "amount")),
    "swot": PartKind("swot", PlanSwotItem, SWOT_FIELDS, ("quadrant", "text")),
    "competitors": PartKind(
        "competitors",
        PlanCompetitor,
        COMPETITOR_FIELDS,
        ("name", "products", "share_of_wallet", "position", "counter_strategy"),
    ),
    "actions": PartKind(
        "actions",
        PlanAction,
        ACTION_FIELDS,
        ("text", "due_date", "status"),
        user_field="owner",
    ),
    "reviews": PartKind(
        "reviews", PlanReview, REVIEW_FIELDS, ("reviewed_on", "notes"), user_field="reviewer"
    ),
}


def part_kind(name: str) -> PartKind:
    try:
        return PARTS[name]
    except KeyError:
        raise Http404("No such part of a plan") from None


def get_part(plan: AccountPlan, kind: PartKind, pk: int | str) -> Any:
    """A part of `plan` (which the caller got through get_plan_for_user), else 404."""
    try:
        return kind.rows(plan).get(pk=pk)
    except (kind.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404("No such part of the plan") from None


# --- reading what people typed -------------------------------------------------------------


def plan_values(plan: AccountPlan) -> dict[str, Any]:
    """The plan as the forms and the API write it: the base of a partial change."""
    return {
        "account": plan.account.external_id or "",
        "year": plan.year,
        "status": plan.status,
        "owner": plan.owner.username,
        "vision": plan.vision,
        "review_every_days": plan.review_every_days,
    }


def part_values(kind: PartKind, part: Any) -> dict[str, Any]:
    values = {f.name: getattr(part, f.name) for f in kind.fields if f.name != "owner"}
    if kind.name == "actions":
        values["owner"] = part.owner.username
    return values


def _parse(fields: Sequence[Field], raw: dict[str, Any], problems: list[Problem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in fields:
        try:
            values[f.name] = f.parse(raw.get(f.name))
        except FieldError as exc:
            problems.append(Problem(None, f.name, exc.message))
    return values


def _person(
    given: Any, account: Account, problems: list[Problem], *, column: str, writers_only: bool
) -> User | None:
    """The active user named by username who sees `account` (and may write, if asked)."""
    expected = "the username of an active user who sees the account"
    if writers_only:
        expected = "the username of an active user who sees the account and may change it"
    person = None
    if isinstance(given, str) and given.strip():
        person = User.objects.filter(username__iexact=given.strip(), is_active=True).first()
    if person is None or not sees_account(person, account):
        problems.append(
            Problem(None, column, f"unknown user (got {shown(given)}, expected {expected})")
        )
        return None
    if writers_only and person.is_read_only:
        problems.append(
            Problem(None, column, f"read-only user (got {shown(given)}, expected {expected})")
        )
        return None
    return person


def clean_plan(
    data: dict[str, Any],
    *,
    actor: User,
    plan: AccountPlan | None = None,
    account: Account | None = None,
) -> dict[str, Any]:
    """Model values for save_plan, or RecordInvalid naming each bad field.

    A new plan names its account (by external id, among those `actor` sees) unless
    `account` is given; a plan keeps its account. Fields left out keep their current value
    (a new plan: the defaults, owned by the account's owner). A second active plan for the
    account, or a second current plan for the year, raises PlanConflict.
    """
    base = plan_values(plan) if plan is not None else {}
    raw = {**base, **data}
    problems: list[Problem] = []
    values = _parse([f for f in PLAN_FIELDS if f.name not in {"account", "owner"}], raw, problems)
    if plan is not None:
        target = plan.account
    elif account is not None:
        target = account
    else:
        found = _account(raw.get("account"), actor, problems)
        if found is None:
            raise RecordInvalid(problems)
        target = found
    values["account"] = target
    owner = raw.get("owner")
    if owner is None or (isinstance(owner, str) and not owner.strip()):
        owner = base.get("owner") or target.owner.username
    values["owner"] = _person(owner, target, problems, column="owner", writers_only=True)
    if problems:
        raise RecordInvalid(problems)
    check_plan_conflicts(target, values["year"], values["status"], plan)
    return values


def _account(given: Any, actor: User, problems: list[Problem]) -> Account | None:
    expected = "the external id of an account you can see"
    try:
        key = PLAN_FIELDS[0].parse(given)
    except FieldError as exc:
        problems.append(Problem(None, "account", exc.message))
        return None
    found = visible_accounts(actor).select_related("owner").filter(external_id=key).first()
    if found is None:
        problems.append(
            Problem(None, "account", f"unknown account (got {shown(given)}, expected {expected})")
        )
    return found


def check_plan_conflicts(
    account: Account, year: int, status: str, plan: AccountPlan | None
) -> None:
    others = AccountPlan.objects.filter(account=account)
    if plan is not None:
        others = others.exclude(pk=plan.pk)
    if status == PlanStatus.ACTIVE:
        active = others.filter(status=PlanStatus.ACTIVE).first()
        if active is not None:
            message = (
                f"another plan is active (got {shown(status)}, expected draft or archived while "
                f"the plan for {active.year} is active: archive it first)"
            )
            raise PlanConflict([Problem(None, "status", message)])
    if status != PlanStatus.ARCHIVED:
        current = others.filter(year=year).exclude(status=PlanStatus.ARCHIVED).first()
        if current is not None:
            message = (
                f"another plan of the account is current for this year (got {shown(year)}, "
                f"expected another year, or archive the {current.status} plan first)"
            )
            raise PlanConflict([Problem(None, "year", message)])


def clean_part(
    kind: PartKind,
    data: dict[str, Any],
    *,
    actor: User,
    plan: AccountPlan,
    part: Any = None,
) -> dict[str, Any]:
    """Model values for save_part, or RecordInvalid naming each bad field.

    Fields left out keep their current value (a new part: the defaults). An action's owner
    is a username of someone who sees the account (default: `actor`). A second target for
    a year raises PlanConflict.
    """
    base = part_values(kind, part) if part is not None else {}
    raw = {**base, **data}
    problems: list[Problem] = []
    values = _parse([f for f in kind.fields if f.name != "owner"], raw, problems)
    if kind.name == "actions":
        owner = raw.get("owner")
        if owner is None or (isinstance(owner, str) and not owner.strip()):
            owner = base.get("owner") or actor.username
        values["owner"] = _person(owner, plan.account, problems, column="owner", writers_only=False)
    if problems:
        raise RecordInvalid(problems)
    if kind.name == "targets":
        taken = PlanRevenueTarget.objects.filter(plan=plan, year=values["year"])
        if part is not None:
            taken = taken.exclude(pk=part.pk)
        if taken.exists():
            message = (
                f"the plan has a target for this year (got {shown(values['year'])}, "
                "expected a year without one: change that target instead)"
            )
            raise PlanConflict([Problem(None, "year", message)])
    return values


# --- the writes --------------------------------------------------------------------------------


def plan_snapshot(plan: AccountPlan) -> dict[str, Any]:
    values = audit.snapshot(plan, ["year", "status", "vision", "review_every_days"])
    values["account"] = plan.account.external_id or plan.account.name
    values["owner"] = plan.owner.username if plan.owner_id else None
    return values


def part_snapshot(kind: PartKind, part: Any) -> dict[str, Any]:
    values = audit.snapshot(part, list(kind.audit_names))
    if kind.user_field:
        person = getattr(part, kind.user_field)
        values[kind.user_field] = person.username if person is not None else None
    values["plan"] = str(part.plan)
    return values


def _save_guarded(instance: models.Model, field_name: str) -> None:
    """Save; a database constraint that refuses it becomes a PlanConflict naming the field
    (two people saving at once get the rule's message, not a server error)."""
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        got = shown(getattr(instance, field_name))
        message = (
            f"conflicts with a record saved meanwhile (got {got}, expected a value no other "
            "record of the plan's account has)"
        )
        raise PlanConflict([Problem(None, field_name, message)]) from None


@transaction.atomic
def save_plan(
    *,
    actor: User,
    values: dict[str, Any],
    plan: AccountPlan | None = None,
    source: str = "web",
) -> AccountPlan:
    """Create or change a plan from clean_plan's values (audited). A new plan starts its
    whitespace grid with the product lines the account buys."""
    require_writer(actor)
    creating = plan is None
    target = plan or AccountPlan()
    before = {} if creating else plan_snapshot(target)
    for name, value in values.items():
        if name == "account" and not creating:
            continue
        setattr(target, name, value)
    if creating and not target.product_lines:
        target.product_lines = default_product_lines(target.account)
    field_name = "status" if target.status == PlanStatus.ACTIVE else "year"
    _save_guarded(target, field_name)
    refresh_next_review(target)
    after = plan_snapshot(target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=target.account_id,
        source=source,
    )
    return target


@transaction.atomic
def delete_plan(*, actor: User, plan: AccountPlan, source: str = "web") -> None:
    """Delete a plan with all its parts (audited, with how many of each there were)."""
    require_writer(actor)
    before = plan_snapshot(plan)
    for kind in PARTS.values():
        count = kind.model._default_manager.filter(plan=plan).count()
        if count:
            before[kind.name] = count
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=plan,
        changes=audit.deleted(before),
        account_id=plan.account_id,
        source=source,
    )
    plan.delete()
    entry.save()


@transaction.atomic
def save_part(
    kind: PartKind,
    *,
    actor: User,
    plan: AccountPlan,
    values: dict[str, Any],
    part: Any = None,
    reviewer: User | None = None,
    source: str = "web",
) -> Any:
    """Create or change a part of `plan` from clean_part's values (audited). A review is
    recorded by `reviewer` (default: the actor) and moves the next review's date."""
    require_writer(actor)
    creating = part is None
    target: Any = part or kind.model(plan=plan)
    target.plan = plan
    if kind.name == "reviews" and creating:
        target.reviewer = reviewer or actor
    before = {} if creating else part_snapshot(kind, target)
    for name, value in values.items():
        setattr(target, name, value)
    _save_guarded(target, kind.fields[0].name)
    if kind.name == "reviews":
        refresh_next_review(plan)
    after = part_snapshot(kind, target)
    audit.record(
        actor=actor,
        action=AuditAction.CREATE if creating else AuditAction.UPDATE,
        instance=target,
        changes=audit.created(after) if creating else audit.diff(before, after),
        account_id=plan.account_id,
        source=source,
    )
    touch(plan)
    return target


@transaction.atomic
def delete_part(kind: PartKind, *, actor: User, part: Any, source: str = "web") -> None:
    require_writer(actor)
    plan = part.plan
    entry = audit.event(
        actor=actor,
        action=AuditAction.DELETE,
        instance=part,
        changes=audit.deleted(part_snapshot(kind, part)),
        account_id=plan.account_id,
        source=source,
    )
    part.delete()
    entry.save()
    if kind.name == "reviews":
        refresh_next_review(plan)
    touch(plan)


def touch(plan: AccountPlan) -> None:
    """A change to a part is a change to the plan: its `updated` moves."""
    now = timezone.now()
    AccountPlan.objects.filter(pk=plan.pk).update(updated_at=now)
    plan.updated_at = now


def refresh_next_review(plan: AccountPlan) -> None:
    """The next review is due `review_every_days` after the last one (or the plan's start)."""
    last = plan.reviews.aggregate(last=Max("reviewed_on"))["last"]
    start = last or timezone.localtime(plan.created_at).date()
    due = start + dt.timedelta(days=plan.review_every_days)
    if plan.next_review_due != due:
        plan.next_review_due = due
        AccountPlan.objects.filter(pk=plan.pk).update(next_review_due=due)


# --- the whitespace grid ---------------------------------------------------------------------


@dataclass
class Grid:
    """Product lines (rows) × business units (columns); a pair without a status is not
    assessed yet."""

    product_lines: list[str] = field(default_factory=list)
    business_units: list[str] = field(default_factory=list)
    cells: dict[tuple[str, str], str] = field(default_factory=dict)

    def rows(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """[(product line, [(business unit, status or "")])] in the grid's order."""
        return [
            (line, [(unit, self.cells.get((line, unit), "")) for unit in self.business_units])
            for line in self.product_lines
        ]

    def as_data(self) -> dict[str, Any]:
        return {
            "product_lines": list(self.product_lines),
            "business_units": list(self.business_units),
            "cells": [
                {"product_line": line, "business_unit": unit, "status": status}
                for (line, unit), status in self.ordered_cells()
            ],
        }

    def ordered_cells(self) -> list[tuple[tuple[str, str], str]]:
        lines = {name: i for i, name in enumerate(self.product_lines)}
        units = {name: i for i, name in enumerate(self.business_units)}
        return sorted(self.cells.items(), key=lambda c: (lines[c[0][0]], units[c[0][1]]))

    def counts(self) -> dict[str, int]:
        found = {status: 0 for status in CellStatus.values}
        for status in self.cells.values():
            found[status] += 1
        return found

    def text(self) -> str:
        return "; ".join(
            f"{line} × {unit}: {status}" for (line, unit), status in self.ordered_cells()
        )


def grid_of(plan: AccountPlan, cells: Iterable[PlanWhitespaceCell] | None = None) -> Grid:
    rows = plan.cells.all() if cells is None else cells
    grid = Grid(list(plan.product_lines), list(plan.business_units))
    for cell in rows:
        if cell.product_line in grid.product_lines and cell.business_unit in grid.business_units:
            grid.cells[(cell.product_line, cell.business_unit)] = cell.status
    return grid


def clean_grid(data: dict[str, Any]) -> Grid:
    """A Grid from {product_lines, business_units, cells}, or RecordInvalid naming each bad
    entry (e.g. cells.2.status).

    Names are trimmed and each kept once, in order; a cell naming a product line or a
    business unit the lists do not have adds it; a later cell for the same pair wins.
    """
    problems: list[Problem] = []
    grid = Grid()
    for key, target in (
        ("product_lines", grid.product_lines),
        ("business_units", grid.business_units),
    ):
        names = data.get(key) or []
        if not isinstance(names, list):
            problems.append(
                Problem(None, key, f"not a list (got {shown(names)}, expected a list of names)")
            )
            continue
        for index, raw in enumerate(names):
            try:
                name = GRID_NAME_FIELD.parse(raw)
            except FieldError as exc:
                problems.append(Problem(None, f"{key}.{index}", exc.message))
                continue
            if name not in target:
                target.append(name)
    cells = data.get("cells") or []
    if not isinstance(cells, list):
        problems.append(
            Problem(None, "cells", f"not a list (got {shown(cells)}, expected a list of cells)")
        )
        cells = []
    for index, raw_cell in enumerate(cells):
        if not isinstance(raw_cell, dict):
            problems.append(
                Problem(
                    None,
                    f"cells.{index}",
                    f"not a cell (got {shown(raw_cell)}, expected an object)",
                )
            )
            continue
        parsed: list[Problem] = []
        values = _parse(CELL_FIELDS, raw_cell, parsed)
        problems.extend(Problem(None, f"cells.{index}.{p.column}", p.message) for p in parsed)
        if parsed:
            continue
        line, unit = values["product_line"], values["business_unit"]
        if line not in grid.product_lines:
            grid.product_lines.append(line)
        if unit not in grid.business_units:
            grid.business_units.append(unit)
        grid.cells[(line, unit)] = values["status"]
    if problems:
        raise RecordInvalid(problems)
    return grid


def names_from_text(text: str) -> list[str]:
    """One name a line (as the page's row and column editor sends them), blanks left out."""
    return [line.strip()[:MAX_NAME] for line in (text or "").splitlines() if line.strip()][
        : MAX_GRID_NAMES * 4
    ]


@transaction.atomic
def set_whitespace(*, actor: User, plan: AccountPlan, grid: Grid, source: str = "web") -> Grid:
    """Replace the plan's grid (rows, columns and cells) with `grid`, audited as one change."""
    require_writer(actor)
    before = grid_of(plan)
    plan.product_lines = list(grid.product_lines)
    plan.business_units = list(grid.business_units)
    plan.save(update_fields=["product_lines", "business_units", "updated_at"])
    plan.cells.all().delete()
    PlanWhitespaceCell.objects.bulk_create(
        PlanWhitespaceCell(plan=plan, product_line=line, business_unit=unit, status=status)
        for (line, unit), status in grid.ordered_cells()
    )
    changes = audit.diff(
        {
            "product lines": "; ".join(before.product_lines),
            "business units": "; ".join(before.business_units),
            "whitespace": before.text(),
        },
        {
            "product lines": "; ".join(grid.product_lines),
            "business units": "; ".join(grid.business_units),
            "whitespace": grid.text(),
        },
    )
    audit.record(
        actor=actor,
        action=AuditAction.UPDATE,
        instance=plan,
        changes=changes,
        account_id=plan.account_id,
        source=source,
    )
    return grid


def set_axes(
    *,
    actor: User,
    plan: AccountPlan,
    product_lines: list[str],
    business_units: list[str],
    source: str = "web",
) -> Grid:
    """New rows and columns; the cells of the pairs that remain keep their status."""
    current = grid_of(plan)
    grid = clean_grid({"product_lines": product_lines, "business_units": business_units})
    grid.cells = {
        pair: status
        for pair, status in current.cells.items()
        if pair[0] in grid.product_lines and pair[1] in grid.business_units
    }
    return set_whitespace(actor=actor, plan=plan, grid=grid, source=source)


def default_product_lines(account: Account) -> list[str]:
    """The products the account buys, by revenue: the rows a new plan's grid starts with.

    Orders carry a product name, not a category, so the names are the product lines; an
    account without orders starts with an empty grid.
    """
    from kam.transactions.models import Order

    rows = (
        Order.objects.filter(account=account)
        .exclude(product="")
        .values("product")
        .annotate(total=Sum("amount"))
        .order_by("-total", "product")[:DEFAULT_PRODUCT_LINES]
    )
    names: list[str] = []
    for row in rows:
        name = str(row["product"]).strip()[:MAX_NAME]
        if name and name not in names:
            names.append(name)
    return names


# --- figures -----------------------------------------------------------------------------------


def revenue_by_year(account_id: int, years: Iterable[int]) -> dict[int, Decimal]:
    """The account's order revenue (credit notes subtracted) in each calendar year: one query."""
    from kam.transactions.models import Order

    wanted = sorted(set(years))
    found = {year: Decimal(0) for year in wanted}
    if not wanted:
        return found
    rows = (
        Order.objects.filter(
            account_id=account_id,
            order_date__gte=dt.date(wanted[0], 1, 1),
            order_date__lte=dt.date(wanted[-1], 12, 31),
        )
        .annotate(year=ExtractYear("order_date"))
        .values("year")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        if row["year"] in found:
            found[row["year"]] = row["total"] or Decimal(0)
    return found


@dataclass
class TargetRow:
    target: PlanRevenueTarget
    actual: Decimal
    attainment: Decimal | None  # actual / target in percent; None for a zero target

    @property
    def year(self) -> int:
        return self.target.year

    @property
    def amount(self) -> Decimal:
        return self.target.amount

    @property
    def gap(self) -> Decimal:
        return self.actual - self.target.amount


def attainment(actual: Decimal, amount: Decimal) -> Decimal | None:
    if amount <= 0:
        return None
    return (actual * 100 / amount).quantize(Decimal("0.1"))


def target_rows(
    plan: AccountPlan, targets: Iterable[PlanRevenueTarget] | None = None
) -> list[TargetRow]:
    """Each revenue target with the actual revenue of its year and the attainment."""
    found = list(plan.targets.order_by("year") if targets is None else targets)
    actuals = revenue_by_year(plan.account_id, [t.year for t in found])
    return [TargetRow(t, actuals[t.year], attainment(actuals[t.year], t.amount)) for t in found]


def with_target_figures(
    plan: AccountPlan, targets: list[PlanRevenueTarget]
) -> list[PlanRevenueTarget]:
    """The targets with `actual` and `attainment` set (for the API)."""
    for row in target_rows(plan, targets):
        row.target.actual = row.actual  # type: ignore[attr-defined]
        row.target.attainment = row.attainment  # type: ignore[attr-defined]
    return targets


def plan_list(user: User, as_of: dt.date | None = None) -> QuerySet[AccountPlan]:
    """The plans `user` sees with their open and overdue actions counted (one query)."""
    today = as_of or timezone.localdate()
    open_actions = Q(actions__status__in=OPEN_ACTION_STATUSES)
    return (
        visible_plans(user)
        .select_related("account", "owner")
        .annotate(
            open_actions=Count("actions", filter=open_actions),
            overdue_actions=Count("actions", filter=open_actions & Q(actions__due_date__lt=today)),
        )
    )


def review_overdue_filter(as_of: dt.date | None = None) -> Q:
    today = as_of or timezone.localdate()
    return Q(status=PlanStatus.ACTIVE, next_review_due__lt=today)


def current_plan(user: User, account: Account) -> AccountPlan | None:
    """The account's active plan, else its latest draft; None when it has neither."""
    plans = visible_plans(user).filter(account=account).exclude(status=PlanStatus.ARCHIVED)
    return plans.select_related("owner").order_by("status", "-year", "-pk").first()


def open_actions(plan: AccountPlan) -> QuerySet[PlanAction]:
    return plan.actions.filter(status__in=OPEN_ACTION_STATUSES).select_related("owner")


def swot_quadrants(items: Iterable[PlanSwotItem]) -> list[tuple[str, str, list[PlanSwotItem]]]:
    """[(quadrant code, label, items)] in the order S, W, O, T."""
    by_quadrant: dict[str, list[PlanSwotItem]] = {q: [] for q in Quadrant.values}
    for item in items:
        by_quadrant[item.quadrant].append(item)
    return [(str(q.value), str(q.label), by_quadrant[q.value]) for q in Quadrant]


def plan_history(plan: AccountPlan) -> QuerySet[AuditEvent]:
    """Changes to the account's plans and their parts, newest first."""
    return AuditEvent.objects.filter(
        account_id=plan.account_id, object_type__in=PLAN_OBJECT_TYPES
    ).select_related("actor")


# --- reminders ------------------------------------------------------------------------------


@dataclass
class Reminded:
    reviews: int = 0
    actions: int = 0


@transaction.atomic
def remind(as_of: dt.date | None = None) -> Reminded:
    """Tell plan owners of overdue reviews and action owners of overdue actions, of active
    plans. Each due date is told once: running it again tells nobody again, and a new
    due date (after a review, or a moved action) is told when it passes in turn."""
    from kam.notifications.services import notify

    today = as_of or timezone.localdate()
    report = Reminded()
    plans = (
        AccountPlan.objects.filter(review_overdue_filter(today))
        .filter(Q(review_reminded_for__isnull=True) | ~Q(review_reminded_for=F("next_review_due")))
        .select_related("account", "owner")
        .order_by("pk")
    )
    for plan in plans:
        notify(
            [plan.owner],
            "plans.review_overdue",
            {
                "account": plan.account.name,
                "year": plan.year,
                "due": plan.next_review_due.isoformat() if plan.next_review_due else "",
            },
            link=plan.get_absolute_url(),
            account_id=plan.account_id,
        )
        AccountPlan.objects.filter(pk=plan.pk).update(review_reminded_for=plan.next_review_due)
        report.reviews += 1
    actions = (
        PlanAction.objects.filter(
            plan__status=PlanStatus.ACTIVE,
            status__in=OPEN_ACTION_STATUSES,
            due_date__lt=today,
        )
        .filter(Q(reminded_for__isnull=True) | ~Q(reminded_for=F("due_date")))
        .select_related("plan__account", "owner")
        .order_by("pk")
    )
    for action in actions:
        notify(
            [action.owner],
            "plans.action_overdue",
            {
                "account": action.plan.account.name,
                "action": action.text[:120],
                "due": action.due_date.isoformat() if action.due_date else "",
            },
            link=action.plan.get_absolute_url() + "#actions",
            account_id=action.plan.account_id,
        )
        PlanAction.objects.filter(pk=action.pk).update(reminded_for=action.due_date)
        report.actions += 1
    return report
