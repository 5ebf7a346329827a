"""The value engine in the REST API: scores per account, the portfolio, scoring runs."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from kam.core.models import User
from kam.core.tokens import issue_token
from kam.insights.services import run_scoring, set_tier_override
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine

AS_OF = dt.date(2025, 12, 31)


def call(user: User, method: str, path: str) -> Any:
    headers = {"Authorization": f"Bearer {issue_token(user=user, name='tests')}"}
    response = getattr(Client(), method)(path, headers=headers)
    return response.status_code, json.loads(response.content or b"null")


def test_it_answers_scores_and_tier_history(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.alice_steel.pk: "core"}
    run_scoring(actor=book.dora, as_of=AS_OF)
    set_tier_override(actor=book.dora, account=book.alice_steel, tier="diamond", reason="Flagship")
    status, body = call(book.alice, "get", f"/api/accounts/{book.alice_steel.pk}/scores")
    assert status == 200
    assert body["tier"] == "diamond"
    assert body["latest"]["tier"] == "core"
    assert body["latest"]["as_of"] == "2025-12-31"
    assert body["override"]["reason"] == "Flagship"
    assert [c["to_tier"] for c in body["tier_history"]] == ["diamond", "core"]


def test_it_answers_404_for_invisible_accounts(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    status, body = call(book.alice, "get", f"/api/accounts/{book.bob_mining.pk}/scores")
    assert status == 404
    assert body["code"] == "not_found"


def test_it_sums_the_callers_portfolio(book: Cast, engine: FakeEngine) -> None:
    run_scoring(actor=book.dora, as_of=AS_OF)
    _, hers = call(book.alice, "get", "/api/portfolio")
    _, all_ = call(book.dora, "get", "/api/portfolio")
    assert (hers["accounts"], all_["accounts"]) == (2, 3)
    assert hers["run"]["status"] == "succeeded"


def test_it_queues_a_run_and_reports_its_status(book: Cast, engine: FakeEngine) -> None:
    status, run = call(book.dora, "post", "/api/scoring-runs")
    assert status == 202
    assert (run["status"], run["account_count"], run["finished_at"]) == ("queued", 0, None)
    status, again = call(book.alice, "get", f"/api/scoring-runs/{run['id']}")
    assert (status, again["id"], again["status"]) == (200, run["id"], "queued")
    assert call(book.dora, "get", "/api/scoring-runs/999999")[0] == 404
    assert engine.calls == 0


def test_it_refuses_a_second_run_while_one_is_queued(book: Cast, engine: FakeEngine) -> None:
    _, first = call(book.dora, "post", "/api/scoring-runs")
    status, body = call(book.root, "post", "/api/scoring-runs")
    assert status == 409
    assert body["code"] == "conflict"
    assert body["message"] == (
        f"Scoring run {first['id']} is queued; wait until it has finished "
        f"(GET /api/scoring-runs/{first['id']})."
    )


def test_it_lets_only_directors_and_administrators_start_a_run(cast: Cast) -> None:
    for user in (cast.alice, cast.mary, cast.ann):
        status, body = call(user, "post", "/api/scoring-runs")
        assert (status, body["code"]) == (403, "forbidden")
    assert call(cast.root, "post", "/api/scoring-runs")[0] == 202


def test_it_keeps_the_whole_books_concentration_from_account_managers(
    book: Cast, engine: FakeEngine
) -> None:
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    run.pareto = {"gini": 0.5}
    run.save()
    assert call(book.dora, "get", f"/api/scoring-runs/{run.pk}")[1]["pareto"] == {"gini": 0.5}
    assert call(book.alice, "get", f"/api/scoring-runs/{run.pk}")[1]["pareto"] == {}
    assert call(book.alice, "get", "/api/portfolio")[1]["run"]["pareto"] == {}
