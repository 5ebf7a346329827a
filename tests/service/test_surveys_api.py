"""Satisfaction surveys in the REST API (SVC-3): the answers (paged, filtered), recording
an answer, the summary figures, the surveys asked — within what the caller sees."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kam.relations.models import Activity
from kam.service.models import Survey, SurveyRequest
from kam.service.surveys import create_request, record_answer
from tests.api import conftest as api_stories
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People, close, resolved_ticket

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people
api_as = api_stories.api_as  # the API stories' client


def test_recording_an_answer(people: People, api_as: Any) -> None:
    cast = people.cast
    response = api_as(cast.alice).post(
        "/api/surveys",
        {"account": "A-1", "contact": "C-WANG", "csat": 2, "nps": 4, "comment": "太慢"},
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["kind"], body["account"], body["contact"]) == (
        "relationship",
        "Alice Steel Co., Ltd.",
        "Wang Wei",
    )
    assert (body["csat"], body["nps"], body["nps_group"], body["low_score"]) == (
        2,
        4,
        "detractor",
        True,
    )
    assert body["recorded_by"] == "alice" and body["follow_up"]["owner"] == "alice"
    assert body["follow_up"]["status"] == "planned"
    assert Activity.objects.get().pk == body["follow_up"]["id"]
    one = api_as(cast.alice).get(f"/api/surveys/{body['id']}")
    assert one.status_code == 200 and one.json() == body


def test_a_ticket_answer_through_the_api(
    people: People, api_as: Any, django_capture_on_commit_callbacks: Any
) -> None:
    cast = people.cast
    ticket = close(
        cast.alice, resolved_ticket(cast.alice, people.wang), django_capture_on_commit_callbacks
    )
    response = api_as(cast.alice).post(
        "/api/surveys",
        {
            "account": "A-1",
            "kind": "ticket",
            "ticket_id": ticket.pk,
            "csat": 5,
            "responded_on": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 201, response.json()
    assert response.json()["ticket_number"] == ticket.number
    assert SurveyRequest.objects.get().survey_id == response.json()["id"]
    asked = api_as(cast.alice).get("/api/surveys/requests", ticket_id=ticket.pk).json()
    assert asked["count"] == 1 and asked["items"][0]["status"] == "answered"
    assert "token" not in str(asked) and "hash" not in str(asked)


def test_bad_input_names_each_field(people: People, api_as: Any) -> None:
    client = api_as(people.cast.alice)
    missing = client.post("/api/surveys", {"account": "A-1", "comment": "no score"})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [
        {
            "field": "csat",
            "message": "missing value (expected a satisfaction score 1–5, a recommendation "
            "score 0–10, or both)",
        }
    ]
    out_of_range = client.post("/api/surveys", {"account": "A-1", "csat": 6, "nps": 11})
    assert out_of_range.status_code == 422
    assert {e["field"] for e in out_of_range.json()["errors"]} == {"csat", "nps"}
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    late = client.post("/api/surveys", {"account": "A-1", "csat": 4, "responded_on": future})
    assert late.status_code == 422 and late.json()["errors"][0]["field"] == "responded_on"
    stranger = client.post("/api/surveys", {"account": "A-1", "csat": 4, "contact": "C-ZHAO"})
    assert stranger.status_code == 422 and stranger.json()["errors"][0]["field"] == "contact"
    unseen = client.post("/api/surveys", {"account": "B-1", "csat": 4})
    assert unseen.status_code == 422
    assert unseen.json()["errors"] == [
        {"field": "account", "message": "no account 'B-1' that you can see"}
    ]
    assert not Survey.objects.exists()


def test_analysts_and_outsiders(people: People, api_as: Any) -> None:
    cast = people.cast
    survey = record_answer(
        actor=cast.alice, account=cast.alice_steel, kind="relationship", values={"nps": 9}
    )
    assert api_as(cast.ann).post("/api/surveys", {"account": "A-1", "csat": 4}).status_code == 403
    assert api_as(cast.ann).get(f"/api/surveys/{survey.pk}").status_code == 200
    assert api_as(cast.bob).get(f"/api/surveys/{survey.pk}").status_code == 404
    assert api_as(cast.bob).get("/api/surveys").json()["count"] == 0
    assert api_as(cast.bob).get("/api/surveys/requests").json()["count"] == 0
    assert api_as(cast.bob).get("/api/surveys/summary").json()["total"]["answers"] == 0


def test_the_list_is_paged_and_filtered(people: People, api_as: Any) -> None:
    cast = people.cast
    for nps in (10, 9, 3, 7):
        record_answer(
            actor=cast.alice, account=cast.alice_steel, kind="relationship", values={"nps": nps}
        )
    record_answer(actor=cast.bob, account=cast.bob_mining, kind="relationship", values={"csat": 5})
    client = api_as(cast.dora)
    page = client.get("/api/surveys", limit=2, offset=1).json()
    assert page["count"] == 5 and len(page["items"]) == 2
    assert client.get("/api/surveys", low=True).json()["count"] == 1
    assert client.get("/api/surveys", tier="core").json()["count"] == 1
    assert client.get("/api/surveys", owner="alice").json()["count"] == 4
    assert client.get("/api/surveys", account_id=cast.bob_mining.pk).json()["count"] == 1
    today = timezone.localdate()
    later = (today + dt.timedelta(days=1)).isoformat()
    assert client.get("/api/surveys", since=later).json()["count"] == 0
    assert client.get("/api/surveys", until=today.isoformat()).json()["count"] == 5
    assert client.get("/api/surveys", since="yesterday").status_code == 422


def test_the_summary(people: People, api_as: Any) -> None:
    cast = people.cast
    for nps in (10, 9, 3, 7):
        record_answer(
            actor=cast.alice, account=cast.alice_steel, kind="relationship", values={"nps": nps}
        )
    create_request(kind="relationship", account=cast.alice_steel, contact=people.li, send=False)
    body = api_as(cast.alice).get("/api/surveys/summary").json()
    total = body["total"]
    assert (total["answers"], total["requested"], total["answered"]) == (4, 5, 4)
    assert total["response_rate"] == 80.0 and total["nps"] == 25.0  # (2 − 1) / 4
    assert total["csat_average"] is None and total["low_scores"] == 1
    assert [g["key"] for g in body["by_tier"]] == ["diamond"]
    assert [g["key"] for g in body["by_owner"]] == ["alice"]
    assert len(body["by_month"]) == 12 and body["by_month"][-1]["figures"]["answers"] == 4
    assert body["until"] == timezone.localdate().isoformat()
    empty = api_as(cast.alice).get("/api/surveys/summary", since="2026-05-01", until="2026-04-01")
    assert empty.status_code == 200 and empty.json()["total"]["answers"] == 0
    assert empty.json()["by_month"] == []
