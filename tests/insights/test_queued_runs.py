"""A scoring run started from the dashboard or the API is queued, and the task worker runs it.

Queueing creates the run (status queued) and, once that is committed, a task for it; the
worker marks the run running, scores the book and leaves it succeeded or failed. One run
at a time: a second one is refused while one is queued or running.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django_tasks_db.models import DBTaskResult

from kam.insights.models import AccountScore, RunStatus, ScoringRun, ScoringSettings, TierChange
from kam.insights.services import (
    RunInProgress,
    current_tier,
    execute_queued_run,
    queue_scoring_run,
    run_scoring,
)
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, run_worker

TASK_PATH = "kam.insights.tasks.score_queued_run"
OnCommit = Callable[..., Any]


def test_it_queues_the_run_and_a_task_once_the_run_is_committed(
    book: Cast, engine: FakeEngine, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = queue_scoring_run(actor=book.dora)
        assert not DBTaskResult.objects.exists()  # not before the run is committed
    assert len(callbacks) == 1
    assert run.status == RunStatus.QUEUED
    assert run.actor == book.dora
    assert run.finished_at is None
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"], task.status) == (TASK_PATH, [run.pk], "READY")
    assert engine.calls == 0
    assert not AccountScore.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_it_scores_the_book_when_the_worker_runs(book: Cast, engine: FakeEngine) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond"}
    queued = queue_scoring_run(actor=book.dora)

    run_worker()

    run = ScoringRun.objects.get(pk=queued.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert run.account_count == 3
    assert run.finished_at is not None and run.started_at >= queued.started_at
    assert AccountScore.objects.filter(run=run).count() == 3
    assert current_tier(book.bob_mining) == "diamond"
    assert TierChange.objects.filter(run=run).count() == 3
    task = DBTaskResult.objects.get()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "succeeded")


@pytest.mark.django_db(transaction=True)
def test_it_marks_the_run_failed_when_the_task_fails(book: Cast, engine: FakeEngine) -> None:
    engine.fail = True
    queued = queue_scoring_run(actor=book.dora)

    run_worker()

    run = ScoringRun.objects.get(pk=queued.pk)
    assert run.status == RunStatus.FAILED
    assert "blew up" in run.error
    assert run.finished_at is not None
    assert not AccountScore.objects.exists()
    assert not TierChange.objects.exists()
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert task.exception_class_path == "kam.insights.tasks.ScoringRunFailed"
    assert "blew up" in task.traceback


@pytest.mark.django_db(transaction=True)
def test_it_scores_with_the_settings_in_force_when_the_run_starts(
    book: Cast, engine: FakeEngine
) -> None:
    queued = queue_scoring_run(actor=book.dora)
    ScoringSettings.objects.filter(pk=1).update(horizon=26)

    run_worker()

    run = ScoringRun.objects.get(pk=queued.pk)
    assert (queued.horizon, run.horizon, run.config["horizon"]) == (52, 26, 26)


def test_it_refuses_a_second_run_while_one_is_queued_or_running(
    book: Cast, engine: FakeEngine
) -> None:
    first = queue_scoring_run(actor=book.dora)
    with pytest.raises(RunInProgress) as refused:
        queue_scoring_run(actor=book.root)
    assert refused.value.run == first
    assert str(refused.value) == f"scoring run {first.pk} is already queued"

    ScoringRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(RunInProgress, match="already running"):
        queue_scoring_run(actor=book.dora)

    ScoringRun.objects.filter(pk=first.pk).update(status=RunStatus.SUCCEEDED)
    assert queue_scoring_run(actor=book.dora).status == RunStatus.QUEUED
    assert ScoringRun.objects.count() == 2


def test_it_lets_only_writers_queue_a_run(cast: Cast) -> None:
    with pytest.raises(PermissionDenied):
        queue_scoring_run(actor=cast.ann)
    assert not ScoringRun.objects.exists()


def test_it_leaves_a_run_alone_that_is_no_longer_queued(book: Cast, engine: FakeEngine) -> None:
    from kam.insights.tasks import score_queued_run

    run = queue_scoring_run(actor=book.dora)
    ScoringRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="stopped by hand")

    assert execute_queued_run(run.pk) is None
    assert score_queued_run.call(run.pk) == "skipped"
    assert engine.calls == 0
    assert ScoringRun.objects.get(pk=run.pk).error == "stopped by hand"


def test_it_runs_at_once_with_the_immediate_backend(
    book: Cast,
    engine: FakeEngine,
    settings: Any,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_scoring_run(actor=book.dora)
    run.refresh_from_db()
    assert run.status == RunStatus.SUCCEEDED
    assert run.account_count == 3
    assert not DBTaskResult.objects.exists()


def test_it_fails_a_run_the_task_backend_refuses(
    book: Cast,
    engine: FakeEngine,
    settings: Any,
    django_capture_on_commit_callbacks: OnCommit,
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["x"]}}
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_scoring_run(actor=book.dora)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert "not valid for backend" in run.error
    assert queue_scoring_run(actor=book.dora).status == RunStatus.QUEUED  # not blocked


def test_it_marks_an_interrupted_run_failed_and_stops(
    book: Cast, engine: FakeEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("kam.insights.services.score_book", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_scoring(actor=book.dora)
    run = ScoringRun.objects.get()
    assert run.status == RunStatus.FAILED
    assert run.error == "interrupted before it finished (KeyboardInterrupt)"
    assert queue_scoring_run(actor=book.dora).status == RunStatus.QUEUED  # not blocked


@pytest.mark.django_db(transaction=True)
def test_it_marks_the_run_failed_when_the_worker_is_stopped_mid_run(
    book: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def stopped(*args: object) -> None:
        raise SystemExit(1)  # what db_worker raises on a second SIGTERM during a task

    monkeypatch.setattr("kam.insights.services.score_book", stopped)
    queued = queue_scoring_run(actor=book.dora)

    run_worker()

    run = ScoringRun.objects.get(pk=queued.pk)
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "interrupted before it finished (SystemExit)",
    )
    assert DBTaskResult.objects.get().status == "FAILED"
