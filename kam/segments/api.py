"""Segments and their strategies in the REST API (SEG-1, SEG-5).

A segment's members are computed when asked for, from its definition, and are only the
accounts the caller may see; so are its member count and revenue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any, Literal, Union

from annotated_types import Ge, Le
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.errors import HttpError
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    GetCoreSchemaHandler,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    create_model,
)
from pydantic import Field as PydanticField
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError, core_schema

from kam.accounts.api import AccountOut, with_references
from kam.accounts.io import MONEY_MAX
from kam.core.api import actor
from kam.core.schemas import (
    ERRORS_CHANGE,
    ERRORS_CREATE,
    ERRORS_DELETE,
    ERRORS_ONE,
    ERRORS_READ,
    NOT_BLANK,
    InputSchema,
    NumberOut,
    Page,
    PageParams,
    RecordId,
    choice_field,
    date_field,
    integral,
    number_field,
    paginate,
    text_field,
)
from kam.segments.conditions import (
    FIELDS,
    MAX_CONDITIONS,
    MAX_VALUES,
    DefinitionInvalid,
    FieldSpec,
    Kind,
    check_definition,
    describe,
    region_names,
    uses_regions,
)
from kam.segments.io import SEGMENT_FIELDS, STRATEGY_FIELDS
from kam.segments.models import Segment, SegmentKind, Strategy, StrategyStatus
from kam.segments.services import (
    ActiveStrategyExists,
    NameTaken,
    active_first,
    clean_segment,
    clean_strategy,
    delete_segment,
    get_segment_for_user,
    get_strategy_for_user,
    require_segment_writer,
    save_segment,
    save_strategy,
    segment_members,
    segment_stats,
    segment_values,
    strategy_values,
    visible_segments,
)

router = Router(tags=["segments"])
strategies_router = Router(tags=["segments"])

S = SEGMENT_FIELDS
T = STRATEGY_FIELDS
REGION_CODE = r"^[-a-zA-Z0-9_]+$"


# --- the definition's schema, made from the list of condition fields ------------------


def _condition_schema(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)  # a bound left out is open, not null


def _range_schema(schema: dict[str, Any]) -> None:
    _condition_schema(schema)
    schema["anyOf"] = [{"required": ["min"]}, {"required": ["max"]}]


class ConditionBase(Schema):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_condition_schema)


class RangeBase(ConditionBase):
    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_range_schema)


def _one_of(codes: list[str]) -> Any:
    def exact(value: str) -> str:
        if value not in codes:
            raise ValueError("not one of the codes")
        return value

    return Annotated[str, AfterValidator(exact), WithJsonSchema({"type": "string", "enum": codes})]


def _value_type(spec: FieldSpec) -> Any:
    if spec.kind == Kind.CHOICE:
        return _one_of(spec.codes())
    if spec.kind == Kind.REGION:
        return Annotated[str, StringConstraints(max_length=40, pattern=REGION_CODE)]
    if spec.name == "country":
        return Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2}$")]
    return Annotated[str, StringConstraints(max_length=spec.max_length, pattern=NOT_BLANK)]


def _bound_type(spec: FieldSpec) -> Any:
    bound = spec.bound
    assert bound is not None
    if bound.whole:
        low, high = int(bound.minimum), int(bound.maximum)
        return Annotated[int, Ge(low), Le(high), BeforeValidator(integral)]
    return Annotated[float, Ge(bound.minimum), Le(bound.maximum)]


def _condition_model(spec: FieldSpec) -> type[Schema]:
    title = "".join(part.capitalize() for part in spec.name.split("_")) + "Condition"
    fields: dict[str, Any] = {"field": (Literal[spec.name], ...)}  # type: ignore[valid-type]
    if spec.kind == Kind.RANGE:
        bound = _bound_type(spec)
        base: type[Schema] = RangeBase
        doc = f"{spec.label}: min ≤ value ≤ max; leave a bound out to leave it open."
        fields["op"] = (Literal["between"], ...)
        fields["min"] = (bound, PydanticField(None))
        fields["max"] = (bound, PydanticField(None))
    else:
        base = ConditionBase
        doc = f"{spec.label}: in (one of the values) or not_in (none of them)."
        item: Any = _value_type(spec)
        fields["op"] = (Literal["in", "not_in"], ...)
        fields["values"] = (list[item], PydanticField(min_length=1, max_length=MAX_VALUES))  # type: ignore[valid-type]
    model: type[Schema] = create_model(title, __base__=base, __doc__=doc, **fields)
    return model


CONDITION_MODELS = [_condition_model(spec) for spec in FIELDS.values()]
Condition = Annotated[  # type: ignore[valid-type]
    Union[tuple(CONDITION_MODELS)],  # type: ignore[valid-type]  # noqa: UP007
    PydanticField(discriminator="field"),
]


class Definition(Schema):
    """Which accounts belong: conditions combined with all (and) or any (or)."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_condition_schema)

    match: Literal["all", "any"] = Field(
        "all", description="all: every condition holds (and); any: at least one (or)."
    )
    conditions: list[Condition] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=MAX_CONDITIONS
    )


