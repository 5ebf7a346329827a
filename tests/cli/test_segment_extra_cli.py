"""`kam segment evaluate | cluster | rules | plans`, acting as a user with that user's
visibility and rights: the figures are the services' own, files are CSV, Excel or JSON,
errors are one line with a non-zero exit code."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kam.accounts.models import Account
from kam.segments.api_analysis import evaluation_out
from kam.segments.clustering import label_rules
from kam.segments.evaluation import evaluate_segments
from kam.segments.models import ClusteringRun, Segment
from kam.segments.stp import save_plan
from tests.api.test_segments_extra_api import (
    clusterable,  # noqa: F401  (24 accounts k-means finds apart, a fixture)
    north,  # noqa: F401  (Bob Mining and Shared Telecom, a fixture)
    steel,  # noqa: F401  (Alice Steel, a fixture)
)
from tests.cli.helpers import Kam
from tests.conftest import Cast
from tests.segments.conftest import Book, book  # noqa: F401  (the hand-made book)


def row_of(output: str, name: str) -> str:
    return next(line for line in output.splitlines() if name in line)


def error_line(result: Any) -> str:
    assert result.exit_code != 0, result.output
    [line] = [line for line in result.stderr.splitlines() if line.strip()]
    assert line.startswith("Error: ")
    return line


# --- evaluate ---------------------------------------------------------------------------


def test_it_prints_the_evaluation_of_what_the_user_sees(
    book: Book,  # noqa: F811
    north: Segment,  # noqa: F811
    steel: Segment,  # noqa: F811
    kam: Kam,
) -> None:
    as_dora = kam("segment", "evaluate", "--as", "dora")
    assert as_dora.exit_code == 0, as_dora.output
    assert "Over the 6 accounts dora sees" in as_dora.stdout
    row = row_of(as_dora.stdout, "North")
    # 2 accounts, 4,000 of revenue, -92.3% growth, average CLV 100; checks counted.
    assert " 2 " in row and "4,000.00" in row and "-92.3%" in row and "100.00" in row
    [found] = [e for e in evaluate_segments(book.cast.dora, [north]).segments]
    passed = sum(1 for c in found.checks if c.status == "pass")
    warned = sum(1 for c in found.checks if c.status == "warn")
    assert f"{passed} pass, {warned} warn" in row
    assert "12,000.00" in row_of(as_dora.stdout, "Steel")
    assert "the segments against each other: " in as_dora.stdout

    as_alice = kam("segment", "evaluate", "North", "--as", "alice")
    assert as_alice.exit_code == 0, as_alice.output
    alice_row = row_of(as_alice.stdout, "North")
    assert " 1 " in alice_row and "0.00" in alice_row and "-100.0%" in alice_row
    assert "Steel" not in as_alice.stdout


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_it_writes_one_row_per_segment(
    book: Book,  # noqa: F811
    north: Segment,  # noqa: F811
    steel: Segment,  # noqa: F811
    kam: Kam,
    tmp_path: Path,
    suffix: str,
) -> None:
    out = tmp_path / f"evaluation{suffix}"
    result = kam("segment", "evaluate", "--out", str(out), "--as", "alice")
    assert result.exit_code == 0, result.output
    assert f"Wrote the evaluation of 2 segment(s) to {out}" in result.stdout
    if suffix == ".csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        sheet = load_workbook(out).active
        assert sheet is not None
        lines = list(sheet.iter_rows(values_only=True))
        header = [str(h) for h in lines[0]]
        rows = [dict(zip(header, [v or "" for v in line], strict=True)) for line in lines[1:]]
    by_name = {row["segment"]: row for row in rows}
    assert set(by_name) == {"North", "Steel"}
    expected = {
        e.segment.name: e for e in evaluate_segments(book.cast.alice, [north, steel]).segments
    }
    for name, row in by_name.items():
        found = expected[name]
        assert int(row["accounts"]) == found.accounts
        assert float(row["revenue_12m"]) == pytest.approx(found.revenue)
        assert row["segment_id"] == str(found.segment.pk) and row["kind"] == "rule"
        statuses = {c.check: c.status for c in found.checks}
        for check in ("measurable", "substantial", "accessible"):
            assert row[check] == statuses.get(check, "not_checked")
        passed = sum(1 for c in found.checks if c.status == "pass")
        assert int(row["checks_pass"]) == passed
    assert by_name["North"]["accounts"] == "1" and float(by_name["North"]["growth"]) == -1
    assert by_name["Steel"]["growth"] == ""  # no revenue the year before: no growth


def test_it_writes_the_evaluation_as_the_api_gives_it(
    book: Book,  # noqa: F811
    north: Segment,  # noqa: F811
    kam: Kam,
    tmp_path: Path,
) -> None:
    out = tmp_path / "evaluation.json"
    result = kam("segment", "evaluate", "North", "--out", str(out), "--as", "dora")
    assert result.exit_code == 0, result.output
    written = json.loads(out.read_text(encoding="utf-8"))
    assert written == json.loads(
        json.dumps(evaluation_out(evaluate_segments(book.cast.dora, [north])))
    )
    [segment] = written["segments"]
    assert (segment["segment"], segment["accounts"], segment["revenue_12m"]) == ("North", 2, 4000)
    assert segment["share_of_wallet"]["value"] is None


def test_evaluate_refuses_bad_files_and_names(
    book: Book,  # noqa: F811
    north: Segment,  # noqa: F811
    kam: Kam,
    tmp_path: Path,
) -> None:
    wrong = error_line(kam("segment", "evaluate", "--out", str(tmp_path / "e.txt")))
    assert (
        wrong == "Error: cannot write 'e.txt' (expected a file name ending in .csv, .json, .xlsx)"
    )
    nowhere = error_line(kam("segment", "evaluate", "--out", str(tmp_path / "no" / "e.csv")))
    assert nowhere.startswith("Error: folder ") and nowhere.endswith("does not exist")
    unknown = error_line(kam("segment", "evaluate", "Nowhere"))
    assert unknown == "Error: no segment named 'Nowhere' (see `kam segment list`)"
    assert error_line(kam("segment", "evaluate", "--as", "nobody")).startswith("Error: no user")


def test_evaluate_says_when_there_are_no_segments(cast: Cast, kam: Kam) -> None:
    line = error_line(kam("segment", "evaluate"))
    assert "kam segment seed" in line


# --- cluster and rules ------------------------------------------------------------------


def test_it_finds_clusters_and_shows_them(
    cast: Cast,
    clusterable: list[Account],  # noqa: F811
    kam: Kam,
) -> None:
    result = kam("segment", "cluster", "--as", "dora")
    assert result.exit_code == 0, result.output
    run = ClusteringRun.objects.get()
    assert run.actor == cast.dora
    assert (
        f"Clustering run {run.pk}: k = {run.k} clusters among 27 accounts, "
        f"silhouette {run.silhouette:.3f}"
    ) in result.stdout
    for profile in run.profiles:
        row = row_of(result.stdout, f"│ {profile['label']} ")
        assert f"│ {profile['accounts']} " in row and profile["en"][:20] in row
    rules = label_rules(cast.dora, "clusters")
    assert rules.training_accuracy is not None
    assert f"training accuracy {100 * rules.training_accuracy:.1f}%" in result.stdout
    assert f"POST /api/clustering-runs/{run.pk}/segments" in result.stdout


@pytest.mark.parametrize("who", ["mary", "alice", "ann"])
def test_only_directors_find_clusters(
    cast: Cast,
    clusterable: list[Account],  # noqa: F811
    kam: Kam,
    who: str,
) -> None:
    line = error_line(kam("segment", "cluster", "--as", who))
    assert line == f"Error: {who} may not find clusters (directors and administrators may)"
    assert not ClusteringRun.objects.exists()


def test_a_small_book_has_no_clusters(cast: Cast, kam: Kam) -> None:
    result = kam("segment", "cluster")
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: no clusters found: ")


@pytest.mark.parametrize("kind", ["tier", "cluster"])
def test_it_shows_the_rules(
    cast: Cast,
    clusterable: list[Account],  # noqa: F811
    kam: Kam,
    kind: str,
) -> None:
    if kind == "cluster":
        assert kam("segment", "cluster", "--as", "dora").exit_code == 0
    result = kam("segment", "rules", "--kind", kind, "--as", "dora")
    assert result.exit_code == 0, result.output
    rules = label_rules(cast.dora, "clusters" if kind == "cluster" else "tiers")
    assert rules.rules
    assert result.stdout.count("│ IF ") == len(rules.rules)
    assert rules.training_accuracy is not None
    accuracy = f"{len(rules.rules)} rules, training accuracy {100 * rules.training_accuracy:.1f}%"
    assert accuracy in result.stdout
    assert "feature importance: " in result.stdout


def test_rules_need_two_labels(cast: Cast, kam: Kam) -> None:
    result = kam("segment", "rules", "--kind", "cluster", "--as", "alice")
    assert result.exit_code == 1
    assert error_line(result).startswith("Error: no rules for the clusters alice sees: ")
    assert kam("segment", "rules", "--kind", "tiers").exit_code == 2  # not a kind


# --- plans ------------------------------------------------------------------------------


def test_it_lists_the_plans(
    book: Book,  # noqa: F811
    north: Segment,  # noqa: F811
    steel: Segment,  # noqa: F811
    kam: Kam,
) -> None:
    none_yet = kam("segment", "plans")
    assert none_yet.exit_code == 0 and "no targeting plans yet" in none_yet.stderr
    plan = save_plan(
        actor=book.cast.mary, goal="Grow in the north", segments=[steel], targets=[north]
    )
    save_plan(actor=book.cast.dora, goal="Keep steel " + "long " * 20)
    result = kam("segment", "plans", "--as", "alice")
    assert result.exit_code == 0, result.output
    row = row_of(result.stdout, f"│ {plan.pk} ")
    assert "Grow in the" in row and "mary" in row and "North, Steel" in row
    assert "Keep steel long" in result.stdout and "…" in result.stdout  # long goals cut
    lines = result.stdout.splitlines()
    assert lines.index(row_of(result.stdout, "Keep steel")) < lines.index(row)  # newest first
