"""Service policies in the REST API: everyone reads them, directors and administrators
change them (403 for others, 422 naming each bad field), and each account's policy is
visible exactly when the account is."""

from __future__ import annotations

from typing import Any

import pytest

import tests.service.policy_schemathesis_hooks  # noqa: F401  (active whenever these tests run)
from kam.core.models import AuditEvent
from kam.core.tokens import issue_token
from kam.insights.services import set_tier_override
from kam.service.models import ServicePolicy
from tests.api.conftest import ApiClient
from tests.conftest import Cast


@pytest.fixture
def api(db: None) -> Any:
    """api(user) → a client that calls the API with the user's bearer token."""
    return lambda user: ApiClient(issue_token(user=user, name="tests"))


def test_everyone_reads_the_four_policies(cast: Cast, api: Any) -> None:
    response = api(cast.ann).get("/api/service/policies")

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 4
    diamond = body["items"][0]
    assert diamond["tier"] == "diamond"
    assert diamond["first_response_minutes"] == 60 and diamond["resolution_minutes"] == 480
    assert diamond["service_model"] == "dedicated_team"
    assert diamond["visit_interval_days"] == 30 and diamond["discount_ceiling"] == 15.0
    assert body["items"][3]["visit_interval_days"] is None
    one = api(cast.alice).get("/api/service/policies/core").json()
    assert (one["tier"], one["first_response_minutes"]) == ("core", 240)


def test_an_unknown_tier_is_refused(cast: Cast, api: Any) -> None:
    assert api(cast.dora).get("/api/service/policies/gold").status_code == 422


@pytest.mark.parametrize("who", ["alice", "mary", "ann"])
def test_only_directors_and_administrators_change_a_policy(cast: Cast, api: Any, who: str) -> None:
    response = api(getattr(cast, who)).patch(
        "/api/service/policies/diamond", {"first_response_minutes": 30}
    )

    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60


def test_a_director_changes_only_the_fields_sent(cast: Cast, api: Any) -> None:
    response = api(cast.dora).patch(
        "/api/service/policies/diamond",
        {"first_response_minutes": 30, "visit_interval_days": None, "discount_ceiling": 17.5},
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["first_response_minutes"] == 30 and body["resolution_minutes"] == 480
    assert body["visit_interval_days"] is None and body["discount_ceiling"] == 17.5
    assert body["updated_by"] == "dora"
    event = AuditEvent.objects.get(object_type="servicepolicy")
    assert event.source == "api" and event.actor == cast.dora
    assert event.changes == {
        "first_response_minutes": [60, 30],
        "visit_interval_days": [30, None],
        "discount_ceiling": ["15", "17.5"],
    }


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"first_response_minutes": 0}, "first_response_minutes"),
        ({"first_response_minutes": 1.5}, "first_response_minutes"),
        ({"first_response_minutes": None}, "first_response_minutes"),
        ({"clock": "sometimes"}, "clock"),
        ({"service_model": "butler"}, "service_model"),
        ({"discount_ceiling": 100.5}, "discount_ceiling"),
        ({"discount_ceiling": 1.005}, "discount_ceiling"),
        ({"visit_interval_days": 0}, "visit_interval_days"),
        ({"tier": "core"}, "tier"),
        ({"first_response_minutes": 600}, "resolution_minutes"),  # above the stored 480
    ],
)
def test_bad_values_are_422_naming_the_field(
    cast: Cast, api: Any, body: dict[str, Any], field: str
) -> None:
    response = api(cast.dora).patch("/api/service/policies/diamond", body)

    assert response.status_code == 422, response.json()
    assert field in [error["field"] for error in response.json()["errors"]]
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60


def test_an_accounts_policy_follows_its_tier(cast: Cast, api: Any) -> None:
    client = api(cast.alice)
    url = f"/api/accounts/{cast.alice_steel.pk}/service-policy"
    before = client.get(url).json()
    assert (before["tier"], before["tier_source"]) == (None, "none")
    assert before["policy"]["tier"] == "basic"

    set_tier_override(actor=cast.dora, account=cast.alice_steel, tier="diamond", reason="VIP")

    after = client.get(url).json()
    assert (after["account_id"], after["tier"], after["tier_source"]) == (
        cast.alice_steel.pk,
        "diamond",
        "override",
    )
    assert after["policy"]["first_response_minutes"] == 60


def test_an_invisible_account_is_not_found(cast: Cast, api: Any) -> None:
    response = api(cast.alice).get(f"/api/accounts/{cast.bob_mining.pk}/service-policy")
    assert response.status_code == 404
    assert (
        api(cast.ann).get(f"/api/accounts/{cast.bob_mining.pk}/service-policy").status_code == 200
    )


def test_the_operations_are_documented(cast: Cast, api: Any) -> None:
    paths = api(cast.dora).get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/service/policies/{tier}"]) == {"get", "patch"}
    assert "get" in paths["/api/accounts/{account_id}/service-policy"]
    assert paths["/api/service/policies"]["get"]["summary"]
