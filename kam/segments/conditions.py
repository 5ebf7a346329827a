"""The language of segment definitions (SEG-1): which conditions exist, how a definition
is checked, how it becomes one SQL filter, and how it reads in words.

A definition is JSON::

    {"match": "all",                       # or "any"
     "conditions": [
        {"field": "industry", "op": "in", "values": ["manufacturing", "energy"]},
        {"field": "employees", "op": "between", "min": 100, "max": 999},
        {"field": "orders_12m", "op": "between", "min": 6}]}

Lists (`in` / `not_in`) hold codes, names or tags; ranges (`between`) have a `min`, a
`max` or both, inclusive. Forms, the API, the CLI and the admin all check through
`check_definition`, so the same mistake gets the same message everywhere.

Every condition is a filter on the account table: attributes directly, value-engine
results through `kam.insights.services.with_value_results` (the latest successful run;
a tier set by hand wins), purchasing behaviour through one grouped query over the
window's orders. Nothing is loaded into Python, so a segment of a 100k-account book is
one query.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Case, Count, F, FloatField, Max, Q, QuerySet, Sum, When
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kam.accounts.io import MONEY_MAX
from kam.accounts.models import Account, AccountStatus, Industry, OwnershipType
from kam.core.fields import shown
from kam.core.schemas import NOT_BLANK
from kam.insights.models import Lifecycle, Tier
from kam.segments.models import Match

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

MAX_CONDITIONS = 20
MAX_VALUES = 50
WINDOW_DAYS = 365  # "the last 12 months" of the purchasing conditions, up to today


class Op(StrEnum):
    IN = "in"  # the value is one of the list (tags: has any of them)
    NOT_IN = "not_in"  # the value is none of the list (tags: has none of them)
    BETWEEN = "between"  # min <= value <= max; either bound may be left out


class Kind(StrEnum):
    CHOICE = "choice"  # a list of codes from a fixed set
    REGION = "region"  # a list of sales-region codes
    TEXT = "text"  # a list of texts, compared without regard to case
    RANGE = "range"  # min / max


class Group(StrEnum):
    ACCOUNT = "account"
    VALUE = "value"
    PURCHASING = "purchasing"


GROUP_LABELS: dict[Group, StrOrPromise] = {
    Group.ACCOUNT: gettext_lazy("Account"),
    Group.VALUE: gettext_lazy("Value (latest scoring run)"),
    Group.PURCHASING: gettext_lazy("Purchasing, last 12 months"),
}


@dataclass(frozen=True)
class Bound:
    """What a range bound may be: whole or not, and its limits."""

    whole: bool
    minimum: float
    maximum: float
    unit: str = ""  # "money", "share" or "days": how it is shown


WHOLE = Bound(whole=True, minimum=0, maximum=10_000_000)
MONEY = Bound(whole=False, minimum=0, maximum=float(MONEY_MAX), unit="money")
SHARE = Bound(whole=False, minimum=0, maximum=1, unit="share")
DAYS = Bound(whole=True, minimum=0, maximum=100_000, unit="days")


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: StrOrPromise
    group: Group
    kind: Kind
    help: StrOrPromise = ""
    choices: Callable[[], list[tuple[str, str]]] | None = None  # codes and labels
    bound: Bound | None = None  # for ranges
    max_length: int = 60  # for texts

    @property
    def ops(self) -> tuple[Op, ...]:
        return (Op.BETWEEN,) if self.kind == Kind.RANGE else (Op.IN, Op.NOT_IN)

    def codes(self) -> list[str]:
        return [code for code, _label in self.choices()] if self.choices else []


def choices_of(choices: Any) -> Callable[[], list[tuple[str, str]]]:
    return lambda: [(str(code), str(label)) for code, label in choices.choices]


def rfm_choices() -> list[tuple[str, str]]:
    from kam.insights.services import rfm_segment_codes, segment_name

    return [(code, segment_name(code)) for code in rfm_segment_codes()]


FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in [
        FieldSpec(
            "industry",
            gettext_lazy("Industry"),
            Group.ACCOUNT,
            Kind.CHOICE,
            choices=choices_of(Industry),
        ),
        FieldSpec(
            "ownership_type",
            gettext_lazy("Ownership type"),
            Group.ACCOUNT,
            Kind.CHOICE,
            choices=choices_of(OwnershipType),
        ),
        FieldSpec(
            "status",
            gettext_lazy("Status"),
            Group.ACCOUNT,
            Kind.CHOICE,
            choices=choices_of(AccountStatus),
        ),
        FieldSpec(
            "country",
            gettext_lazy("Country"),
            Group.ACCOUNT,
            Kind.TEXT,
            help=gettext_lazy("Two-letter ISO codes such as CN or DE."),
            max_length=2,
        ),
        FieldSpec("province", gettext_lazy("Province / state"), Group.ACCOUNT, Kind.TEXT),
        FieldSpec("city", gettext_lazy("City"), Group.ACCOUNT, Kind.TEXT),
        FieldSpec("region", gettext_lazy("Sales region"), Group.ACCOUNT, Kind.REGION),
        FieldSpec("employees", gettext_lazy("Employees"), Group.ACCOUNT, Kind.RANGE, bound=WHOLE),
        FieldSpec(
            "annual_revenue",
            gettext_lazy("Annual revenue"),
            Group.ACCOUNT,
            Kind.RANGE,
            bound=MONEY,
        ),
        FieldSpec(
            "tags",
            gettext_lazy("Tags"),
            Group.ACCOUNT,
            Kind.TEXT,
            help=gettext_lazy("In: has any of these tags. Not in: has none of them."),
            max_length=50,
        ),
        FieldSpec("tier", gettext_lazy("Tier"), Group.VALUE, Kind.CHOICE, choices=choices_of(Tier)),
        FieldSpec(
            "rfm_segment",
            gettext_lazy("RFM segment"),
            Group.VALUE,
            Kind.CHOICE,
            choices=rfm_choices,
        ),
        FieldSpec(
            "lifecycle",
            gettext_lazy("Lifecycle stage"),
            Group.VALUE,
            Kind.CHOICE,
            choices=choices_of(Lifecycle),
        ),
        FieldSpec(
            "orders_12m",
            gettext_lazy("Orders (purchase frequency)"),
            Group.PURCHASING,
            Kind.RANGE,
            help=gettext_lazy("Orders with a positive amount in the last 12 months."),
            bound=WHOLE,
        ),
        FieldSpec(
            "revenue_12m",
            gettext_lazy("Revenue (purchase volume)"),
            Group.PURCHASING,
            Kind.RANGE,
            help=gettext_lazy("Net revenue of the last 12 months."),
            bound=MONEY,
        ),
        FieldSpec(
            "discounted_share_12m",
            gettext_lazy("Share of revenue bought at a discount"),
            Group.PURCHASING,
            Kind.RANGE,
            help=gettext_lazy("0 to 1 (0.5 is 50%); none for accounts that bought nothing."),
            bound=SHARE,
        ),
        FieldSpec(
            "mean_discount_12m",
            gettext_lazy("Mean discount depth"),
            Group.PURCHASING,
            Kind.RANGE,
            help=gettext_lazy(
                "The average discount of the discounted orders, 0 to 1 (0.1 is 10%); "
                "0 for accounts that bought without discount."
            ),
            bound=SHARE,
        ),
        FieldSpec(
            "days_since_last_order",
            gettext_lazy("Days since the last order"),
            Group.PURCHASING,
            Kind.RANGE,
            help=gettext_lazy("Any time, not only the last 12 months; none without orders."),
            bound=DAYS,
        ),
    ]
}


# --- checking -------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    path: str  # "definition.conditions.1.max": where, as the API names it (0-based)
    message: str  # what was wrong, naming the condition (1-based, as people count)


class DefinitionInvalid(ValueError):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def check_definition(raw: Any, *, region_codes: Iterable[str] | None = None) -> dict[str, Any]:
    """The definition, normalised, or DefinitionInvalid naming every problem.

    `region_codes`: the sales regions that exist (read from the database when None).
    """
    problems: list[Problem] = []
    if not isinstance(raw, dict):
        raise DefinitionInvalid(
            [
                Problem(
                    "definition",
                    f"definition: not an object (got {shown(raw)}, expected an object with "
                    "match and conditions)",
                )
            ]
        )
    for key in sorted(set(raw) - {"match", "conditions"}, key=str):
        problems.append(
            Problem(
                f"definition.{key}",
                f"definition: unknown key {shown(key)} (expected match and conditions)",
            )
        )
    match = raw.get("match", Match.ALL.value)
    if match not in Match.values:
        problems.append(
            Problem(
                "definition.match",
                f"match: unknown value (got {shown(match)}, expected all or any)",
            )
        )
    conditions = raw.get("conditions")
    if not isinstance(conditions, list) or not 1 <= len(conditions) <= MAX_CONDITIONS:
        if not isinstance(conditions, list):
            problem, got = "not a list", shown(conditions)
        else:
            problem = "no conditions" if not conditions else "too many conditions"
            got = str(len(conditions))
        problems.append(
            Problem(
                "definition.conditions",
                f"conditions: {problem} (got {got}, "
                f"expected a list of 1 to {MAX_CONDITIONS} conditions)",
            )
        )
        conditions = conditions[:MAX_CONDITIONS] if isinstance(conditions, list) else []
    checked = []
    known_regions: set[str] | None = None
    for index, condition in enumerate(conditions):
        wants_regions = isinstance(condition, dict) and condition.get("field") == "region"
        if wants_regions and known_regions is None:
            known_regions = set(region_codes) if region_codes is not None else _regions()
        checked.append(_check_condition(index, condition, problems, known_regions))
    if problems:
        raise DefinitionInvalid(problems)
    return {"match": match, "conditions": checked}


def _regions() -> set[str]:
    from kam.core.models import Region

    return set(Region.objects.values_list("code", flat=True))


def _check_condition(
    index: int, raw: Any, problems: list[Problem], regions: set[str] | None
) -> dict[str, Any]:
    where = f"definition.conditions.{index}"
    number = index + 1
    if not isinstance(raw, dict):
        problems.append(
            Problem(
                where,
                f"condition {number}: not an object (got {shown(raw)}, expected an object "
                "with field, op and values, or field, op, min and max)",
            )
        )
        return {}
    name = raw.get("field")
    spec = FIELDS.get(name) if isinstance(name, str) else None
    if spec is None:
        problems.append(
            Problem(
                f"{where}.field",
                f"condition {number}: unknown field (got {shown(name)}, expected one of: "
                f"{', '.join(FIELDS)})",
            )
        )
        return {}
    said = f"condition {number} ({spec.name})"
    found = len(problems)
    op = raw.get("op")
    if op not in spec.ops:
        problems.append(
            Problem(
                f"{where}.op",
                f"{said}: unknown operator (got {shown(op)}, expected "
                f"{' or '.join(str(o) for o in spec.ops)})",
            )
        )
    allowed = (
        {"field", "op", "min", "max"} if spec.kind == Kind.RANGE else {"field", "op", "values"}
    )
    for key in sorted(set(raw) - allowed, key=str):
        problems.append(
            Problem(
                f"{where}.{key}",
                f"{said}: unknown key {shown(key)} (expected {', '.join(sorted(allowed))})",
            )
        )
    if spec.kind == Kind.RANGE:
        assert spec.bound is not None
        low = _bound(raw, "min", spec.bound, said, where, problems)
        high = _bound(raw, "max", spec.bound, said, where, problems)
        if "min" not in raw and "max" not in raw:
            problems.append(Problem(where, f"{said}: no bound (expected min, max or both)"))
        elif low is not None and high is not None and low > high:
            problems.append(
                Problem(
                    f"{where}.max",
                    f"{said}: min is greater than max (got min {_plain(low)} and max "
                    f"{_plain(high)}, expected min ≤ max)",
                )
            )
        result: dict[str, Any] = {"field": spec.name, "op": Op.BETWEEN.value}
        if low is not None:
            result["min"] = low
        if high is not None:
            result["max"] = high
    else:
        values = _values(raw.get("values"), spec, said, f"{where}.values", problems, regions)
        result = {"field": spec.name, "op": op, "values": values}
    return result if len(problems) == found else {}


def _plain(number: float | int) -> str:
    return str(int(number)) if float(number).is_integer() else repr(number)


def _bound(
    raw: dict[str, Any], key: str, bound: Bound, said: str, where: str, problems: list[Problem]
) -> float | int | None:
    if key not in raw:
        return None
    value = raw[key]
    kind = "a whole number" if bound.whole else "a number"
    limits = f"{kind} from {_plain(bound.minimum)} to {_plain(bound.maximum)}"
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or (isinstance(value, float) and not math.isfinite(value))
    ):
        problems.append(
            Problem(
                f"{where}.{key}",
                f"{said}: {key} is not a number (got {shown(value)}, expected {limits})",
            )
        )
        return None
    if bound.whole and not float(value).is_integer():
        problems.append(
            Problem(
                f"{where}.{key}",
                f"{said}: {key} is not a whole number (got {shown(value)}, expected {limits})",
            )
        )
        return None
    if not bound.minimum <= value <= bound.maximum:
        problems.append(
            Problem(
                f"{where}.{key}",
                f"{said}: {key} out of range (got {shown(value)}, expected {limits})",
            )
        )
        return None
    return int(value) if bound.whole or float(value).is_integer() else float(value)


def _values(
    raw: Any,
    spec: FieldSpec,
    said: str,
    where: str,
    problems: list[Problem],
    regions: set[str] | None,
) -> list[str]:
    if not isinstance(raw, list) or not 1 <= len(raw) <= MAX_VALUES:
        got = f"{len(raw)} values" if isinstance(raw, list) else shown(raw)
        problems.append(
            Problem(
                where,
                f"{said}: no list of values (got {got}, "
                f"expected a list of 1 to {MAX_VALUES} values)",
            )
        )
        return []
    values: list[str] = []
    for value in raw:
        problem = _value_problem(value, spec, regions)
        if problem:
            problems.append(Problem(where, f"{said}: {problem}"))
            continue
        clean = value.strip()
        clean = clean.upper() if spec.name == "country" else clean
        if clean not in values:
            values.append(clean)
    return values


COUNTRY = re.compile(r"[A-Za-z]{2}")


def _value_problem(value: Any, spec: FieldSpec, regions: set[str] | None) -> str:
    if not isinstance(value, str):
        return f"not text (got {shown(value)}, expected {_expected(spec, regions)})"
    if spec.kind == Kind.CHOICE:
        if value not in spec.codes():
            return f"unknown value (got {shown(value)}, expected one of: {', '.join(spec.codes())})"
        return ""
    if spec.kind == Kind.REGION:
        if value not in (regions or set()):
            return f"unknown region (got {shown(value)}, expected {_expected(spec, regions)})"
        return ""
    if spec.name == "country" and not COUNTRY.fullmatch(value):
        return f"not a country code (got {shown(value)}, expected {_expected(spec, regions)})"
    if not re.fullmatch(NOT_BLANK, value):
        return f"empty value (got {shown(value)}, expected {_expected(spec, regions)})"
    if len(value) > spec.max_length:
        return f"too long (got {shown(value)}, expected at most {spec.max_length} characters)"
    return ""


def _expected(spec: FieldSpec, regions: set[str] | None) -> str:
    if spec.kind == Kind.CHOICE:
        return "one of: " + ", ".join(spec.codes())
    if spec.kind == Kind.REGION:
        known = ", ".join(sorted(regions or set()))
        return f"the code of a sales region ({known})" if known else "the code of a sales region"
    if spec.name == "country":
        return "a two-letter ISO code such as CN"
    return f"a text of 1 to {spec.max_length} characters"


# --- the filter -----------------------------------------------------------------------


def window_start(as_of: dt.date) -> dt.date:
    """The first day of the purchasing window that ends on `as_of` (inclusive)."""
    return as_of - dt.timedelta(days=WINDOW_DAYS - 1)


def definition_filter(definition: dict[str, Any], *, as_of: dt.date | None = None) -> Q:
    """A Q on Account that selects exactly the accounts the (checked) definition describes."""
    today = as_of or timezone.localdate()
    parts = [condition_filter(c, today) for c in definition.get("conditions", [])]
    if not parts:
        return Q(pk__in=[])
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part if definition.get("match") == Match.ANY else combined & part
    return combined


def condition_filter(condition: dict[str, Any], as_of: dt.date) -> Q:
    name = condition["field"]
    spec = FIELDS[name]
    if spec.kind == Kind.RANGE:
        return _range_filter(name, condition.get("min"), condition.get("max"), as_of)
    values = condition["values"]
    if name in {"industry", "ownership_type", "status"}:
        chosen = Q(**{f"{name}__in": values})
    elif name == "region":
        from kam.core.models import Region

        # A subquery rather than a join: the filter also counts inside aggregates, where
        # a join to the regions would drop the accounts that have none.
        chosen = Q(region_id__in=Region.objects.filter(code__in=values).values("pk"))
    elif name == "tags":
        tagged = Account.tags.through.objects.filter(tag__name__in=values)
        chosen = Q(pk__in=tagged.values("account_id"))
    elif name in {"country", "province", "city"}:
        chosen = _any_of([Q(**{f"{name}__iexact": value}) for value in values])
    else:  # tier, rfm_segment, lifecycle: the latest successful run (tier: set by hand wins)
        chosen = _any_of([Q(pk__in=_valued(name, value)) for value in values])
    return ~chosen if condition["op"] == Op.NOT_IN else chosen


def _any_of(parts: list[Q]) -> Q:
    combined = parts[0]
    for part in parts[1:]:
        combined |= part
    return combined


def _valued(name: str, value: str) -> QuerySet[Any]:
    from kam.insights.services import with_value_results

    criterion: dict[str, Any] = {name: value}
    return with_value_results(Account.objects.order_by(), **criterion).values("pk")


def _range_filter(name: str, low: Any, high: Any, as_of: dt.date) -> Q:
    if name in {"employees", "annual_revenue"}:
        return Q(**_between(name, low, high))
    from kam.transactions.models import Order

    if name == "days_since_last_order":
        # days since ≥ low ⇔ last order ≤ as_of − low, and the other way round
        latest = Order.objects.filter(order_date__lte=as_of).order_by().values("account_id")
        latest = latest.annotate(last=Max("order_date"))
        if low is not None:
            latest = latest.filter(last__lte=as_of - dt.timedelta(days=low))
        if high is not None:
            latest = latest.filter(last__gte=as_of - dt.timedelta(days=high))
        return Q(pk__in=latest.values("account_id"))
    window = Order.objects.filter(
        order_date__gte=window_start(as_of), order_date__lte=as_of
    ).order_by()
    grouped = window.values("account_id")
    for alias, expression in _measures(name).items():
        grouped = grouped.annotate(**{alias: expression})
    matching = Q(pk__in=grouped.filter(**_between(name, low, high)).values("account_id"))
    if name in {"orders_12m", "revenue_12m"} and (low is None or low <= 0):
        # No order in the window is 0 orders and 0 revenue, which this range includes.
        matching |= ~Q(pk__in=window.values("account_id"))
    return matching


def _measures(name: str) -> dict[str, Any]:
    """The aggregates over one account's orders in the window, the last one named `name`.

    Price sensitivity counts what was bought (positive amounts): a credit note lowers the
    revenue, not the share bought at a discount. Floats, not decimals: SQLite divides two
    whole-number decimals as integers.
    """
    bought = Q(amount__gt=0)
    discounted = bought & Q(discount_rate__gt=0)
    if name == "orders_12m":
        return {name: Count("pk", filter=bought)}
    if name == "revenue_12m":
        return {name: Cast(Sum("amount"), FloatField())}
    if name == "discounted_share_12m":
        # A share of what was bought, so only where something was (else no value: NULL).
        return {
            "bought_12m": Cast(Sum("amount", filter=bought), FloatField()),
            "at_discount_12m": Cast(Coalesce(Sum("amount", filter=discounted), 0), FloatField()),
            name: Case(
                When(bought_12m__gt=0, then=F("at_discount_12m") / F("bought_12m")),
                default=None,
                output_field=FloatField(),
            ),
        }
    # mean_discount_12m: over the discounted purchases; 0 when none was discounted
    depth = Avg(Cast("discount_rate", FloatField()), filter=discounted)
    return {name: Coalesce(depth, 0.0, output_field=FloatField())}


def _between(name: str, low: Any, high: Any) -> dict[str, Any]:
    bounds: dict[str, Any] = {}
    if low is not None:
        bounds[f"{name}__gte"] = low
    if high is not None:
        bounds[f"{name}__lte"] = high
    return bounds


# --- in words -------------------------------------------------------------------------


def describe(definition: dict[str, Any], *, names: dict[str, str] | None = None) -> list[str]:
    """Each condition as a sentence in the language of the page (`names`: region_names())."""
    if names is None and uses_regions(definition):
        names = region_names()
    return [describe_condition(c, names or {}) for c in definition.get("conditions", [])]


def uses_regions(definition: dict[str, Any]) -> bool:
    return any(c.get("field") == "region" for c in definition.get("conditions", []))


def match_words(definition: dict[str, Any]) -> str:
    if definition.get("match") == Match.ANY:
        return _("Accounts that meet any of these conditions:")
    return _("Accounts that meet all of these conditions:")


def region_names() -> dict[str, str]:
    """Sales-region code -> name in the language of the page."""
    from kam.core.models import Region
    from kam.core.views import region_label

    return {region.code: region_label(region) for region in Region.objects.all()}


def describe_condition(condition: dict[str, Any], region_names: dict[str, str]) -> str:
    spec = FIELDS.get(condition.get("field", ""))
    if spec is None:
        return str(condition)
    label = str(spec.label)
    if spec.kind == Kind.RANGE:
        return _describe_range(label, spec, condition.get("min"), condition.get("max"))
    labels = dict(spec.choices()) if spec.choices else region_names
    shown_values = ", ".join(labels.get(v, v) for v in condition.get("values", []))
    if spec.name == "tags":
        if condition.get("op") == Op.NOT_IN:
            return _("Has none of the tags: %(values)s") % {"values": shown_values}
        return _("Has any of the tags: %(values)s") % {"values": shown_values}
    if condition.get("op") == Op.NOT_IN:
        return _("%(field)s is none of: %(values)s") % {"field": label, "values": shown_values}
    return _("%(field)s is one of: %(values)s") % {"field": label, "values": shown_values}


def _describe_range(label: str, spec: FieldSpec, low: Any, high: Any) -> str:
    assert spec.bound is not None
    words = {"field": label, "min": _amount(low, spec.bound), "max": _amount(high, spec.bound)}
    if low is not None and high is not None:
        return _("%(field)s from %(min)s to %(max)s") % words
    if low is not None:
        return _("%(field)s at least %(min)s") % words
    return _("%(field)s at most %(max)s") % words


def _amount(value: Any, bound: Bound) -> str:
    from django.conf import settings

    if value is None:
        return ""
    if bound.unit == "share":
        return f"{value * 100:g}%"
    if bound.unit == "money":
        return f"{value:,.2f}".removesuffix(".00") + f" {settings.KAM_CURRENCY}"
    if bound.unit == "days":
        return _("%(count)s days") % {"count": f"{value:,}"}
    return f"{value:,}"
