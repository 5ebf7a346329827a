"""connect(url): one function opens every engine the value engine runs on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from kam_analytics.backends import connect


def test_it_opens_an_in_memory_duckdb_by_default() -> None:
    for backend in (connect(), connect("duckdb://")):
        assert backend.name == "duckdb"
        assert backend.list_tables() == []


def test_it_opens_a_duckdb_file_relative_or_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    relative = connect("duckdb:///relative.db")
    relative.raw_sql("CREATE TABLE t AS SELECT 1 AS x")
    relative.disconnect()
    assert (tmp_path / "relative.db").is_file()
    absolute = connect(f"duckdb:///{tmp_path / 'relative.db'}")
    assert absolute.list_tables() == ["t"]


def test_it_reads_the_apps_sqlite_file_without_writing_to_it(tmp_path: Path) -> None:
    path = tmp_path / "kam.sqlite3"
    with sqlite3.connect(path) as con:
        con.execute("CREATE TABLE orders (account TEXT, amount REAL)")
        con.execute("INSERT INTO orders VALUES ('A-1', 10.5)")
    backend = connect(f"sqlite:///{path}")
    assert backend.table("orders").amount.sum().execute() == 10.5
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        backend.raw_sql("INSERT INTO orders VALUES ('A-2', 1)")


def test_it_says_when_the_sqlite_file_is_not_there(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"missing\.sqlite3 does not exist"):
        connect(f"sqlite:///{tmp_path / 'missing.sqlite3'}")


@pytest.mark.parametrize("url", ["mysql://db/kam", "duckdb://no-slash.db"])
def test_it_rejects_urls_it_does_not_know(url: str) -> None:
    with pytest.raises(ValueError, match=url.replace(".", r"\.")):
        connect(url)
