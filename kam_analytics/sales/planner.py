"""The 6-5-3-3-2-1 sales activity planner (SALES-3): activities per month from a yearly target.

The model (docs/methods/planner.md has the reasoning and the seed's worked example):

1. **Contracts.** ``contracts = ceil(target / deal size)``: 3,000,000 / 300,000 = 10.
2. **Funnel counts.** One contract takes, on average, ``ratios`` activities of each stage:
   6 trainings, 5 meetings with the decision owner, 3 consultations, 3 proposals, 2 bids
   or negotiations for 1 contract (the "653321 rule" of the seed deck). Counts are
   positive, never increase down the funnel and end with 1 contract.
3. **When contracts close.** The contracts are spread evenly (or by given weights) over
   the close months; by default the plan year's 3rd to 12th month, as the seed's monthly
   plan ("1月 2月 3月-1单 … 12月-1单"): two months to get going, then one a month.
4. **When each stage happens.** Stages run one after the other; ``durations`` says how long
   each lasts (default one month each, signing none). A stage's activities are counted in
   the month the stage *begins*; the contract in the month the deal *closes*. So a stage
   begins ``offset = sum of the durations from it to the end of signing`` before the
   close, converted to months (weeks x 7 days, 365.25 / 12 days a month) and rounded to
   the nearest whole month (halves up). Default offsets: training 5, meeting 4,
   consulting 3, proposal 2, bid 1, contract 0 months. Months before the plan year that
   the ramp-up needs (October to December of the year before, for a March contract with
   the default) are part of the plan, flagged ``in_plan_year=False``.
5. **Whole numbers.** The exact demand of a stage in a month is ``ratio x contracts
   closing offset months later`` (a fraction when contracts do not divide evenly). Each
   stage's monthly figures are rounded by *cumulative rounding up*: the running total of
   planned activities is the exact running demand rounded up. So the plan is never behind
   what the funnel needs, never more than one activity ahead of it, and the stage's total
   is exactly ``ceil(ratio x contracts)`` (= ``ratio x contracts`` for whole ratios).

`compare_with_actuals` sets a plan against what a person did (counts per month and
stage, e.g. from activities and stage history): planned, actual, gap and cumulative
attainment per month and stage, and the biggest shortfalls in English and Chinese,
ranked by the contracts they put at risk (missing activities / the stage's ratio).

Pure Python (no Django, no database): ``kam plan`` and the sales application use it.

References: the seed deck's "653321法则", its monthly plan and work plan (shared seeds);
the buying roles behind it follow Miller & Heiman, *Strategic Selling* (1985). Cumulative
rounding keeps every partial sum within one unit of the exact one, which largest-remainder
apportionment (Balinski & Young, *Fair Representation*, 1982) does not guarantee month by
month.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from itertools import pairwise
from typing import TYPE_CHECKING, Any, TypeGuard

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DEFAULT_DURATIONS",
    "DEFAULT_RATIOS",
    "DURATION_UNITS",
    "FIRST_CLOSE_POSITION",
    "MAX_LEAD_MONTHS",
    "SEED_STAGE_PROBABILITIES",
    "STAGES",
    "STAGE_CODES",
    "ComparisonRow",
    "Conversion",
    "Month",
    "PlanComparison",
    "PlanInputError",
    "PlanMonth",
    "SalesPlan",
    "Shortfall",
    "Stage",
    "StageTotal",
    "compare_with_actuals",
    "contracts_needed",
    "cumulative_round_up",
    "plan_sales",
    "stage_offsets",
]


@dataclass(frozen=True)
class Stage:
    """A stage of the sales funnel with the names the user sees."""

    code: str
    label_en: str  # "Meeting with the decision owner": a heading
    short_en: str  # "Meeting": a narrow column
    label_zh: str
    singular_en: str  # "1 of 1 meeting with the decision owner"
    plural_en: str  # "2 of 5 meetings with the decision owner"
    unit_zh: str  # measure word: 完成2次，计划5次


#: The six stages, top of the funnel first. Codes are what the sales application stores.
STAGES: tuple[Stage, ...] = (
    Stage("training", "Training", "Training", "培训", "training", "trainings", "次"),
    Stage(
        "meeting",
        "Meeting with the decision owner",
        "Meeting",
        "见负责人",
        "meeting with the decision owner",
        "meetings with the decision owner",
        "次",
    ),
    Stage(
        "consulting", "Consultation", "Consulting", "咨询", "consultation", "consultations", "次"
    ),
    Stage("proposal", "Proposal", "Proposal", "方案", "proposal", "proposals", "份"),
    Stage(
        "bid",
        "Bid or negotiation",
        "Bid",
        "标书/谈判",
        "bid or negotiation",
        "bids or negotiations",
        "次",
    ),
    Stage("contract", "Contract", "Contract", "签合同", "contract", "contracts", "单"),
)
STAGE_CODES: tuple[str, ...] = tuple(stage.code for stage in STAGES)
_STAGE = {stage.code: stage for stage in STAGES}
_INDEX = {code: i for i, code in enumerate(STAGE_CODES)}

#: The seed's funnel: 6 trainings, 5 meetings, 3 consultations, 3 proposals, 2 bids, 1 contract.
DEFAULT_RATIOS: tuple[int, ...] = (6, 5, 3, 3, 2, 1)
#: One month per stage before the contract, no time to sign: offsets 5, 4, 3, 2, 1, 0 months.
DEFAULT_DURATIONS: tuple[int, ...] = (1, 1, 1, 1, 1, 0)
DURATION_UNITS = ("months", "weeks", "days")
#: Contracts close from the plan year's 3rd month by default (the seed: "1月 2月 3月-1单").
FIRST_CLOSE_POSITION = 3
#: The longest funnel accepted, training to close (the lead-in before the plan year).
MAX_LEAD_MONTHS = 24
#: The seed's funnel probabilities (a deal at this stage is won with this chance). Not the
#: inverse of the counts (1/6, 1/5, 1/3, 1/3, 1/2): the deck gives both; see the method doc.
SEED_STAGE_PROBABILITIES: dict[str, float] = {
    "training": 0.10,
    "meeting": 0.20,
    "consulting": 0.45,
    "proposal": 0.50,
    "bid": 0.80,
    "contract": 1.00,
}

_DAYS_PER_MONTH = Fraction(1461, 48)  # 365.25 / 12
_DAYS_PER = {"months": _DAYS_PER_MONTH, "weeks": Fraction(7), "days": Fraction(1)}
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


class PlanInputError(ValueError):
    """A bad input: ``field`` names it (``target``, ``ratios`` …), ``problem`` says what
    was expected and what was found. ``str()`` is ``"field: problem"``."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


