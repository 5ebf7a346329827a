"""The shared steps of background runs (kam.core.runs), on risk runs as the example kind:
claiming a queued run, recording a failure or an interruption, a backend that refuses."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from kam.core.runs import (
    RunBusy,
    RunStatus,
    claim_queued,
    enqueue_or_fail,
    guarded,
    refuse_while_busy,
    save_failure,
    task_outcome,
)
from kam.insights.services import RunInProgress
from kam.risk.models import RiskRun
from kam.risk.services import RiskRunInProgress

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2025, 12, 31)


def a_run(status: str = RunStatus.QUEUED) -> RiskRun:
    return RiskRun.objects.create(status=status, as_of=AS_OF)


class RefusingTask:
    """A task whose backend will not take it."""

    def enqueue(self, run_id: int) -> None:
        raise RuntimeError("the backend is down")


class RecordingTask:
    def __init__(self) -> None:
        self.enqueued: list[int] = []

    def enqueue(self, run_id: int) -> None:
        self.enqueued.append(run_id)


def test_claim_marks_the_queued_run_running_after_preparing_it() -> None:
    run = a_run()
    seen: list[str] = []

    claimed = claim_queued(RiskRun, run.pk, prepare=lambda found: seen.append(found.status))

    assert claimed is not None and claimed.pk == run.pk
    assert seen == [RunStatus.QUEUED]
    stored = RiskRun.objects.get(pk=run.pk)
    assert stored.status == RunStatus.RUNNING
    assert stored.started_at == claimed.started_at >= run.started_at  # queued until now


@pytest.mark.parametrize("status", [RunStatus.RUNNING, RunStatus.SUCCEEDED, RunStatus.FAILED])
def test_claim_leaves_a_run_alone_that_is_not_queued(
    status: str, caplog: pytest.LogCaptureFixture
) -> None:
    run = a_run(status)
    prepared: list[RiskRun] = []

    with caplog.at_level(logging.WARNING, logger="kam.core.runs"):
        assert claim_queued(RiskRun, run.pk, prepare=prepared.append) is None

    assert prepared == []
    assert RiskRun.objects.get(pk=run.pk).status == status
    assert f"risk run {run.pk} is not queued; nothing to do" in caplog.text


def test_guarded_records_a_failure_and_carries_on() -> None:
    run = a_run(RunStatus.RUNNING)

    def broken() -> None:
        raise ValueError("no orders")

    assert guarded(run, broken, save_failure) is run
    run.refresh_from_db()
    assert (run.status, run.error) == (RunStatus.FAILED, "ValueError: no orders")
    assert run.finished_at is not None


def test_guarded_records_an_interruption_and_raises_it_again() -> None:
    run = a_run(RunStatus.RUNNING)
    run.warnings = [{"text": "half done"}]

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        guarded(run, interrupted, save_failure)
    run.refresh_from_db()
    assert (run.status, run.error, run.warnings) == (
        RunStatus.FAILED,
        "interrupted before it finished (KeyboardInterrupt)",
        [],
    )


def test_guarded_leaves_a_run_that_worked_as_the_work_left_it() -> None:
    run = a_run(RunStatus.RUNNING)
    failures: list[BaseException] = []

    guarded(run, lambda: None, lambda _run, exc: failures.append(exc))

    assert failures == []
    assert RiskRun.objects.get(pk=run.pk).status == RunStatus.RUNNING


def test_a_run_the_backend_refuses_fails_at_once() -> None:
    run = a_run()

    enqueue_or_fail(RefusingTask(), run, save_failure)  # type: ignore[arg-type]

    stored = RiskRun.objects.get(pk=run.pk)
    assert (stored.status, stored.error) == (RunStatus.FAILED, "RuntimeError: the backend is down")


def test_a_run_the_backend_takes_stays_queued() -> None:
    run = a_run()
    task = RecordingTask()

    enqueue_or_fail(task, run, save_failure)  # type: ignore[arg-type]

    assert task.enqueued == [run.pk]
    assert RiskRun.objects.get(pk=run.pk).status == RunStatus.QUEUED


def test_a_run_under_way_refuses_the_next_one_with_the_apps_exception() -> None:
    refuse_while_busy(RiskRun, RiskRunInProgress)  # nothing under way
    a_run(RunStatus.FAILED)
    refuse_while_busy(RiskRun, RiskRunInProgress)
    busy = a_run(RunStatus.RUNNING)

    with pytest.raises(RiskRunInProgress) as refused:
        refuse_while_busy(RiskRun, RiskRunInProgress)

    assert isinstance(refused.value, RunBusy)
    assert refused.value.run == busy
    assert str(refused.value) == f"risk run {busy.pk} is already running"
    assert issubclass(RunInProgress, RunBusy)


def test_the_task_answers_with_the_runs_outcome() -> None:
    class Failed(Exception):
        pass

    assert task_outcome(None, Failed) == "skipped"
    assert task_outcome(a_run(RunStatus.SUCCEEDED), Failed) == "succeeded"
    failed = a_run(RunStatus.FAILED)
    failed.error = "ValueError: no orders"
    with pytest.raises(Failed, match=f"risk run {failed.pk} failed: ValueError: no orders"):
        task_outcome(failed, Failed)
