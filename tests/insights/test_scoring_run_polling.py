"""Through the API: start a run (202, queued), poll it while the worker scores the book."""

from __future__ import annotations

import pytest

from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, run_worker
from tests.insights.test_value_api import call

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_answers_202_and_the_status_until_the_run_has_finished(
    book: Cast, engine: FakeEngine
) -> None:
    status, queued = call(book.dora, "post", "/api/scoring-runs")
    assert (status, queued["status"]) == (202, "queued")
    assert call(book.dora, "get", f"/api/scoring-runs/{queued['id']}")[1]["status"] == "queued"

    run_worker()

    status, done = call(book.dora, "get", f"/api/scoring-runs/{queued['id']}")
    assert (status, done["status"], done["account_count"]) == (200, "succeeded", 3)
    assert done["finished_at"] is not None
    assert call(book.dora, "post", "/api/scoring-runs")[0] == 202  # the next one may start


def test_it_reports_a_failed_run_with_its_error(book: Cast, engine: FakeEngine) -> None:
    engine.fail = True
    _, queued = call(book.dora, "post", "/api/scoring-runs")

    run_worker()

    _, failed = call(book.dora, "get", f"/api/scoring-runs/{queued['id']}")
    assert failed["status"] == "failed"
    assert failed["error"] == "RuntimeError: the model blew up half-way"
    assert failed["account_count"] == 0
