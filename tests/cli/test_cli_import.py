"""`kam import`: a bad file is refused whole with a line per problem (exit 1); a good
one is written (exit 0); mistakes on the command line are usage errors (exit 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.accounts.models import Account
from kam.core.models import User
from kam.transactions.models import Order
from tests.cli.helpers import Kam, write_csv
from tests.conftest import Cast

ACCOUNTS = """
external_id,name,industry,employees,province,city,owner
K-1,江苏恒远精密机械有限公司,manufacturing,850,江苏,苏州,alice
K-2,浙江华盛化工有限公司,chemicals,many,浙江,宁波,alice
K-3,Northfield Automation Inc.,robots,120,California,San Jose,alice
"""


def test_it_refuses_a_bad_file_and_names_each_row_and_column(
    cast: Cast, kam: Kam, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "accounts.csv", ACCOUNTS)

    result = kam("import", "accounts", str(path))

    assert result.exit_code == 1
    assert "accounts.csv: 2 problem(s) in 3 row(s); nothing was written" in result.stdout
    assert (
        "row 3, column employees: not a whole number (got 'many', expected a whole number "
        "such as 250)" in result.stdout
    )
    assert "row 4, column industry: unknown value (got 'robots'" in result.stdout
    assert not Account.objects.filter(external_id__startswith="K-").exists()


def test_it_writes_a_good_file(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "accounts.csv", ACCOUNTS.replace("many", "60").replace("robots", "it")
    )

    result = kam("import", "accounts", str(path))

    assert result.exit_code == 0, result.output
    assert "accounts.csv: 3 row(s) — created 3, updated 0, unchanged 0" in result.stdout
    account = Account.objects.get(external_id="K-1")
    assert (account.name, account.city, account.owner) == (
        "江苏恒远精密机械有限公司",
        "苏州",
        cast.alice,
    )


def test_it_reads_columns_named_with_map(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "erp.csv",
        "客户全称,系统编号,所在城市\n恒远精密机械有限公司,ERP-9,苏州\n",
    )

    result = kam(
        "import",
        "accounts",
        str(path),
        "--map",
        "客户全称=name",
        "--map",
        "系统编号=external_id",
        "--map",
        "所在城市=city",
    )

    assert result.exit_code == 0, result.output
    account = Account.objects.get(external_id="ERP-9")
    assert (account.name, account.city) == ("恒远精密机械有限公司", "苏州")


def test_it_imports_as_the_first_administrator_by_default(
    cast: Cast, kam: Kam, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "a.csv", "external_id,name\nK-9,华东某客户\n")

    assert kam("import", "accounts", str(path)).exit_code == 0

    assert Account.objects.get(external_id="K-9").owner == cast.root


def test_it_imports_as_another_user_with_as(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "external_id,name\nK-9,华东某客户\n")

    assert kam("import", "accounts", str(path), "--as", "alice").exit_code == 0

    assert Account.objects.get(external_id="K-9").owner == cast.alice


def test_it_keeps_an_analyst_from_importing(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "external_id,name\nK-9,华东某客户\n")

    result = kam("import", "accounts", str(path), "--as", "ann")

    assert result.exit_code == 1
    assert "your role may not import (read-only)" in result.stdout


def test_it_writes_nothing_on_a_dry_run(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "o.csv", "订单号,客户编号,日期,金额\nSO-1,A-1,2026-03-01,1200\n")

    result = kam("import", "transactions", str(path), "--dry-run")

    assert result.exit_code == 0, result.output
    assert "would create 1" in result.stdout
    assert "dry run: nothing was written" in result.stdout
    assert not Order.objects.exists()


def test_it_shows_warnings(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", "external_id,name,fax\nK-1,Alice Steel Ltd,123\n")

    result = kam("import", "accounts", str(path))

    assert result.exit_code == 0, result.output
    assert "warning: column fax: not used (no field of this name)" in result.stdout
    assert "warning: row 2: likely duplicate of stored account A-1" in result.stdout


def test_it_reads_gbk_files(cast: Cast, kam: Kam, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "gbk.csv", "客户编号,客户名称\nK-5,广州鑫达物流有限公司\n", "gbk")

    result = kam("import", "accounts", str(path), "--encoding", "gbk")

    assert result.exit_code == 0, result.output
    assert Account.objects.get(external_id="K-5").name == "广州鑫达物流有限公司"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["import", "gadgets", "{file}"], "'gadgets' is not one of"),
        (["import", "accounts", "{dir}/missing.csv"], "does not exist"),
        (["import", "accounts", "{file}", "--map", "name"], "expected SOURCE=FIELD"),
        (["import", "accounts", "{file}", "--map", "=name"], "expected SOURCE=FIELD"),
        (["import", "accounts", "{file}", "--map", "名称=nickname"], "no field 'nickname'"),
        (["import", "accounts", "{file}", "--as", "nobody"], "no user 'nobody'"),
    ],
)
def test_it_stops_on_usage_errors(
    cast: Cast, kam: Kam, tmp_path: Path, args: list[str], message: str
) -> None:
    path = write_csv(tmp_path / "a.csv", "external_id,name\nK-1,Somebody\n")
    argv = [a.format(file=path, dir=tmp_path) for a in args]

    result = kam(*argv)

    assert result.exit_code == 2
    assert message in result.output
    assert not Account.objects.filter(external_id="K-1").exists()


def test_it_asks_for_kam_init_when_there_is_no_administrator(
    db: None, kam: Kam, tmp_path: Path
) -> None:
    User.objects.create_user(username="solo", role="account_manager")
    path = write_csv(tmp_path / "a.csv", "external_id,name\nK-1,Somebody\n")

    result = kam("import", "accounts", str(path))

    assert result.exit_code == 2
    assert "run kam init first" in result.output
