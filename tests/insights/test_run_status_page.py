"""The dashboard's Score now queues a run; its status panel polls (htmx) until it has finished."""

from __future__ import annotations

import pytest
from django.test import Client

from kam.insights.models import RunStatus, ScoringRun
from kam.insights.services import queue_scoring_run
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, run_worker
from tests.insights.test_value_pages import logged_in


def status_url(run: ScoringRun) -> str:
    return f"/insights/runs/{run.pk}/status/"


def test_it_queues_a_run_from_the_dashboard_and_shows_its_status(
    book: Cast, engine: FakeEngine
) -> None:
    client = logged_in(book.dora)
    response = client.post("/insights/runs/", follow=True)

    run = ScoringRun.objects.get()
    assert run.status == RunStatus.QUEUED
    assert response.redirect_chain == [("/insights/", 302)]
    page = response.content.decode()
    assert "Scoring run queued. Its status shows below." in page
    assert 'id="run-status"' in page
    assert f'hx-get="{status_url(run)}"' in page and 'hx-trigger="every 2s"' in page
    assert engine.calls == 0


def test_it_refuses_a_second_run_on_the_dashboard(book: Cast, engine: FakeEngine) -> None:
    queue_scoring_run(actor=book.root)
    page = logged_in(book.dora).post("/insights/runs/", follow=True).content.decode()
    assert "A scoring run is already queued; wait for it to finish." in page
    assert ScoringRun.objects.count() == 1


def test_it_lets_only_directors_and_administrators_score(cast: Cast) -> None:
    for user in (cast.alice, cast.mary, cast.ann):
        assert logged_in(user).post("/insights/runs/").status_code == 403
    assert not ScoringRun.objects.exists()


def test_it_shows_no_status_panel_without_a_run_under_way(cast: Cast) -> None:
    page = logged_in(cast.dora).get("/insights/").content.decode()
    assert 'id="run-status"' not in page


@pytest.mark.parametrize(
    ("status", "shown", "polls"),
    [
        (RunStatus.QUEUED, "it starts when the task worker picks it up", True),
        (RunStatus.RUNNING, "Scoring the book (started at", True),
        (RunStatus.SUCCEEDED, "Scored 3 accounts; 2 tier changes.", False),
        (RunStatus.FAILED, "Scoring failed: RuntimeError: the model blew up", False),
    ],
)
def test_it_renders_the_status_panel_for_each_status(
    cast: Cast, status: str, shown: str, polls: bool
) -> None:
    run = queue_scoring_run(actor=cast.dora)
    ScoringRun.objects.filter(pk=run.pk).update(
        status=status,
        account_count=3,
        change_count=2,
        error="RuntimeError: the model blew up" if status == RunStatus.FAILED else "",
    )
    response = logged_in(cast.alice).get(status_url(run), headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<div id="run-status"')
    assert "<html" not in fragment
    assert shown in fragment
    assert ('hx-trigger="every 2s"' in fragment) is polls
    assert f'data-status="{status}"' in fragment


def test_it_tells_directors_how_to_start_a_worker(cast: Cast) -> None:
    run = queue_scoring_run(actor=cast.dora)
    hint = "start one with kam worker"
    assert hint in logged_in(cast.dora).get(status_url(run)).content.decode()
    assert hint not in logged_in(cast.alice).get(status_url(run)).content.decode()


def test_it_answers_404_for_an_unknown_run_and_asks_strangers_to_log_in(cast: Cast) -> None:
    assert logged_in(cast.dora).get("/insights/runs/999999/status/").status_code == 404
    run = queue_scoring_run(actor=cast.dora)
    assert Client().get(status_url(run)).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_it_shows_the_result_once_the_worker_has_scored(book: Cast, engine: FakeEngine) -> None:
    client = logged_in(book.dora)
    client.post("/insights/runs/")
    run = ScoringRun.objects.get()

    run_worker()

    fragment = client.get(status_url(run), headers={"HX-Request": "true"}).content.decode()
    assert "Scored 3 accounts; 3 tier changes." in fragment
    assert "hx-get" not in fragment
    page = client.get("/insights/").content.decode()
    assert 'id="run-status"' not in page and "Gini" in page
