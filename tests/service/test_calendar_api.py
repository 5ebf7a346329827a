"""The business calendar in the REST API: read it (with a year), set the week and hours,
import days as JSON all or nothing, remove a day; directors and administrators write."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from kam.core.models import AuditEvent
from kam.core.tokens import issue_token
from kam.service.models import BusinessCalendar, CalendarDay
from kam.service.policies import load_bundled_holidays, work_calendar
from tests.api.conftest import ApiClient
from tests.conftest import Cast


@pytest.fixture
def api(db: None) -> Any:
    """api(user) → a client that calls the API with the user's bearer token."""
    return lambda user: ApiClient(issue_token(user=user, name="tests"))


def test_everyone_reads_the_calendar_of_a_year(cast: Cast, api: Any) -> None:
    load_bundled_holidays(actor=cast.dora)

    body = api(cast.alice).get("/api/service/calendar", year=2026).json()

    assert body["weekdays"] == [0, 1, 2, 3, 4]
    assert body["hours"] == [{"start": "09:00", "end": "12:00"}, {"start": "13:00", "end": "18:00"}]
    assert body["working_day_minutes"] == 480 and body["year"] == 2026
    days = {day["date"]: day["kind"] for day in body["days"]}
    assert len(days) == 39 and days["2026-10-01"] == "holiday" and days["2026-10-10"] == "workday"
    assert len(api(cast.ann).get("/api/service/calendar").json()["days"]) == 72


def test_a_director_sets_the_week_and_hours(cast: Cast, api: Any) -> None:
    response = api(cast.dora).send(
        "put",
        "/api/service/calendar",
        {"weekdays": [5, 0, 1], "hours": [{"start": "08:00", "end": "16:00"}]},
    )

    assert response.status_code == 200, response.json()
    assert response.json()["weekdays"] == [0, 1, 5]
    assert response.json()["working_day_minutes"] == 480
    stored = BusinessCalendar.load()
    assert (stored.weekdays, stored.hours) == ("0,1,5", "08:00-16:00")
    assert work_calendar().is_working_day(dt.date(2026, 11, 21))  # a Saturday
    assert AuditEvent.objects.get(object_type="businesscalendar").source == "api"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"weekdays": [1, 1], "hours": [{"start": "09:00", "end": "17:00"}]}, "weekdays"),
        ({"weekdays": [7], "hours": [{"start": "09:00", "end": "17:00"}]}, "weekdays.0"),
        ({"weekdays": [], "hours": [{"start": "09:00", "end": "17:00"}]}, "weekdays"),
        ({"weekdays": [0], "hours": [{"start": "17:00", "end": "09:00"}]}, "hours"),
        ({"weekdays": [0], "hours": [{"start": "9:00", "end": "17:00"}]}, "hours.0.start"),
        (
            {
                "weekdays": [0],
                "hours": [{"start": "09:00", "end": "13:00"}, {"start": "12:00", "end": "17:00"}],
            },
            "hours",
        ),
    ],
)
def test_bad_weeks_are_422_naming_the_field(
    cast: Cast, api: Any, body: dict[str, Any], field: str
) -> None:
    response = api(cast.dora).send("put", "/api/service/calendar", body)

    assert response.status_code == 422, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert BusinessCalendar.load().weekdays == "0,1,2,3,4"


def test_days_are_imported_as_json_all_or_nothing(cast: Cast, api: Any) -> None:
    client = api(cast.dora)
    bad = client.post(
        "/api/service/calendar/days",
        {
            "days": [
                {"date": "2027-01-01", "kind": "holiday", "name": "New Year"},
                {"date": "2027-02-30", "kind": "holiday"},
                {"date": "2027-01-01", "kind": "workday"},
            ]
        },
    )
    assert bad.status_code == 422
    errors = {error["field"]: error["message"] for error in bad.json()["errors"]}
    assert errors == {
        "days.1.date": "'2027-02-30' is not a date like 2026-10-01",
        "days.2.date": "2027-01-01 is given twice (also days.0)",
    }
    assert not CalendarDay.objects.exists()

    good = client.post(
        "/api/service/calendar/days",
        {"days": [{"date": "2027-01-01", "kind": "holiday", "name": "New Year"}]},
    )
    again = client.post(
        "/api/service/calendar/days",
        {"days": [{"date": "2027-01-01", "kind": "workday", "name": "Make-up"}]},
    )

    assert good.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert again.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert CalendarDay.objects.get().kind == "workday"


def test_a_day_is_removed_once(cast: Cast, api: Any) -> None:
    load_bundled_holidays(actor=cast.dora)
    client = api(cast.root)

    assert client.delete("/api/service/calendar/days/2026-10-01").status_code == 204
    assert client.delete("/api/service/calendar/days/2026-10-01").status_code == 404
    assert client.delete("/api/service/calendar/days/2026-13-01").status_code == 422
    assert not CalendarDay.objects.filter(date=dt.date(2026, 10, 1)).exists()
    assert work_calendar().is_working_day(dt.date(2026, 10, 1))


@pytest.mark.parametrize("who", ["alice", "mary", "ann"])
def test_only_directors_and_administrators_change_the_calendar(
    cast: Cast, api: Any, who: str
) -> None:
    load_bundled_holidays(actor=cast.dora)
    client = api(getattr(cast, who))
    week = {"weekdays": [0], "hours": [{"start": "09:00", "end": "10:00"}]}
    days = {"days": [{"date": "2027-01-01", "kind": "holiday"}]}

    assert client.send("put", "/api/service/calendar", week).status_code == 403
    assert client.post("/api/service/calendar/days", days).status_code == 403
    assert client.delete("/api/service/calendar/days/2026-10-01").status_code == 403
    assert CalendarDay.objects.count() == 72
    assert BusinessCalendar.load().weekdays == "0,1,2,3,4"
