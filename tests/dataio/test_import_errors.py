"""Every kind of bad input gets a message naming row, column, what was wrong, what we got
and what we expected — and one bad row means nothing is written."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.accounts.models import Account
from kam.core.models import AuditEvent
from kam.transactions.models import Order
from tests.conftest import Cast
from tests.dataio.helpers import problem_lines, run_import, write_csv

ORDERS_HEADER = "external_id,account,order_date,amount,product\n"


def test_it_names_a_bad_number(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + "O-1,A-1,2024-03-01,12x,Valve\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column amount: not a number (got '12x', expected a number such as 1234.56)"
    ]


def test_it_names_a_bad_date(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + "O-1,A-1,2024-13-01,10,Valve\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column order_date: not a date (got '2024-13-01', expected a date as YYYY-MM-DD)"
    ]


def test_it_names_an_unknown_enum_value(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "accounts.csv", "external_id,name,ownership_type\nN-1,Nova,state owned-ish\n"
    )
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column ownership_type: unknown value (got 'state owned-ish', expected one of: "
        "state_owned, private, foreign_invested, joint_venture, collective, public_institution, "
        "other)"
    ]


def test_it_names_a_missing_required_column(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", "external_id,account,amount\nO-1,A-1,10\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "column order_date: missing required column "
        "(expected a header such as order_date, 日期, 订单日期)"
    ]


def test_it_names_a_missing_required_value(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + "O-1,A-1,,10,Valve\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column order_date: missing value (got '', expected a value)"
    ]


def test_it_names_an_unknown_parent(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name,parent\nN-1,Nova Branch,NOPE-9\n")
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column parent: unknown parent account (got 'NOPE-9', expected the external_id "
        "of an account in this file or one you can see)"
    ]


def test_it_names_a_duplicate_external_id_inside_the_file(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER + "O-1,A-1,2024-03-01,10,Valve\nO-2,A-1,2024-03-02,11,Pump\n"
        "O-1,A-1,2024-03-03,12,Seal\n",
    )
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 4, column external_id: duplicate external_id (got 'O-1', expected each "
        "external_id once in the file; first in row 2)"
    ]


def test_it_names_a_wrong_encoding(cast: Cast, tmp_path: Path) -> None:
    # Latin-1 bytes of "Müller" followed by a byte that is neither UTF-8 nor GB18030.
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"external_id,name\nN-1,M\xfcller \xff\n")
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report) == [
        "cannot be decoded on line 2, at byte 23 "
        "(got b'\\xfclle', expected UTF-8 or GBK/GB18030 text); "
        "if the file comes from another program, save it as 'CSV UTF-8' or pass the right "
        "--encoding"
    ]


def test_it_names_a_wrong_explicit_encoding(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name\nN-1,华为\n", encoding="gbk")
    report = run_import("accounts", path, cast.dora, encoding="utf-8")
    assert report.problems[0].message.startswith("cannot be decoded on line 2, at byte 22 ")
    assert "expected utf-8" in report.problems[0].message


def test_it_names_an_unknown_account(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + "O-1,ZZZ,2024-03-01,10,Valve\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column account: unknown account (got 'ZZZ', expected the external_id of an "
        "account you can see)"
    ]


def test_it_names_the_column_as_written_in_the_file(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", "订单号,客户编号,日期,金额\nO-1,A-1,2024-03-01,abc\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column 金额: not a number (got 'abc', expected a number such as 1234.56)"
    ]


def test_it_reports_every_bad_row_and_writes_nothing(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        ORDERS_HEADER
        + "O-1,A-1,2024-03-01,10,Valve\n"
        + "O-2,A-1,2024-02-30,11,Pump\n"
        + "O-3,A-1,2024-03-03,12,Seal\n"
        + "O-4,A-1,2024-03-04,1e,Seal\n",
    )
    audit_before = AuditEvent.objects.count()
    report = run_import("transactions", path, cast.dora)
    assert not report.ok
    assert [p.row for p in report.problems] == [3, 5]
    assert report.summary() == "orders.csv: 2 problem(s) in 4 row(s); nothing was written"
    assert Order.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_it_writes_nothing_when_a_later_step_fails(cast: Cast, tmp_path: Path) -> None:
    # Row 2 is fine; row 3 refers to a parent that does not exist.
    path = write_csv(
        tmp_path, "accounts.csv", "external_id,name,parent\nN-1,Nova,\nN-2,Nova Branch,NOPE\n"
    )
    report = run_import("accounts", path, cast.dora)
    assert not report.ok
    assert not Account.objects.filter(external_id__in=["N-1", "N-2"]).exists()


def test_it_refuses_a_hierarchy_loop(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "accounts.csv",
        "external_id,name,parent\nL-1,Loop One,L-2\nL-2,Loop Two,L-1\n",
    )
    report = run_import("accounts", path, cast.dora)
    assert [p.column for p in report.problems] == ["parent", "parent"]
    assert "makes a loop in the hierarchy" in report.problems[0].message


def test_it_refuses_too_many_decimal_places(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "orders.csv", ORDERS_HEADER + "O-1,A-1,2024-03-01,10.005,Valve\n")
    report = run_import("transactions", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column amount: too many decimal places (got '10.005', expected at most 2 "
        "decimal places)"
    ]


def test_it_names_an_unknown_owner(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name,owner\nN-1,Nova,ghost\n")
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report) == [
        "row 2, column owner: unknown user (got 'ghost', expected the username of an active user)"
    ]


def test_it_rejects_an_unsupported_file_type(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.json", "{}")
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report) == ["unsupported file type '.json' (expected .csv or .xlsx)"]


def test_it_rejects_a_broken_workbook(cast: Cast, tmp_path: Path) -> None:
    path = tmp_path / "accounts.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    report = run_import("accounts", path, cast.dora)
    assert problem_lines(report)[0].startswith("not a readable Excel workbook")


@pytest.mark.parametrize("mapping", [{"Kundenname": "name"}])
def test_it_maps_other_headers(cast: Cast, tmp_path: Path, mapping: dict[str, str]) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,Kundenname\nN-1,Nova GmbH\n")
    report = run_import("accounts", path, cast.dora, mapping=mapping)
    assert report.ok, problem_lines(report)
    assert Account.objects.get(external_id="N-1").name == "Nova GmbH"


def test_it_refuses_a_map_to_an_unknown_field(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name,x\nN-1,Nova,1\n")
    report = run_import("accounts", path, cast.dora, mapping={"x": "nonsense"})
    assert problem_lines(report)[0].startswith("column x: --map names unknown field 'nonsense'")


def test_it_warns_about_columns_it_does_not_use(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name,favourite colour\nN-1,Nova,red\n")
    report = run_import("accounts", path, cast.dora)
    assert report.ok
    assert report.warnings == ["column favourite colour: not used (no field of this name)"]


def test_it_refuses_a_read_only_user(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name\nN-1,Nova\n")
    report = run_import("accounts", path, cast.ann)
    assert problem_lines(report) == ["your role may not import (read-only)"]
    assert not Account.objects.filter(external_id="N-1").exists()
