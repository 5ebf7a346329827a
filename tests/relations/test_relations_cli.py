"""`kam relations`: the daily reminder, the cadence as a user sees it, and an account's
buying-centre coverage, gaps and health."""

from __future__ import annotations

from typing import Any

from kam.notifications.models import Notification
from tests.conftest import Cast
from tests.relations.conftest import Centre, set_tier


def test_remind_tells_owners_once(cast: Cast, centre: Centre, kam: Any) -> None:
    set_tier(cast.shared_telecom, "diamond", cast.dora)
    first = kam("relations", "remind")
    assert first.exit_code == 0, first.output
    assert "Reminded owners of 1 overdue visit(s)." in first.stdout
    second = kam("relations", "remind")
    assert "Reminded owners of 0 overdue visit(s)." in second.stdout
    assert Notification.objects.filter(recipient=cast.bob).count() == 1


def test_cadence_lists_what_the_user_sees(cast: Cast, centre: Centre, kam: Any) -> None:
    set_tier(cast.shared_telecom, "diamond", cast.dora)
    result = kam("relations", "cadence", "--as", "bob", "--overdue")
    assert result.exit_code == 0, result.output
    assert "Shared Telecom" in result.stdout and "never" in result.stdout
    assert "Alice Steel" not in result.stdout
    everything = kam("relations", "cadence", "--as", "alice", "--all")
    assert "Alice Steel" in everything.stdout and "Bob Mining" not in everything.stdout


def test_map_prints_coverage_gaps_and_health(cast: Cast, centre: Centre, kam: Any) -> None:
    result = kam("relations", "map", "A-1", "--as", "alice")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Coverage: 34/100" in out
    assert "gap: no coach" in out and "gap: user buyer never met" in out
    assert "Health: 74/100 (good)" in out
    assert "Wang Wei" in out


def test_map_refuses_an_account_the_user_cannot_see(cast: Cast, centre: Centre, kam: Any) -> None:
    result = kam("relations", "map", "A-1", "--as", "bob")
    assert result.exit_code == 2
    assert "no account 'A-1' that bob can see" in result.output
