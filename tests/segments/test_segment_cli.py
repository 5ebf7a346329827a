"""`kam segment list | members | seed`, acting as a user with that user's visibility."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kam.segments.models import Segment, Strategy
from tests.segments.conftest import Book, make_segment, one_of, rule


@pytest.fixture
def north(book: Book) -> Segment:
    segment = make_segment(book.cast.dora, "North", rule(one_of("region", "north")))
    Strategy.objects.create(
        segment=segment, name="Mining push", status="active", owner=book.cast.dora
    )
    return segment


def test_it_lists_the_segments_with_what_the_user_sees(
    book: Book, north: Segment, kam: Any
) -> None:
    as_dora = kam("segment", "list", "--as", "dora")
    as_mary = kam("segment", "list", "--as", "mary")
    assert as_dora.exit_code == 0, as_dora.output
    row = next(line for line in as_dora.stdout.splitlines() if "North" in line)
    assert "rule" in row and " 2 " in row and "4,000.00" in row and "Mining push" in row
    mary_row = next(line for line in as_mary.stdout.splitlines() if "North" in line)
    assert " 0 " in mary_row and "0.00" in mary_row


def test_it_says_when_there_are_no_segments(book: Book, kam: Any) -> None:
    result = kam("segment", "list")
    assert result.exit_code == 0
    assert "kam segment seed" in result.stderr


def test_it_shows_the_members_in_the_terminal(book: Book, north: Segment, kam: Any) -> None:
    result = kam("segment", "members", "north", "--as", "alice")
    assert result.exit_code == 0, result.output
    assert "Shared Telecom" in result.stdout and "Bob Mining" not in result.stdout
    assert "1 accounts" in result.stdout


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_it_exports_the_visible_members(
    book: Book, north: Segment, kam: Any, tmp_path: Path, suffix: str
) -> None:
    out = tmp_path / f"north{suffix}"
    result = kam("segment", "members", "North", "--out", str(out), "--as", "bob")
    assert result.exit_code == 0, result.output
    assert f"Exported 2 accounts of segment 'North' to {out}" in result.stdout
    if suffix == ".csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
        found = {row["external_id"] for row in rows}
    else:
        sheet = load_workbook(out).active
        assert sheet is not None
        lines = list(sheet.iter_rows(values_only=True))
        found = {line[0] for line in lines[1:]}
    assert found == {"B-1", "B-2"}


def test_it_exports_nothing_the_user_may_not_see(
    book: Book, north: Segment, kam: Any, tmp_path: Path
) -> None:
    out = tmp_path / "mary.csv"
    result = kam("segment", "members", "North", "--out", str(out), "--as", "mary")
    assert result.exit_code == 0
    assert "Exported 0 accounts" in result.stdout and "mary sees no account" in result.stderr
    assert out.read_text(encoding="utf-8-sig").splitlines()[0].startswith("external_id,name")


def test_it_refuses_unknown_segments_and_file_types(book: Book, kam: Any, tmp_path: Path) -> None:
    unknown = kam("segment", "members", "Nowhere")
    assert unknown.exit_code == 2 and "no segment named 'Nowhere'" in unknown.stderr
    wrong = kam("segment", "members", "Nowhere", "--out", str(tmp_path / "x.pdf"))
    assert wrong.exit_code == 2 and "expected a file name ending in .csv or .xlsx" in wrong.stderr


def test_it_seeds_the_builtins_once(book: Book, kam: Any) -> None:
    first = kam("segment", "seed")
    again = kam("segment", "seed")
    assert first.exit_code == again.exit_code == 0
    assert "created Size: small (fewer than 100 employees)" in first.stdout
    assert "14 built-in segment(s) created, 0 existed already" in first.stdout
    assert "0 built-in segment(s) created, 14 existed already" in again.stdout
    assert Segment.objects.count() == 14


def test_it_refuses_to_seed_for_a_reader(book: Book, kam: Any) -> None:
    result = kam("segment", "seed", "--as", "ann")
    assert result.exit_code == 2
    assert "ann may not create segments" in result.stderr
    assert not Segment.objects.exists()
