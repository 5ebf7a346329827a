"""Account plans in the REST API (REL-4): the plans and, nested under each, its objectives,
revenue targets, SWOT items, competitors, actions, reviews and its whitespace grid.

A plan is visible exactly when its account is (404 otherwise); analysts read and get 403
on every change; invalid fields answer 422, a second active plan for an account (or a second
current plan for a year, or a second target for a year) 409.

The routes of the parts are made by one function per kind of part (`part_routes`), so they
behave alike. This module evaluates its annotations at import (no `from __future__ import
annotations`): ninja reads the schemas of those routes from the functions' signatures.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import StringConstraints

from kam.accounts.io import MONEY_MAX
from kam.core.access import require_writer
from kam.core.api import actor
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    NO_NUL,
    NOT_BLANK,
    InputSchema,
    NumberOut,
    Page,
    PageParams,
    RecordId,
    choice_field,
    date_field,
    number_field,
    paginate,
    text_field,
    whole_field,
)
from kam.plans.io import (
    ACTION_FIELDS,
    COMPETITOR_FIELDS,
    FIRST_YEAR,
    LAST_YEAR,
    MAX_GRID_NAMES,
    MAX_NAME,
    MAX_REVIEW_DAYS,
    OBJECTIVE_FIELDS,
    PLAN_FIELDS,
    REVIEW_FIELDS,
    SWOT_FIELDS,
    TARGET_FIELDS,
)
from kam.plans.models import (
    AccountPlan,
    ActionStatus,
    CellStatus,
    CompetitorPosition,
    ObjectiveStatus,
    PlanAction,
    PlanCompetitor,
    PlanObjective,
    PlanRevenueTarget,
    PlanReview,
    PlanStatus,
    PlanSwotItem,
    Quadrant,
)
from kam.plans.services import (
    PARTS,
    Grid,
    PlanConflict,
    clean_grid,
    clean_part,
    clean_plan,
    delete_part,
    delete_plan,
    get_part,
    get_plan_for_user,
    grid_of,
    open_actions,
    plan_list,
    review_overdue_filter,
    save_part,
    save_plan,
    set_whitespace,
    with_target_figures,
)

router = Router(tags=["plans"])

Value = TypeVar("Value")

P = PLAN_FIELDS
CONFLICT = (
    "409 when it would make a second active plan of the account, or a second draft or "
    "active plan of the account for the year."
)
TARGET_CONFLICT = "409 when the plan has a target for that year already."


def conflict_free(work: Callable[[], Value]) -> Value:
    """work()'s result; a rule of the database it would break is a conflict (409)."""
    try:
        return work()
    except PlanConflict as conflict:
        raise HttpError(409, str(conflict.problems[0].message)) from None


# --- the parts' output ------------------------------------------------------------------------


class ObjectiveOut(Schema):
    id: int
    plan_id: int
    text: str
    measure: str
    target_date: dt.date | None
    status: ObjectiveStatus


class TargetOut(Schema):
    id: int
    plan_id: int
    year: int
    amount: NumberOut = Field(description="The target revenue, in the book's currency.")
    actual: NumberOut = Field(
        description="The account's order revenue of the year (credit notes subtracted)."
    )
    attainment: float | None = Field(
        description="actual / amount in percent, one decimal; null for a zero target."
    )

    @staticmethod
    def resolve_actual(target: PlanRevenueTarget) -> Decimal:
        if not hasattr(target, "actual"):
            with_target_figures(target.plan, [target])
        return Decimal(target.actual)  # type: ignore[attr-defined]

    @staticmethod
    def resolve_attainment(target: PlanRevenueTarget) -> float | None:
        if not hasattr(target, "attainment"):
            with_target_figures(target.plan, [target])
        value = target.attainment  # type: ignore[attr-defined]
        return None if value is None else float(value)


class SwotItemOut(Schema):
    id: int
    plan_id: int
    quadrant: Quadrant = Field(
        description="strength, weakness (ours with this account); opportunity, threat (theirs)."
    )
    text: str


class CompetitorOut(Schema):
    id: int
    plan_id: int
    name: str
    products: str
    share_of_wallet: NumberOut | None = Field(description="Percent, if known.")
    position: CompetitorPosition
    counter_strategy: str


class ActionOut(Schema):
    id: int
    plan_id: int
    text: str
    owner: str = Field(description="The owner's username.")
    due_date: dt.date | None
    status: ActionStatus
    overdue: bool = Field(description="Open or in progress, and past its due date.")

    @staticmethod
    def resolve_owner(action: PlanAction) -> str:
        return action.owner.username

    @staticmethod
    def resolve_overdue(action: PlanAction) -> bool:
        return action.is_overdue()


