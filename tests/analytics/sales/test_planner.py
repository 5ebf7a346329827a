"""SALES-3: the 6-5-3-3-2-1 activity planner and its comparison with what was done.

Pure Python (no Django): runs with ``-p no:django --confcutdir=tests/analytics``.
"""

from __future__ import annotations

import math
from fractions import Fraction

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam_analytics.sales.planner import (
    STAGE_CODES,
    Month,
    PlanInputError,
    SalesPlan,
    compare_with_actuals,
    contracts_needed,
    cumulative_round_up,
    plan_sales,
)

# The seed's example: 3,000,000 a year in deals of 300,000 = 10 contracts, March to
# December, one stage a month. Columns: training, meeting, consulting, proposal, bid,
# contract. The seed's work plan rows are the ramp (October to February), the full
# month (March to July: "1个签单+2个标书+3个方案" with the lower stages) and the taper
# (October: contract + bids + proposals, November: contract + bids, December: contract).
SEED_TABLE = {
    "2026-10": (6, 0, 0, 0, 0, 0),  # 6个培训
    "2026-11": (6, 5, 0, 0, 0, 0),  # 5个见负责人+6个培训
    "2026-12": (6, 5, 3, 0, 0, 0),  # 3个咨询+5个负责人+6个培训
    "2027-01": (6, 5, 3, 3, 0, 0),  # 3个方案+3个咨询+5个见老总 (+6个培训)
    "2027-02": (6, 5, 3, 3, 2, 0),  # 2个标书+3个方案+3个咨询 (+…)
    "2027-03": (6, 5, 3, 3, 2, 1),  # 1个签单+2个标书+3个方案 (+…): 3月-1单
    "2027-04": (6, 5, 3, 3, 2, 1),
    "2027-05": (6, 5, 3, 3, 2, 1),
    "2027-06": (6, 5, 3, 3, 2, 1),
    "2027-07": (6, 5, 3, 3, 2, 1),
    "2027-08": (0, 5, 3, 3, 2, 1),
    "2027-09": (0, 0, 3, 3, 2, 1),
    "2027-10": (0, 0, 0, 3, 2, 1),  # 1个签单+2个标书+3个方案
    "2027-11": (0, 0, 0, 0, 2, 1),  # 1个签单+2个标书
    "2027-12": (0, 0, 0, 0, 0, 1),  # 1个签单
}


def table(plan: SalesPlan) -> dict[str, tuple[int, ...]]:
    return {row.month.label: tuple(row.counts[code] for code in STAGE_CODES) for row in plan.months}


def column(plan: SalesPlan, stage: str) -> list[int]:
    return [row.counts[stage] for row in plan.months]


@pytest.fixture(scope="module")
def seed_plan() -> SalesPlan:
    return plan_sales(3_000_000, 300_000, year=2027)


# --------------------------------------------------------------------------- the seed


def test_the_seeds_example_comes_out_month_by_month(seed_plan: SalesPlan) -> None:
    assert seed_plan.contracts == 10
    assert table(seed_plan) == SEED_TABLE


def test_the_seeds_example_closes_one_contract_a_month_from_march(seed_plan: SalesPlan) -> None:
    # "1月 2月 3月-1单 4月-1单 … 12月-1单"
    assert [m.label for m in seed_plan.close_months] == [f"2027-{m:02d}" for m in range(3, 13)]
    assert seed_plan.row("2027-01").counts["contract"] == 0
    assert seed_plan.row("2027-02").counts["contract"] == 0


def test_the_seeds_ramp_up_starts_in_october_of_the_year_before(seed_plan: SalesPlan) -> None:
    assert [row.month.label for row in seed_plan.lead_in] == ["2026-10", "2026-11", "2026-12"]
    assert not seed_plan.row((2026, 12)).in_plan_year
    assert seed_plan.row((2027, 1)).in_plan_year
    assert seed_plan.offsets == {
        "training": 5,
        "meeting": 4,
        "consulting": 3,
        "proposal": 2,
        "bid": 1,
        "contract": 0,
    }


