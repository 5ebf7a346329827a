"""Export (DATA-5): any list of accounts, contacts, orders or payments to CSV or XLSX,
with the same columns the import reads, so an export imports back unchanged."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from django.db.models import QuerySet

from kam.core.audit import plain
from kam.core.models import User
from kam.dataio.kinds import get_kind

EXPORT_BATCH = 2000


def export_header(kind_name: str) -> list[str]:
    return [f.name for f in get_kind(kind_name).fields]


def export_rows(kind_name: str, rows: QuerySet[Any]) -> Iterator[list[Any]]:
    """One list of cell values per row, in export_header order."""
    kind = get_kind(kind_name)
    names = [f.name for f in kind.fields]
    paths = dict(kind.ref_paths)
    columns = [paths.get(name, name) for name in names if name != "tags"]
    with_tags = "tags" in names
    query = rows.order_by("pk").values("pk", *columns)
    last_pk = 0
    while True:
        batch = list(query.filter(pk__gt=last_pk)[:EXPORT_BATCH])
        if not batch:
            return
        last_pk = batch[-1]["pk"]
        tags = _tags_of([r["pk"] for r in batch]) if with_tags else {}
        for row in batch:
            yield [
                tags.get(row["pk"], "") if name == "tags" else cell(row[paths.get(name, name)])
                for name in names
            ]


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return plain(value)


def _tags_of(pks: list[int]) -> dict[int, str]:
    from kam.accounts.models import Account

    found: dict[int, list[str]] = {}
    for account_id, name in Account.tags.through.objects.filter(account_id__in=pks).values_list(
        "account_id", "tag__name"
    ):
        found.setdefault(account_id, []).append(name)
    return {pk: "; ".join(sorted(names)) for pk, names in found.items()}


def write_csv(handle: Any, header: list[str], rows: Iterable[list[Any]]) -> int:
    writer = csv.writer(handle)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow(row)
        count += 1
    return count


def write_xlsx(path_or_buffer: Any, header: list[str], rows: Iterable[list[Any]]) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet("export")
    sheet.append(header)
    count = 0
    for row in rows:
        cells = []
        for value in row:
            # Everything is written as text: a code like 00123 must not become the number
            # 123, and a value starting with "=" must stay text, never run as a formula.
            cell = WriteOnlyCell(sheet, value=str(value))
            cell.data_type = "s"
            cells.append(cell)
        sheet.append(cells)
        count += 1
    book.save(path_or_buffer)
    return count


def visible_rows(kind_name: str, user: User) -> QuerySet[Any]:
    from kam.accounts.services import visible_accounts
    from kam.contacts.services import visible_contacts
    from kam.transactions.services import visible_orders, visible_payments

    chooser = {
        "accounts": visible_accounts,
        "contacts": visible_contacts,
        "transactions": visible_orders,
        "orders": visible_orders,
        "payments": visible_payments,
    }
    return chooser[get_kind(kind_name).name](user)


def export_file(kind_name: str, rows: QuerySet[Any], out: Path) -> int:
    """Write rows to `out`, CSV or XLSX by its extension; returns the number of rows."""
    header = export_header(kind_name)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return write_xlsx(out, header, export_rows(kind_name, rows))
    if suffix == ".csv":
        # utf-8-sig: Excel opens a CSV with a BOM as UTF-8, so Chinese text survives.
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            return write_csv(handle, header, export_rows(kind_name, rows))
    raise ValueError(f"cannot export to '{out.name}' (expected a file ending in .csv or .xlsx)")


def export_bytes(kind_name: str, rows: QuerySet[Any], fmt: str) -> bytes:
    header = export_header(kind_name)
    if fmt == "xlsx":
        buffer = io.BytesIO()
        write_xlsx(buffer, header, export_rows(kind_name, rows))
        return buffer.getvalue()
    text = io.StringIO()
    write_csv(text, header, export_rows(kind_name, rows))
    return ("\ufeff" + text.getvalue()).encode("utf-8")
