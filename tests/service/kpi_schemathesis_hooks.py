"""What the OpenAPI document cannot say about GET /api/service/kpis, supplied for the
schema-valid requests schemathesis generates (as policy_schemathesis_hooks.py does for the
policies): `to` is on or after `from`, and the period is at most MAX_DAYS long.

Importing this module registers the hook for every schema (a global schemathesis hook).
tests/service/test_kpis_schemathesis.py imports it; tests/api/test_schemathesis.py can
import it too, to be complete on its own.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import schemathesis

from kam.service.kpis import MAX_DAYS

PATH = "/api/service/kpis"


def day(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def sensible_period(query: dict[str, Any]) -> dict[str, Any]:
    """Order the two days and keep the period within MAX_DAYS (a missing end is today)."""
    first, last = day(query.get("from")), day(query.get("to"))
    if first is None and last is None:
        return query
    today = dt.date.today()
    if first is not None and last is None:
        last = max(first, today)
    if first is None:
        assert last is not None
        first = last
    assert first is not None and last is not None
    first, last = sorted([first, last])
    if (last - first).days + 1 > MAX_DAYS:
        first = last - dt.timedelta(days=MAX_DAYS - 1)
    return {**query, "from": first.isoformat(), "to": last.isoformat()}


@schemathesis.hook("map_case")
def kpi_query(context: schemathesis.HookContext, case: schemathesis.Case) -> Any:
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and case.operation.path == PATH and isinstance(case.query, dict):
        case.query = sensible_period(dict(case.query))
    return case