def test_the_seeds_totals_peak_and_rates(seed_plan: SalesPlan) -> None:
    assert seed_plan.totals == {
        "training": 60,
        "meeting": 50,
        "consulting": 30,
        "proposal": 30,
        "bid": 20,
        "contract": 10,
    }
    assert seed_plan.total_activities == 200
    # The deck's question: the most work in one month is 6+5+3+3+2+1 = 20 activities.
    assert seed_plan.peak.month == Month(2027, 3)
    assert seed_plan.peak.total == 20
    assert [m.label for m in seed_plan.peak_months] == [
        "2027-03",
        "2027-04",
        "2027-05",
        "2027-06",
        "2027-07",
    ]
    rates = {(c.from_stage, c.to_stage): c.rate for c in seed_plan.conversions}
    assert rates == pytest.approx(
        {
            ("training", "meeting"): 5 / 6,
            ("meeting", "consulting"): 3 / 5,
            ("consulting", "proposal"): 1.0,
            ("proposal", "bid"): 2 / 3,
            ("bid", "contract"): 1 / 2,
        }
    )
    assert seed_plan.win_rates["training"] == pytest.approx(1 / 6)
    assert seed_plan.win_rates["bid"] == pytest.approx(0.5)


def test_the_plan_as_a_frame_and_as_json(seed_plan: SalesPlan) -> None:
    frame = seed_plan.to_frame()
    assert list(frame.columns) == ["month", "in_plan_year", *STAGE_CODES, "total"]
    assert len(frame) == 15
    assert frame.loc[frame["month"] == "2027-02", "total"].item() == 19
    assert frame["total"].sum() == 200

    body = seed_plan.as_dict()
    assert body["contracts"] == 10 and body["target"] == 3_000_000
    assert body["ratios"] == {
        "training": 6,
        "meeting": 5,
        "consulting": 3,
        "proposal": 3,
        "bid": 2,
        "contract": 1,
    }
    assert body["peak"]["month"] == "2027-03" and body["peak"]["total"] == 20
    assert body["months"][0] == {
        "month": "2026-10",
        "in_plan_year": False,
        "training": 6,
        "meeting": 0,
        "consulting": 0,
        "proposal": 0,
        "bid": 0,
        "contract": 0,
        "total": 6,
    }


# --------------------------------------------------------------------------- other targets


def test_contracts_round_up() -> None:
    assert contracts_needed(3_000_000, 300_000) == 10
    assert contracts_needed(3_000_001, 300_000) == 11
    assert contracts_needed("1,000,000", "300000") == 4
    assert contracts_needed(0.3, 0.1) == 3  # not 4 from 0.3 / 0.1 = 2.9999999999999996
    assert contracts_needed(100, 300_000) == 1


def test_four_contracts_are_spread_and_rounded_up_to_exact_totals() -> None:
    plan = plan_sales(1_000_000, 300_000, year=2027)  # 3.33 -> 4 contracts, 0.4 a month

    assert plan.contracts == 4
    # Running totals 0.4, 0.8, 1.2 … rounded up: March, May, August, October.
    assert [row.month.label for row in plan.months if row.counts["contract"]] == [
        "2027-03",
        "2027-05",
        "2027-08",
        "2027-10",
    ]
    # 2.4 trainings a month, October to July, in whole trainings.
    assert column(plan, "training") == [3, 2, 3, 2, 2, 3, 2, 3, 2, 2, 0, 0, 0, 0, 0]
    assert plan.totals == {
        "training": 24,
        "meeting": 20,
        "consulting": 12,
        "proposal": 12,
        "bid": 8,
        "contract": 4,
    }


def test_twelve_contracts_in_ten_months() -> None:
    plan = plan_sales(3_500_000, 300_000, year=2027)  # 11.67 -> 12 contracts

    assert plan.contracts == 12
    assert column(plan, "contract")[5:] == [2, 1, 1, 1, 1, 2, 1, 1, 1, 1]
    assert column(plan, "training")[:10] == [8, 7, 7, 7, 7, 8, 7, 7, 7, 7]
    assert sum(plan.totals.values()) == 12 * 20
    assert plan.peak.month == Month(2027, 3) and plan.peak.total == 25


