"""`kam policy list` and `kam policy set`: durations with their unit, directors only."""

from __future__ import annotations

from typing import Any

import pytest
from typer.testing import CliRunner

from kam.core.models import AuditEvent
from kam.service.models import ServicePolicy
from kam_cli.main import app
from tests.conftest import Cast


@pytest.fixture
def run_kam() -> Any:
    """The `kam` command, run in this process on the test database."""
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_it_lists_the_four_policies(cast: Cast, run_kam: Any) -> None:
    result = run_kam("policy", "list", "--as", "alice")

    assert result.exit_code == 0, result.output
    out = result.stdout
    for tier in ("diamond", "core", "potential", "basic"):
        assert tier in out
    assert "diamond (0 accounts now)" in out
    responses = [line.split()[2:] for line in out.splitlines() if "first response" in line]
    assert responses == [
        ["1", "h"],
        ["4", "h"],
        ["24", "h", "(3", "working", "days)"],
        ["48", "h", "(6", "working", "days)"],
    ]
    assert "dedicated_team" in out and "No regular visits" in out
    assert "2 accounts have no tier yet" in result.stderr  # the two Alice sees


def test_a_director_sets_a_policy_with_durations(cast: Cast, run_kam: Any) -> None:
    result = run_kam(
        "policy",
        "set",
        "diamond",
        "--response",
        "30m",
        "--resolution",
        "2d",
        "--visits",
        "14",
        "--clock",
        "business",
        "--discount",
        "20%",
        "--as",
        "dora",
    )

    assert result.exit_code == 0, result.output
    diamond = ServicePolicy.objects.get(tier="diamond")
    assert diamond.first_response_minutes == 30
    assert diamond.resolution_minutes == 960  # two working days of 8 h
    assert diamond.visit_interval_days == 14 and str(diamond.discount_ceiling) == "20.00"
    assert "first_response_minutes: 60 → 30" in result.stdout
    event = AuditEvent.objects.get(object_type="servicepolicy")
    assert (event.actor, event.source) == (cast.dora, "cli")


def test_around_the_clock_a_day_is_24_hours(cast: Cast, run_kam: Any) -> None:
    result = run_kam(
        "policy", "set", "core", "--clock", "always", "--resolution", "2d", "--as", "root"
    )
    assert result.exit_code == 0, result.output
    core = ServicePolicy.objects.get(tier="core")
    assert (core.clock, core.resolution_minutes) == ("always", 2880)


def test_visits_none_stops_regular_visits(cast: Cast, run_kam: Any) -> None:
    assert run_kam("policy", "set", "core", "--visits", "none", "--as", "dora").exit_code == 0
    assert ServicePolicy.objects.get(tier="core").visit_interval_days is None


@pytest.mark.parametrize("who", ["alice", "ann", "mary"])
def test_only_directors_and_administrators_set_policies(cast: Cast, run_kam: Any, who: str) -> None:
    result = run_kam("policy", "set", "diamond", "--response", "2h", "--as", who)

    assert result.exit_code == 2
    assert f"{who} may not change service policies" in result.stderr
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gold"], "unknown tier 'gold'"),
        (["diamond", "--response", "90"], "--response: '90' is not a duration like 90m"),
        (["diamond", "--clock", "sometimes"], "--clock: 'sometimes' is not business or always"),
        (["diamond", "--response", "10h"], "expected at least the first response target"),
        (["diamond", "--discount", "101"], "expected a percentage from 0 to 100"),
    ],
)
def test_bad_input_is_explained(cast: Cast, run_kam: Any, args: list[str], message: str) -> None:
    result = run_kam("policy", "set", *args, "--as", "dora")

    assert result.exit_code in (1, 2)
    assert message in result.stderr
    assert ServicePolicy.objects.get(tier="diamond").first_response_minutes == 60
