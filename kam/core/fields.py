"""Typed field converters shared by imports, the API and forms.

One converter per kind of value turns what a person typed (a CSV cell, a JSON value,
a form field) into a Python value, or raises FieldError with a message a person can
act on: what was wrong, what we got and what we expected. Imports, the API and the
web forms all say the same thing about the same bad value because they all call these.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation

EMPTY = ("", None)


class FieldError(ValueError):
    def __init__(self, problem: str, got: object, expected: str) -> None:
        self.problem = problem
        self.got = got
        self.expected = expected
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return f"{self.problem} (got {shown(self.got)}, expected {self.expected})"


def shown(value: object) -> str:
    text = "" if value is None else str(value)
    if len(text) > 40:
        text = text[:37] + "…"
    return "'" + text.replace("'", "\\'") + "'"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


Converter = Callable[[Any], Any]


@dataclass(frozen=True)
class Field:
    """One column of an import file, one property of an API schema."""

    name: str
    convert: Converter
    aliases: tuple[str, ...] = ()
    required: bool = False
    default: Any = None
    help: str = ""
    headers: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "headers", (self.name, *self.aliases))

    def parse(self, raw: object) -> Any:
        if is_blank(raw):
            if self.required:
                raise FieldError("missing value", "", "a value")
            return self.default
        return self.convert(raw.strip() if isinstance(raw, str) else raw)


def text(max_length: int) -> Converter:
    def convert(raw: object) -> str:
        if isinstance(raw, bool) or not isinstance(raw, str | int | float | Decimal):
            raise FieldError("not text", raw, "a text value")
        value = format_number(raw) if not isinstance(raw, str) else raw
        if "\x00" in value:  # PostgreSQL cannot store it; it is never meant
            raise FieldError("contains a NUL character", value, "text without NUL characters")
        if len(value) > max_length:
            raise FieldError("too long", value, f"at most {max_length} characters")
        return value

    return convert


def format_number(raw: int | float | Decimal) -> str:
    # Excel stores codes like 1001 as numbers; read them back as they were typed.
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return str(raw)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def email(raw: object) -> str:
    value = text(254)(raw)
    if not _EMAIL.match(value):
        raise FieldError("not an email address", value, "an address such as name@example.com")
    return value


_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


def decimal(
    *, places: int = 2, minimum: Decimal | None = None, maximum: Decimal | None = None
) -> Converter:
    def convert(raw: object) -> Decimal:
        if isinstance(raw, bool):
            raise FieldError("not a number", raw, "a number such as 1234.56")
        if isinstance(raw, int | Decimal):
            value = Decimal(raw)
        elif isinstance(raw, float):
            value = Decimal(repr(raw))
        elif isinstance(raw, str):
            cleaned = raw.replace("¥", "").replace("￥", "").replace(" ", "")
            if _THOUSANDS.match(cleaned):
                cleaned = cleaned.replace(",", "")
            try:
                value = Decimal(cleaned)
            except InvalidOperation:
                raise FieldError("not a number", raw, "a number such as 1234.56") from None
        else:
            raise FieldError("not a number", raw, "a number such as 1234.56")
        if not value.is_finite():
            raise FieldError("not a number", raw, "a number such as 1234.56")
        exponent = value.as_tuple().exponent
        if (
            isinstance(exponent, int)
            and -exponent > places
            and value != value.quantize(Decimal(1).scaleb(-places))
        ):
            raise FieldError("too many decimal places", raw, f"at most {places} decimal places")
        if minimum is not None and value < minimum:
            raise FieldError("too small", raw, f"a number of at least {minimum}")
        if maximum is not None and value > maximum:
            raise FieldError("too large", raw, f"a number of at most {maximum}")
        return value

    return convert


def integer(*, minimum: int | None = None, maximum: int | None = None) -> Converter:
    def convert(raw: object) -> int:
        if isinstance(raw, bool):
            raise FieldError("not a whole number", raw, "a whole number such as 250")
        if isinstance(raw, int):
            value = raw
        elif isinstance(raw, float) and raw.is_integer():
            value = int(raw)
        elif isinstance(raw, str) and re.fullmatch(r"[+-]?\d+(,\d{3})*", raw.replace(" ", "")):
            value = int(raw.replace(",", "").replace(" ", ""))
        else:
            raise FieldError("not a whole number", raw, "a whole number such as 250")
        if minimum is not None and value < minimum:
            raise FieldError("too small", raw, f"a whole number of at least {minimum}")
        if maximum is not None and value > maximum:
            raise FieldError("too large", raw, f"a whole number of at most {maximum}")
        return value

    return convert


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日")
_MIN_DATE = dt.date(1900, 1, 1)
_MAX_DATE = dt.date(2199, 12, 31)


def date(raw: object) -> dt.date:
    if isinstance(raw, dt.datetime):
        value = raw.date()
    elif isinstance(raw, dt.date):
        value = raw
    elif isinstance(raw, str):
        candidate = raw.split("T")[0].split(" ")[0] if len(raw) > 10 and "年" not in raw else raw
        value = _parse_date_text(candidate, raw)
    else:
        raise FieldError("not a date", raw, "a date as YYYY-MM-DD")
    if not _MIN_DATE <= value <= _MAX_DATE:
        raise FieldError("date out of range", raw, "a date between 1900-01-01 and 2199-12-31")
    return value


def _parse_date_text(candidate: str, raw: str) -> dt.date:
    if len(candidate) == 10 and candidate[4] == "-":  # the common case, fast
        try:
            return dt.date.fromisoformat(candidate)
        except ValueError:
            pass
    for pattern in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(candidate, pattern).date()
        except ValueError:
            continue
    raise FieldError("not a date", raw, "a date as YYYY-MM-DD")


_TRUE = {"true", "yes", "y", "1", "是", "对"}
_FALSE = {"false", "no", "n", "0", "否", "不"}


def boolean(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    word = str(raw).strip().casefold()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise FieldError("not yes or no", raw, "one of: true, false, yes, no, 是, 否")


def choice(choices: type[models.Choices], synonyms: dict[str, Any] | None = None) -> Converter:
    """Accept a choice by its code, its English or Chinese label, or a common synonym."""
    codes = [str(value) for value in choices.values]
    lookup: dict[str, Any] = {k.casefold(): v for k, v in (synonyms or {}).items()}

    def convert(raw: object) -> Any:
        if isinstance(raw, bool):
            raise FieldError("unknown value", raw, "one of: " + ", ".join(codes))
        if codes[0].casefold() not in lookup:  # on first use: translations load late
            lookup.update(choice_lookup(choices))
        key = str(raw).strip().casefold()
        if key in lookup:
            return lookup[key]
        raise FieldError("unknown value", raw, "one of: " + ", ".join(codes))

    return convert


def choice_lookup(choices: type[models.Choices]) -> dict[str, Any]:
    lookup: dict[str, Any] = {}
    for value, label in zip(choices.values, choices.labels, strict=True):
        lookup[str(value).casefold()] = value
        with translation.override("zh-hans"):
            lookup[str(label).casefold()] = value
        with translation.override("en"):
            lookup[str(label).casefold()] = value
    return lookup


def tag_list(raw: object) -> list[str]:
    value = text(1000)(raw)
    tags = [part.strip() for part in re.split(r"[;,，；|]", value) if part.strip()]
    for tag in tags:
        if len(tag) > 50:
            raise FieldError("tag too long", tag, "tags of at most 50 characters")
    return sorted(set(tags))


def headers_of(fields: Iterable[Field]) -> list[str]:
    return [f.name for f in fields]
