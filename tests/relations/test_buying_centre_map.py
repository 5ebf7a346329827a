"""An account's buying centre from the database (kam.relations.services.buying_centre and
GET /api/accounts/{id}/buying-centre): meetings come from done face-to-face activities
with the contacts, the tier's visit interval from its service policy."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from kam.relations.models import ActivityKind, ActivityStatus
from kam.relations.services import buying_centre, last_met_by_contact
from tests.conftest import Cast
from tests.relations.conftest import Centre, log


def test_it_scores_alice_steels_buying_centre(cast: Cast, centre: Centre) -> None:
    found = buying_centre(cast.alice_steel)
    # Wang (economic, high, supporter, met): 25; Li (technical, medium, neutral, met):
    # 25 × 0.75 × 0.5 = 9.375; Zhou (user, never met): 0; no coach: 0.
    assert found.coverage.exact == 34.375
    assert found.coverage.score == 34
    assert [text for _gap, text in found.gaps] == [
        "technical buyer only neutral",
        "user buyer never met",
        "no coach",
    ]
    assert found.tier == "core" and found.interval == 90
    # Health: 0.4 × 34.375 + 0.3 × 100 (visited 20 days ago) + 0.3 × 100 (positive) = 73.75
    assert found.health.score == 74
    assert found.health.band == "good"
    assert found.trend[-1].score == 74 and len(found.trend) == 7


def test_it_counts_meetings_not_calls_or_plans_and_draws_the_chart(
    cast: Cast, centre: Centre
) -> None:
    today = timezone.localdate()
    log(cast.alice_steel, cast.alice, ActivityKind.CALL, today, contacts=(centre.user,))
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.VISIT,
        today + dt.timedelta(days=3),
        contacts=(centre.user,),
        status=ActivityStatus.PLANNED,
    )
    log(
        cast.alice_steel,
        cast.alice,
        ActivityKind.MEETING,
        today - dt.timedelta(days=400),
        contacts=(centre.boss,),
    )
    found = buying_centre(cast.alice_steel)
    nodes = {node.contact.name: node for node in found.nodes}
    assert nodes["Zhou Min"].last_met is None and nodes["Zhou Min"].meetings_12m == 0
    assert nodes["Wang Wei"].meetings_12m == 1  # the meeting 400 days ago is older
    assert nodes["Wang Wei"].last_met == today - dt.timedelta(days=20)
    assert nodes["Wang Wei"].covers and not nodes["Zhou Min"].covers
    ((root, reports),) = found.forest
    assert root.contact == centre.boss
    assert [child.contact for child, _rest in reports] == [centre.engineer]
    assert sorted(found.edges) == sorted(
        [(centre.boss.pk, centre.engineer.pk), (centre.engineer.pk, centre.user.pk)]
    )
    assert last_met_by_contact([centre.boss.pk, centre.user.pk]) == {
        centre.boss.pk: today - dt.timedelta(days=20)
    }


def test_a_single_contact_is_single_threaded(cast: Cast, centre: Centre) -> None:
    found = buying_centre(cast.bob_mining)
    assert found.gaps[0][1] == "single-threaded: one contact"
    assert found.tier == "basic" and found.interval is None
    assert found.coverage.score == 0


def test_the_api_gives_nodes_edges_coverage_gaps_health_and_trend(
    cast: Cast, centre: Centre, api_as: Any
) -> None:
    answer = api_as(cast.alice).get(f"/api/accounts/{cast.alice_steel.pk}/buying-centre")
    assert answer.status_code == 200
    body = answer.json()
    assert body["coverage"]["score"] == 34
    assert [gap["message"] for gap in body["gaps"]][-1] == "no coach"
    assert {"code": "missing", "role": "coach", "days": None, "message": "no coach"} in body["gaps"]
    assert body["health"]["score"] == 74
    assert body["visit_interval_days"] == 90
    assert len(body["trend"]) == 7
    assert {edge["boss"] for edge in body["edges"]} == {centre.boss.pk, centre.engineer.pk}
    boss = next(node for node in body["nodes"] if node["id"] == centre.boss.pk)
    assert boss["meetings_12m"] == 1 and boss["covers_role"] is True


def test_outsiders_get_404_for_the_buying_centre(cast: Cast, centre: Centre, api_as: Any) -> None:
    answer = api_as(cast.bob).get(f"/api/accounts/{cast.alice_steel.pk}/buying-centre")
    assert answer.status_code == 404