# --------------------------------------------------------------------------- months


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12:
            raise ValueError(f"month must be 1 to 12; got {self.month!r}")

    def shift(self, months: int) -> Month:
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def months_until(self, other: Month) -> int:
        return (other.year - self.year) * 12 + other.month - self.month

    @property
    def label(self) -> str:
        """``2027-03``."""
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def name_en(self) -> str:
        """``March 2027``."""
        return f"{_MONTHS_EN[self.month - 1]} {self.year}"

    @property
    def name_zh(self) -> str:
        """``2027年3月``."""
        return f"{self.year}年{self.month}月"

    def __str__(self) -> str:
        return self.label

    @classmethod
    def of(cls, value: object) -> Month:
        """A month from ``Month``, ``(year, month)``, ``"2027-03"`` / ``"2027-03-15"``, a date
        or anything with ``year`` and ``month`` (a pandas Timestamp or Period)."""
        if isinstance(value, Month):
            return value
        if isinstance(value, str):
            parts = value.strip().split("-")
            if len(parts) in (2, 3) and all(part.isdigit() for part in parts):
                return cls(int(parts[0]), int(parts[1]))
            raise ValueError(f"expected a month as YYYY-MM; got {value!r}")
        if isinstance(value, tuple) and len(value) == 2:
            year, month = value
            if _is_whole(year) and _is_whole(month):
                return cls(int(year), int(month))
        year, month = getattr(value, "year", None), getattr(value, "month", None)
        if _is_whole(year) and _is_whole(month):
            return cls(int(year), int(month))
        raise ValueError(f"expected a month (YYYY-MM, (year, month) or a date); got {value!r}")


def _is_whole(value: object) -> TypeGuard[numbers.Integral]:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


# --------------------------------------------------------------------------- the plan


@dataclass(frozen=True)
class PlanMonth:
    """One row of the plan: how many activities of each stage the month needs."""

    month: Month
    counts: dict[str, int]  # stage code -> planned activities, every stage present
    in_plan_year: bool  # False for the lead-in months before the plan year

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Conversion:
    """The implied conversion from one stage to the next: ratio(next) / ratio(stage)."""

    from_stage: str
    to_stage: str
    rate: float


