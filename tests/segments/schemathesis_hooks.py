"""What the OpenAPI document cannot say about a segment, supplied for the schema-valid
requests schemathesis generates (tests/api/test_schemathesis.py does the same for
references and external ids): a range's min is not above its max, a region code names a
region, and a new name is free (segments outlive the scenario that made them, so a name
could otherwise be taken in one run of a scenario and free in another).

Importing this module registers the hook for every schema (a global schemathesis hook).
tests/segments/conftest.py imports it, so it is active whenever tests/segments is part of
the run; tests/api/test_schemathesis.py can import it too, to be complete on its own.
"""

from __future__ import annotations

import uuid
from typing import Any

import schemathesis

REGION = "east"  # the cast's region, which the schemathesis run has


def consistent_definition(definition: Any) -> Any:
    if not isinstance(definition, dict) or not isinstance(definition.get("conditions"), list):
        return definition
    conditions = []
    for condition in definition["conditions"]:
        if isinstance(condition, dict):
            condition = dict(condition)
            low, high = condition.get("min"), condition.get("max")
            if isinstance(low, int | float) and isinstance(high, int | float) and low > high:
                condition["min"], condition["max"] = high, low
            if condition.get("field") == "region" and isinstance(condition.get("values"), list):
                condition["values"] = [REGION]
        conditions.append(condition)
    return {**definition, "conditions": conditions}


@schemathesis.hook("map_case")
def segment_definitions(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if not positive or not isinstance(case.body, dict):
        return case
    path = case.operation.path
    body = dict(case.body)
    if "definition" in body:
        body["definition"] = consistent_definition(body["definition"])
    if path.startswith("/api/segments") and "/strategies" not in path and body.get("name"):
        body["name"] = f"ST-{uuid.uuid4().hex[:12]}"
    case.body = body
    return case
