"""What the OpenAPI document cannot say about service policies and the business calendar,
supplied for the schema-valid requests schemathesis generates (as
tests/segments/schemathesis_hooks.py does for segments): a policy's resolution target is
at least its first response, the working periods of a day are in order and do not
overlap, and a date is given once in a list of calendar days.

Importing this module registers the hook for every schema (a global schemathesis hook).
tests/service/test_policies_api.py imports it, so it is active whenever those tests are
part of the run; tests/api/test_schemathesis.py can import it too, to be complete on its
own.
"""

from __future__ import annotations

from typing import Any

import schemathesis

MAX_MINUTES = 525_600


def consistent_targets(body: dict[str, Any]) -> dict[str, Any]:
    first, resolution = body.get("first_response_minutes"), body.get("resolution_minutes")
    if isinstance(first, int | float) and not isinstance(resolution, int | float):
        body["resolution_minutes"] = MAX_MINUTES  # above any stored first response
    elif isinstance(resolution, int | float) and not isinstance(first, int | float):
        body["first_response_minutes"] = 1  # below any stored resolution
    elif isinstance(first, int | float) and isinstance(resolution, int | float):
        body["first_response_minutes"], body["resolution_minutes"] = sorted([first, resolution])
    return body


def working_periods(hours: Any) -> Any:
    if not isinstance(hours, list):
        return hours
    return [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}][
        : max(1, min(2, len(hours)))
    ]


def distinct_days(days: Any) -> Any:
    if not isinstance(days, list):
        return days
    seen: set[Any] = set()
    kept = []
    for day in days:
        key = day.get("date") if isinstance(day, dict) else None
        if key in seen:
            continue
        seen.add(key)
        kept.append(day)
    return kept


@schemathesis.hook("map_case")
def service_bodies(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    path = case.operation.path
    if not positive or not isinstance(case.body, dict) or not path.startswith("/api/service/"):
        return case
    body = dict(case.body)
    if path.startswith("/api/service/policies/"):
        body = consistent_targets(body)
    if path == "/api/service/calendar" and "hours" in body:
        body["hours"] = working_periods(body["hours"])
    if path == "/api/service/calendar/days" and "days" in body:
        body["days"] = distinct_days(body["days"])
    case.body = body
    return case
