"""`kam demo` builds the demo in its own database and never touches a real one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.cli.helpers import Kam, kam_process


@pytest.mark.slow
def test_it_builds_the_full_demo_in_its_own_database(tmp_path: Path) -> None:
    (tmp_path / "demo.sqlite3").write_text("a stale file the demo replaces")

    result = kam_process("demo", "--no-serve", home=tmp_path, timeout=300)

    assert result.returncode == 0, result.stderr
    assert f"Demo database: SQLite file {tmp_path / 'demo.sqlite3'}" in result.stdout
    assert "the top 20% of accounts bring" in result.stdout
    assert "password: demo" in result.stdout
    with sqlite3.connect(tmp_path / "demo.sqlite3") as db:
        accounts = db.execute("select count(*) from accounts_account").fetchone()[0]
        orders = db.execute("select count(*) from transactions_order").fetchone()[0]
        users = {row[0] for row in db.execute("select username from core_user")}
    assert 1900 <= accounts <= 2100
    assert orders > 20_000
    assert {
        "admin",
        "director",
        "manager1",
        "manager2",
        "manager3",
        "am01",
        "am12",
        "analyst",
    } <= users
    assert {f.name for f in (tmp_path / "demo").iterdir()} == {
        "accounts.csv",
        "contacts.csv",
        "transactions.csv",
        "payments.csv",
    }


def test_it_refuses_a_configured_database_without_reset(kam: Kam) -> None:
    url = "postgresql://kam@127.0.0.1:5432/production"

    result = kam("demo", "--no-serve", env={"KAM_DATABASE_URL": url})

    assert result.exit_code == 2
    assert "--reset-database" in result.output
