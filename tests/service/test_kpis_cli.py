"""`kam service kpis`: the tables of March 2026 as the user may see them, the file it
writes, and bad input named by its option."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import translation
from openpyxl import load_workbook

from kam_cli.console import out as console
from tests.cli.conftest import kam  # noqa: F401 - the command, in this process
from tests.service.test_kpis_report import March, march  # noqa: F401

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(console, "_width", 250)  # a wide terminal: no wrapped rows


@pytest.fixture(autouse=True)
def in_english() -> Iterator[None]:
    with translation.override("en"):  # the labels are checked in English
        yield


def test_the_tables_as_the_first_administrator(march: March, kam: Any, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "kpis.csv"
    result = kam("service", "kpis", *MARCH, "--out", str(out))
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "Service KPIs 2026-03-01 – 2026-03-31 (31 days), as root: departments" in text
    assert "Company total" in text and "Customer service" in text and "No department" in text
    sam = next(line for line in text.splitlines() if line.startswith("│ Sam "))
    cells = [cell.strip() for cell in sam.strip("│").split("│")]
    # person, department, received, resolved, backlog, response h, in target, resolution h,
    # in target, SLA, breaches, escalations, reopened, handovers out, CSAT, NPS
    assert cells == [
        "Sam",
        "Customer service",
        "0",
        "2",
        "0",
        "0.7",
        "100",
        "8.5",
        "50",
        "50",
        "0",
        "0",
        "0",
        "0",
        "3.50 n=2",
        "0",
    ]
    assert "Wrote 8 rows to" in text  # the company, 2 departments, 5 people
    with out.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["key"] for r in rows] == [
        "",
        "customer-service",
        "none",
        "sam",
        "sue",
        "alice",
        "bob",
        "tom",
    ]
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_service_agent_sees_their_row(march: March, kam: Any, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "mine.xlsx"
    result = kam("service", "kpis", *MARCH, "--as", "sam", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert "Company total" not in result.stdout and "Alice" not in result.stdout
    book = load_workbook(out)
    assert [row[1] for row in list(book["People"].values)[1:]] == ["sam"]


def test_filters_and_problems(march: March, kam: Any) -> None:  # noqa: F811
    complaints = kam("service", "kpis", *MARCH, "--kind", "complaint")
    assert complaints.exit_code == 0, complaints.output
    total = next(line for line in complaints.stdout.splitlines() if "Company total" in line)
    assert [cell.strip() for cell in total.strip("│").split("│")][1:3] == ["1", "1"]

    backwards = kam("service", "kpis", "--from", "2026-03-31", "--to", "2026-03-01")
    assert backwards.exit_code == 2
    assert "--to: 2026-03-01 is before the start 2026-03-31" in backwards.stderr
    not_a_day = kam("service", "kpis", "--from", "March")
    assert not_a_day.exit_code == 2 and "--from: 'March' is not a day" in not_a_day.stderr
    unknown = kam("service", "kpis", "--department", "finance", "--tier", "gold")
    assert unknown.exit_code == 2
    assert "--tier: unknown value 'gold'" in unknown.stderr
    assert "--department: no department 'finance'" in unknown.stderr
    wrong_file = kam("service", "kpis", "--out", "kpis.pdf")
    assert wrong_file.exit_code == 2 and "expected a file name ending in .csv" in wrong_file.stderr
