"""A clean file is written whole, re-importing it changes nothing, and each change
leaves an audit entry with the old and the new value."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook

from kam.accounts.models import Account, HierarchyLevel, OwnershipType
from kam.contacts.models import BuyingRole, Contact
from kam.core.models import AuditEvent
from kam.transactions.models import Order, Payment
from tests.conftest import Cast
from tests.dataio.helpers import problem_lines, run_import, write_csv

ACCOUNTS = (
    "客户编号,客户名称,行业,所有制,省份,城市,客户经理,上级客户,层级,标签,信用额度\n"
    "G-1,恒远集团有限公司,manufacturing,state_owned,江苏,南京,alice,,group,战略;华东,5000000\n"
    "G-2,恒远精密机械（苏州）有限公司,manufacturing,State-owned,江苏,苏州,alice,G-1,subsidiary,,\n"
    "G-3,恒远精密机械苏州分公司,manufacturing,state_owned,江苏,苏州,tom,G-2,branch,,\n"
)


def test_it_imports_a_gbk_file_with_chinese_headers(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "客户.csv", ACCOUNTS, encoding="gbk")
    report = run_import("accounts", path, cast.mary)
    assert report.ok, problem_lines(report)
    assert (report.created, report.updated) == (3, 0)
    branch = Account.objects.get(external_id="G-3")
    assert branch.parent is not None and branch.parent.external_id == "G-2"
    assert branch.parent.parent is not None and branch.parent.parent.name == "恒远集团有限公司"
    assert branch.hierarchy_level == HierarchyLevel.BRANCH
    assert branch.owner == cast.tom
    group = Account.objects.get(external_id="G-1")
    assert sorted(t.name for t in group.tags.all()) == ["华东", "战略"]
    assert group.credit_limit == Decimal("5000000")
    assert Account.objects.get(external_id="G-2").ownership_type == OwnershipType.STATE_OWNED


def test_it_imports_utf8_with_and_without_bom(cast: Cast, tmp_path: Path) -> None:
    plain = write_csv(tmp_path, "a.csv", "external_id,name\nU-1,上海一号\n")
    bom = write_csv(tmp_path, "b.csv", "\ufeffexternal_id,name\nU-2,上海二号\n")
    assert run_import("accounts", plain, cast.dora).ok
    assert run_import("accounts", bom, cast.dora).ok
    assert set(
        Account.objects.filter(external_id__startswith="U-").values_list("name", flat=True)
    ) == {
        "上海一号",
        "上海二号",
    }


def test_it_changes_nothing_on_reimport(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "客户.csv", ACCOUNTS, encoding="gb18030")
    assert run_import("accounts", path, cast.dora).ok
    events = AuditEvent.objects.count()
    stamps = list(Account.objects.order_by("pk").values_list("updated_at", flat=True))
    again = run_import("accounts", path, cast.dora)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert AuditEvent.objects.count() == events
    assert list(Account.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps


def test_it_updates_by_external_id_and_audits_old_and_new(cast: Cast, tmp_path: Path) -> None:
    first = write_csv(
        tmp_path, "orders.csv", "external_id,account,order_date,amount\nO-1,A-1,2024-03-01,100.50\n"
    )
    assert run_import("transactions", first, cast.alice).ok
    second = write_csv(
        tmp_path, "orders2.csv", "external_id,account,order_date,amount\nO-1,A-1,2024-03-01,120\n"
    )
    report = run_import("transactions", second, cast.alice)
    assert (report.created, report.updated) == (0, 1)
    assert Order.objects.get(external_id="O-1").amount == Decimal("120")
    change = AuditEvent.objects.filter(object_type="order", action="update").get()
    assert change.actor == cast.alice
    assert change.account_id == cast.alice_steel.pk
    assert change.changes == {"amount": ["100.5", "120"]}
    assert change.source == "import:orders2.csv"


def test_it_reads_xlsx_with_dates_and_numbers_as_cells(cast: Cast, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    sheet.append(["订单号", "客户编号", "订单日期", "金额", "数量", "毛利"])
    sheet.append(["X-1", "A-1", dt.datetime(2024, 5, 6), 1999.9, 3, 450])
    sheet.append([1002, "A-1", "2024/05/07", "2,500.00", 1, None])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    report = run_import("transactions", path, cast.dora)
    assert report.ok, problem_lines(report)
    first = Order.objects.get(external_id="X-1")
    assert (first.order_date, first.amount, first.margin) == (
        dt.date(2024, 5, 6),
        Decimal("1999.90"),
        Decimal("450"),
    )
    assert Order.objects.get(external_id="1002").amount == Decimal("2500")


def test_it_reports_likely_duplicate_accounts(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "accounts.csv",
        "external_id,name\nD-1,ACME Co. Ltd.\nD-2,ＡＣＭＥ 有限公司\nD-3,alice steel\n",
    )
    report = run_import("accounts", path, cast.dora)
    assert report.ok
    assert report.warnings == [
        "row 3: likely duplicate of row 2 ('ＡＣＭＥ 有限公司' ~ 'ACME Co. Ltd.')",
        "row 4: likely duplicate of stored account A-1 ('alice steel' ~ 'Alice Steel Co., Ltd.')",
    ]


def test_it_only_lets_a_user_import_into_visible_accounts(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "orders.csv",
        "external_id,account,order_date,amount\nO-1,A-1,2024-03-01,10\nO-2,B-1,2024-03-01,10\n",
    )
    report = run_import("transactions", path, cast.alice)
    assert problem_lines(report) == [
        "row 3, column account: unknown account (got 'B-1', expected the external_id of an "
        "account you can see)"
    ]
    assert not Order.objects.exists()


def test_it_does_not_let_an_import_take_over_an_invisible_account(
    cast: Cast, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name\nB-1,Renamed Mining\n")
    report = run_import("accounts", path, cast.alice)
    assert problem_lines(report) == [
        "row 2, column external_id: belongs to a record you cannot change (got 'B-1', expected "
        "a new external_id or one of your records)"
    ]
    assert Account.objects.get(external_id="B-1").name == "Bob Mining"


def test_it_does_not_let_an_account_manager_give_accounts_away(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(tmp_path, "accounts.csv", "external_id,name,owner\nN-1,Nova,bob\n")
    report = run_import("accounts", path, cast.alice)
    assert problem_lines(report) == [
        "row 2, column owner: not allowed (got 'bob', expected yourself or, for a sales "
        "manager, a member of your team)"
    ]


def test_it_imports_contacts_with_their_reporting_line(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "contacts.csv",
        "联系人编号,客户编号,姓名,职务,采购角色,态度,上级,我方对接人\n"
        "C-2,A-1,李工,采购工程师,technical_buyer,neutral,C-1,alice\n"
        "C-1,A-1,王总,总经理,economic_buyer,supporter,,\n",
    )
    report = run_import("contacts", path, cast.alice)
    assert report.ok, problem_lines(report)
    engineer = Contact.objects.get(external_id="C-2")
    assert engineer.reports_to is not None and engineer.reports_to.name == "王总"
    assert engineer.buying_role == BuyingRole.TECHNICAL_BUYER
    assert engineer.our_counterpart == cast.alice


def test_it_refuses_a_boss_from_another_account(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "contacts.csv",
        "external_id,account,name,reports_to\nC-1,A-1,Wang,\nC-2,B-2,Li,C-1\n",
    )
    report = run_import("contacts", path, cast.dora)
    assert problem_lines(report) == [
        "row 3, column reports_to: works for another account (got 'C-1', expected a contact of "
        "the same account)"
    ]


def test_it_links_payments_to_orders_of_the_same_account(cast: Cast, tmp_path: Path) -> None:
    orders = write_csv(
        tmp_path, "o.csv", "external_id,account,order_date,amount\nO-1,A-1,2024-01-10,1000\n"
    )
    assert run_import("transactions", orders, cast.dora).ok
    payments = write_csv(
        tmp_path,
        "p.csv",
        "external_id,account,order,due_date,paid_date,amount\n"
        "P-1,A-1,O-1,2024-02-10,2024-02-20,1000\n"
        "P-2,B-1,O-1,2024-02-10,,50\n",
    )
    report = run_import("payments", payments, cast.dora)
    assert problem_lines(report) == [
        "row 3, column order: unknown order (got 'O-1', expected the external_id of an order of "
        "the same account, imported before)"
    ]
    payments.write_text(
        "external_id,account,order,due_date,paid_date,amount\nP-1,A-1,O-1,2024-02-10,2024-02-20,1000\n"
    )
    assert run_import("payments", payments, cast.dora).ok
    payment = Payment.objects.get(external_id="P-1")
    assert payment.order is not None and payment.days_late() == 10
    assert not payment.is_overdue()


def test_a_dry_run_writes_nothing_but_counts(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "accounts.csv", 'external_id,name\nN-1,Nova\nA-1,"Alice Steel Co., Ltd."\n'
    )
    report = run_import("accounts", path, cast.dora, dry_run=True)
    assert (report.created, report.unchanged) == (1, 1)
    assert not Account.objects.filter(external_id="N-1").exists()


def test_it_keeps_what_a_file_does_not_mention(cast: Cast, tmp_path: Path) -> None:
    # The file has no province, owner or tags column: those stay as they are.
    path = write_csv(
        tmp_path, "accounts.csv", "external_id,name,city\nA-1,Alice Steel Group,Wuxi\n"
    )
    report = run_import("accounts", path, cast.dora)
    assert (report.updated, report.problems) == (1, [])
    account = Account.objects.get(external_id="A-1")
    assert (account.name, account.city, account.province, account.owner) == (
        "Alice Steel Group",
        "Wuxi",
        "Jiangsu",
        cast.alice,
    )
    change = AuditEvent.objects.get(object_type="account", action="update")
    assert change.changes == {
        "name": ["Alice Steel Co., Ltd.", "Alice Steel Group"],
        "city": ["Suzhou", "Wuxi"],
    }


def test_a_blank_owner_keeps_the_owner(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path, "accounts.csv", "external_id,name,owner\nA-1,Alice Steel,\nN-1,Nova,\n"
    )
    assert run_import("accounts", path, cast.dora).ok
    assert Account.objects.get(external_id="A-1").owner == cast.alice
    assert Account.objects.get(external_id="N-1").owner == cast.dora


def test_it_reads_common_chinese_words_for_choices(cast: Cast, tmp_path: Path) -> None:
    path = write_csv(
        tmp_path,
        "accounts.csv",
        "客户编号,客户名称,行业,所有制\nN-1,甲,制造业,国企\nN-2,乙,银行,外资\n",
    )
    assert run_import("accounts", path, cast.dora).ok
    assert list(
        Account.objects.filter(external_id__startswith="N-")
        .order_by("external_id")
        .values_list("industry", "ownership_type")
    ) == [("manufacturing", "state_owned"), ("finance", "foreign_invested")]