@given(
    target=st.integers(min_value=1, max_value=50_000_000),
    deal=st.integers(min_value=1_000, max_value=5_000_000),
    ratios=st.lists(st.integers(min_value=1, max_value=12), min_size=5, max_size=5),
    first_close=st.integers(min_value=1, max_value=12),
)
def test_rounding_keeps_every_total_exact(
    target: int, deal: int, ratios: list[int], first_close: int
) -> None:
    funnel = [*sorted(ratios, reverse=True), 1]
    plan = plan_sales(target, deal, year=2030, ratios=funnel, close_months=range(first_close, 13))

    contracts = math.ceil(Fraction(target, deal))
    assert plan.contracts == contracts
    assert plan.totals == {code: r * contracts for code, r in zip(STAGE_CODES, funnel, strict=True)}
    assert all(count >= 0 for row in plan.months for count in row.counts.values())
    # The contracts' running total never falls behind the even spread, nor runs 1 ahead.
    months = 13 - first_close
    running = 0
    for i, count in enumerate(column(plan, "contract")[-months:], start=1):
        running += count
        assert Fraction(contracts * i, months) <= running < Fraction(contracts * i, months) + 1


def test_cumulative_rounding_up() -> None:
    assert cumulative_round_up([Fraction(1, 2)] * 4) == [1, 0, 1, 0]
    assert cumulative_round_up([Fraction(5, 2), Fraction(1, 2), Fraction(0)]) == [3, 0, 0]
    assert cumulative_round_up([Fraction(1, 3)] * 3) == [1, 0, 0]
    assert cumulative_round_up([]) == []


# --------------------------------------------------------------------------- other settings


def test_the_965531_exercise_with_three_month_stages() -> None:
    # The deck's exercise: each stage takes three months, 9-6-5-5-3-1 for one contract.
    plan = plan_sales(3_000_000, 300_000, year=2027, ratios=[9, 6, 5, 5, 3, 1], durations=[3] * 5)

    assert plan.offsets == {
        "training": 15,
        "meeting": 12,
        "consulting": 9,
        "proposal": 6,
        "bid": 3,
        "contract": 0,
    }
    assert plan.months[0].month == Month(2025, 12)  # March 2027 minus 15 months
    assert len(plan.lead_in) == 13
    assert plan.row("2026-09").counts == {
        "training": 9,
        "meeting": 6,
        "consulting": 5,
        "proposal": 5,
        "bid": 0,
        "contract": 0,
    }
    # A 10-month close window holds at most four stages three months apart: 9+6+5+5.
    assert plan.peak.total == 25
    assert plan.peak_months == (Month(2026, 9),)
    assert plan.totals["training"] == 90


def test_the_seeds_week_chart_fits_the_whole_ramp_into_the_year() -> None:
    # 3, 2.5, 2, 1.5, 1 weeks and 0.5 to sign: training starts 10.5 weeks (2.4 months)
    # before the close, so a March contract is trained for in January.
    plan = plan_sales(
        3_000_000, 300_000, year=2027, durations=[3, 2.5, 2, 1.5, 1, 0.5], unit="weeks"
    )

    assert plan.offsets == {
        "training": 2,
        "meeting": 2,
        "consulting": 1,
        "proposal": 1,
        "bid": 0,
        "contract": 0,
    }
    assert plan.lead_in == ()
    assert table(plan)["2027-01"] == (6, 5, 0, 0, 0, 0)
    assert table(plan)["2027-02"] == (6, 5, 3, 3, 0, 0)
    assert table(plan)["2027-03"] == (6, 5, 3, 3, 2, 1)
    assert table(plan)["2027-12"] == (0, 0, 0, 0, 2, 1)


def test_durations_in_days_and_by_stage_code() -> None:
    in_days = plan_sales(3_000_000, 300_000, year=2027, durations=[30] * 5, unit="days")
    by_code = plan_sales(
        3_000_000,
        300_000,
        year=2027,
        durations={"training": 1, "meeting": 1, "consulting": 1, "proposal": 1, "bid": 1},
    )

    assert table(in_days) == SEED_TABLE  # 150 days = 4.93 months -> 5
    assert table(by_code) == SEED_TABLE