class ReviewOut(Schema):
    id: int
    plan_id: int
    reviewed_on: dt.date
    reviewer: str = Field(description="The username of who recorded it.")
    notes: str

    @staticmethod
    def resolve_reviewer(review: PlanReview) -> str:
        return review.reviewer.username


class CellOut(Schema):
    product_line: str
    business_unit: str
    status: CellStatus


class GridOut(Schema):
    """Product lines (rows) × the account's business units (columns); pairs without a cell
    are not assessed yet."""

    product_lines: list[str]
    business_units: list[str]
    cells: list[CellOut]


# --- plans ----------------------------------------------------------------------------------------


class PlanOut(Schema):
    id: int
    account_id: int
    account: str | None = Field(description="The account's external_id.")
    account_name: str
    year: int
    status: PlanStatus
    owner: str = Field(description="The owner's username.")
    vision: str
    review_every_days: int
    next_review_due: dt.date | None = Field(
        description="The last review (or the plan's start) plus the cadence."
    )
    review_overdue: bool = Field(description="Active, and the next review's date has passed.")
    open_actions: int
    overdue_actions: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_account(plan: AccountPlan) -> str | None:
        return plan.account.external_id

    @staticmethod
    def resolve_account_name(plan: AccountPlan) -> str:
        return plan.account.name

    @staticmethod
    def resolve_owner(plan: AccountPlan) -> str:
        return plan.owner.username

    @staticmethod
    def resolve_review_overdue(plan: AccountPlan) -> bool:
        return plan.review_overdue()

    @staticmethod
    def resolve_open_actions(plan: AccountPlan) -> int:
        found = getattr(plan, "open_actions", None)
        return int(found) if found is not None else open_actions(plan).count()

    @staticmethod
    def resolve_overdue_actions(plan: AccountPlan) -> int:
        found = getattr(plan, "overdue_actions", None)
        if found is not None:
            return int(found)
        return sum(1 for action in open_actions(plan) if action.is_overdue())


class PlanDetailOut(PlanOut):
    """A plan with all its parts."""

    objectives: list[ObjectiveOut]
    targets: list[TargetOut]
    swot: list[SwotItemOut]
    competitors: list[CompetitorOut]
    whitespace: GridOut
    actions: list[ActionOut]
    reviews: list[ReviewOut] = Field(description="Newest first.")

    @staticmethod
    def resolve_objectives(plan: AccountPlan) -> list[PlanObjective]:
        return list(plan.objectives.all())

    @staticmethod
    def resolve_targets(plan: AccountPlan) -> list[PlanRevenueTarget]:
        return with_target_figures(plan, list(plan.targets.order_by("year")))

    @staticmethod
    def resolve_swot(plan: AccountPlan) -> list[PlanSwotItem]:
        return list(plan.swot.all())

    @staticmethod
    def resolve_competitors(plan: AccountPlan) -> list[PlanCompetitor]:
        return list(plan.competitors.all())

    @staticmethod
    def resolve_whitespace(plan: AccountPlan) -> dict[str, Any]:
        return grid_of(plan).as_data()

    @staticmethod
    def resolve_actions(plan: AccountPlan) -> list[PlanAction]:
        return list(plan.actions.select_related("owner"))

    @staticmethod
    def resolve_reviews(plan: AccountPlan) -> list[PlanReview]:
        return list(plan.reviews.select_related("reviewer"))


Year = Annotated[int | None, whole_field(P, "year", FIRST_YEAR, LAST_YEAR)]


class PlanFields(InputSchema):
    status: Annotated[str | None, choice_field(P, "status", PlanStatus)] = Field(
        None, description="Default: draft. One plan of an account is active."
    )
    owner: Annotated[str | None, text_field(P, "owner", 150)] = Field(
        None,
        description="A username of someone who sees the account and may change it; "
        "default: the account's owner.",
    )
    vision: Annotated[str | None, text_field(P, "vision", 5000)] = Field(
        None, description="The shared long-term vision."
    )
    review_every_days: Annotated[
        int | None, whole_field(P, "review_every_days", 1, MAX_REVIEW_DAYS)
    ] = Field(None, description="The review cadence; default 90.")


class PlanCreate(PlanFields):
    account: Annotated[str | None, text_field(P, "account", 64, blank=False)] = Field(
        description="The account's external_id."
    )
    year: Year = Field(description="The plan year.")


class PlanPatch(PlanFields):
    """Only the fields sent change; null empties a field. A plan keeps its account."""

    year: Year = None


