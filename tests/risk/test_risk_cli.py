"""`kam risk`: check the database's risks now and print a summary, write the watch list,
and `kam risk evaluate`: the churn warning measured on the database's past."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from kam.accounts.models import Account
from kam.insights.models import RunStatus
from kam.risk.models import AccountRisk, RiskRun, RiskTrigger
from kam.transactions.models import Order
from tests.analytics.risk.risk_books import stopping_book
from tests.conftest import Cast
from tests.risk.conftest import AS_OF, CREDIT_EN, FakeBridge


def test_it_checks_the_risks_and_prints_a_summary(risky: Cast, kam: Any) -> None:
    result = kam("risk", "--as-of", "2026-06-30")

    assert result.exit_code == 0, result.output
    run = RiskRun.objects.get()
    assert (run.status, run.trigger, run.as_of, run.actor) == (
        RunStatus.SUCCEEDED,
        RiskTrigger.COMMAND,
        AS_OF,
        risky.root,
    )
    assert AccountRisk.objects.filter(run=run).count() == 3
    out = result.stdout
    assert f"Checked 3 accounts as of 2026-06-30 (risk run {run.pk}): 3 at risk" in out
    credit = next(line for line in out.splitlines() if line.strip("│ ").startswith("credit"))
    assert "500,000.00" in credit
    assert "Bob Mining" in out  # the top of the watch list
    assert "Warning: Too little history to train the churn model." in result.stderr


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_it_writes_the_watch_list_that_the_user_sees(
    risky: Cast, kam: Any, tmp_path: Path, suffix: str
) -> None:
    from kam.core.models import Role

    risky.alice.role = Role.DIRECTOR  # a director who owns accounts: sees them all
    risky.alice.save()
    out = tmp_path / f"watch{suffix}"

    result = kam("risk", "--out", str(out), "--as", "alice")

    assert result.exit_code == 0, result.output
    assert f"Wrote the watch list (3 accounts at risk) to {out}" in result.stdout
    if suffix == ".csv":
        with out.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        sheet = load_workbook(out).active
        header, *values = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [dict(zip(header, row, strict=True)) for row in values]
    assert [r["account"] for r in rows] == ["Bob Mining", "Shared Telecom", "Alice Steel Co., Ltd."]
    assert rows[0]["reasons"] == CREDIT_EN


def test_only_directors_and_administrators_check_risks(risky: Cast, kam: Any) -> None:
    result = kam("risk", "--as", "alice")
    assert result.exit_code == 2
    assert "alice may not check risks" in result.stderr
    assert not RiskRun.objects.exists()


def test_it_refuses_a_bad_file_name_before_doing_anything(risky: Cast, kam: Any) -> None:
    result = kam("risk", "--out", "watch.pdf")
    assert result.exit_code == 2
    assert "expected a file name ending in .csv or .xlsx" in result.stderr
    assert not RiskRun.objects.exists()


def test_it_says_when_the_check_failed(risky: Cast, bridge: FakeBridge, kam: Any) -> None:
    bridge.fail = True
    result = kam("risk")
    assert result.exit_code == 1
    assert "the risk check failed: RuntimeError: the credit model blew up" in result.stderr


def test_it_says_when_a_run_is_under_way(risky: Cast, kam: Any) -> None:
    busy = RiskRun.objects.create(as_of=AS_OF, status=RunStatus.RUNNING)
    result = kam("risk")
    assert result.exit_code == 2
    assert f"risk run {busy.pk} is already running" in result.stderr


@pytest.fixture
def history(cast: Cast) -> set[int]:
    """60 accounts of which half stop buying (tests/analytics/risk/risk_books.py)."""
    orders, stoppers = stopping_book(n=60)
    accounts = {
        customer: Account.objects.create(name=f"Buyer {customer}", owner=cast.bob)
        for customer in sorted(orders["customer_id"].unique())
    }
    Order.objects.bulk_create(
        Order(
            account=accounts[row.customer_id],
            order_date=row.date.date(),
            amount=Decimal(str(round(row.amount, 2))),
        )
        for row in orders.itertuples()
    )
    return {accounts[c].pk for c in stoppers}


def test_it_evaluates_the_churn_model_on_the_database(history: set[int], kam: Any) -> None:
    result = kam("risk", "evaluate")

    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "method logistic" in out
    assert "Trained at 2023-06-30, tested at 2023-12-27 with outcomes up to 2024-06-24" in out
    assert "AUC (out of time): " in out
    assert "top-decile lift: " in out and "Brier score: " in out
    assert "Calibration" in out
    assert not RiskRun.objects.exists()  # measuring stores nothing


def test_it_gives_the_figures_as_json(history: set[int], kam: Any) -> None:
    result = kam("risk", "evaluate", "--json", "--first-cutoff", "2023-06-30", "--window", "180")

    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert (figures["first_cutoff"], figures["second_cutoff"]) == ("2023-06-30", "2023-12-27")
    assert figures["n_test"] == 60
    assert figures["auc"] > 0.8
    assert figures["top_decile_lift"] > 1.5
    assert figures["brier"] < figures["brier_reference"]
    assert len(figures["calibration"]) == 10


def test_it_cannot_evaluate_without_orders(cast: Cast, kam: Any) -> None:
    result = kam("risk", "evaluate")
    assert result.exit_code == 1
    assert "there are no orders to evaluate the churn model on" in result.stderr
