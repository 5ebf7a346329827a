"""Engines: the one module of the value engine that knows DuckDB, SQLite, PostgreSQL and Spark.

Everything else in ``kam_analytics`` takes and returns ``ibis.Table`` expressions and never
opens a connection, so the same code runs in-process on DuckDB and on a Spark cluster.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import sys
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import ibis
import ibis.expr.datatypes as dt
import pandas as pd
from ibis import BaseBackend

__all__ = [
    "CANONICAL_COLUMNS",
    "DEFAULT_SHUFFLE_PARTITIONS",
    "connect",
    "read_transactions",
    "spark_datetime_pattern",
    "table_from_pandas",
]

#: The columns (and Ibis types) every transaction table has after `read_transactions`
#: (except that whole-number customer ids of a Parquet file keep their integer type: see
#: `read_transactions`).
CANONICAL_COLUMNS: dict[str, str] = {
    "customer_id": "string",
    "date": "date",
    "amount": "float64",
    "margin": "float64",
}

DEFAULT_SHUFFLE_PARTITIONS = 4
_SPARK_SCHEME = "spark://"
_READERS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}


# --------------------------------------------------------------------------- connect


def connect(url: str | None = None, **options: Any) -> BaseBackend:
    """Open an Ibis backend from a URL.

    ``None`` or ``duckdb://`` is an in-memory DuckDB; ``duckdb:///file.db`` a DuckDB file;
    ``sqlite:///file`` the app's SQLite file, opened read-only unless ``read_only=False``;
    ``postgresql://user:password@host:port/db`` PostgreSQL; ``spark://local[2]`` or
    ``spark://spark://host:7077`` (or a ``spark_master`` option) a Spark session. File URLs
    follow the SQLAlchemy / dj-database-url convention: three slashes and a relative path,
    four slashes for an absolute one (``f"sqlite:///{path}"`` works for both).
    """
    spark_master = options.pop("spark_master", None)
    if spark_master is not None:
        return _connect_spark(str(spark_master), **options)
    url = url or "duckdb://"
    if url.startswith(_SPARK_SCHEME):
        return _connect_spark(url[len(_SPARK_SCHEME) :], **options)
    scheme = urlsplit(url).scheme.lower()
    if scheme == "duckdb":
        return _connect_duckdb(_file_path(url, "duckdb"), **options)
    if scheme == "sqlite":
        return _connect_sqlite(_file_path(url, "sqlite"), **options)
    if scheme in {"postgres", "postgresql"}:
        return _connect_postgres(url, **options)
    raise ValueError(
        f"Unsupported analytics database URL {url!r}: use duckdb://, sqlite:///, "
        "postgresql:// or spark://"
    )


def _file_path(url: str, scheme: str) -> str | None:
    """The file of ``scheme:///relative`` or ``scheme:////absolute``; None for in-memory."""
    rest = url[len(scheme) + len("://") :]
    if rest in {"", ":memory:", "/:memory:"}:
        return None
    if not rest.startswith("/"):
        raise ValueError(
            f"Malformed {scheme} URL {url!r}: write {scheme}:///relative/path or "
            f"{scheme}:////absolute/path"
        )
    return unquote(rest[1:])


def _connect_duckdb(path: str | None, **options: Any) -> BaseBackend:
    return ibis.duckdb.connect(":memory:" if path is None else path, **options)


def _connect_sqlite(path: str | None, *, read_only: bool = True, **options: Any) -> BaseBackend:
    if path is None:
        return ibis.sqlite.connect(**options)
    if not read_only:
        return ibis.sqlite.connect(path, **options)
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"SQLite database {path} does not exist")
    # The app owns its SQLite file; the value engine only reads it.
    con = sqlite3.connect(file.resolve().as_uri() + "?mode=ro", uri=True)
    return ibis.sqlite.from_connection(con, **options)


def _connect_postgres(url: str, **options: Any) -> BaseBackend:
    parts = urlsplit(url)
    params: dict[str, Any] = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "database": unquote(parts.path.lstrip("/")) or None,
        "user": unquote(parts.username) if parts.username else None,
        "password": unquote(parts.password) if parts.password else None,
    }
    params = {key: value for key, value in params.items() if value is not None}
    params.update(options)
    return ibis.postgres.connect(**params)