class PlanFilters(PageParams):
    account: str | None = Field(
        None, max_length=64, pattern=NO_NUL, description="The account's external_id."
    )
    status: PlanStatus | None = None
    owner: str | None = Field(None, max_length=150, pattern=NO_NUL, description="Username.")
    year: int | None = Field(None, ge=FIRST_YEAR, le=LAST_YEAR)
    review_overdue: bool | None = Field(
        None, description="true: only active plans whose review is overdue."
    )


@router.get("", response={200: Page[PlanOut], **ERRORS_READ}, summary="Account plans")
def list_plans(request: HttpRequest, filters: Query[PlanFilters]) -> dict[str, Any]:
    rows = plan_list(actor(request))
    if filters.account is not None:
        rows = rows.filter(account__external_id=filters.account)
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    if filters.owner is not None:
        rows = rows.filter(owner__username=filters.owner)
    if filters.year is not None:
        rows = rows.filter(year=filters.year)
    if filters.review_overdue is True:
        rows = rows.filter(review_overdue_filter())
    elif filters.review_overdue is False:
        rows = rows.exclude(review_overdue_filter())
    return paginate(rows.order_by("account__name", "-year", "pk"), filters)


@router.post(
    "",
    response={201: PlanDetailOut, **ERRORS_CREATE},
    summary="Create an account plan",
    description=CONFLICT,
)
def create_plan(request: HttpRequest, payload: PlanCreate) -> Status[AccountPlan]:
    user = actor(request)
    require_writer(user)
    with transaction.atomic():
        values = conflict_free(lambda: clean_plan(payload.import_row(), actor=user))
        plan = conflict_free(lambda: save_plan(actor=user, values=values, source="api"))
    return Status(201, get_plan_for_user(user, plan.pk))


@router.get("/{plan_id}", response={200: PlanDetailOut, **ERRORS_ONE}, summary="One account plan")
def read_plan(request: HttpRequest, plan_id: RecordId) -> AccountPlan:
    return get_plan_for_user(actor(request), plan_id)


@router.patch(
    "/{plan_id}",
    response={200: PlanDetailOut, **ERRORS_CHANGE},
    summary="Change an account plan",
    description=CONFLICT,
)
def change_plan(request: HttpRequest, plan_id: RecordId, payload: PlanPatch) -> AccountPlan:
    user = actor(request)
    plan = get_plan_for_user(user, plan_id, for_write=True)
    with transaction.atomic():
        values = conflict_free(lambda: clean_plan(payload.import_row(), actor=user, plan=plan))
        conflict_free(lambda: save_plan(actor=user, values=values, plan=plan, source="api"))
    return get_plan_for_user(user, plan.pk)


@router.delete(
    "/{plan_id}",
    response={204: None, **ERRORS_DELETE},
    summary="Delete an account plan with all its parts",
)
def remove_plan(request: HttpRequest, plan_id: RecordId) -> Status[None]:
    user = actor(request)
    plan = get_plan_for_user(user, plan_id, for_write=True)
    delete_plan(actor=user, plan=plan, source="api")
    return Status(204, None)


# --- the whitespace grid -------------------------------------------------------------------------

GridName = Annotated[str, StringConstraints(max_length=MAX_NAME, pattern=NOT_BLANK)]


CellCode = Literal["sold", "in_progress", "open", "not_relevant"]  # CellStatus's codes


class CellIn(InputSchema):
    product_line: GridName
    business_unit: GridName
    status: CellCode = Field(description="sold, in_progress, open or not_relevant.")


class GridIn(InputSchema):
    """The whole grid. Names are trimmed and kept once each; a cell naming a product line or
    business unit not in the lists adds it; a later cell for the same pair wins."""

    product_lines: list[GridName] = Field(max_length=MAX_GRID_NAMES)
    business_units: list[GridName] = Field(max_length=MAX_GRID_NAMES)
    cells: list[CellIn] = Field(max_length=MAX_GRID_NAMES * MAX_GRID_NAMES)


@router.get(
    "/{plan_id}/whitespace",
    response={200: GridOut, **ERRORS_ONE},
    summary="The whitespace grid of a plan",
)
def read_whitespace(request: HttpRequest, plan_id: RecordId) -> dict[str, Any]:
    return grid_of(get_plan_for_user(actor(request), plan_id)).as_data()


@router.put(
    "/{plan_id}/whitespace",
    response={200: GridOut, **ERRORS_CHANGE},
    summary="Replace the whitespace grid of a plan",
)
def replace_whitespace(request: HttpRequest, plan_id: RecordId, payload: GridIn) -> dict[str, Any]:
    user = actor(request)
    plan = get_plan_for_user(user, plan_id, for_write=True)
    grid = clean_grid(payload.model_dump(mode="json"))
    return set_whitespace(actor=user, plan=plan, grid=grid, source="api").as_data()