class CheckedDefinition:
    """Check a definition with check_definition first (its messages name the condition
    and what was expected, as in the web form), then strictly against the schema."""

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # The value stays the JSON that was sent (check_definition reads it again), so it
        # is dumped as it is.
        return core_schema.no_info_wrap_validator_function(
            self.check,
            handler.generate_schema(Definition),
            serialization=core_schema.simple_ser_schema("any"),
        )

    def check(self, raw: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        try:
            check_definition(raw)
        except DefinitionInvalid as invalid:
            message = "; ".join(p.message for p in invalid.problems)
            raise PydanticCustomError("kam_invalid", "{message}", {"message": message}) from None
        try:
            handler(raw)
        except PydanticValidationError as problem:
            first = problem.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            message = f"definition.{where}: {first['msg']}" if where else first["msg"]
            raise PydanticCustomError("kam_invalid", "{message}", {"message": message}) from None
        return raw


DefinitionIn = Annotated[dict[str, Any], CheckedDefinition()]
# A change may leave the definition out; null is refused like any non-object.
DefinitionPatch = Annotated[dict[str, Any] | None, CheckedDefinition()]


# --- segments -------------------------------------------------------------------------


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    kind: SegmentKind
    owner_id: int
    owner: str = Field(description="The owner's username.")
    definition: Definition | None = Field(
        None,
        description="Left out for a data-driven segment: its members are a clustering "
        "run's result (cluster_run_id, cluster_label), not conditions.",
    )
    cluster_run_id: int | None = Field(None, description="A data-driven segment's run.")
    cluster_label: int | None = Field(None, description="Its cluster in that run.")
    summary: list[str] = Field(description="Each condition in words, in your language.")
    members: int = Field(description="Accounts you can see that belong to it now.")
    revenue_12m: NumberOut = Field(
        description="Their revenue of the last 12 months (in the book's currency)."
    )
    builtin: bool = Field(description="Made by `kam segment seed` as a starting point.")
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_owner(segment: Segment) -> str:
        return segment.owner.username

    @staticmethod
    def resolve_definition(segment: Segment) -> dict[str, Any] | None:
        return None if segment.kind == SegmentKind.CLUSTER else segment.definition

    @staticmethod
    def resolve_summary(segment: Segment) -> list[str]:
        return list(getattr(segment, "summary", None) or describe(segment.definition))

    @staticmethod
    def resolve_members(segment: Segment) -> int:
        return int(getattr(segment, "member_count", 0))

    @staticmethod
    def resolve_revenue_12m(segment: Segment) -> Decimal:
        return Decimal(getattr(segment, "member_revenue", 0))

    @staticmethod
    def resolve_builtin(segment: Segment) -> bool:
        return bool(segment.builtin_key)


SegmentName = Annotated[str | None, text_field(S, "name", 100, blank=False)]


class SegmentCreate(InputSchema):
    name: SegmentName
    description: Annotated[str | None, text_field(S, "description", 5000)] = None
    owner: Annotated[str | None, text_field(S, "owner", 150)] = Field(
        None, description="The owner's username; default: you."
    )
    definition: DefinitionIn


class SegmentPatch(InputSchema):
    """Only the fields sent change; a definition sent replaces the stored one."""

    name: SegmentName = None
    description: Annotated[str | None, text_field(S, "description", 5000)] = None
    owner: Annotated[str | None, text_field(S, "owner", 150)] = Field(
        None, description="The owner's username."
    )
    definition: DefinitionPatch = None


def with_stats(user: Any, segments: list[Segment]) -> list[Segment]:
    """The segments with what `user` sees of their members, and in words (regions read once)."""
    stats = segment_stats(user, segments)
    names = region_names() if any(uses_regions(s.definition) for s in segments) else {}
    for segment in segments:
        figures = stats[segment.pk]
        segment.member_count = figures.members  # type: ignore[attr-defined]
        segment.member_revenue = figures.revenue  # type: ignore[attr-defined]
        segment.summary = describe(segment.definition, names=names)  # type: ignore[attr-defined]
    return segments


# exclude_none: a range's open bound is left out, as it is stored (SegmentOut has no nulls).
@router.get(
    "", response={200: Page[SegmentOut], **ERRORS_READ}, summary="Segments", exclude_none=True
)
def list_segments(request: HttpRequest, params: Query[PageParams]) -> dict[str, Any]:
    user = actor(request)
    page = paginate(visible_segments(user).select_related("owner"), params)
    page["items"] = with_stats(user, page["items"])
    return page


@router.get(
    "/{segment_id}",
    response={200: SegmentOut, **ERRORS_ONE},
    summary="One segment",
    exclude_none=True,
)
def read_segment(request: HttpRequest, segment_id: RecordId) -> Segment:
    user = actor(request)
    return with_stats(user, [get_segment_for_user(user, segment_id)])[0]


@router.post(
    "",
    response={201: SegmentOut, **ERRORS_CREATE},
    summary="Create a segment (directors, administrators, sales managers)",
    description="409 when another segment has the name.",
    exclude_none=True,
)
def create_segment(request: HttpRequest, payload: SegmentCreate) -> Status[Segment]:
    user = actor(request)
    require_segment_writer(user)
    with transaction.atomic():
        values = conflict_free(lambda: clean_segment(payload.import_row(), actor=user))
        segment = save_segment(actor=user, values=values, source="api")
    return Status(201, with_stats(user, [segment])[0])


@router.patch(
    "/{segment_id}",
    response={200: SegmentOut, **ERRORS_CHANGE},
    summary="Change a segment",
    exclude_none=True,
)
def change_segment(request: HttpRequest, segment_id: RecordId, payload: SegmentPatch) -> Segment:
    user = actor(request)
    segment = get_segment_for_user(user, segment_id, for_write=True)
    with transaction.atomic():
        row = {**segment_values(segment), **payload.import_row()}
        values = conflict_free(lambda: clean_segment(row, actor=user, segment=segment))
        save_segment(actor=user, values=values, segment=segment, source="api")
    return with_stats(user, [segment])[0]


@router.delete(
    "/{segment_id}",
    response={204: None, **ERRORS_DELETE},
    summary="Delete a segment with its strategies",
)
def remove_segment(request: HttpRequest, segment_id: RecordId) -> Status[None]:
    user = actor(request)
    segment = get_segment_for_user(user, segment_id, for_write=True)
    delete_segment(actor=user, segment=segment, source="api")
    return Status(204, None)


@router.get(
    "/{segment_id}/members",
    response={200: Page[AccountOut], **ERRORS_ONE},
    summary="The accounts of a segment that you can see",
)
def list_members(
    request: HttpRequest, segment_id: RecordId, params: Query[PageParams]
) -> dict[str, Any]:
    user = actor(request)
    segment = get_segment_for_user(user, segment_id)
    return paginate(with_references(segment_members(segment, user)).order_by("name", "pk"), params)


def conflict_free(clean: Any) -> dict[str, Any]:
    """clean()'s values; a name or an active strategy that is taken is a conflict (409)."""
    try:
        return dict(clean())
    except (NameTaken, ActiveStrategyExists) as conflict:
        raise HttpError(409, str(conflict.problems[0].message)) from None


# --- strategies -----------------------------------------------------------------------


class StrategyOut(Schema):
    id: int
    segment_id: int
    segment: str = Field(description="The segment's name.")
    name: str
    status: StrategyStatus
    product: str
    price: str
    channel: str
    promotion: str
    target_revenue: NumberOut | None = Field(description="In the book's currency.")
    owner_id: int
    owner: str = Field(description="The owner's username.")
    review_date: dt.date | None
    created_at: dt.datetime
    updated_at: dt.datetime

    @staticmethod
    def resolve_segment(strategy: Strategy) -> str:
        return strategy.segment.name

    @staticmethod
    def resolve_owner(strategy: Strategy) -> str:
        return strategy.owner.username


class StrategyFields(InputSchema):
    status: Annotated[str | None, choice_field(T, "status", StrategyStatus)] = Field(
        None, description="Default: draft. One strategy per segment is active."
    )
    product: Annotated[str | None, text_field(T, "product", 5000)] = None
    price: Annotated[str | None, text_field(T, "price", 5000)] = None
    channel: Annotated[str | None, text_field(T, "channel", 5000)] = None
    promotion: Annotated[str | None, text_field(T, "promotion", 5000)] = None
    target_revenue: Annotated[
        float | None,
        number_field(T, "target_revenue", places=2, minimum=Decimal(0), maximum=MONEY_MAX),
    ] = Field(None, description="In the book's currency.")
    owner: Annotated[str | None, text_field(T, "owner", 150)] = Field(
        None, description="The owner's username; default: you."
    )
    review_date: Annotated[str | None, date_field(T, "review_date")] = None


StrategyName = Annotated[str | None, text_field(T, "name", 200, blank=False)]


class StrategyCreate(StrategyFields):
    name: StrategyName


class StrategyPatch(StrategyFields):
    """Only the fields sent change; null empties a field."""

    name: StrategyName = None


@router.get(
    "/{segment_id}/strategies",
    response={200: Page[StrategyOut], **ERRORS_ONE},
    summary="A segment's strategies, the active one first",
)
def list_strategies(
    request: HttpRequest, segment_id: RecordId, params: Query[PageParams]
) -> dict[str, Any]:
    segment = get_segment_for_user(actor(request), segment_id)
    rows = active_first(segment.strategies.select_related("segment", "owner"))
    return paginate(rows, params)


@router.post(
    "/{segment_id}/strategies",
    response={201: StrategyOut, **ERRORS_CHANGE},
    summary="Add a strategy to a segment",
    description="409 when it would be active while another strategy of the segment is.",
)
def create_strategy(
    request: HttpRequest, segment_id: RecordId, payload: StrategyCreate
) -> Status[Strategy]:
    user = actor(request)
    segment = get_segment_for_user(user, segment_id, for_write=True)
    with transaction.atomic():
        row = payload.import_row()
        values = conflict_free(lambda: clean_strategy(row, actor=user, segment=segment))
        strategy = save_strategy(actor=user, values=values, segment=segment, source="api")
    return Status(201, strategy)


@strategies_router.get(
    "/{strategy_id}", response={200: StrategyOut, **ERRORS_ONE}, summary="One strategy"
)
def read_strategy(request: HttpRequest, strategy_id: RecordId) -> Strategy:
    return get_strategy_for_user(actor(request), strategy_id)


@strategies_router.patch(
    "/{strategy_id}",
    response={200: StrategyOut, **ERRORS_CHANGE},
    summary="Change a strategy",
    description="409 when it would be active while another strategy of the segment is.",
)
def change_strategy(
    request: HttpRequest, strategy_id: RecordId, payload: StrategyPatch
) -> Strategy:
    user = actor(request)
    strategy = get_strategy_for_user(user, strategy_id, for_write=True)
    segment = strategy.segment
    with transaction.atomic():
        row = {**strategy_values(strategy), **payload.import_row()}
        values = conflict_free(
            lambda: clean_strategy(row, actor=user, segment=segment, strategy=strategy)
        )
        return save_strategy(
            actor=user, values=values, segment=segment, strategy=strategy, source="api"
        )
