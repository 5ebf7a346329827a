"""GET /api/service/kpis: the figures of March 2026 as the page shows them, the filters,
who sees which rows, problems named by field, and the documented schema."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import ApiClient, api_as  # noqa: F401 - the API stories' client
from tests.service.test_kpis_report import March, march  # noqa: F401

PATH = "/api/service/kpis"
MARCH_QUERY = {"from": "2026-03-01", "to": "2026-03-31"}


def row(rows: list[dict[str, Any]], key: str) -> dict[str, Any]:
    return next(found for found in rows if found["key"] == key)


def test_directors_get_every_row_with_the_figures(march: March, api_as: Any) -> None:  # noqa: F811
    answer = api_as(march.cast.dora).get(PATH, **MARCH_QUERY)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert body["period"] == {
        "from": "2026-03-01",
        "to": "2026-03-31",
        "days": 31,
        "current": False,
    }
    assert body["goals"] == {
        "within_target_pct": 90,
        "reopen_rate_pct": 5,
        "csat_satisfied_pct": 80,
        "nps": 30,
    }
    total = body["total"]
    assert (total["level"], total["name"]) == ("company", "Company total")
    assert total["figures"]["resolved"] == 3 and total["figures"]["reopen_rate_pct"] == 25.0
    assert [(g["level"], g["key"]) for g in body["groups"]] == [
        ("department", "customer-service"),
        ("department", "none"),
    ]
    sam = row(body["people"], "sam")
    assert (sam["name"], sam["department"]) == ("Sam", "customer-service")
    figures = sam["figures"]
    assert (figures["resolved"], figures["resolution_median_hours"]) == (2, 8.5)
    assert (figures["resolution_target_median_hours"], figures["sla_attainment_pct"]) == (8.0, 50.0)
    assert (figures["first_responses"], figures["response_median_hours"]) == (1, 0.67)
    assert (figures["survey_answers"], figures["csat_average"], figures["nps"]) == (2, 3.5, 0.0)
    assert figures["below_goal"] == [
        "resolution_within_target_pct",
        "sla_attainment_pct",
        "csat_satisfied_pct",
        "nps",
    ]
    bob = row(body["people"], "bob")["figures"]
    assert (bob["response_breaches"], bob["resolution_breaches"], bob["escalations"]) == (1, 1, 2)
    assert (bob["backlog"], bob["backlog_overdue"], bob["sla_attainment_pct"]) == (1, 1, None)
    assert row(body["people"], "alice")["department"] == "none"


def test_filters(march: March, api_as: Any) -> None:  # noqa: F811
    dora = api_as(march.cast.dora)
    complaints = dora.get(PATH, kind="complaint", **MARCH_QUERY).json()
    assert complaints["total"]["figures"]["received"] == 1
    service = dora.get(PATH, department="customer-service", **MARCH_QUERY).json()
    assert {r["key"] for r in service["people"]} == {"sam", "sue"}
    unknown = dora.get(PATH, department="finance", **MARCH_QUERY).json()
    assert (unknown["people"], unknown["groups"]) == ([], [])
    assert unknown["total"]["figures"]["resolved"] == 3


def test_each_role_sees_its_rows(march: March, api_as: Any) -> None:  # noqa: F811
    sam = api_as(march.sam).get(PATH, **MARCH_QUERY).json()
    assert sam["total"] is None
    assert [r["key"] for r in sam["people"]] == ["sam"]
    assert [r["key"] for r in sam["groups"]] == ["customer-service"]
    mary = api_as(march.cast.mary).get(PATH, **MARCH_QUERY).json()
    assert [(r["level"], r["key"]) for r in mary["groups"]] == [("team", "East")]
    assert {r["key"] for r in mary["people"]} == {"alice", "mary", "tom"}
    analyst = api_as(march.cast.ann).get(PATH, **MARCH_QUERY).json()
    assert analyst["total"] is not None and len(analyst["people"]) == 5


def test_problems_name_the_field(march: March, api_as: Any) -> None:  # noqa: F811
    dora = api_as(march.cast.dora)
    backwards = dora.get(PATH, **{"from": "2026-03-31", "to": "2026-03-01"})
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "to"
    not_a_date = dora.get(PATH, **{"from": "31.03.2026"})
    assert not_a_date.status_code == 422
    assert not_a_date.json()["errors"][0]["field"] == "from"
    bad_kind = dora.get(PATH, kind="praise")
    assert bad_kind.status_code == 422 and bad_kind.json()["errors"][0]["field"] == "kind"
    too_long = dora.get(PATH, **{"from": "2020-01-01", "to": "2026-01-01"})
    assert too_long.status_code == 422 and too_long.json()["errors"][0]["field"] == "from"
    assert ApiClient(None).get(PATH).status_code == 401


def test_the_default_period_is_the_last_three_full_months(march: March, api_as: Any) -> None:  # noqa: F811
    period = api_as(march.cast.dora).get(PATH).json()["period"]
    assert period["days"] in range(89, 93) and period["current"] is False


def test_the_operation_is_documented(march: March, api_as: Any) -> None:  # noqa: F811
    document = api_as(march.cast.dora).get("/api/openapi.json").json()
    operation = document["paths"][PATH]["get"]
    names = [p["name"] for p in operation["parameters"]]
    assert names == ["from", "to", "kind", "priority", "tier", "department"]
    assert set(operation["responses"]) == {"200", "401", "422"}
    figures = document["components"]["schemas"]["KpiFiguresOut"]["properties"]
    assert "Median first-response time" in figures["response_median_hours"]["description"]
