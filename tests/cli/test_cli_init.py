"""`kam init` migrates and creates the first administrator, once."""

from __future__ import annotations

import pytest

from kam.core.models import Role, User
from tests.cli.helpers import Kam

PASSWORD = "Kam-very-secret-2026"


@pytest.fixture
def no_admin_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAM_ADMIN_PASSWORD", raising=False)


def test_it_creates_the_first_administrator(db: None, kam: Kam, no_admin_password: None) -> None:
    result = kam(
        "init", "--username", "boss", "--email", "boss@example.com", "--password", PASSWORD
    )

    assert result.exit_code == 0, result.output
    assert "Database ready" in result.stdout
    boss = User.objects.get(username="boss")
    assert (boss.role, boss.is_staff, boss.is_superuser) == (Role.ADMINISTRATOR, True, True)
    assert boss.check_password(PASSWORD)


def test_it_reads_the_password_from_the_environment(db: None, kam: Kam) -> None:
    result = kam("init", env={"KAM_ADMIN_PASSWORD": PASSWORD})

    assert result.exit_code == 0, result.output
    assert User.objects.get(username="admin").check_password(PASSWORD)


def test_it_is_idempotent(db: None, kam: Kam, no_admin_password: None) -> None:
    kam("init", "--password", PASSWORD)

    again = kam("init", "--username", "second")

    assert again.exit_code == 0, again.output
    assert "Administrator 'admin' already exists" in again.stdout
    assert list(User.objects.values_list("username", flat=True)) == ["admin"]


def test_it_fails_clearly_without_a_password(db: None, kam: Kam, no_admin_password: None) -> None:
    result = kam("init")

    assert result.exit_code == 2
    assert "no password for the administrator" in result.output
    assert "KAM_ADMIN_PASSWORD" in result.output
    assert not User.objects.exists()


def test_it_refuses_a_weak_password(db: None, kam: Kam, no_admin_password: None) -> None:
    result = kam("init", "--password", "admin")

    assert result.exit_code == 2
    assert "password refused" in result.output
    assert not User.objects.exists()
