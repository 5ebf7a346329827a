"""`kam export` writes what the user sees, and `kam import` reads it back unchanged,
Chinese text included."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kam.accounts.models import Account
from kam.core.models import AuditEvent
from tests.cli.helpers import Kam, write_csv
from tests.conftest import Cast

FILES = {
    "accounts": """
external_id,name,industry,province,city,owner,parent,tags,notes,credit_limit
Z-1,中国恒远集团有限公司,manufacturing,江苏,南京,alice,,"战略客户; 华东",多行备注，含逗号,1000000.50
Z-2,恒远精密（苏州）有限公司,manufacturing,江苏,苏州,alice,Z-1,集团客户,,
""",
    "contacts": """
external_id,account,name,title,buying_role,familiarity,reports_to
ZC-1,Z-1,王建国,总经理,economic_buyer,4,
ZC-2,Z-1,李娜,采购经理,coach,2,ZC-1
""",
    "transactions": """
external_id,account,order_date,amount,product,quantity,margin,discount_rate
ZO-1,Z-1,2026-01-31,12000.00,数控机床,2,3000,0.05
ZO-2,Z-2,2026-02-28,-500,退货,1.5,,
""",
    "payments": """
external_id,account,order,due_date,paid_date,amount
ZP-1,Z-1,ZO-1,2026-03-01,2026-03-05,12000
ZP-2,Z-2,,2026-04-01,,100
""",
}


@pytest.fixture
def book(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    for kind, text in FILES.items():
        result = kam("import", kind, str(write_csv(tmp_path / f"in-{kind}.csv", text)))
        assert result.exit_code == 0, result.output


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("kind", list(FILES))
def test_it_round_trips_through_import(
    book: None, kam: Kam, tmp_path: Path, kind: str, suffix: str
) -> None:
    out = tmp_path / f"out-{kind}{suffix}"
    events = AuditEvent.objects.count()

    exported = kam("export", kind, "--out", str(out))
    reimported = kam("import", kind, str(out))

    assert exported.exit_code == 0, exported.output
    assert "Exported " in exported.stdout and f" {kind} to " in exported.stdout
    assert reimported.exit_code == 0, reimported.output
    assert "— created 0, updated 0, unchanged" in reimported.stdout
    assert AuditEvent.objects.count() == events


def test_it_keeps_chinese_text_readable_in_the_csv(book: None, kam: Kam, tmp_path: Path) -> None:
    out = tmp_path / "accounts.csv"

    kam("export", "accounts", "--out", str(out))

    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["external_id"]: row for row in csv.DictReader(handle)}
    assert rows["Z-1"]["name"] == "中国恒远集团有限公司"
    assert rows["Z-1"]["tags"] == "华东; 战略客户"
    assert rows["Z-2"]["parent"] == "Z-1"


def test_it_exports_only_what_the_user_sees(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    out = tmp_path / "bob.csv"

    result = kam("export", "accounts", "--out", str(out), "--as", "bob")

    assert result.exit_code == 0, result.output
    assert f"Exported 2 accounts to {out}" in result.stdout
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert sorted(row["external_id"] for row in csv.DictReader(handle)) == ["B-1", "B-2"]
    assert Account.objects.count() == 3


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("out.pdf", "expected a file name ending in .csv or .xlsx"),
        ("nowhere/out.csv", "does not exist"),
    ],
)
def test_it_refuses_a_file_it_cannot_write(
    cast: Cast, kam: Kam, tmp_path: Path, name: str, message: str
) -> None:
    result = kam("export", "accounts", "--out", str(tmp_path / name))

    assert result.exit_code == 2
    assert message in result.output
