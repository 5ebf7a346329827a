"""read_transactions: any CSV or Parquet layout into the canonical columns, or a clear error."""

from __future__ import annotations

import math
import re
from datetime import date
from pathlib import Path

import ibis
import pandas as pd
import pytest

from kam_analytics.backends import connect, read_transactions, spark_datetime_pattern
from kam_analytics.transforms import customer_summary

ERP_CSV = """Kunde;Belegdatum;Umsatz;DB
00042;05/01/2024;1200.50;300
00042;17/02/2024;-100;-25
A-7;5/3/2024;99;
"""


def write_erp_csv(folder: Path, text: str = ERP_CSV) -> Path:
    path = folder / "erp export.csv"
    path.write_text(text.replace(";", ","), encoding="utf-8")
    return path


def read_erp(backend: ibis.BaseBackend, path: Path, **overrides: str | None) -> ibis.Table:
    options: dict[str, str | None] = {
        "customer_col": "Kunde",
        "date_col": "Belegdatum",
        "amount_col": "Umsatz",
        "margin_col": "DB",
        "date_format": "%d/%m/%Y",
    }
    options.update(overrides)
    return read_transactions(backend, path, **options)  # type: ignore[arg-type]


def test_it_reads_a_csv_with_custom_column_names_and_a_date_format(
    backend: ibis.BaseBackend, tmp_path: Path
) -> None:
    table = read_erp(backend, write_erp_csv(tmp_path))
    assert dict(table.schema().items()) == {
        "customer_id": ibis.dtype("string"),
        "date": ibis.dtype("date"),
        "amount": ibis.dtype("float64"),
        "margin": ibis.dtype("float64"),
    }
    rows = table.execute().sort_values("amount")
    assert rows["customer_id"].tolist() == ["00042", "A-7", "00042"]  # leading zeros kept
    assert [d.date() for d in pd.to_datetime(rows["date"])] == [
        date(2024, 2, 17),
        date(2024, 3, 5),
        date(2024, 1, 5),
    ]
    assert rows["amount"].tolist() == [-100.0, 99.0, 1200.5]
    assert rows["margin"].iloc[0] == -25.0 and math.isnan(rows["margin"].iloc[1])


def test_it_reads_parquet_with_typed_columns(backend: ibis.BaseBackend, tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pd.DataFrame(
        {
            "account": [17, 17, 4],
            "booked_at": pd.to_datetime(
                ["2024-01-05 10:30", "2024-02-01 23:59", "2024-03-01 00:00"]
            ),
            "net": [10, 20, 30],
        }
    ).to_parquet(path)
    table = read_transactions(
        backend, path, customer_col="account", date_col="booked_at", amount_col="net"
    )
    rows = table.execute().sort_values("amount")
    # Whole-number ids stay numbers here (they group faster); the summary makes them text.
    assert rows["customer_id"].tolist() == [17, 17, 4]
    summary = customer_summary(table, as_of=date(2024, 12, 31)).execute()
    assert sorted(summary["customer_id"]) == ["17", "4"]
    assert pd.to_datetime(rows["date"]).dt.strftime("%Y-%m-%d").tolist() == [
        "2024-01-05",
        "2024-02-01",
        "2024-03-01",
    ]
    assert rows["amount"].tolist() == [10.0, 20.0, 30.0]
    assert rows["margin"].isna().all()


def test_it_names_the_file_and_the_missing_column(
    duckdb_backend: ibis.BaseBackend, tmp_path: Path
) -> None:
    path = write_erp_csv(tmp_path)
    with pytest.raises(ValueError) as error:
        read_erp(duckdb_backend, path, amount_col="Betrag")
    assert str(error.value) == (
        f"{path}: the amount column 'Betrag' is missing; "
        "the file has the columns 'Kunde', 'Belegdatum', 'Umsatz', 'DB'"
    )


def test_it_shows_a_date_that_does_not_parse(backend: ibis.BaseBackend, tmp_path: Path) -> None:
    path = write_erp_csv(tmp_path, ERP_CSV + "B-1;31/02/2024;5;1\n")
    with pytest.raises(ValueError) as error:
        read_erp(backend, path)
    assert str(error.value) == (
        f"{path}: the date column 'Belegdatum' has a value that is not understood: "
        "'31/02/2024'; expected a date in the format '%d/%m/%Y'"
    )


def test_it_asks_for_a_date_format_when_dates_are_not_iso(
    duckdb_backend: ibis.BaseBackend, tmp_path: Path
) -> None:
    path = write_erp_csv(tmp_path)
    with pytest.raises(ValueError, match=r"'05/01/2024'; expected an ISO date .*date_format"):
        read_erp(duckdb_backend, path, date_format=None)


def test_it_shows_an_amount_that_is_not_a_number(
    duckdb_backend: ibis.BaseBackend, tmp_path: Path
) -> None:
    path = write_erp_csv(tmp_path, ERP_CSV + "B-1;01/04/2024;1 200 EUR;1\n")
    with pytest.raises(ValueError) as error:
        read_erp(duckdb_backend, path)
    assert str(error.value) == (
        f"{path}: the amount column 'Umsatz' has a value that is not understood: "
        "'1 200 EUR'; expected a number such as 1234.5"
    )


@pytest.mark.parametrize(
    ("row", "column"),
    [(";01/04/2024;5;1", "customer column 'Kunde'"), ("B-2; ;5;1", "date column 'Belegdatum'")],
)
def test_it_refuses_rows_without_a_customer_or_a_date(
    duckdb_backend: ibis.BaseBackend, tmp_path: Path, row: str, column: str
) -> None:
    path = write_erp_csv(tmp_path, ERP_CSV + row + "\n")
    message = f"{path}: the {column} is empty in a row; every row needs a customer, a date"
    for backend in (duckdb_backend, connect("sqlite://")):
        with pytest.raises(ValueError, match=re.escape(message)):
            read_erp(backend, path)


def test_it_reads_files_for_sqlite_through_pandas_with_the_same_rules(tmp_path: Path) -> None:
    backend = connect("sqlite://")
    path = write_erp_csv(tmp_path)
    rows = read_erp(backend, path).execute().sort_values("amount")
    assert rows["customer_id"].tolist() == ["00042", "A-7", "00042"]
    assert rows["amount"].tolist() == [-100.0, 99.0, 1200.5]
    with pytest.raises(ValueError, match="the amount column 'Betrag' is missing"):
        read_erp(backend, path, amount_col="Betrag")


@pytest.mark.parametrize(
    ("strptime", "spark"),
    [
        ("%Y%m%d", "yyyyMMdd"),
        ("%d/%m/%Y", "d/M/yyyy"),
        ("%Y-%m-%d %H:%M:%S", "yyyy-M-d H:m:s"),
        ("%Y年%m月%d日", "yyyy'年'M'月'd'日'"),
        ("%d %b %Y", "d MMM yyyy"),
    ],
)
def test_it_translates_strptime_formats_for_spark(strptime: str, spark: str) -> None:
    assert spark_datetime_pattern(strptime) == spark