@dataclass(frozen=True)
class SalesPlan:
    """A monthly activity plan (see the module's docstring for the model)."""

    target: Decimal
    deal_size: Decimal
    contracts: int
    ratios: dict[str, Fraction]  # activities per contract
    durations: dict[str, Fraction]  # as given, in ``unit``
    unit: str
    offsets: dict[str, int]  # months from the stage's activities to the close
    year: int
    start_month: int
    close_months: tuple[Month, ...]
    months: tuple[PlanMonth, ...]  # the lead-in, then the 12 months of the plan year
    totals: dict[str, int]
    conversions: tuple[Conversion, ...]
    win_rates: dict[str, float]  # chance that one activity of the stage ends in a contract

    @property
    def first_month(self) -> Month:
        return Month(self.year, self.start_month)

    @property
    def lead_in(self) -> tuple[PlanMonth, ...]:
        return tuple(row for row in self.months if not row.in_plan_year)

    @property
    def peak(self) -> PlanMonth:
        """The busiest month (most activities in all); the earliest of equal ones."""
        return max(self.months, key=lambda row: (row.total, -row.month.year, -row.month.month))

    @property
    def peak_months(self) -> tuple[Month, ...]:
        """Every month with the peak's workload."""
        most = self.peak.total
        return tuple(row.month for row in self.months if row.total == most)

    @property
    def total_activities(self) -> int:
        return sum(self.totals.values())

    def row(self, month: object) -> PlanMonth:
        """The plan's row of ``month`` (anything `Month.of` takes)."""
        wanted = Month.of(month)
        for row in self.months:
            if row.month == wanted:
                return row
        raise KeyError(f"{wanted} is not a month of this plan")

    def to_frame(self) -> pd.DataFrame:
        """One row per month: ``month`` (YYYY-MM), ``in_plan_year``, the six stage codes and
        ``total``."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "month": row.month.label,
                    "in_plan_year": row.in_plan_year,
                    **row.counts,
                    "total": row.total,
                }
                for row in self.months
            ],
            columns=["month", "in_plan_year", *STAGE_CODES, "total"],
        )

    def as_dict(self) -> dict[str, Any]:
        """The plan as plain JSON values."""
        peak = self.peak
        return {
            "target": _plain(self.target),
            "deal_size": _plain(self.deal_size),
            "contracts": self.contracts,
            "ratios": {code: _plain(value) for code, value in self.ratios.items()},
            "durations": {code: _plain(value) for code, value in self.durations.items()},
            "unit": self.unit,
            "offsets_months": dict(self.offsets),
            "year": self.year,
            "start_month": self.start_month,
            "close_months": [month.label for month in self.close_months],
            "months": [
                {
                    "month": row.month.label,
                    "in_plan_year": row.in_plan_year,
                    **row.counts,
                    "total": row.total,
                }
                for row in self.months
            ],
            "totals": dict(self.totals),
            "total_activities": self.total_activities,
            "peak": {
                "month": peak.month.label,
                "total": peak.total,
                "counts": dict(peak.counts),
                "months": [month.label for month in self.peak_months],
            },
            "conversions": [
                {"from": c.from_stage, "to": c.to_stage, "rate": c.rate} for c in self.conversions
            ],
            "win_rates": dict(self.win_rates),
            "stages": [
                {"code": s.code, "label_en": s.label_en, "label_zh": s.label_zh} for s in STAGES
            ],
        }


def _plain(value: Decimal | Fraction) -> int | float:
    if value == int(value):
        return int(value)
    return float(value)


def contracts_needed(target: object, deal_size: object) -> int:
    """``ceil(target / deal size)``: the contracts that reach the target (at least 1)."""
    exact = _amount("target", target) / _amount("deal_size", deal_size)
    return max(1, math.ceil(exact))


def plan_sales(
    target: object,
    deal_size: object,
    *,
    year: int,
    ratios: Sequence[object] | Mapping[str, object] = DEFAULT_RATIOS,
    durations: Sequence[object] | Mapping[str, object] = DEFAULT_DURATIONS,
    unit: str = "months",
    start_month: int = 1,
    close_months: Sequence[int] | Mapping[int, object] | None = None,
) -> SalesPlan:
    """The monthly activity plan that reaches ``target`` with deals of ``deal_size``.

    ``ratios``: activities per contract of the six stages (a sequence top first, or a
    mapping by stage code). ``durations``: how long each stage lasts, in ``unit``
    (months, weeks or days): five values (training to bid; signing takes no time) or six
    (the sixth is the signing), or a mapping by stage code (a missing ``contract`` is 0).
    The plan year is the 12 months from ``start_month`` of ``year``. ``close_months``:
    the calendar months (1-12) contracts may close in, spread evenly; or a mapping month
    -> weight to spread them by weight; default the plan year's 3rd to 12th month.

    Raises `PlanInputError` naming the input and what was expected.
    """
    target_amount = _amount("target", target)
    deal_amount = _amount("deal_size", deal_size)
    contracts = contracts_needed(target_amount, deal_amount)
    ratio_of = _ratios(ratios)
    unit = _unit(unit)
    duration_of = _durations(durations)
    offsets = stage_offsets(duration_of, unit)
    if offsets["training"] > MAX_LEAD_MONTHS:
        raise PlanInputError(
            "durations",
            f"the funnel from training to contract takes {offsets['training']} months; "
            f"at most {MAX_LEAD_MONTHS} are supported",
        )
    first = Month(_year(year), _start_month(start_month))
    weights = _close_weights(close_months, first)

    # The exact demand of every stage in every month of the plan.
    weight_sum = sum(weights.values(), Fraction(0))
    closing = {month: contracts * weight / weight_sum for month, weight in weights.items()}
    start = min(first, *(m.shift(-offsets[STAGE_CODES[0]]) for m in closing))
    last = first.shift(11)
    span = [start.shift(i) for i in range(start.months_until(last) + 1)]
    counts: dict[str, list[int]] = {}
    for code in STAGE_CODES:
        demand = [
            ratio_of[code] * closing.get(month.shift(offsets[code]), Fraction(0)) for month in span
        ]
        counts[code] = cumulative_round_up(demand)
    months = tuple(
        PlanMonth(
            month=month,
            counts={code: counts[code][i] for code in STAGE_CODES},
            in_plan_year=month >= first,
        )
        for i, month in enumerate(span)
    )
    return SalesPlan(
        target=target_amount,
        deal_size=deal_amount,
        contracts=contracts,
        ratios=ratio_of,
        durations=duration_of,
        unit=unit,
        offsets=offsets,
        year=first.year,
        start_month=first.month,
        close_months=tuple(sorted(month for month, weight in weights.items() if weight > 0)),
        months=months,
        totals={code: sum(counts[code]) for code in STAGE_CODES},
        conversions=tuple(
            Conversion(a, b, float(ratio_of[b] / ratio_of[a])) for a, b in pairwise(STAGE_CODES)
        ),
        win_rates={code: float(1 / ratio_of[code]) for code in STAGE_CODES},
    )


def cumulative_round_up(values: Iterable[Fraction]) -> list[int]:
    """Whole numbers whose running totals are the exact running totals rounded up.

    ``n_k = ceil(S_k) - ceil(S_(k-1))`` with ``S_k`` the sum of the first k values: each
    partial sum is at most one above the exact one and never below it, and the total is
    ``ceil(sum)``. Values must not be negative.
    """
    result: list[int] = []
    running = Fraction(0)
    previous = 0
    for value in values:
        running += value
        reached = math.ceil(running)
        result.append(reached - previous)
        previous = reached
    return result


def stage_offsets(durations: Mapping[str, Fraction], unit: str = "months") -> dict[str, int]:
    """Whole months from each stage's activities to the close.

    A stage begins the sum of its own and the later stages' durations (the signing, the
    contract's duration, included) before the close; the contract is counted at the close
    (offset 0). The exact sum is converted to months (weeks x 7 days; 365.25 / 12 days a
    month) and rounded to the nearest month, halves up, so rounding errors do not add up
    down the funnel.
    """
    per_month = _DAYS_PER[unit] / _DAYS_PER_MONTH
    offsets = {"contract": 0}
    before_close = durations.get("contract", Fraction(0))
    for code in reversed(STAGE_CODES[:-1]):
        before_close += durations[code]
        offsets[code] = math.floor(before_close * per_month + Fraction(1, 2))
    return {code: offsets[code] for code in STAGE_CODES}


# --------------------------------------------------------------------------- checks


def _number(field: str, value: object, what: str) -> Fraction:
    """``value`` as an exact fraction (floats through their shortest decimal form)."""
    if isinstance(value, bool) or value is None:
        raise PlanInputError(field, f"expected {what}; got {value!r}")
    if isinstance(value, Fraction | numbers.Integral):
        return Fraction(value)
    try:
        text = str(value).strip().replace(",", "").replace("_", "")
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise PlanInputError(field, f"expected {what}; got {value!r}") from None
    if not number.is_finite():
        raise PlanInputError(field, f"expected {what}; got {value!r}")
    return Fraction(number)


def _amount(field: str, value: object) -> Decimal:
    amount = _number(field, value, "a positive amount")
    if amount <= 0:
        raise PlanInputError(field, f"expected a positive amount; got {value!r}")
    return Decimal(amount.numerator) / Decimal(amount.denominator)


def _by_stage(
    field: str, values: Sequence[object] | Mapping[str, object], *, optional: tuple[str, ...] = ()
) -> dict[str, object]:
    """``values`` keyed by stage code; a mapping must name every stage except ``optional``."""
    if isinstance(values, Mapping):
        unknown = sorted(str(key) for key in values if key not in _INDEX)
        if unknown:
            raise PlanInputError(
                field,
                f"unknown stage {', '.join(unknown)} (expected {', '.join(STAGE_CODES)})",
            )
        missing = [code for code in STAGE_CODES if code not in values and code not in optional]
        if missing:
            raise PlanInputError(field, f"missing stage {', '.join(missing)}")
        return {code: values[code] for code in STAGE_CODES if code in values}
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise PlanInputError(field, f"expected a list of numbers, one per stage; got {values!r}")
    return dict(zip(STAGE_CODES, values, strict=False))


def _ratios(values: Sequence[object] | Mapping[str, object]) -> dict[str, Fraction]:
    if _is_list(values) and len(values) != 6:
        raise PlanInputError(
            "ratios",
            f"expected 6 numbers, one per stage ({', '.join(STAGE_CODES)}); got {len(values)}",
        )
    given = _by_stage("ratios", values)
    ratios: dict[str, Fraction] = {}
    for code, value in given.items():
        ratio = _number("ratios", value, f"a positive number of {_STAGE[code].plural_en}")
        if ratio <= 0:
            raise PlanInputError(
                "ratios",
                f"{code} must be a positive number of {_STAGE[code].plural_en} per contract; "
                f"got {value!r}",
            )
        ratios[code] = ratio
    for upper, lower in pairwise(STAGE_CODES):
        if ratios[lower] > ratios[upper]:
            raise PlanInputError(
                "ratios",
                "the counts must not increase down the funnel, but "
                f"{lower} ({_show(ratios[lower])}) > {upper} ({_show(ratios[upper])})",
            )
    if ratios["contract"] != 1:
        raise PlanInputError(
            "ratios",
            f"the last count is per 1 contract and must be 1; got {_show(ratios['contract'])}",
        )
    return ratios


def _durations(values: Sequence[object] | Mapping[str, object]) -> dict[str, Fraction]:
    if _is_list(values) and len(values) not in (5, 6):
        raise PlanInputError(
            "durations",
            "expected 5 numbers (training, meeting, consulting, proposal, bid) or 6 "
            f"(and the signing); got {len(values)}",
        )
    given = _by_stage("durations", values, optional=("contract",))
    durations: dict[str, Fraction] = {}
    for code in STAGE_CODES:
        value = given.get(code, 0)
        duration = _number("durations", value, "a duration of 0 or more")
        if duration < 0:
            raise PlanInputError("durations", f"{code} must last 0 or more; got {_show(duration)}")
        durations[code] = duration
    return durations


def _is_list(values: object) -> TypeGuard[Sequence[object]]:
    return isinstance(values, Sequence) and not isinstance(values, str | bytes)


def _unit(unit: object) -> str:
    text = str(unit).strip().lower()
    if text not in DURATION_UNITS:
        raise PlanInputError("unit", f"expected one of {', '.join(DURATION_UNITS)}; got {unit!r}")
    return text


def _year(year: object) -> int:
    if not _is_whole(year) or not 1900 <= int(year) <= 2999:
        raise PlanInputError("year", f"expected a year from 1900 to 2999; got {year!r}")
    return int(year)


def _start_month(month: object) -> int:
    if not _is_whole(month) or not 1 <= int(month) <= 12:
        raise PlanInputError("start_month", f"expected a month from 1 to 12; got {month!r}")
    return int(month)


def _close_weights(
    close_months: Sequence[int] | Mapping[int, object] | None, first: Month
) -> dict[Month, Fraction]:
    """Close month -> weight, each calendar month placed inside the plan year."""
    if close_months is None:
        return {first.shift(i): Fraction(1) for i in range(FIRST_CLOSE_POSITION - 1, 12)}
    if isinstance(close_months, Mapping):
        pairs = [(key, _weight(key, value)) for key, value in close_months.items()]
    elif isinstance(close_months, str | bytes) or not isinstance(close_months, Iterable):
        raise PlanInputError(
            "close_months", f"expected a list of months from 1 to 12; got {close_months!r}"
        )
    else:
        pairs = [(key, Fraction(1)) for key in close_months]
    weights: dict[Month, Fraction] = {}
    for key, weight in pairs:
        if not _is_whole(key) or not 1 <= int(key) <= 12:
            raise PlanInputError("close_months", f"expected months from 1 to 12; got {key!r}")
        month = first.shift((int(key) - first.month) % 12)
        if month in weights:
            raise PlanInputError("close_months", f"month {int(key)} is given twice")
        weights[month] = weight
    if not weights or sum(weights.values()) <= 0:
        raise PlanInputError("close_months", "expected at least one month contracts may close in")
    return weights


def _weight(key: object, value: object) -> Fraction:
    weight = _number("close_months", value, f"a weight of 0 or more for month {key}")
    if weight < 0:
        raise PlanInputError("close_months", f"the weight of month {key} must be 0 or more")
    return weight


def _show(value: Fraction) -> str:
    return str(value.numerator) if value.denominator == 1 else f"{float(value):g}"


# --------------------------------------------------------------------------- plan vs actual


@dataclass(frozen=True)
class ComparisonRow:
    """Planned against actual activities of one stage in one month."""

    month: Month
    stage: str
    planned: int
    actual: int
    cumulative_planned: int  # from the plan's first month through this one
    cumulative_actual: int

    @property
    def gap(self) -> int:
        """Actual - planned: negative is a shortfall."""
        return self.actual - self.planned

    @property
    def attainment(self) -> float | None:
        """Cumulative actual / cumulative planned; None while nothing was planned yet."""
        if self.cumulative_planned == 0:
            return None
        return self.cumulative_actual / self.cumulative_planned


@dataclass(frozen=True)
class StageTotal:
    """A stage's planned and actual activities over the compared months."""

    stage: str
    planned: int
    actual: int

    @property
    def gap(self) -> int:
        return self.actual - self.planned

    @property
    def attainment(self) -> float | None:
        return None if self.planned == 0 else self.actual / self.planned


