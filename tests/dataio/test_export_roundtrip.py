"""An export imports back unchanged, Chinese text included, in CSV and in XLSX; and an
export holds only what its user may see."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from kam.accounts.models import Account
from kam.contacts.models import Contact
from kam.core.models import AuditEvent
from kam.dataio.export import export_bytes, export_file, export_header, visible_rows
from kam.transactions.models import Order, Payment
from tests.conftest import Cast
from tests.dataio.helpers import problem_lines, run_import, write_csv

BOOK = {
    "accounts": (
        "external_id,name,industry,province,city,owner,parent,tags,notes,credit_limit\n"
        'Z-1,中国恒远集团有限公司,manufacturing,江苏,南京,alice,,"重点; 华东",'
        '"多行\n备注，含逗号",1000000.50\n'
        "Z-2,恒远（苏州）有限公司,manufacturing,江苏,苏州,alice,Z-1,,=1+1,\n"
    ),
    "contacts": (
        "external_id,account,name,title,buying_role,familiarity,reports_to,is_active\n"
        "ZC-1,Z-1,王建国,总经理,economic_buyer,4,,true\n"
        "ZC-2,Z-1,李娜,采购经理,coach,2,ZC-1,false\n"
    ),
    "transactions": (
        "external_id,account,order_date,amount,product,quantity,margin,discount_rate\n"
        "ZO-1,Z-1,2024-01-31,12000.00,数控机床,2,3000,0.05\n"
        "ZO-2,Z-2,2024-02-29,-500,退货,1.5,,\n"
    ),
    "payments": (
        "external_id,account,order,due_date,paid_date,amount\n"
        "ZP-1,Z-1,ZO-1,2024-03-01,2024-03-05,12000\n"
        "ZP-2,Z-2,,2024-04-01,,100\n"
    ),
}


def load_book(cast: Cast, folder: Path) -> None:
    for kind, text in BOOK.items():
        report = run_import(kind, write_csv(folder, f"{kind}.csv", text), cast.dora)
        assert report.ok, problem_lines(report)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_it_round_trips_every_kind(cast: Cast, tmp_path: Path, suffix: str) -> None:
    load_book(cast, tmp_path)
    events = AuditEvent.objects.count()
    for kind in BOOK:
        out = tmp_path / f"export-{kind}{suffix}"
        export_file(kind, visible_rows(kind, cast.dora), out)
        report = run_import(kind, out, cast.dora)
        assert report.ok, problem_lines(report)
        assert (report.created, report.updated) == (0, 0), kind
    assert AuditEvent.objects.count() == events
    group = Account.objects.get(external_id="Z-1")
    assert group.notes == "多行\n备注，含逗号"
    assert group.credit_limit == Decimal("1000000.50")
    assert Contact.objects.get(external_id="ZC-2").reports_to == Contact.objects.get(
        external_id="ZC-1"
    )
    assert Order.objects.get(external_id="ZO-2").quantity == Decimal("1.5")
    assert Payment.objects.get(external_id="ZP-2").paid_date is None


def test_it_exports_canonical_headers_in_utf8_with_bom(cast: Cast, tmp_path: Path) -> None:
    load_book(cast, tmp_path)
    data = export_bytes("accounts", visible_rows("accounts", cast.dora), "csv")
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(data.decode("utf-8-sig").splitlines()))
    assert rows[0] == export_header("accounts")
    names = {row[1] for row in rows[1:]}
    assert "中国恒远集团有限公司" in names


def test_it_reimports_an_export_into_an_empty_database(cast: Cast, tmp_path: Path) -> None:
    load_book(cast, tmp_path)
    files = {}
    for kind in BOOK:
        files[kind] = tmp_path / f"{kind}-out.xlsx"
        export_file(kind, visible_rows(kind, cast.dora).filter(**scope_of(kind)), files[kind])
    Payment.objects.all().delete()
    Order.objects.all().delete()
    Contact.objects.all().delete()
    Account.objects.filter(external_id="Z-2").delete()
    Account.objects.filter(external_id="Z-1").delete()
    for kind in BOOK:
        report = run_import(kind, files[kind], cast.dora)
        assert report.ok, problem_lines(report)
        assert report.created == 2, kind
    assert Account.objects.get(external_id="Z-2").parent == Account.objects.get(external_id="Z-1")
    assert sorted(t.name for t in Account.objects.get(external_id="Z-1").tags.all()) == [
        "华东",
        "重点",
    ]


def scope_of(kind: str) -> dict[str, str]:
    return {"external_id__startswith": "Z-"} if kind == "accounts" else {}


def test_an_export_holds_only_visible_rows(cast: Cast, tmp_path: Path) -> None:
    out = tmp_path / "mine.csv"
    export_file("accounts", visible_rows("accounts", cast.alice), out)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert sorted(r["external_id"] for r in rows) == ["A-1", "B-2"]
    export_file("accounts", visible_rows("accounts", cast.bob), out)
    rows = list(csv.DictReader(out.read_text(encoding="utf-8-sig").splitlines()))
    assert sorted(r["external_id"] for r in rows) == ["B-1", "B-2"]


def test_it_refuses_an_unknown_export_format(cast: Cast, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"expected a file ending in \.csv or \.xlsx"):
        export_file("accounts", visible_rows("accounts", cast.dora), tmp_path / "x.pdf")
