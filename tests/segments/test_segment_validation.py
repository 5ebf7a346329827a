"""A definition that cannot be read is refused with messages that name the condition and
say what was expected; a good one is stored in a normal form."""

from __future__ import annotations

from typing import Any

import pytest

from kam.segments.conditions import DefinitionInvalid, check_definition
from tests.conftest import Cast
from tests.segments.conftest import between, one_of, rule


def problems(definition: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionInvalid) as raised:
        check_definition(definition, region_codes=["east", "north"])
    return [(p.path, p.message) for p in raised.value.problems]


MESSAGES: list[tuple[Any, list[tuple[str, str]]]] = [
    (
        rule({"field": "size", "op": "in", "values": ["x"]}),
        [
            (
                "definition.conditions.0.field",
                "condition 1: unknown field (got 'size', expected one of: industry, "
                "ownership_type, status, country, province, city, region, employees, "
                "annual_revenue, tags, tier, rfm_segment, lifecycle, orders_12m, revenue_12m, "
                "discounted_share_12m, mean_discount_12m, days_since_last_order)",
            )
        ],
    ),
    (
        rule(one_of("region", "east"), {"field": "industry", "op": "between", "min": 1}),
        [
            (
                "definition.conditions.1.op",
                "condition 2 (industry): unknown operator (got 'between', expected in or not_in)",
            ),
            (
                "definition.conditions.1.min",
                "condition 2 (industry): unknown key 'min' (expected field, op, values)",
            ),
            (
                "definition.conditions.1.values",
                "condition 2 (industry): no list of values (got '', expected a list of 1 to 50 "
                "values)",
            ),
        ],
    ),
    (
        rule({"field": "employees", "op": "in", "min": 5}),
        [
            (
                "definition.conditions.0.op",
                "condition 1 (employees): unknown operator (got 'in', expected between)",
            )
        ],
    ),
    (
        rule(between("employees", 1000, 100)),
        [
            (
                "definition.conditions.0.max",
                "condition 1 (employees): min is greater than max (got min 1000 and max 100, "
                "expected min ≤ max)",
            )
        ],
    ),
    (
        rule(between("discounted_share_12m", 0.8, 0.2)),
        [
            (
                "definition.conditions.0.max",
                "condition 1 (discounted_share_12m): min is greater than max (got min 0.8 and "
                "max 0.2, expected min ≤ max)",
            )
        ],
    ),
    (
        rule({"field": "orders_12m", "op": "between"}),
        [
            (
                "definition.conditions.0",
                "condition 1 (orders_12m): no bound (expected min, max or both)",
            )
        ],
    ),
    (
        rule(between("orders_12m", 1.5), between("discounted_share_12m", None, 2)),
        [
            (
                "definition.conditions.0.min",
                "condition 1 (orders_12m): min is not a whole number (got '1.5', expected a "
                "whole number from 0 to 10000000)",
            ),
            (
                "definition.conditions.1.max",
                "condition 2 (discounted_share_12m): max out of range (got '2', expected a "
                "number from 0 to 1)",
            ),
        ],
    ),
    (
        rule(between("employees", "many"), between("employees", True)),
        [
            (
                "definition.conditions.0.min",
                "condition 1 (employees): min is not a number (got 'many', expected a whole "
                "number from 0 to 10000000)",
            ),
            (
                "definition.conditions.1.min",
                "condition 2 (employees): min is not a number (got 'True', expected a whole "
                "number from 0 to 10000000)",
            ),
        ],
    ),
    (
        rule(one_of("industry", "steel"), one_of("tier", "gold")),
        [
            (
                "definition.conditions.0.values",
                "condition 1 (industry): unknown value (got 'steel', expected one of: "
                "manufacturing, telecom, finance, healthcare, energy, retail, logistics, "
                "construction, it, government, education, chemicals, automotive, food, "
                "agriculture, other)",
            ),
            (
                "definition.conditions.1.values",
                "condition 2 (tier): unknown value (got 'gold', expected one of: diamond, core, "
                "potential, basic)",
            ),
        ],
    ),
    (
        rule(one_of("region", "west"), one_of("rfm_segment", "vip")),
        [
            (
                "definition.conditions.0.values",
                "condition 1 (region): unknown region (got 'west', expected the code of a sales "
                "region (east, north))",
            ),
            (
                "definition.conditions.1.values",
                "condition 2 (rfm_segment): unknown value (got 'vip', expected one of: "
                "champions, loyal_customers, potential_loyalists, new_customers, promising, "
                "need_attention, about_to_sleep, at_risk, cant_lose_them, hibernating, lost)",
            ),
        ],
    ),
    (
        rule(one_of("country", "China"), one_of("city", " "), {"field": "tags", "op": "in"}),
        [
            (
                "definition.conditions.0.values",
                "condition 1 (country): not a country code (got 'China', expected a two-letter "
                "ISO code such as CN)",
            ),
            (
                "definition.conditions.1.values",
                "condition 2 (city): empty value (got ' ', expected a text of 1 to 60 characters)",
            ),
            (
                "definition.conditions.2.values",
                "condition 3 (tags): no list of values (got '', expected a list of 1 to 50 values)",
            ),
        ],
    ),
    (
        {"match": "xor", "conditions": [], "extra": 1},
        [
            ("definition.extra", "definition: unknown key 'extra' (expected match and conditions)"),
            ("definition.match", "match: unknown value (got 'xor', expected all or any)"),
            (
                "definition.conditions",
                "conditions: no conditions (got 0, expected a list of 1 to 20 conditions)",
            ),
        ],
    ),
    (
        ["industry"],
        [
            (
                "definition",
                "definition: not an object (got '[\\'industry\\']', expected an object with "
                "match and conditions)",
            )
        ],
    ),
    (
        rule("industry is it"),
        [
            (
                "definition.conditions.0",
                "condition 1: not an object (got 'industry is it', expected an object with "
                "field, op and values, or field, op, min and max)",
            )
        ],
    ),
]


@pytest.mark.parametrize(("definition", "expected"), MESSAGES)
def test_it_names_the_condition_and_what_was_expected(
    definition: Any, expected: list[tuple[str, str]]
) -> None:
    assert problems(definition) == expected


def test_it_stores_a_good_definition_in_a_normal_form() -> None:
    definition = {
        "conditions": [
            one_of("country", "de", "DE", "cn"),
            one_of("city", " Suzhou "),
            between("employees", 100.0, 999),
            between("discounted_share_12m", 0.5),
        ]
    }
    assert check_definition(definition, region_codes=[]) == {
        "match": "all",
        "conditions": [
            {"field": "country", "op": "in", "values": ["DE", "CN"]},
            {"field": "city", "op": "in", "values": ["Suzhou"]},
            {"field": "employees", "op": "between", "min": 100, "max": 999},
            {"field": "discounted_share_12m", "op": "between", "min": 0.5},
        ],
    }


def test_it_reads_the_regions_from_the_database(cast: Cast) -> None:
    assert check_definition(rule(one_of("region", "north")))["conditions"][0]["values"] == ["north"]
    with pytest.raises(DefinitionInvalid, match=r"expected the code of a sales region \(east"):
        check_definition(rule(one_of("region", "south")))
