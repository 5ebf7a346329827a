"""Every successful scoring run is followed by a risk check as of its date, in the same
process, with the tiers it has just set; a failed scoring run is not."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tasks_db.models import DBTaskResult

from kam.insights.models import RunStatus, ScoringRun
from kam.insights.services import queue_scoring_run, run_scoring
from kam.risk.models import AccountRisk, RiskRun, RiskTrigger
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, run_worker
from tests.risk.conftest import FakeBridge

SCORED_ON = dt.date(2025, 10, 31)


def test_a_scoring_run_is_followed_by_a_risk_check(
    book: Cast, engine: FakeEngine, bridge: FakeBridge
) -> None:
    engine.tiers = {book.bob_mining.pk: "diamond"}

    scoring = run_scoring(actor=book.dora, as_of=SCORED_ON)

    assert scoring.status == RunStatus.SUCCEEDED
    run = RiskRun.objects.get()
    assert (run.status, run.trigger, run.as_of) == (
        RunStatus.SUCCEEDED,
        RiskTrigger.SCORING,
        SCORED_ON,
    )
    assert (run.scoring_run, run.actor) == (scoring, None)
    assert bridge.as_of == [SCORED_ON]
    assert AccountRisk.objects.get(run=run, account=book.bob_mining).tier == "diamond"
    assert AccountRisk.objects.get(run=run, account=book.alice_steel).tier == "basic"


def test_a_failed_scoring_run_checks_nothing(
    book: Cast, engine: FakeEngine, bridge: FakeBridge
) -> None:
    engine.fail = True

    assert run_scoring(actor=book.dora).status == RunStatus.FAILED

    assert bridge.calls == 0
    assert not RiskRun.objects.exists()


def test_a_failed_risk_check_leaves_the_scoring_run_succeeded(
    book: Cast, engine: FakeEngine, bridge: FakeBridge
) -> None:
    bridge.fail = True

    scoring = run_scoring(actor=book.dora)

    assert ScoringRun.objects.get(pk=scoring.pk).status == RunStatus.SUCCEEDED
    assert RiskRun.objects.get().status == RunStatus.FAILED


def test_no_check_follows_while_another_risk_run_is_under_way(
    book: Cast, engine: FakeEngine, bridge: FakeBridge
) -> None:
    busy = RiskRun.objects.create(as_of=SCORED_ON, status=RunStatus.QUEUED)

    assert run_scoring(actor=book.dora).status == RunStatus.SUCCEEDED

    assert list(RiskRun.objects.all()) == [busy]
    assert bridge.calls == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_checks_the_risks_right_after_scoring(
    book: Cast, engine: FakeEngine, bridge: FakeBridge
) -> None:
    queued = queue_scoring_run(actor=book.dora)

    run_worker()

    run = RiskRun.objects.get()
    assert (run.status, run.scoring_run_id) == (RunStatus.SUCCEEDED, queued.pk)
    assert AccountRisk.objects.filter(run=run).count() == 3
    # Within the scoring task: no task of its own.
    assert DBTaskResult.objects.get().task_path == "kam.insights.tasks.score_queued_run"
