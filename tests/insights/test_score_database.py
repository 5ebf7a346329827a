"""`kam score` without --transactions scores the application's database."""

from __future__ import annotations

from typer.testing import CliRunner

from kam.insights.models import AccountScore, RunStatus, ScoringRun
from kam_cli.main import app
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine


def test_it_scores_the_database_and_stores_a_snapshot(book: Cast, engine: FakeEngine) -> None:
    result = CliRunner().invoke(
        app, ["score", "--as-of", "2025-12-31", "--as", "dora"], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    run = ScoringRun.objects.get()
    assert (run.status, run.actor, str(run.as_of)) == (RunStatus.SUCCEEDED, book.dora, "2025-12-31")
    assert AccountScore.objects.filter(run=run).count() == 3
    assert "Scored 3 accounts as of 2025-12-31" in result.output
    assert "Warning: Too few repeat buyers." in result.output  # the stored English text


def test_it_exits_1_when_scoring_fails(book: Cast, engine: FakeEngine) -> None:
    engine.fail = True
    result = CliRunner().invoke(app, ["score", "--as", "dora"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "scoring failed" in result.output
    assert not AccountScore.objects.exists()