def test_half_a_month_rounds_up_and_zero_durations_share_a_month() -> None:
    plan = plan_sales(600_000, 300_000, year=2027, durations=[0, 0, 0, 0, 0.5], close_months=[6, 9])

    assert plan.offsets == dict.fromkeys(STAGE_CODES[:-1], 1) | {"contract": 0}
    assert table(plan)["2027-05"] == (6, 5, 3, 3, 2, 0)
    assert table(plan)["2027-06"] == (0, 0, 0, 0, 0, 1)


def test_fractional_ratios_round_the_total_up() -> None:
    plan = plan_sales(
        900_000, 300_000, year=2027, ratios=[6, 4.5, 2.5, 2.5, 1.5, 1], close_months=[4, 8, 12]
    )

    assert plan.totals == {
        "training": 18,
        "meeting": 14,  # 13.5 rounded up
        "consulting": 8,
        "proposal": 8,
        "bid": 5,
        "contract": 3,
    }
    # 4.5 meetings for each contract, in December, April and August: 5, 4 and 5.
    assert column(plan, "meeting") == [0, 5, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 0, 0]


def test_close_months_by_weight_and_a_fiscal_year() -> None:
    weighted = plan_sales(
        3_000_000, 300_000, year=2027, close_months={6: 1, 12: 4}, durations=[0] * 5
    )
    assert table(weighted)["2027-06"] == (12, 10, 6, 6, 4, 2)
    assert table(weighted)["2027-12"] == (48, 40, 24, 24, 16, 8)

    fiscal = plan_sales(3_000_000, 300_000, year=2027, start_month=4)
    assert fiscal.first_month == Month(2027, 4)
    assert fiscal.months[-1].month == Month(2028, 3)
    assert fiscal.close_months[0] == Month(2027, 6) and fiscal.close_months[-1] == Month(2028, 3)
    assert [row.month.label for row in fiscal.lead_in] == ["2027-01", "2027-02", "2027-03"]
    assert list(table(fiscal).values()) == list(SEED_TABLE.values())

    wrapped = plan_sales(600_000, 300_000, year=2027, start_month=10, close_months=[2, 11])
    assert [m.label for m in wrapped.close_months] == ["2027-11", "2028-02"]


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"target": 0}, "target", "expected a positive amount; got 0"),
        ({"target": -5}, "target", "positive amount"),
        ({"target": "three million"}, "target", "expected a positive amount; got 'three million'"),
        ({"target": float("nan")}, "target", "positive amount"),
        ({"deal_size": 0}, "deal_size", "expected a positive amount; got 0"),
        ({"ratios": [6, 5, 3, 3, 2]}, "ratios", "expected 6 numbers, one per stage"),
        ({"ratios": [6, 5, 3, 4, 2, 1]}, "ratios", "must not increase down the funnel"),
        ({"ratios": [6, 5, 3, 4, 2, 1]}, "ratios", "proposal (4) > consulting (3)"),
        ({"ratios": [6, 5, 3, 3, 2, 2]}, "ratios", "must be 1; got 2"),
        ({"ratios": [6, 5, 3, 3, 0, 1]}, "ratios", "bid must be a positive number"),
        ({"ratios": [6, 5, 3, 3, "x", 1]}, "ratios", "expected a positive number of bids"),
        ({"ratios": {"training": 6}}, "ratios", "missing stage meeting, consulting"),
        ({"ratios": {"demo": 1}}, "ratios", "unknown stage demo"),
        ({"ratios": "6,5,3,3,2,1"}, "ratios", "expected a list of numbers"),
        ({"durations": [1, 1, 1]}, "durations", "expected 5 numbers"),
        ({"durations": [1, 1, -1, 1, 1]}, "durations", "consulting must last 0 or more"),
        ({"durations": [5] * 5}, "durations", "takes 25 months; at most 24"),
        ({"unit": "hours"}, "unit", "expected one of months, weeks, days; got 'hours'"),
        ({"year": 1800}, "year", "expected a year from 1900 to 2999; got 1800"),
        ({"year": "2027"}, "year", "expected a year"),
        ({"start_month": 13}, "start_month", "expected a month from 1 to 12; got 13"),
        ({"close_months": [0, 5]}, "close_months", "expected months from 1 to 12; got 0"),
        ({"close_months": [3, 3]}, "close_months", "month 3 is given twice"),
        ({"close_months": []}, "close_months", "at least one month"),
        ({"close_months": {3: -1}}, "close_months", "weight of month 3 must be 0 or more"),
        ({"close_months": {3: 0}}, "close_months", "at least one month"),
    ],
)
def test_bad_input_names_the_input_and_what_was_expected(
    kwargs: dict[str, object], field: str, words: str
) -> None:
    given_kwargs: dict[str, object] = {"target": 3_000_000, "deal_size": 300_000, "year": 2027}
    given_kwargs.update(kwargs)

    with pytest.raises(PlanInputError) as caught:
        plan_sales(**given_kwargs)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert str(caught.value).startswith(f"{field}: ")
    assert words in str(caught.value)


