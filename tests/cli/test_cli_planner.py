"""`kam plan` (SALES-3): the monthly activity plan of a yearly target, with no database."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.cli.helpers import Kam, kam_process

SEED = ["--target", "3,000,000", "--deal-size", "300000", "--year", "2027"]

# training, meeting, consulting, proposal, bid, contract, total
SEED_ROWS = {
    "2026-10": (6, 0, 0, 0, 0, 0, 6),
    "2026-11": (6, 5, 0, 0, 0, 0, 11),
    "2026-12": (6, 5, 3, 0, 0, 0, 14),
    "2027-01": (6, 5, 3, 3, 0, 0, 17),
    "2027-02": (6, 5, 3, 3, 2, 0, 19),
    "2027-03": (6, 5, 3, 3, 2, 1, 20),
    "2027-04": (6, 5, 3, 3, 2, 1, 20),
    "2027-05": (6, 5, 3, 3, 2, 1, 20),
    "2027-06": (6, 5, 3, 3, 2, 1, 20),
    "2027-07": (6, 5, 3, 3, 2, 1, 20),
    "2027-08": (0, 5, 3, 3, 2, 1, 14),
    "2027-09": (0, 0, 3, 3, 2, 1, 9),
    "2027-10": (0, 0, 0, 3, 2, 1, 6),
    "2027-11": (0, 0, 0, 0, 2, 1, 3),
    "2027-12": (0, 0, 0, 0, 0, 1, 1),
}


def printed_rows(output: str) -> dict[str, tuple[int, ...]]:
    """The table's rows as printed: month -> the seven figures ("·" is 0)."""
    rows: dict[str, tuple[int, ...]] = {}
    for line in output.splitlines():
        cells = [cell for cell in line.split() if cell != "*"]
        if len(cells) == 8 and cells[0][:4].isdigit() and cells[0][4:5] == "-":
            rows[cells[0]] = tuple(0 if cell == "·" else int(cell) for cell in cells[1:])
    return rows


def test_it_prints_the_seeds_example(kam: Kam) -> None:
    result = kam("plan", *SEED)

    assert result.exit_code == 0, result.output
    assert "target 3,000,000 / deal size 300,000 = 10 contracts" in result.output
    assert printed_rows(result.output) == SEED_ROWS
    assert "2026-10 *   " in result.output  # the lead-in months are marked
    assert "Meeting" in result.output and "见负责人" in result.output
    totals = next(line.split() for line in result.output.splitlines() if line.startswith("total"))
    assert totals == ["total", "60", "50", "30", "30", "20", "10", "200"]
    assert (
        "Peak month: 2027-03 with 20 activities (6 training, 5 meeting, 3 consulting, "
        "3 proposal, 2 bid, 1 contract); the same in 2027-04, 2027-05, 2027-06, 2027-07"
    ) in result.output
    assert "* 3 month(s) before the plan year" in result.output
    assert "training → meeting 83%" in result.output
    assert "bid → contract 50%" in result.output
    assert "Meeting = meeting with the decision owner (见负责人)" in result.output


def test_other_ratios_durations_and_close_months(kam: Kam) -> None:
    result = kam(
        "plan",
        *SEED,
        "--ratios",
        "8, 6, 4, 3, 2, 1",
        "--durations",
        "3,2.5,2,1.5,1,0.5",
        "--unit",
        "weeks",
        "--close-months",
        "4-6,11-12",
    )

    assert result.exit_code == 0, result.output
    rows = printed_rows(result.output)
    # Two contracts a month. Training and meetings begin 2 months before the close,
    # consulting and proposals 1, bids in the month of the close.
    assert rows == {
        "2027-01": (0, 0, 0, 0, 0, 0, 0),
        "2027-02": (16, 12, 0, 0, 0, 0, 28),
        "2027-03": (16, 12, 8, 6, 0, 0, 42),
        "2027-04": (16, 12, 8, 6, 4, 2, 48),
        "2027-05": (0, 0, 8, 6, 4, 2, 20),
        "2027-06": (0, 0, 0, 0, 4, 2, 6),
        "2027-07": (0, 0, 0, 0, 0, 0, 0),
        "2027-08": (0, 0, 0, 0, 0, 0, 0),
        "2027-09": (16, 12, 0, 0, 0, 0, 28),
        "2027-10": (16, 12, 8, 6, 0, 0, 42),
        "2027-11": (0, 0, 8, 6, 4, 2, 20),
        "2027-12": (0, 0, 0, 0, 4, 2, 6),
    }
    assert "Peak month: 2027-04 with 48 activities" in result.output
    assert "month(s) before the plan year" not in result.output


