"""A risk run stores a dated snapshot of every account's risks; a failed one writes nothing;
one runs at a time; directors queue one for the worker."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django_tasks_db.models import DBTaskResult

from kam.core.models import AuditEvent
from kam.insights.models import RunStatus
from kam.risk.models import AccountRisk, RiskRun, RiskTrigger
from kam.risk.services import (
    RiskRunInProgress,
    check_risks,
    execute_queued_run,
    queue_risk_run,
)
from tests.conftest import Cast
from tests.insights.conftest import run_worker
from tests.risk.conftest import AS_OF, CHURN_EN, CHURN_ZH, CREDIT_EN, FakeBridge

OnCommit = Callable[..., Any]


def test_it_stores_a_snapshot_of_every_account(checked: RiskRun, risky: Cast) -> None:
    assert (checked.as_of, checked.trigger, checked.actor) == (
        AS_OF,
        RiskTrigger.COMMAND,
        risky.dora,
    )
    assert (checked.account_count, checked.at_risk_count) == (3, 3)
    assert (checked.order_count, checked.payment_count) == (12, 5)
    assert checked.finished_at is not None
    assert checked.warnings[0]["text"] == "Too little history to train the churn model."
    assert checked.churn_model["method"] == "rules"
    steel = AccountRisk.objects.get(run=checked, account=risky.alice_steel)
    assert (steel.level, steel.tier, steel.revenue_at_stake) == ("high", "core", 120000.0)
    assert (steel.churn_probability, steel.churn_band) == (0.8, "high")
    assert (steel.churn_reasons_en, steel.churn_reasons_zh) == ([CHURN_EN], [CHURN_ZH])
    assert steel.risk_types() == ["churn"]
    mining = AccountRisk.objects.get(run=checked, account=risky.bob_mining)
    assert (mining.level, mining.tier, mining.credit_flag) == ("high", "diamond", "stop")
    assert (mining.overdue_amount, mining.max_days_past_due, mining.dso_days) == (1200.0, 120, 75.0)
    assert mining.ageing["overdue_over_90"] == 1200.0
    assert (mining.delay_trend_days, mining.credit_limit, mining.utilisation) == (
        12.0,
        50000.0,
        0.5,
    )
    assert mining.credit_reasons_en == [CREDIT_EN]
    assert mining.relationship_severity == "low"  # a missing coach alone is no watch-list risk
    assert mining.risk_types() == ["credit"]
    telecom = AccountRisk.objects.get(run=checked, account=risky.shared_telecom)
    assert (telecom.level, telecom.tier, telecom.churn_band) == ("medium", "", "")
    assert telecom.churn_probability is None
    assert telecom.risk_types() == ["relationship", "anomaly"]
    assert (telecom.anomaly_count, telecom.latest_anomaly) == (1, AS_OF)
    event = AuditEvent.objects.get(object_type="riskrun")
    assert (event.actor, event.source) == (risky.dora, "risk")


def test_it_grades_the_overall_level(cast: Cast, bridge: FakeBridge) -> None:
    from tests.risk.conftest import anomalies, churn, credit, relationship

    bridge.signals = {
        cast.alice_steel.pk: {"credit": credit("watch", 0.0, [], [])},
        cast.bob_mining.pk: {"anomalies": anomalies(2, ["odd"], ["异常"])},
        cast.shared_telecom.pk: {
            "churn": churn(0.1, "low", [], []),
            "relationship": relationship("none", [], [], []),
        },
    }
    run = check_risks(actor=cast.root, as_of=AS_OF)

    levels = dict(AccountRisk.objects.filter(run=run).values_list("account__name", "level"))
    assert levels == {
        "Alice Steel Co., Ltd.": "medium",
        "Bob Mining": "low",
        "Shared Telecom": "none",
    }
    assert run.at_risk_count == 2  # the anomaly counts; a low churn risk does not


@pytest.mark.parametrize(
    ("tier", "level"), [("diamond", "high"), ("core", "high"), ("basic", "medium"), ("", "high")]
)
def test_a_likely_churn_is_high_risk_except_at_a_basic_account(
    cast: Cast, bridge: FakeBridge, tier: str, level: str
) -> None:
    from tests.risk.conftest import churn, give_tier

    bridge.signals = {cast.alice_steel.pk: {"churn": churn(0.9, "high", [], [])}}
    if tier:
        give_tier(cast.alice_steel, tier)
    run = check_risks(actor=cast.root, as_of=AS_OF)

    assert AccountRisk.objects.get(run=run, account=cast.alice_steel).level == level


def test_a_failed_run_keeps_its_error_and_writes_nothing(risky: Cast, bridge: FakeBridge) -> None:
    bridge.fail = True

    run = check_risks(actor=risky.dora, as_of=AS_OF)

    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the credit model blew up"
    assert (run.account_count, run.at_risk_count, run.warnings) == (0, 0, [])
    assert not AccountRisk.objects.exists()
    assert RiskRun.objects.get().status == RunStatus.FAILED


def test_a_run_that_fails_while_storing_writes_nothing(
    risky: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise RuntimeError("the audit trail is full")

    monkeypatch.setattr("kam.risk.services.audit.record", broken)
    run = check_risks(actor=risky.dora, as_of=AS_OF)

    assert run.status == RunStatus.FAILED
    assert "audit trail is full" in run.error
    assert not AccountRisk.objects.exists()
    assert RiskRun.objects.get().account_count == 0


def test_an_interrupted_run_is_marked_failed(risky: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("kam.insights.risk.book_risk", interrupted)
    with pytest.raises(KeyboardInterrupt):
        check_risks(actor=risky.dora)
    run = RiskRun.objects.get()
    assert (run.status, run.error) == (
        RunStatus.FAILED,
        "interrupted before it finished (KeyboardInterrupt)",
    )


def test_it_refuses_a_second_run_while_one_is_queued_or_running(risky: Cast) -> None:
    first = queue_risk_run(actor=risky.dora)
    assert first.status == RunStatus.QUEUED
    with pytest.raises(RiskRunInProgress, match="already queued") as refused:
        queue_risk_run(actor=risky.root)
    assert refused.value.run == first
    with pytest.raises(RiskRunInProgress):
        check_risks(actor=risky.dora)

    RiskRun.objects.filter(pk=first.pk).update(status=RunStatus.RUNNING)
    with pytest.raises(RiskRunInProgress, match="already running"):
        queue_risk_run(actor=risky.dora)

    RiskRun.objects.filter(pk=first.pk).update(status=RunStatus.SUCCEEDED)
    assert queue_risk_run(actor=risky.dora).status == RunStatus.QUEUED


@pytest.mark.parametrize("name", ["alice", "mary", "ann"])
def test_only_directors_and_administrators_check_risks(risky: Cast, name: str) -> None:
    user = getattr(risky, name)
    with pytest.raises(PermissionDenied):
        queue_risk_run(actor=user)
    with pytest.raises(PermissionDenied):
        check_risks(actor=user)
    assert not RiskRun.objects.exists()


def test_it_queues_the_task_once_the_run_is_committed(
    risky: Cast, bridge: FakeBridge, django_capture_on_commit_callbacks: OnCommit
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = queue_risk_run(actor=risky.dora)
        assert not DBTaskResult.objects.exists()
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert task.task_path == "kam.risk.tasks.check_queued_risks"
    assert task.args_kwargs["args"] == [run.pk]
    assert (run.status, run.trigger, bridge.calls) == (RunStatus.QUEUED, RiskTrigger.REQUEST, 0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_checks_a_queued_run(risky: Cast, bridge: FakeBridge) -> None:
    queued = queue_risk_run(actor=risky.dora)

    run_worker()

    run = RiskRun.objects.get(pk=queued.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert AccountRisk.objects.filter(run=run).count() == 3
    task = DBTaskResult.objects.get()
    assert (task.status, task.return_value) == ("SUCCESSFUL", "succeeded")


@pytest.mark.django_db(transaction=True)
def test_the_task_fails_with_the_run(risky: Cast, bridge: FakeBridge) -> None:
    bridge.fail = True
    queued = queue_risk_run(actor=risky.dora)

    run_worker()

    assert RiskRun.objects.get(pk=queued.pk).status == RunStatus.FAILED
    task = DBTaskResult.objects.get()
    assert task.status == "FAILED"
    assert task.exception_class_path == "kam.risk.tasks.RiskRunFailed"


def test_it_leaves_a_run_alone_that_is_no_longer_queued(risky: Cast, bridge: FakeBridge) -> None:
    from kam.risk.tasks import check_queued_risks

    run = queue_risk_run(actor=risky.dora)
    RiskRun.objects.filter(pk=run.pk).update(status=RunStatus.FAILED, error="stopped by hand")

    assert execute_queued_run(run.pk) is None
    assert check_queued_risks.call(run.pk) == "skipped"
    assert bridge.calls == 0


def test_it_runs_at_once_with_the_immediate_backend(
    risky: Cast, settings: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_risk_run(actor=risky.dora)
    run.refresh_from_db()
    assert (run.status, run.account_count) == (RunStatus.SUCCEEDED, 3)


def test_a_run_the_backend_refuses_fails_at_once(
    risky: Cast, settings: Any, django_capture_on_commit_callbacks: OnCommit
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["x"]}}
    with django_capture_on_commit_callbacks(execute=True):
        run = queue_risk_run(actor=risky.dora)
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert queue_risk_run(actor=risky.dora).status == RunStatus.QUEUED  # not blocked
