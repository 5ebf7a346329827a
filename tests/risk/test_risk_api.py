"""Risk in the API: the watch list with its filters and pages, an account's latest risks,
and risk runs (202 queued, 403 for all but directors, 409 while one runs, 404 unknown)."""

from __future__ import annotations

from typing import Any

import pytest

from kam.insights.models import RunStatus
from kam.risk.models import RiskRun
from tests.conftest import Cast
from tests.risk.conftest import CHURN_EN, CHURN_ZH, CREDIT_EN, CREDIT_ZH

ApiAs = Any


def test_it_lists_the_watch_list_with_its_run(checked: RiskRun, risky: Cast, api_as: ApiAs) -> None:
    body = api_as(risky.dora).get("/api/risk/watch-list").json()

    assert body["count"] == 3
    assert body["run"]["id"] == checked.pk
    assert body["run"]["warnings"] == ["Too little history to train the churn model."]
    assert [i["account"] for i in body["items"]] == [
        "Bob Mining",
        "Shared Telecom",
        "Alice Steel Co., Ltd.",
    ]
    mining = body["items"][0]
    assert mining["account_id"] == risky.bob_mining.pk
    assert (mining["external_id"], mining["owner"], mining["tier"]) == ("B-1", "bob", "diamond")
    assert (mining["level"], mining["risk_types"], mining["as_of"]) == (
        "high",
        ["credit"],
        "2026-06-30",
    )
    assert mining["revenue_at_stake"] == 500000.0
    credit = mining["credit"]
    assert (credit["flag"], credit["overdue_amount"], credit["dso_days"]) == ("stop", 1200.0, 75.0)
    assert credit["ageing"]["overdue_over_90"] == 1200.0
    assert (credit["reasons_en"], credit["reasons_zh"]) == ([CREDIT_EN], [CREDIT_ZH])
    assert mining["churn"] == {
        "probability": 0.1,
        "band": "low",
        "reasons_en": [],
        "reasons_zh": [],
    }
    assert mining["relationship"]["severity"] == "low"
    assert mining["anomalies"]["count"] == 0
    telecom = body["items"][1]
    assert (telecom["churn"], telecom["credit"], telecom["tier"]) == (None, None, None)
    assert telecom["anomalies"]["latest"] == "2026-06-30"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"risk_type": "churn"}, ["Alice Steel Co., Ltd."]),
        ({"level": "medium"}, ["Shared Telecom"]),
        ({"tier": "diamond"}, ["Bob Mining"]),
        ({"owner": "bob"}, ["Bob Mining", "Shared Telecom"]),
        ({"owner": "nobody"}, []),
        ({"sort": "-probability"}, ["Alice Steel Co., Ltd.", "Bob Mining", "Shared Telecom"]),
        ({"limit": 1, "offset": 1}, ["Shared Telecom"]),
    ],
)
def test_it_filters_sorts_and_pages_the_watch_list(
    checked: RiskRun, risky: Cast, api_as: ApiAs, query: dict[str, Any], expected: list[str]
) -> None:
    body = api_as(risky.dora).get("/api/risk/watch-list", **query).json()
    assert [i["account"] for i in body["items"]] == expected


@pytest.mark.parametrize(
    "query",
    [{"risk_type": "fire"}, {"level": "none!"}, {"sort": "name"}, {"limit": 0}, {"tier": "gold"}],
)
def test_it_refuses_unknown_filters(
    checked: RiskRun, risky: Cast, api_as: ApiAs, query: Any
) -> None:
    response = api_as(risky.dora).get("/api/risk/watch-list", **query)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid"


def test_the_watch_list_is_empty_before_the_first_check(risky: Cast, api_as: ApiAs) -> None:
    body = api_as(risky.dora).get("/api/risk/watch-list").json()
    assert body == {"count": 0, "run": None, "items": []}


