"""`kam calendar show | week | import | load-cn-holidays`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from kam.service.models import BusinessCalendar, CalendarDay
from kam_cli.main import app
from tests.conftest import Cast


@pytest.fixture
def run_kam() -> Any:
    """The `kam` command, run in this process on the test database."""
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args), catch_exceptions=False)


def test_it_loads_the_chinese_holidays_and_shows_a_year(cast: Cast, run_kam: Any) -> None:
    loaded = run_kam("calendar", "load-cn-holidays", "--as", "dora")
    assert loaded.exit_code == 0, loaded.output
    assert "Imported: 72 days added, 0 changed, 0 already there" in loaded.stdout

    shown = run_kam("calendar", "show", "--year", "2026")

    assert shown.exit_code == 0, shown.output
    assert "Working weekdays: Monday, Tuesday, Wednesday, Thursday, Friday" in shown.stdout
    assert "09:00-12:00, 13:00-18:00 (8 h 00 min a day)" in shown.stdout
    assert "2026-10-10" in shown.stdout and "2025-10-01" not in shown.stdout
    assert "33 holidays, 6 make-up working days" in shown.stdout


def test_an_import_with_a_bad_row_names_it_and_writes_nothing(
    cast: Cast, run_kam: Any, tmp_path: Path
) -> None:
    path = tmp_path / "days.csv"
    path.write_text("date,kind,name\n2027-01-01,holiday,A\n2027-02-30,holiday,B\n", "utf-8")

    result = run_kam("calendar", "import", str(path), "--as", "dora")

    assert result.exit_code == 1
    assert "Nothing was imported." in result.stderr
    assert "row 3, column date: '2027-02-30' is not a date like 2026-10-01" in result.stderr
    assert not CalendarDay.objects.exists()


def test_a_good_import_and_the_working_week(cast: Cast, run_kam: Any, tmp_path: Path) -> None:
    path = tmp_path / "days.csv"
    path.write_text("\ufeffdate,kind,name\n2027-01-01,holiday,New Year 元旦\n", "utf-8")

    assert run_kam("calendar", "import", str(path), "--as", "root").exit_code == 0
    week = run_kam(
        "calendar", "week", "--days", "0,1,2,3,4,5", "--hours", "09:00-17:00", "--as", "dora"
    )

    assert week.exit_code == 0, week.output
    assert CalendarDay.objects.get().date == dt.date(2027, 1, 1)
    assert BusinessCalendar.load().weekdays == "0,1,2,3,4,5"
    bad = run_kam("calendar", "week", "--days", "7", "--hours", "9-5", "--as", "dora")
    assert bad.exit_code == 1 and "column weekdays" in bad.stderr and "column hours" in bad.stderr


def test_an_analyst_cannot_change_the_calendar(cast: Cast, run_kam: Any) -> None:
    result = run_kam("calendar", "load-cn-holidays", "--as", "ann")
    assert result.exit_code == 2 and "ann may not change" in result.stderr
    assert not CalendarDay.objects.exists()