@dataclass(frozen=True)
class Shortfall:
    """A month and stage where fewer activities happened than planned, in words."""

    month: Month
    stage: str
    planned: int
    actual: int
    contracts_at_risk: float  # missing activities / the stage's count per contract
    text_en: str  # "March 2027: 2 of 5 meetings with the decision owner"
    text_zh: str  # "2027年3月：见负责人完成2次，计划5次"


@dataclass(frozen=True)
class PlanComparison:
    """A plan against what was done, from the plan's first month through ``through``."""

    plan: SalesPlan
    through: Month
    rows: tuple[ComparisonRow, ...]  # month by month; the stages in funnel order
    totals: tuple[StageTotal, ...]  # per stage, funnel order
    shortfalls: tuple[Shortfall, ...]  # the biggest first
    ignored_months: tuple[Month, ...] = field(default=())  # actuals outside the compared months

    def row(self, month: object, stage: str) -> ComparisonRow:
        wanted = Month.of(month)
        for row in self.rows:
            if row.month == wanted and row.stage == stage:
                return row
        raise KeyError(f"no row for {wanted} and {stage!r}")

    def total(self, stage: str) -> StageTotal:
        for total in self.totals:
            if total.stage == stage:
                return total
        raise KeyError(f"no stage {stage!r}")

    def to_frame(self) -> pd.DataFrame:
        """One row per month and stage: month, stage, planned, actual, gap, the cumulative
        figures and attainment (NaN while nothing was planned)."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "month": row.month.label,
                    "stage": row.stage,
                    "planned": row.planned,
                    "actual": row.actual,
                    "gap": row.gap,
                    "cumulative_planned": row.cumulative_planned,
                    "cumulative_actual": row.cumulative_actual,
                    "attainment": math.nan if row.attainment is None else row.attainment,
                }
                for row in self.rows
            ],
            columns=[
                "month",
                "stage",
                "planned",
                "actual",
                "gap",
                "cumulative_planned",
                "cumulative_actual",
                "attainment",
            ],
        )

    def as_dict(self) -> dict[str, Any]:
        """The comparison as plain JSON values."""
        return {
            "through": self.through.label,
            "rows": [
                {
                    "month": row.month.label,
                    "stage": row.stage,
                    "planned": row.planned,
                    "actual": row.actual,
                    "gap": row.gap,
                    "cumulative_planned": row.cumulative_planned,
                    "cumulative_actual": row.cumulative_actual,
                    "attainment": row.attainment,
                }
                for row in self.rows
            ],
            "totals": [
                {
                    "stage": t.stage,
                    "planned": t.planned,
                    "actual": t.actual,
                    "gap": t.gap,
                    "attainment": t.attainment,
                }
                for t in self.totals
            ],
            "shortfalls": [
                {
                    "month": s.month.label,
                    "stage": s.stage,
                    "planned": s.planned,
                    "actual": s.actual,
                    "contracts_at_risk": s.contracts_at_risk,
                    "text_en": s.text_en,
                    "text_zh": s.text_zh,
                }
                for s in self.shortfalls
            ],
            "ignored_months": [month.label for month in self.ignored_months],
        }


def compare_with_actuals(
    plan: SalesPlan,
    actuals: Mapping[Any, Mapping[str, object]] | pd.DataFrame,
    *,
    through: object = None,
    top: int = 5,
) -> PlanComparison:
    """Planned against actual activities, month by month and stage by stage.

    ``actuals``: counts per month and stage code, as a mapping ``month -> {stage: count}``
    (a month is ``"2027-03"``, ``(2027, 3)``, a date or a `Month`; a missing stage is 0),
    or a pandas frame: wide (a ``month`` column, or ``year`` and ``month``, or the months
    as the index; one column per stage code) or long (``month``, ``stage``, ``count``).
    Counts of the same month and stage are added up.

    Compares the plan's months from its first (lead-in included) through ``through``
    (default: the plan's last month; pass the current month during the year, or the
    months not yet lived count as shortfalls). Actuals outside those months are left out
    and listed in ``ignored_months``. ``top`` shortfalls are put in words, the biggest
    first: ranked by contracts at risk (missing activities / the stage's count per
    contract, so 6 missing trainings weigh as much as 1 missing contract), then by the
    share missing, then the stage nearer the contract, then the earliest month.
    """
    if not _is_whole(top) or top < 0:
        raise PlanInputError("top", f"expected a whole number of 0 or more; got {top!r}")
    first, last = plan.months[0].month, plan.months[-1].month
    if through is None:
        end = last
    else:
        try:
            end = Month.of(through)
        except ValueError as exc:
            raise PlanInputError("through", str(exc)) from None
        if end < first:
            raise PlanInputError("through", f"{end} is before the plan's first month {first}")
        end = min(end, last)
    done = _actual_counts(actuals)
    ignored = tuple(sorted(month for month in done if not first <= month <= end))

    rows: list[ComparisonRow] = []
    planned_sum = dict.fromkeys(STAGE_CODES, 0)
    actual_sum = dict.fromkeys(STAGE_CODES, 0)
    for plan_month in plan.months:
        if plan_month.month > end:
            break
        counts = done.get(plan_month.month, {})
        for code in STAGE_CODES:
            planned, actual = plan_month.counts[code], counts.get(code, 0)
            planned_sum[code] += planned
            actual_sum[code] += actual
            rows.append(
                ComparisonRow(
                    plan_month.month, code, planned, actual, planned_sum[code], actual_sum[code]
                )
            )
    totals = tuple(StageTotal(code, planned_sum[code], actual_sum[code]) for code in STAGE_CODES)
    return PlanComparison(
        plan=plan,
        through=end,
        rows=tuple(rows),
        totals=totals,
        shortfalls=_shortfalls(plan, rows, int(top)),
        ignored_months=ignored,
    )


def _shortfalls(plan: SalesPlan, rows: Sequence[ComparisonRow], top: int) -> tuple[Shortfall, ...]:
    short = [row for row in rows if row.actual < row.planned]
    short.sort(
        key=lambda row: (
            -Fraction(row.planned - row.actual) / plan.ratios[row.stage],
            -Fraction(row.planned - row.actual, row.planned),
            -_INDEX[row.stage],
            row.month,
        )
    )
    return tuple(_shortfall(plan, row) for row in short[:top])


def _shortfall(plan: SalesPlan, row: ComparisonRow) -> Shortfall:
    stage = _STAGE[row.stage]
    noun = stage.singular_en if row.planned == 1 else stage.plural_en
    unit = stage.unit_zh
    return Shortfall(
        month=row.month,
        stage=row.stage,
        planned=row.planned,
        actual=row.actual,
        contracts_at_risk=float((row.planned - row.actual) / plan.ratios[row.stage]),
        text_en=f"{row.month.name_en}: {row.actual} of {row.planned} {noun}",
        text_zh=(
            f"{row.month.name_zh}：{stage.label_zh}完成{row.actual}{unit}，计划{row.planned}{unit}"
        ),
    )


def _actual_counts(actuals: object) -> dict[Month, dict[str, int]]:
    """Month -> stage code -> count, from a mapping or a pandas frame."""
    found: dict[Month, dict[str, int]] = {}

    def add(month_value: object, code: object, count: object) -> None:
        if code not in _INDEX:
            raise PlanInputError(
                "actuals", f"unknown stage {code!r} (expected {', '.join(STAGE_CODES)})"
            )
        try:
            month = Month.of(month_value)
        except ValueError as exc:
            raise PlanInputError("actuals", str(exc)) from None
        whole = _count(month, str(code), count)
        counts = found.setdefault(month, {})
        counts[str(code)] = counts.get(str(code), 0) + whole

    if hasattr(actuals, "columns") and hasattr(actuals, "itertuples"):
        for month_value, code, count in _frame_cells(actuals):
            add(month_value, code, count)
        return found
    if not isinstance(actuals, Mapping):
        raise PlanInputError(
            "actuals",
            f"expected a mapping month -> {{stage: count}} or a pandas frame; got {actuals!r}",
        )
    for month_value, counts in actuals.items():
        if not isinstance(counts, Mapping):
            raise PlanInputError(
                "actuals", f"expected {{stage: count}} for month {month_value!r}; got {counts!r}"
            )
        for code, count in counts.items():
            add(month_value, code, count)
    return found


def _count(month: Month, code: str, value: object) -> int:
    if _is_whole(value) and int(value) >= 0:
        return int(value)
    if isinstance(value, float) and value.is_integer() and value >= 0:
        return int(value)
    raise PlanInputError(
        "actuals", f"{code} in {month}: expected a whole number of 0 or more; got {value!r}"
    )


_FRAME_EXTRAS = frozenset({"month", "year", "in_plan_year", "total"})


def _frame_cells(frame: Any) -> list[tuple[object, object, object]]:
    """(month, stage, count) of every cell of a wide or long frame; NaN counts are left out."""
    columns = [str(column) for column in frame.columns]
    if "stage" in columns and "count" in columns:
        months = _frame_months(frame, columns)
        return [
            (month, stage, count)
            for month, stage, count in zip(
                months, frame["stage"].tolist(), frame["count"].tolist(), strict=True
            )
            if not _is_nan(count)
        ]
    unknown = [c for c in columns if c not in _INDEX and c not in _FRAME_EXTRAS]
    if unknown:
        raise PlanInputError(
            "actuals",
            f"unknown column {', '.join(unknown)} (expected month, or year and month, and "
            f"the stage codes {', '.join(STAGE_CODES)}; or month, stage and count)",
        )
    months = _frame_months(frame, columns)
    cells: list[tuple[object, object, object]] = []
    for code in (c for c in STAGE_CODES if c in columns):
        for month, count in zip(months, frame[code].tolist(), strict=True):
            if not _is_nan(count):
                cells.append((month, code, count))
    return cells


def _frame_months(frame: Any, columns: list[str]) -> list[object]:
    if "month" in columns and "year" in columns:
        return list(zip(frame["year"].tolist(), frame["month"].tolist(), strict=True))
    if "month" in columns:
        return list(frame["month"].tolist())
    return list(frame.index.tolist())


def _is_nan(value: object) -> bool:
    return isinstance(value, float) and math.isnan(value)
