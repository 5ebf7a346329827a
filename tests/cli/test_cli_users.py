"""`kam user`: create users, change roles, list them, and issue API tokens that work."""

from __future__ import annotations

from kam.core.models import ApiToken, Role, Team, User
from kam.core.tokens import authenticate_token
from tests.cli.helpers import Kam
from tests.conftest import Cast


def test_it_prints_a_token_that_authenticates(cast: Cast, kam: Kam) -> None:
    result = kam("user", "token", "alice", "--days", "7", "--name", "erp-sync")

    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert authenticate_token(raw) == cast.alice
    token = ApiToken.objects.get(user=cast.alice)
    assert token.name == "erp-sync"
    assert 6 <= (token.expires_at - token.created_at).days <= 7
    assert "Authorization: Bearer" in result.stderr


def test_it_creates_a_user_with_a_role_and_a_team(cast: Cast, kam: Kam) -> None:
    result = kam(
        "user",
        "create",
        "carol",
        "--role",
        "account_manager",
        "--team",
        "East",
        "--email",
        "carol@example.com",
        "--password",
        "Kam-very-secret-2026",
    )

    assert result.exit_code == 0, result.output
    carol = User.objects.get(username="carol")
    assert (carol.role, carol.team, carol.email) == (
        Role.ACCOUNT_MANAGER,
        Team.objects.get(name="East"),
        "carol@example.com",
    )
    assert carol.check_password("Kam-very-secret-2026")
    assert not carol.is_staff


def test_it_creates_a_user_without_a_password_outside_a_terminal(cast: Cast, kam: Kam) -> None:
    result = kam("user", "create", "dave", "--role", "analyst", "--team", "Analytics")

    assert result.exit_code == 0, result.output
    dave = User.objects.get(username="dave")
    assert not dave.has_usable_password()
    assert Team.objects.filter(name="Analytics").exists()
    assert "No password set" in result.stderr


def test_it_refuses_a_weak_password_or_a_taken_name(cast: Cast, kam: Kam) -> None:
    weak = kam("user", "create", "erin", "--role", "analyst", "--password", "123")
    taken = kam("user", "create", "ALICE", "--role", "analyst")

    assert weak.exit_code == 2 and "password refused" in weak.output
    assert taken.exit_code == 2 and "already exists" in taken.output
    assert not User.objects.filter(username="erin").exists()


def test_it_changes_a_role(cast: Cast, kam: Kam) -> None:
    promoted = kam("user", "set-role", "alice", "administrator")
    demoted = kam("user", "set-role", "alice", "analyst")

    assert promoted.exit_code == 0 and demoted.exit_code == 0
    assert "alice: administrator → analyst" in demoted.stdout
    alice = User.objects.get(username="alice")
    assert (alice.role, alice.is_staff, alice.is_superuser) == (Role.ANALYST, False, False)


def test_it_keeps_the_last_administrator(cast: Cast, kam: Kam) -> None:
    result = kam("user", "set-role", "root", "director")

    assert result.exit_code == 2
    assert "last administrator" in result.output
    assert User.objects.get(username="root").role == Role.ADMINISTRATOR


def test_it_rejects_an_unknown_role(cast: Cast, kam: Kam) -> None:
    result = kam("user", "set-role", "alice", "king")

    assert result.exit_code == 2
    assert "'king' is not one of" in result.output


def test_it_lists_users(cast: Cast, kam: Kam) -> None:
    result = kam("user", "list", env={"COLUMNS": "200"})

    assert result.exit_code == 0, result.output
    for username in ("root", "dora", "alice", "bob"):
        assert username in result.stdout
    assert "sales_manager" in result.stdout