@router.put(
    "/{plan_id}/whitespace/cells",
    response={200: GridOut, **ERRORS_CHANGE},
    summary="Set one cell of the whitespace grid",
    description="A product line or business unit the grid does not have yet is added.",
)
def set_cell(request: HttpRequest, plan_id: RecordId, payload: CellIn) -> dict[str, Any]:
    user = actor(request)
    plan = get_plan_for_user(user, plan_id, for_write=True)
    data = grid_of(plan).as_data()
    data["cells"].append(payload.model_dump(mode="json"))
    grid: Grid = clean_grid(data)
    return set_whitespace(actor=user, plan=plan, grid=grid, source="api").as_data()


# --- the parts: one set of routes per kind --------------------------------------------------------

Text500 = Annotated[str | None, text_field(OBJECTIVE_FIELDS, "text", 500, blank=False)]


class ObjectiveFields(InputSchema):
    measure: Annotated[str | None, text_field(OBJECTIVE_FIELDS, "measure", 300)] = None
    target_date: Annotated[str | None, date_field(OBJECTIVE_FIELDS, "target_date")] = None
    status: Annotated[str | None, choice_field(OBJECTIVE_FIELDS, "status", ObjectiveStatus)] = (
        Field(None, description="Default: open (not started).")
    )


class ObjectiveCreate(ObjectiveFields):
    text: Text500


class ObjectivePatch(ObjectiveFields):
    """Only the fields sent change; null empties a field."""

    text: Text500 = None


TargetYear = Annotated[int | None, whole_field(TARGET_FIELDS, "year", FIRST_YEAR, LAST_YEAR)]
TargetAmount = Annotated[
    float | None,
    number_field(TARGET_FIELDS, "amount", places=2, minimum=Decimal(0), maximum=MONEY_MAX),
]


class TargetCreate(InputSchema):
    year: TargetYear
    amount: TargetAmount = Field(description="In the book's currency.")


class TargetPatch(InputSchema):
    """Only the fields sent change."""

    year: TargetYear = None
    amount: TargetAmount = None


Quadrants = Annotated[str | None, choice_field(SWOT_FIELDS, "quadrant", Quadrant)]
SwotText = Annotated[str | None, text_field(SWOT_FIELDS, "text", 500, blank=False)]


class SwotCreate(InputSchema):
    quadrant: Quadrants
    text: SwotText


class SwotPatch(InputSchema):
    """Only the fields sent change."""

    quadrant: Quadrants = None
    text: SwotText = None


CompetitorName = Annotated[str | None, text_field(COMPETITOR_FIELDS, "name", 200, blank=False)]


class CompetitorFields(InputSchema):
    products: Annotated[str | None, text_field(COMPETITOR_FIELDS, "products", 500)] = None
    share_of_wallet: Annotated[
        float | None,
        number_field(
            COMPETITOR_FIELDS, "share_of_wallet", places=2, minimum=Decimal(0), maximum=Decimal(100)
        ),
    ] = Field(None, description="Their share of the account's spend in our categories, percent.")
    position: Annotated[
        str | None, choice_field(COMPETITOR_FIELDS, "position", CompetitorPosition)
    ] = Field(None, description="Default: established.")
    counter_strategy: Annotated[
        str | None, text_field(COMPETITOR_FIELDS, "counter_strategy", 5000)
    ] = None


class CompetitorCreate(CompetitorFields):
    name: CompetitorName


class CompetitorPatch(CompetitorFields):
    """Only the fields sent change; null empties a field."""

    name: CompetitorName = None


ActionText = Annotated[str | None, text_field(ACTION_FIELDS, "text", 500, blank=False)]


class ActionFields(InputSchema):
    owner: Annotated[str | None, text_field(ACTION_FIELDS, "owner", 150)] = Field(
        None, description="A username of someone who sees the account; default: you."
    )
    due_date: Annotated[str | None, date_field(ACTION_FIELDS, "due_date")] = None
    status: Annotated[str | None, choice_field(ACTION_FIELDS, "status", ActionStatus)] = Field(
        None, description="Default: open."
    )


class ActionCreate(ActionFields):
    text: ActionText


class ActionPatch(ActionFields):
    """Only the fields sent change; null empties a field."""

    text: ActionText = None


ReviewDate = Annotated[str | None, date_field(REVIEW_FIELDS, "reviewed_on")]


class ReviewCreate(InputSchema):
    """Recorded with you as the reviewer; the next review falls due a cadence later."""

    reviewed_on: ReviewDate
    notes: Annotated[str | None, text_field(REVIEW_FIELDS, "notes", 5000)] = None