def _connect_spark(
    master: str,
    *,
    shuffle_partitions: int = DEFAULT_SHUFFLE_PARTITIONS,
    warehouse_dir: str | None = None,
    **spark_conf: Any,
) -> BaseBackend:
    from pyspark.sql import SparkSession  # optional dependency: the [spark] extra

    if master.startswith("local"):
        # Local workers are child processes of this interpreter: they must run the same
        # Python, or PySpark refuses to start them ("different minor versions").
        os.environ["PYSPARK_PYTHON"] = sys.executable
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    else:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    warehouse = warehouse_dir or tempfile.mkdtemp(prefix="kam-spark-warehouse-")
    builder = (
        SparkSession.builder.master(master)
        .appName("kam")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.default.parallelism", str(shuffle_partitions))
        .config("spark.sql.warehouse.dir", warehouse)
        # Arrow moves results to pandas in columns instead of row by row.
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    for key, value in spark_conf.items():
        builder = builder.config(key, str(value))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    # py4j reports every socket it opens and closes at INFO, even at interpreter exit.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return ibis.pyspark.connect(session)


# --------------------------------------------------------------------------- tables


def table_from_pandas(backend: BaseBackend, df: pd.DataFrame, name: str) -> ibis.Table:
    """Register ``df`` under ``name`` in ``backend`` (replacing it) and return the table."""
    if backend.name == "pyspark":
        # A temporary view: no write to the warehouse, gone with the session. Spark keeps
        # pandas' NaN as a float NaN (a number that poisons sums); every other engine
        # reads it as NULL, so make it NULL here too.
        rows = ibis.memtable(df)
        floats = [column for column, kind in rows.schema().items() if kind.is_floating()]
        rows = rows.mutate(
            **{
                column: ibis.ifelse(rows[column].isnan(), ibis.null(dt.float64), rows[column])
                for column in floats
            }
        )
        return backend.create_view(name, rows, overwrite=True)
    return backend.create_table(name, df, overwrite=True)


def read_transactions(
    backend: BaseBackend,
    path: str | Path,
    *,
    customer_col: str,
    date_col: str,
    amount_col: str,
    date_format: str | None = None,
    margin_col: str | None = None,
) -> ibis.Table:
    """Read a CSV or Parquet file of transactions into the canonical columns.

    The result has ``customer_id`` (string; a Parquet column of whole numbers keeps its
    integer type, which groups faster: the summary turns ids into text after grouping),
    ``date`` (date), ``amount`` (float64) and ``margin`` (float64, null without
    ``margin_col``). ``date_format`` is a strptime format
    such as ``"%Y%m%d"`` or ``"%d/%m/%Y"`` for text dates; without it text dates must be ISO
    (``2024-03-31``, a time after the date is ignored). Raises ValueError naming the file
    and the column when a column is missing or a date or number does not convert.
    """
    file = Path(path)
    kind = _READERS.get(file.suffix.lower())
    if kind is None:
        raise ValueError(f"{file}: unsupported file type; expected .csv or .parquet")
    if not file.is_file():
        raise FileNotFoundError(f"{file} does not exist")
    wanted = {"customer": customer_col, "date": date_col, "amount": amount_col}
    if margin_col is not None:
        wanted["margin"] = margin_col
    if backend.name not in {"duckdb", "pyspark"}:
        # SQLite and PostgreSQL cannot read files: convert in pandas, hand over the rows.
        frame = _convert_in_pandas(file, kind, wanted, date_format)
        return ibis.memtable(frame, schema=CANONICAL_COLUMNS)
    raw = _read_raw(backend, file, kind)
    _check_columns(file, list(raw.columns), wanted)
    parsed = _parsed_columns(backend.name, raw, wanted, date_format)
    _check_parsed(backend, file, raw, parsed, wanted, date_format)
    return raw.select(**parsed)


def _read_raw(backend: BaseBackend, file: Path, kind: str) -> ibis.Table:
    if kind == "parquet":
        return backend.read_parquet(file)
    # Every CSV column is read as text and converted here, so "00042" stays a customer
    # id and a bad date gets our message instead of an engine's type-inference guess.
    if backend.name == "duckdb":
        return backend.read_csv(file, all_varchar=True, header=True)
    return backend.read_csv(str(file), inferSchema=False, header=True)


def _check_columns(file: Path, present: list[str], wanted: dict[str, str]) -> None:
    for role, column in wanted.items():
        if column not in present:
            raise ValueError(
                f"{file}: the {role} column {column!r} is missing; "
                f"the file has the columns {', '.join(map(repr, present))}"
            )


def _parsed_columns(
    engine: str, raw: ibis.Table, wanted: dict[str, str], date_format: str | None
) -> dict[str, ibis.Value]:
    margin = wanted.get("margin")
    return {
        "customer_id": _as_text(raw[wanted["customer"]]),
        "date": _as_date(engine, raw[wanted["date"]], date_format),
        "amount": _as_number(raw[wanted["amount"]]),
        "margin": _as_number(raw[margin]) if margin else ibis.null().cast(dt.float64),
    }


def _as_text(column: ibis.Value) -> ibis.Value:
    if column.type().is_integer():
        return column  # the same ids as text, later: grouping whole numbers is cheaper
    text = column.cast(dt.string)
    return text.strip() if column.type().is_string() else text


def _as_number(column: ibis.Value) -> ibis.Value:
    if column.type().is_numeric():
        return column.cast(dt.float64)
    return column.cast(dt.string).strip().try_cast(dt.float64)


def _as_date(engine: str, column: ibis.Value, date_format: str | None) -> ibis.Value:
    kind = column.type()
    if kind.is_date():
        return column
    if kind.is_timestamp():
        return column.date()
    text = column.cast(dt.string).strip()
    if date_format is None:
        return text.try_cast(dt.date)
    # Ibis's as_date() fails the whole query on one bad value; the engines' "try"
    # functions give NULL instead, so we can point at the bad value.
    if engine == "duckdb":
        return _duckdb_try_strptime(text, date_format).date()
    return _spark_try_to_timestamp(text, spark_datetime_pattern(date_format)).date()


@ibis.udf.scalar.builtin(name="try_strptime")
def _duckdb_try_strptime(text: str, fmt: str) -> datetime:  # type: ignore[empty-body]
    """DuckDB's TRY_STRPTIME: NULL where ``text`` does not match ``fmt``."""


@ibis.udf.scalar.builtin(name="try_to_timestamp")
def _spark_try_to_timestamp(text: str, fmt: str) -> datetime:  # type: ignore[empty-body]
    """Spark's TRY_TO_TIMESTAMP: NULL where ``text`` does not match ``fmt``."""


_SPARK_FIXED = {"Y": "yyyy", "m": "MM", "d": "dd", "H": "HH", "I": "hh", "M": "mm", "S": "ss"}
_SPARK_LENIENT = {"m": "M", "d": "d", "H": "H", "I": "h", "M": "m", "S": "s"}
_SPARK_OTHER = {
    "y": "yy",
    "b": "MMM",
    "B": "MMMM",
    "a": "EEE",
    "A": "EEEE",
    "j": "DDD",
    "f": "SSSSSS",
    "p": "a",
    "%": "%",
}


def spark_datetime_pattern(strptime_format: str) -> str:
    """Translate a strptime format (``%d/%m/%Y``) into Spark's pattern (``d/M/yyyy``).

    Numbers between separators may have one or two digits, as with strptime; numbers
    directly followed by another directive (``%Y%m%d``) have their full width, because
    Spark cannot split ``19970105`` otherwise.
    """
    out: list[str] = []
    i, after_directive = 0, False
    while i < len(strptime_format):
        char = strptime_format[i]
        if char != "%":
            out.append(f"'{char}'" if char.isalpha() or char in "'[]#{}" else char)
            i, after_directive = i + 1, False
            continue
        if i + 1 >= len(strptime_format):
            raise ValueError(f"date_format {strptime_format!r} ends with a lone '%'")
        code = strptime_format[i + 1]
        glued = after_directive or strptime_format[i + 2 : i + 3] == "%"
        out.append(_spark_directive(strptime_format, code, glued=glued))
        i, after_directive = i + 2, True
    return "".join(out).replace("''", "")


def _spark_directive(strptime_format: str, code: str, *, glued: bool) -> str:
    if code in _SPARK_LENIENT and not glued:
        return _SPARK_LENIENT[code]
    if code in _SPARK_FIXED:
        return _SPARK_FIXED[code]
    if code in _SPARK_OTHER:
        return _SPARK_OTHER[code]
    raise ValueError(f"date_format {strptime_format!r}: %{code} is not supported")


# The problems a row can have, in the order they are reported: (kind, role).
_PROBLEMS = (
    ("empty", "customer"),
    ("empty", "date"),
    ("unparsed", "date"),
    ("empty", "amount"),
    ("unparsed", "amount"),
    ("unparsed", "margin"),
)
_CANONICAL = {"customer": "customer_id", "date": "date", "amount": "amount", "margin": "margin"}


def _check_parsed(
    backend: BaseBackend,
    file: Path,
    raw: ibis.Table,
    parsed: dict[str, ibis.Value],
    wanted: dict[str, str],
    date_format: str | None,
) -> None:
    """Fail on the first row with a problem, showing its value (one small query)."""
    flags: dict[str, ibis.Value] = {}
    for kind, role in _PROBLEMS:
        if role in wanted:
            blank = _is_blank(raw[wanted[role]])
            flag = blank if kind == "empty" else ~blank & parsed[_CANONICAL[role]].isnull()
            flags[f"{kind}_{role}"] = flag
    examples = {f"raw_{role}": raw[column].cast(dt.string) for role, column in wanted.items()}
    first_bad = raw.filter(ibis.or_(*flags.values())).select(**flags, **examples).limit(1)
    rows = backend.execute(first_bad)
    if not rows.empty:
        row = rows.iloc[0]
        kind, role = next(problem for problem in _PROBLEMS if bool(row.get("_".join(problem))))
        _raise_problem(file, wanted, kind, role, row[f"raw_{role}"], date_format)


def _is_blank(column: ibis.Value) -> ibis.Value:
    if not column.type().is_string():
        return column.isnull()
    return column.isnull() | (column.strip() == "")


def _raise_problem(
    file: Path,
    wanted: dict[str, str],
    kind: str,
    role: str,
    value: object,
    date_format: str | None,
) -> None:
    where = f"{file}: the {role} column {wanted[role]!r}"
    if kind == "empty":
        raise ValueError(
            f"{where} is empty in a row; every row needs a customer, a date and an amount"
        )
    if role != "date":
        expected = "a number such as 1234.5"
    elif date_format:
        expected = f"a date in the format {date_format!r}"
    else:
        expected = "an ISO date such as 2024-03-31 (or pass date_format)"
    raise ValueError(f"{where} has a value that is not understood: {value!r}; expected {expected}")


def _convert_in_pandas(
    file: Path, kind: str, wanted: dict[str, str], date_format: str | None
) -> pd.DataFrame:
    if kind == "parquet":
        raw = pd.read_parquet(file)
    else:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False, na_values=[""])
    _check_columns(file, [str(name) for name in raw.columns], wanted)
    margin = wanted.get("margin")
    frame = pd.DataFrame(
        {
            "customer_id": raw[wanted["customer"]].astype("string").str.strip(),
            "date": _pandas_date(raw[wanted["date"]], date_format),
            "amount": _pandas_number(raw[wanted["amount"]]),
            "margin": _pandas_number(raw[margin]) if margin else float("nan"),
        }
    )
    for problem, role in _PROBLEMS:
        if role in wanted:
            values = raw[wanted[role]]
            blank = values.isna() | (values.astype("string").str.strip() == "")
            bad = blank if problem == "empty" else ~blank & frame[_CANONICAL[role]].isna()
            if bad.any():
                value = values[bad].iloc[0]
                _raise_problem(file, wanted, problem, role, value, date_format)
    return frame


def _pandas_date(column: pd.Series, date_format: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.dt.date
    text = column.astype("string").str.strip()
    return pd.to_datetime(text, format=date_format or "ISO8601", errors="coerce").dt.date


def _pandas_number(column: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(column):
        return column.astype("float64")
    return pd.to_numeric(column.astype("string").str.strip(), errors="coerce").astype("float64")