def test_a_fiscal_year_wraps_around_new_year(kam: Kam) -> None:
    result = kam(
        "plan", *SEED, "--start-month", "4", "--close-months", "10-3", "--durations", "0,0,0,0,0"
    )

    assert result.exit_code == 0, result.output
    rows = printed_rows(result.output)
    assert min(rows) == "2027-04" and max(rows) == "2028-03" and len(rows) == 12
    closing = [month for month, row in rows.items() if row[5]]
    assert closing == ["2027-10", "2027-11", "2027-12", "2028-01", "2028-02", "2028-03"]
    assert [rows[month][5] for month in closing] == [2, 2, 1, 2, 2, 1]  # 10 in 6 months


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_it_writes_the_table_to_a_file(kam: Kam, tmp_path: Path, suffix: str) -> None:
    target = tmp_path / f"plan{suffix}"

    result = kam("plan", *SEED, "--out", str(target))

    assert result.exit_code == 0, result.output
    assert f"Wrote the plan (15 months) to {target}" in result.output
    if suffix == ".csv":
        with target.open(encoding="utf-8-sig", newline="") as handle:
            lines = list(csv.reader(handle))
    else:
        sheet = load_workbook(target).active
        assert sheet is not None
        lines = [
            ["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
    assert lines[0] == [
        "month",
        "in_plan_year",
        "training",
        "meeting",
        "consulting",
        "proposal",
        "bid",
        "contract",
        "total",
    ]
    found = {line[0]: tuple(int(value) for value in line[2:]) for line in lines[1:]}
    assert found == SEED_ROWS
    assert [line[1] for line in lines[1:4]] == ["False"] * 3


def test_it_writes_the_plan_as_json(kam: Kam, tmp_path: Path) -> None:
    target = tmp_path / "plan.json"

    result = kam("plan", *SEED, "--out", str(target))

    assert result.exit_code == 0, result.output
    body = json.loads(target.read_text("utf-8"))
    assert body["contracts"] == 10
    assert body["totals"] == {
        "training": 60,
        "meeting": 50,
        "consulting": 30,
        "proposal": 30,
        "bid": 20,
        "contract": 10,
    }
    assert body["peak"] == {
        "month": "2027-03",
        "total": 20,
        "counts": {
            "training": 6,
            "meeting": 5,
            "consulting": 3,
            "proposal": 3,
            "bid": 2,
            "contract": 1,
        },
        "months": ["2027-03", "2027-04", "2027-05", "2027-06", "2027-07"],
    }
    assert body["stages"][1] == {
        "code": "meeting",
        "label_en": "Meeting with the decision owner",
        "label_zh": "见负责人",
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--target", "abc"], "--target: expected a positive amount; got 'abc'"),
        (["--deal-size", "0"], "--deal-size: expected a positive amount; got '0'"),
        (["--ratios", "6,5,x"], "--ratios: expected numbers separated by commas, e.g. 6,5,3,3,2,1"),
        (["--ratios", "6,5,3,3,2"], "--ratios: expected 6 numbers, one per stage"),
        (["--ratios", "6,5,3,4,2,1"], "proposal (4) > consulting (3)"),
        (["--ratios", "6,5,3,3,2,2"], "--ratios: the last count is per 1 contract and must be 1"),
        (["--durations", "1,1,-1,1,1"], "--durations: consulting must last 0 or more"),
        (["--durations", "6,6,6,6,6"], "--durations: the funnel from training to contract"),
        (["--year", "1800"], "--year: expected a year from 1900 to 2999; got 1800"),
        (["--start-month", "13"], "--start-month: expected a month from 1 to 12; got 13"),
        (["--close-months", "3-13"], "--close-months: expected months 1-12 like 3-12"),
        (["--close-months", "3,3"], "--close-months: month 3 is given twice"),
        (["--out", "plan.txt"], "--out: cannot write 'plan.txt' (expected a file name ending in"),
        (["--out", "nowhere/plan.csv"], "--out: folder 'nowhere' does not exist"),
    ],
)
def test_bad_input_is_a_clear_error(kam: Kam, args: list[str], message: str) -> None:
    given = dict(zip(SEED[::2], SEED[1::2], strict=True))
    given.update(dict(zip(args[::2], args[1::2], strict=True)))

    result = kam("plan", *(part for pair in given.items() for part in pair))

    assert result.exit_code == 2
    assert message in result.output
    assert "total" not in result.output  # no table for bad input


def test_a_missing_target_is_a_usage_error(kam: Kam) -> None:
    result = kam("plan", "--deal-size", "300000")

    assert result.exit_code == 2
    assert "--target" in result.output


def test_it_runs_without_a_database(tmp_path: Path) -> None:
    # A broken database URL would stop any command that sets Django up.
    result = kam_process(
        "plan",
        *SEED,
        home=tmp_path,
        extra_env={"KAM_DATABASE_URL": "mysql://nowhere/kam"},
    )

    assert result.returncode == 0, result.stderr
    assert "= 10 contracts" in result.stdout
    assert "2027-03 " in result.stdout