# --------------------------------------------------------------------------- plan vs actual

ACTUALS = {
    "2026-10": {"training": 6},
    (2026, 11): {"training": 4, "meeting": 5},
    "2026-12": {"training": 6, "meeting": 2, "consulting": 3},
    Month(2027, 1): {"training": 6, "meeting": 5, "consulting": 1, "proposal": 3},
    "2027-02-14": {"training": 7, "meeting": 5, "consulting": 3, "proposal": 3, "bid": 0},
    "2027-03": {"training": 9},  # after `through`: left out
    "2026-09": {"training": 3},  # before the plan: left out
}


def test_the_comparison_month_by_month(seed_plan: SalesPlan) -> None:
    result = compare_with_actuals(seed_plan, ACTUALS, through="2027-02")

    assert result.through == Month(2027, 2)
    assert len(result.rows) == 5 * 6
    december = result.row("2026-12", "meeting")
    assert (december.planned, december.actual, december.gap) == (5, 2, -3)
    assert (december.cumulative_planned, december.cumulative_actual) == (10, 7)
    assert december.attainment == pytest.approx(0.7)
    assert result.row("2026-10", "meeting").attainment is None  # nothing planned yet
    assert result.row("2027-02", "training").gap == 1
    assert [m.label for m in result.ignored_months] == ["2026-09", "2027-03"]

    totals = {t.stage: (t.planned, t.actual, t.attainment) for t in result.totals}
    assert totals == {
        "training": (30, 29, pytest.approx(29 / 30)),
        "meeting": (20, 17, pytest.approx(0.85)),
        "consulting": (9, 7, pytest.approx(7 / 9)),
        "proposal": (6, 6, 1.0),
        "bid": (2, 0, 0.0),
        "contract": (0, 0, None),
    }


def test_the_biggest_shortfalls_in_both_languages(seed_plan: SalesPlan) -> None:
    result = compare_with_actuals(seed_plan, ACTUALS, through="2027-02")

    # Ranked by contracts at risk: 2 bids = 1 contract, 2 consultations = 2/3, 3 meetings
    # = 3/5, 2 trainings = 1/3.
    assert [s.text_en for s in result.shortfalls] == [
        "February 2027: 0 of 2 bids or negotiations",
        "January 2027: 1 of 3 consultations",
        "December 2026: 2 of 5 meetings with the decision owner",
        "November 2026: 4 of 6 trainings",
    ]
    assert [s.text_zh for s in result.shortfalls] == [
        "2027年2月：标书/谈判完成0次，计划2次",
        "2027年1月：咨询完成1次，计划3次",
        "2026年12月：见负责人完成2次，计划5次",
        "2026年11月：培训完成4次，计划6次",
    ]
    assert [s.contracts_at_risk for s in result.shortfalls] == pytest.approx(
        [1.0, 2 / 3, 0.6, 1 / 3]
    )
    assert len(compare_with_actuals(seed_plan, ACTUALS, through="2027-02", top=2).shortfalls) == 2


