"""Building blocks of the REST API's schemas: errors, pages and strict input fields.

Input fields check a JSON value in two steps. First the import's own converter
(kam.core.fields) reads it, so a value the import rejects gets the import's message,
word for word. Then pydantic checks it against the published schema in strict mode
(JSON types, lengths, enums, patterns), so the API accepts exactly what the OpenAPI
document promises: no `false` taken as 0, no padded or lower-case enum values. What
neither can know (references, unique external ids) is left to dataio.records.validate_one.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import UnionType
from typing import Annotated, Any, Generic, TypeVar, Union, get_args, get_origin

from annotated_types import MaxLen
from django.db import models
from ninja import P, PathEx, Schema
from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    PlainSerializer,
    StringConstraints,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
)
from pydantic import ValidationError as PydanticValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from kam.core.fields import Field as ImportField
from kam.core.fields import FieldError, is_blank

# Largest primary key a 64-bit column holds; bigger ids cannot exist.
MAX_ID = 2**63 - 1
MAX_OFFSET = 1_000_000_000
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200

# No NUL characters: PostgreSQL cannot store them in text.
NO_NUL = r"^[^\u0000]*$"
# White space as Python (which the converters use) or JavaScript (which JSON Schema
# validators may use) sees it: \s differs between the two in these characters.
SPACE = r"\s\u001c-\u001f\u0085\ufeff"
# Not blank: something besides white space and NUL.
NOT_BLANK = rf"^[^\u0000]*[^{SPACE}\u0000][^\u0000]*$"
# The import reads dates from 1900-01-01 to 2199-12-31.
DATE_PATTERN = r"^(19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}$"
# One tag: not blank, no separator the import splits tags on.
TAG_PATTERN = rf"^[^;,，；|\u0000]*[^{SPACE};,，；|\u0000][^;,，；|\u0000]*$"
MAX_TAGS = 16
TagText = Annotated[str, StringConstraints(max_length=50, pattern=TAG_PATTERN)]
COUNTRY_PATTERN = r"^[A-Z]{2}$"
_ADDRESS_PART = rf"[^@{SPACE}\u0000]+"
EMAIL_PATTERN = rf"^({_ADDRESS_PART}@{_ADDRESS_PART}\.{_ADDRESS_PART})?$"
DATE_SCHEMA = {"type": "string", "format": "date", "pattern": DATE_PATTERN}


def iso_date(raw: object) -> object:
    """Query dates are strictly YYYY-MM-DD (pydantic would also read 1700000000)."""
    if isinstance(raw, str):
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", raw):
            raise ValueError("expected a date as YYYY-MM-DD")
        return dt.date.fromisoformat(raw)
    return raw


DateParam = Annotated[dt.date, BeforeValidator(iso_date)]


# --- errors and pages ---------------------------------------------------------------


class ErrorItem(Schema):
    field: str = Field(description="The input field, as named in the import file.")
    message: str = Field(description="What was wrong, what we got and what we expected.")


class ErrorOut(Schema):
    """Every error: a stable code, a message for people, and per-field problems."""

    code: str = Field(
        description="One of: bad_request, unauthenticated, forbidden, not_found, conflict, invalid."
    )
    message: str
    errors: list[ErrorItem] | None = Field(
        default=None,
        description="For invalid input (and an external_id in use): one entry per field.",
    )


ERRORS_READ = {401: ErrorOut, 422: ErrorOut}
ERRORS_ONE = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
# 409: the external_id belongs to another record.
ERRORS_CREATE = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut, 422: ErrorOut}
ERRORS_CHANGE = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    422: ErrorOut,
}
ERRORS_DELETE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}

Item = TypeVar("Item")


class Page(Schema, Generic[Item]):
    count: int = Field(description="How many records match, on all pages together.")
    items: list[Item]


def _query_schema(schema: dict[str, Any]) -> None:
    # A query parameter is left out or has a value; `X | None` in the model only says
    # "optional", so the OpenAPI document shows X alone.
    for prop in schema.get("properties", {}).values():
        branches = prop.get("anyOf", [])
        rest = [branch for branch in branches if branch != {"type": "null"}]
        if len(branches) == 2 and len(rest) == 1:
            del prop["anyOf"]
            prop.update(rest[0])
        if prop.get("default", "") is None:
            del prop["default"]


class PageParams(Schema):
    """Query parameters of a list: the page, and in subclasses the filters."""

    model_config = ConfigDict(json_schema_extra=_query_schema)

    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Records per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description="Records to skip.")


def paginate(rows: models.QuerySet[Any], params: PageParams) -> dict[str, Any]:
    start = params.offset
    return {"count": rows.count(), "items": list(rows[start : start + params.limit])}


# --- strict input fields --------------------------------------------------------------


def _drop_defaults(schema: dict[str, Any]) -> None:
    # Fields left out keep the import's default (or, in a change, the stored value);
    # pydantic's `default: null` would wrongly say they become null.
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)


class InputSchema(Schema):
    """A request body: strict JSON types, no unknown fields."""

    model_config = ConfigDict(strict=True, extra="forbid", json_schema_extra=_drop_defaults)

    def import_row(self) -> dict[str, Any]:
        """The fields the client sent, as a row of the import file."""
        row = self.model_dump(exclude_unset=True)
        if is_blank(row.get("external_id")):
            row.pop("external_id", None)  # a new record gets one
        if isinstance(row.get("tags"), list):
            row["tags"] = "; ".join(row["tags"])
        return row


Explain = Callable[[object], FieldError]


@dataclass(frozen=True)
class Checked:
    """Check a JSON value with the import's converter, then strictly against the schema.

    `rules` are pydantic metadata that both check the value and describe it in the
    OpenAPI document; `explain` words the problem when only those rules object.
    The value is kept as the client sent it, for validate_one to read again.
    """

    column: ImportField
    explain: Explain
    rules: tuple[Any, ...] = ()
    normalize: Callable[[Any], Any] | None = None

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        inner, nullable = _split_optional(source)
        constrained = Annotated[(inner, *self.rules)] if self.rules else inner  # type: ignore[valid-type]
        schema = handler.generate_schema(constrained)
        if nullable:
            schema = core_schema.nullable_schema(schema)
        return core_schema.no_info_wrap_validator_function(self.check, schema)

    def __get_pydantic_json_schema__(
        self, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        described = handler(schema)
        if self.column.required:
            # `X | None` in a change only means "may be left out": null is refused.
            branches = described.get("anyOf", [])
            rest = [branch for branch in branches if branch != {"type": "null"}]
            if len(rest) == 1 < len(branches):
                return rest[0]
        return described

    def check(self, raw: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if self.normalize is not None:
            raw = self.normalize(raw)
        try:
            self.column.parse(raw)
        except FieldError as exc:
            raise invalid(exc) from None
        try:
            handler(raw)
        except PydanticValidationError:
            raise invalid(self.explain(raw)) from None
        return raw


def _split_optional(source: Any) -> tuple[Any, bool]:
    """`X | None` → (X, True); anything else → (it, False). Rules apply to X only."""
    args = get_args(source)
    if get_origin(source) in (Union, UnionType) and type(None) in args:
        rest = [arg for arg in args if arg is not type(None)]
        return (rest[0] if len(rest) == 1 else Union[tuple(rest)]), True  # noqa: UP007
    return source, False


def integral(raw: Any) -> Any:
    """JSON Schema counts 139.0 as an integer; so do we."""
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    return raw


def invalid(problem: FieldError) -> PydanticCustomError:
    return PydanticCustomError("kam_invalid", "{message}", {"message": problem.message})


def field_named(fields: Sequence[ImportField], name: str) -> ImportField:
    return next(f for f in fields if f.name == name)


def explain_text(max_length: int) -> Explain:
    def explain(raw: object) -> FieldError:
        if not isinstance(raw, str):
            return FieldError("not text", raw, "a text value")
        if len(raw) > max_length:
            return FieldError("too long", raw, f"at most {max_length} characters")
        if "\x00" in raw:
            return FieldError("not text", raw, "text without NUL characters")
        return FieldError("missing value", raw, "a value")

    return explain


def explain_choice(choices: type[models.Choices]) -> Explain:
    codes = ", ".join(str(value) for value in choices.values)
    return lambda raw: FieldError("unknown value", raw, "one of: " + codes)


def explain_number(raw: object) -> FieldError:
    return FieldError("not a number", raw, "a JSON number such as 1234.56")


def explain_whole(raw: object) -> FieldError:
    return FieldError("not a whole number", raw, "a whole number such as 250")


def explain_date(raw: object) -> FieldError:
    return FieldError("not a date", raw, "a date as YYYY-MM-DD")


def explain_boolean(raw: object) -> FieldError:
    return FieldError("not yes or no", raw, "true or false")


def explain_country(raw: object) -> FieldError:
    return FieldError("unknown country", raw, "a two-letter ISO code such as CN, US or DE")


def explain_email(raw: object) -> FieldError:
    return FieldError("not an email address", raw, "an address such as name@example.com")


def text_field(
    fields: Sequence[ImportField], name: str, max_length: int, *, blank: bool = True
) -> Checked:
    """Text of at most `max_length` characters; `blank=False`: something besides spaces."""
    pattern = NO_NUL if blank else NOT_BLANK
    source = field_named(fields, name)
    return Checked(
        replace(source, required=False) if blank else source,
        explain_text(max_length),
        (StringConstraints(max_length=max_length, pattern=pattern),),
    )


def choice_field(
    fields: Sequence[ImportField], name: str, choices: type[models.Choices]
) -> Checked:
    values = list(choices.values)
    kind = "integer" if all(isinstance(v, int) for v in values) else "string"

    def exact(value: Any) -> Any:
        if value not in values:
            raise ValueError("not one of the codes")
        return value

    return Checked(
        field_named(fields, name),
        explain_choice(choices),
        (AfterValidator(exact), WithJsonSchema({"type": kind, "enum": values})),
        normalize=integral if kind == "integer" else None,
    )


def whole_field(fields: Sequence[ImportField], name: str, minimum: int, maximum: int) -> Checked:
    return Checked(
        field_named(fields, name),
        explain_whole,
        (WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum}),),
        normalize=integral,
    )


def number_field(
    fields: Sequence[ImportField], name: str, *, places: int, minimum: Decimal, maximum: Decimal
) -> Checked:
    """A JSON number with at most `places` decimals between the bounds (never a boolean)."""
    step = float(Decimal(1).scaleb(-places))
    schema = {
        "type": "number",
        "minimum": int(minimum),
        "maximum": int(maximum),
        "multipleOf": step,
    }
    return Checked(field_named(fields, name), explain_number, (WithJsonSchema(schema),))


def date_field(fields: Sequence[ImportField], name: str) -> Checked:
    return Checked(
        field_named(fields, name),
        explain_date,
        (StringConstraints(pattern=DATE_PATTERN), WithJsonSchema(DATE_SCHEMA)),
    )


def tags_field(fields: Sequence[ImportField], name: str) -> Checked:
    """A JSON array of tags; the import reads them as one text ("a; b")."""
    tag_list = field_named(fields, name)

    def convert(raw: object) -> list[str]:
        if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
            raise explain_tags(raw)
        return tag_list.convert("; ".join(raw))

    return Checked(ImportField(name, convert, default=[]), explain_tags, (MaxLen(MAX_TAGS),))


def explain_tags(raw: object) -> FieldError:
    return FieldError(
        "not a list of tags",
        raw,
        f"at most {MAX_TAGS} texts of at most 50 characters without ; , or |",
    )


def bool_field(fields: Sequence[ImportField], name: str) -> Checked:
    return Checked(field_named(fields, name), explain_boolean)


def country_field(fields: Sequence[ImportField], name: str) -> Checked:
    return Checked(
        field_named(fields, name),
        explain_country,
        (StringConstraints(pattern=COUNTRY_PATTERN),),
    )


def email_field(fields: Sequence[ImportField], name: str) -> Checked:
    return Checked(
        field_named(fields, name),
        explain_email,
        (StringConstraints(max_length=254, pattern=EMAIL_PATTERN),),
    )


RecordId = PathEx[int, P(ge=1, le=MAX_ID, description="The record's id.")]


def number_out(value: Decimal) -> float:
    return float(value)


# Amounts leave the API as JSON numbers, as they come in.
NumberOut = Annotated[Decimal, PlainSerializer(number_out, return_type=float)]
