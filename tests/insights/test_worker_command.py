"""`kam worker --batch` runs the queued scoring runs on the application's database."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from kam.insights.models import AccountScore, RunStatus, ScoringRun
from kam.insights.services import queue_scoring_run
from kam_cli.main import app
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine, signals_kept

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_runs_the_queued_run_and_exits(book: Cast, engine: FakeEngine) -> None:
    queued = queue_scoring_run(actor=book.dora)
    with signals_kept():
        result = CliRunner().invoke(app, ["worker", "--batch"], catch_exceptions=False)

    assert result.exit_code == 0, result.output
    assert "KAM task worker on the " in result.output
    run = ScoringRun.objects.get(pk=queued.pk)
    assert run.status == RunStatus.SUCCEEDED
    assert AccountScore.objects.filter(run=run).count() == 3


def test_it_refuses_to_run_with_the_immediate_backend(cast: Cast, settings: Any) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    result = CliRunner().invoke(app, ["worker", "--batch"], catch_exceptions=False)

    assert result.exit_code == 2
    assert "KAM_TASKS_BACKEND is not 'database'" in result.output