class ReviewPatch(InputSchema):
    """Only the fields sent change."""

    reviewed_on: ReviewDate = None
    notes: Annotated[str | None, text_field(REVIEW_FIELDS, "notes", 5000)] = None


def part_routes(
    kind_name: str,
    noun: str,
    out_schema: type[Schema],
    create_schema: type[InputSchema],
    patch_schema: type[InputSchema],
) -> None:
    """List, add, read, change and delete one kind of part of a plan."""
    kind = PARTS[kind_name]
    collection = f"/{{plan_id}}/{kind_name}"
    one = f"{collection}/{{item_id}}"
    conflict = TARGET_CONFLICT if kind_name == "targets" else None

    def list_parts(
        request: HttpRequest, plan_id: RecordId, params: Query[PageParams]
    ) -> dict[str, Any]:
        plan = get_plan_for_user(actor(request), plan_id)
        page = paginate(kind.rows(plan), params)
        if kind_name == "targets":
            with_target_figures(plan, page["items"])
        return page

    def add_part(
        request: HttpRequest,
        plan_id: RecordId,
        payload: create_schema,  # type: ignore[valid-type]
    ) -> Status[Any]:
        user = actor(request)
        plan = get_plan_for_user(user, plan_id, for_write=True)
        with transaction.atomic():
            row = payload.import_row()  # type: ignore[attr-defined]
            values = conflict_free(lambda: clean_part(kind, row, actor=user, plan=plan))
            part = conflict_free(
                lambda: save_part(kind, actor=user, plan=plan, values=values, source="api")
            )
        return Status(201, part)

    def read_part(request: HttpRequest, plan_id: RecordId, item_id: RecordId) -> Any:
        plan = get_plan_for_user(actor(request), plan_id)
        return get_part(plan, kind, item_id)

    def change_part(
        request: HttpRequest,
        plan_id: RecordId,
        item_id: RecordId,
        payload: patch_schema,  # type: ignore[valid-type]
    ) -> Any:
        user = actor(request)
        plan = get_plan_for_user(user, plan_id, for_write=True)
        part = get_part(plan, kind, item_id)
        with transaction.atomic():
            row = payload.import_row()  # type: ignore[attr-defined]
            values = conflict_free(lambda: clean_part(kind, row, actor=user, plan=plan, part=part))
            conflict_free(
                lambda: save_part(
                    kind, actor=user, plan=plan, values=values, part=part, source="api"
                )
            )
        return get_part(plan, kind, item_id)

    def remove_part(request: HttpRequest, plan_id: RecordId, item_id: RecordId) -> Status[None]:
        user = actor(request)
        plan = get_plan_for_user(user, plan_id, for_write=True)
        delete_part(kind, actor=user, part=get_part(plan, kind, item_id), source="api")
        return Status(204, None)

    name = kind_name.rstrip("s") if kind_name != "swot" else "swot_item"
    router.get(
        collection,
        response={200: Page[out_schema], **ERRORS_ONE},  # type: ignore[valid-type]
        summary=f"The {noun}s of a plan",
        operation_id=f"list_plan_{kind_name}",
    )(list_parts)
    router.post(
        collection,
        response={201: out_schema, **ERRORS_CHANGE},
        summary=f"Add a {noun} to a plan",
        operation_id=f"add_plan_{name}",
        description=conflict,
    )(add_part)
    router.get(
        one,
        response={200: out_schema, **ERRORS_ONE},
        summary=f"One {noun} of a plan",
        operation_id=f"read_plan_{name}",
    )(read_part)
    router.patch(
        one,
        response={200: out_schema, **ERRORS_CHANGE},
        summary=f"Change a {noun} of a plan",
        operation_id=f"change_plan_{name}",
        description=conflict,
    )(change_part)
    router.delete(
        one,
        response={204: None, **ERRORS_DELETE},
        summary=f"Delete a {noun} of a plan",
        operation_id=f"delete_plan_{name}",
    )(remove_part)


part_routes("objectives", "objective", ObjectiveOut, ObjectiveCreate, ObjectivePatch)
part_routes("targets", "revenue target", TargetOut, TargetCreate, TargetPatch)
part_routes("swot", "SWOT item", SwotItemOut, SwotCreate, SwotPatch)
part_routes("competitors", "competitor", CompetitorOut, CompetitorCreate, CompetitorPatch)
part_routes("actions", "action", ActionOut, ActionCreate, ActionPatch)
part_routes("reviews", "review", ReviewOut, ReviewCreate, ReviewPatch)
