"""`kam service surveys results`: the figures a user sees, by tier, owner and month, and
the answers written to a file."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kam.service.surveys import record_answer
from kam_cli.main import app
from tests.service import surveys_helpers as helpers
from tests.service.surveys_helpers import People

pytestmark = pytest.mark.django_db
# The fixtures the survey stories share (tests/service/surveys_helpers.py).
people = helpers.people


def test_the_results_command_prints_and_exports(people: People, tmp_path: Path) -> None:
    cast = people.cast
    for csat, nps in ((5, 10), (4, 9), (2, 3)):
        record_answer(
            actor=cast.alice,
            account=cast.alice_steel,
            kind="relationship",
            values={"csat": csat, "nps": nps, "comment": "很好" if csat > 3 else "太慢"},
        )
    record_answer(actor=cast.bob, account=cast.bob_mining, kind="relationship", values={"nps": 0})
    target = tmp_path / "answers.csv"
    result = CliRunner().invoke(
        app, ["service", "surveys", "results", "--as", "alice", "-o", str(target)]
    )
    assert result.exit_code == 0, result.output
    # Alice sees her three answers: NPS (2 − 1) / 3 = 33, CSAT 11/3.
    total = next(line for line in result.output.splitlines() if "total" in line)
    assert "│ 3 " in total and "3.67" in total and "33" in total and "100% (3/3)" in total
    assert "Diamond" in result.output and "│ alice " in result.output
    assert "│ bob " not in result.output and "Core" not in result.output
    assert "Wrote 3 answers" in result.output
    rows = list(csv.DictReader(target.open(encoding="utf-8-sig")))
    assert sorted(r["comment"] for r in rows) == ["太慢", "很好", "很好"]
    core = CliRunner().invoke(app, ["service", "surveys", "results", "--tier", "core"])
    assert core.exit_code == 0 and "-100" in core.output  # the administrator sees Bob's


def test_the_results_command_checks_its_options(people: People) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["service", "surveys", "results", "--kind", "phone"])
    assert bad.exit_code == 2 and "--kind: 'phone' is not ticket or relationship" in bad.output
    late = runner.invoke(
        app, ["service", "surveys", "results", "--from", "2026-05-01", "--until", "2026-04-01"]
    )
    assert late.exit_code == 2 and "is before --from" in late.output
    wrong = runner.invoke(app, ["service", "surveys", "results", "-o", "answers.pdf"])
    assert wrong.exit_code == 2 and "expected a file name ending in .csv or .xlsx" in wrong.output