def test_it_gives_an_account_s_latest_risks(checked: RiskRun, risky: Cast, api_as: ApiAs) -> None:
    body = api_as(risky.alice).get(f"/api/accounts/{risky.alice_steel.pk}/risk").json()

    assert body["account_id"] == risky.alice_steel.pk
    latest = body["latest"]
    assert (latest["run_id"], latest["level"], latest["tier"]) == (checked.pk, "high", "core")
    assert latest["churn"]["probability"] == 0.8
    assert (latest["churn"]["reasons_en"], latest["churn"]["reasons_zh"]) == (
        [CHURN_EN],
        [CHURN_ZH],
    )


def test_an_unchecked_account_has_no_latest_risks(risky: Cast, api_as: ApiAs) -> None:
    response = api_as(risky.alice).get(f"/api/accounts/{risky.alice_steel.pk}/risk")
    assert (response.status_code, response.json()) == (
        200,
        {"account_id": risky.alice_steel.pk, "latest": None},
    )


def test_unknown_accounts_are_404(risky: Cast, api_as: ApiAs) -> None:
    assert api_as(risky.dora).get("/api/accounts/999999/risk").status_code == 404


@pytest.mark.parametrize("name", ["dora", "root"])
def test_directors_queue_a_risk_run(risky: Cast, api_as: ApiAs, name: str) -> None:
    client = api_as(getattr(risky, name))

    response = client.post("/api/risk-runs", None)

    assert response.status_code == 202
    body = response.json()
    assert (body["status"], body["trigger"], body["account_count"]) == ("queued", "request", 0)
    run = RiskRun.objects.get(pk=body["id"])
    assert run.actor == getattr(risky, name)
    again = client.post("/api/risk-runs", None)
    assert again.status_code == 409
    assert again.json()["message"] == (
        f"Risk run {run.pk} is queued; wait until it has finished (GET /api/risk-runs/{run.pk})."
    )


@pytest.mark.parametrize("name", ["alice", "mary", "ann"])
def test_others_may_not_start_a_risk_run(risky: Cast, api_as: ApiAs, name: str) -> None:
    response = api_as(getattr(risky, name)).post("/api/risk-runs", None)
    assert response.status_code == 403
    assert not RiskRun.objects.exists()


def test_it_answers_401_without_a_token(risky: Cast, api_as: ApiAs) -> None:
    from tests.api.conftest import ApiClient

    assert ApiClient(None).post("/api/risk-runs", None).status_code == 401
    assert ApiClient(None).get("/api/risk/watch-list").status_code == 401


def test_it_tells_a_run_s_status(checked: RiskRun, risky: Cast, api_as: ApiAs) -> None:
    client = api_as(risky.alice)

    body = client.get(f"/api/risk-runs/{checked.pk}").json()

    assert body["status"] == RunStatus.SUCCEEDED
    assert (body["as_of"], body["account_count"], body["at_risk_count"]) == ("2026-06-30", 3, 3)
    assert body["churn_model"] == {"method": "rules", "training_accounts": 3}
    assert body["trigger"] == "command"
    assert client.get("/api/risk-runs/999999").status_code == 404


def test_a_failed_run_says_why(risky: Cast, api_as: ApiAs, bridge: Any) -> None:
    from kam.risk.services import check_risks

    bridge.fail = True
    run = check_risks(actor=risky.dora)
    body = api_as(risky.dora).get(f"/api/risk-runs/{run.pk}").json()
    assert (body["status"], body["error"]) == ("failed", "RuntimeError: the credit model blew up")


def test_the_openapi_document_describes_the_risk_operations(risky: Cast, api_as: ApiAs) -> None:
    paths = api_as(risky.dora).get("/api/openapi.json").json()["paths"]
    assert set(paths["/api/risk/watch-list"]) == {"get"}
    assert set(paths["/api/accounts/{account_id}/risk"]) == {"get"}
    assert set(paths["/api/risk-runs"]) == {"post"}
    assert set(paths["/api/risk-runs/{run_id}"]) == {"get"}
    assert {"202", "403", "409"} <= set(paths["/api/risk-runs"]["post"]["responses"])