def test_one_missing_contract_reads_in_the_singular(seed_plan: SalesPlan) -> None:
    result = compare_with_actuals(seed_plan, {}, through=(2027, 3))

    texts = [s.text_en for s in result.shortfalls]
    assert texts[0] == "March 2027: 0 of 1 contract"
    assert result.shortfalls[0].text_zh == "2027年3月：签合同完成0单，计划1单"
    # Then the bids of February and March (1 contract each), before any training.
    assert texts[1:3] == [
        "February 2027: 0 of 2 bids or negotiations",
        "March 2027: 0 of 2 bids or negotiations",
    ]


def test_wide_and_long_frames_give_the_same_comparison(seed_plan: SalesPlan) -> None:
    wide = pd.DataFrame(
        [
            {"month": "2026-11", "training": 4, "meeting": 5},
            {"month": "2026-12", "training": 6, "meeting": 2, "consulting": 3},
        ]
    )
    long = pd.DataFrame(
        [
            (2026, 11, "training", 4),
            (2026, 11, "meeting", 5),
            (2026, 12, "training", 2),
            (2026, 12, "training", 4),  # counts of a month and stage add up
            (2026, 12, "meeting", 2),
            (2026, 12, "consulting", 3),
        ],
        columns=["year", "month", "stage", "count"],
    )
    by_index = wide.set_index("month")

    results = [
        compare_with_actuals(seed_plan, data, through="2026-12").as_dict()
        for data in (wide, long, by_index)
    ]
    assert results[0] == results[1] == results[2]
    december = compare_with_actuals(seed_plan, long, through="2026-12").row("2026-12", "training")
    assert december.actual == 6
    # Missing counts (NaN in a wide frame) are 0.
    assert results[0]["rows"][0] == {
        "month": "2026-10",
        "stage": "training",
        "planned": 6,
        "actual": 0,
        "gap": -6,
        "cumulative_planned": 6,
        "cumulative_actual": 0,
        "attainment": 0.0,
    }


def test_the_plan_compared_with_itself_attains_everything(seed_plan: SalesPlan) -> None:
    result = compare_with_actuals(seed_plan, seed_plan.to_frame())

    assert result.through == Month(2027, 12)
    assert result.shortfalls == ()
    assert all(t.attainment == 1.0 for t in result.totals)
    assert len(result.to_frame()) == 15 * 6


@pytest.mark.parametrize(
    ("actuals", "through", "field", "words"),
    [
        ({"2027-01": {"meetings": 2}}, None, "actuals", "unknown stage 'meetings'"),
        ({"2027-01": {"meeting": -1}}, None, "actuals", "meeting in 2027-01: expected a whole"),
        ({"2027-01": {"meeting": 1.5}}, None, "actuals", "got 1.5"),
        ({"January": {"meeting": 1}}, None, "actuals", "expected a month as YYYY-MM"),
        ({"2027-13": {"meeting": 1}}, None, "actuals", "month must be 1 to 12"),
        ({"2027-01": 3}, None, "actuals", "expected {stage: count} for month '2027-01'"),
        ([("2027-01", "meeting", 1)], None, "actuals", "expected a mapping"),
        ({}, "2026-09", "through", "2026-09 is before the plan's first month 2026-10"),
        ({}, "soon", "through", "expected a month as YYYY-MM"),
    ],
)
def test_bad_actuals_are_named(
    seed_plan: SalesPlan, actuals: object, through: object, field: str, words: str
) -> None:
    with pytest.raises(PlanInputError) as caught:
        compare_with_actuals(seed_plan, actuals, through=through)  # type: ignore[arg-type]

    assert caught.value.field == field
    assert words in str(caught.value)


def test_a_frame_with_an_unknown_column_is_refused(seed_plan: SalesPlan) -> None:
    frame = pd.DataFrame([{"month": "2027-01", "meetings": 2}])

    with pytest.raises(PlanInputError, match="unknown column meetings"):
        compare_with_actuals(seed_plan, frame)
