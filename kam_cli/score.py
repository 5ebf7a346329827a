"""`kam score` and `kam clv fit` (VAL-1..7, RISK-3): the value engine on a file.

`kam score` without --transactions scores the application's database instead (through
kam.insights, see `score_database`). Otherwise neither command needs the application
database, so neither sets Django up: they read a CSV or Parquet file of transactions
with `kam_analytics` (DuckDB by default, Spark on request) and write or print the
results. The analytics packages are imported when a command runs, so `kam --help`
stays fast.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from kam_cli.console import err, fail, say

if TYPE_CHECKING:
    import ibis
    import pandas as pd

    from kam_analytics.config import ValueConfig
    from kam_analytics.models.clv import ClvResult
    from kam_analytics.pipeline import ProgressCallback, ScoreResult

OUTPUT_SUFFIXES = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet"}
#: The default horizon: one year in each time unit.
YEAR_IN_UNITS = {"day": 365.0, "week": 52.0, "month": 12.0}


class TimeUnitName(StrEnum):
    day = "day"
    week = "week"
    month = "month"


class Engine(StrEnum):
    duckdb = "duckdb"
    spark = "spark"


# --- options shared by both commands -----------------------------------------------

CustomerCol = Annotated[str, typer.Option("--customer-col", help="Column holding the customer id.")]
DateCol = Annotated[str, typer.Option("--date-col", help="Column holding the purchase date.")]
AmountCol = Annotated[
    str, typer.Option("--amount-col", help="Column holding the amount (revenue) of a line.")
]
DateFormat = Annotated[
    str | None,
    typer.Option(
        "--date-format",
        metavar="FORMAT",
        help="strptime format of text dates, e.g. %Y%m%d or %d/%m/%Y (default: ISO dates).",
    ),
]
TimeUnitOption = Annotated[
    TimeUnitName,
    typer.Option(
        "--time-unit",
        help="Unit of frequency, recency, T and the horizon.",
        case_sensitive=False,
    ),
]
EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="duckdb (in this process) or spark (local mode or --spark-master).",
        case_sensitive=False,
    ),
]
SparkMaster = Annotated[
    str,
    typer.Option(
        "--spark-master",
        metavar="URL",
        help="Spark master for --engine spark, e.g. local[4] or spark://host:7077.",
    ),
]


# --- kam score ---------------------------------------------------------------------


def score_command(
    transactions: Annotated[
        Path | None,
        typer.Option(
            "--transactions",
            dir_okay=False,
            help="CSV or Parquet file of transactions to score, one row per order line. "
            "Without it, the application's database is scored and a dated snapshot stored, "
            "with the weights and tiers of the Scoring settings page.",
            show_default=False,
        ),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="Score as of this date; transactions after it are ignored "
            "(needed with --transactions; the database is scored as of today by default).",
            show_default=False,
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            dir_okay=False,
            help="File to write, one row per customer: .csv or .parquet "
            "(needed with --transactions).",
            show_default=False,
        ),
    ] = None,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    date_format: DateFormat = None,
    margin_col: Annotated[
        str | None,
        typer.Option("--margin-col", help="Column holding the margin (profit) of a line."),
    ] = None,
    time_unit: TimeUnitOption = TimeUnitName.week,
    horizon: Annotated[
        float | None,
        typer.Option(
            "--horizon",
            help="Time units that expected purchases and CLV cover (default: one year).",
            show_default=False,
        ),
    ] = None,
    discount_rate: Annotated[
        float, typer.Option("--discount-rate", help="Annual discount rate of the CLV.")
    ] = 0.1,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            dir_okay=False,
            help="YAML or JSON file of score weights, tier shares and thresholds.",
        ),
    ] = None,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
    memory_limit: Annotated[
        str | None,
        typer.Option(
            "--memory-limit",
            metavar="SIZE",
            help="Most memory DuckDB may use, e.g. 1.5GB; it spills to disk beyond "
            "(default: 80% of the machine's memory).",
        ),
    ] = None,
    acting_as: Annotated[
        str | None,
        typer.Option(
            "--as",
            metavar="USERNAME",
            help="Database mode: who runs the scoring (default: the first administrator).",
        ),
    ] = None,
) -> None:
    """Score customers from a transactions file (or the application's database):
    RFM, CLV, score, tier and lifecycle."""
    if transactions is None:
        score_database(as_of, acting_as)
        return
    if as_of is None or out is None:
        fail("--transactions needs --as-of and --out too")
    cut_off = parse_date("--as-of", as_of)
    writer = output_kind(out)
    units = horizon if horizon is not None else YEAR_IN_UNITS[time_unit.value]
    if not (math.isfinite(units) and units > 0):
        fail(f"--horizon must be a number of {time_unit.value}s > 0; got {units:g}")
    if not (math.isfinite(discount_rate) and discount_rate > -1):
        fail(f"--discount-rate must be an annual rate > -1, e.g. 0.1; got {discount_rate:g}")
    config = read_config(config_file)
    with progress_display() as progress:
        progress(f"reading {transactions.name}", 0, 1)
        table = open_transactions(
            transactions,
            engine=engine,
            spark_master=spark_master,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            date_format=date_format,
            margin_col=margin_col,
            memory_limit=memory_limit,
        )
        result = run_scoring(
            table,
            as_of=cut_off,
            time_unit=time_unit.value,
            horizon=units,
            discount_rate=discount_rate,
            config=config,
            progress=progress,
        )
        progress(f"writing {out.name}", 0, 1)
        write_customers(result.customers, out, writer)
    show_score_summary(result, out)


def score_database(as_of: str | None, username: str | None) -> None:
    """Score every account of the application's database and store a dated snapshot."""
    from kam_cli.runtime import acting_user, require_ready_database

    cut_off = parse_date("--as-of", as_of) if as_of is not None else None
    require_ready_database()
    from kam.insights.services import run_scoring as score_accounts

    actor = acting_user(username)
    with err.status("Scoring the accounts of the database …"):
        run = score_accounts(actor=actor, as_of=cut_off)
    if run.status != "succeeded":
        fail(f"scoring failed: {run.error}", code=1)
    from kam.insights.notes import note_text

    for warning in run.warnings:
        err.print(f"Warning: {note_text(warning)}", style="yellow", markup=False)
    say(
        f"Scored {run.account_count:,} accounts as of {run.as_of:%Y-%m-%d} (run {run.pk}): "
        f"{run.change_count:,} tier changes"
    )


def parse_date(option: str, text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        fail(f"{option} {text!r} is not a date; expected YYYY-MM-DD, e.g. 2024-06-30")


def output_kind(path: Path) -> str:
    kind = OUTPUT_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        fail(f"cannot write {path.name!r}: expected a file name ending in .csv or .parquet")
    if not path.parent.is_dir():
        fail(f"folder {str(path.parent)!r} does not exist")
    return kind


def read_config(path: Path | None) -> ValueConfig | None:
    if path is None:
        return None
    from kam_analytics.config import ConfigError, load_config

    try:
        return load_config(path)
    except ConfigError as exc:
        fail(str(exc))


def open_transactions(
    path: Path,
    *,
    engine: Engine,
    spark_master: str,
    customer_col: str,
    date_col: str,
    amount_col: str,
    date_format: str | None,
    margin_col: str | None,
    memory_limit: str | None = None,
) -> ibis.Table:
    """The file as canonical transactions on the chosen engine; exit 2 on bad input."""
    from kam_analytics.backends import connect, read_transactions

    if engine is Engine.spark:
        try:
            backend = connect(spark_master=spark_master)
        except ImportError:
            fail("--engine spark needs PySpark: pip install 'kam[spark]'")
    else:
        backend = _duckdb(memory_limit)
    try:
        return read_transactions(
            backend,
            path,
            customer_col=customer_col,
            date_col=date_col,
            amount_col=amount_col,
            date_format=date_format,
            margin_col=margin_col,
        )
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))


def _duckdb(memory_limit: str | None) -> ibis.BaseBackend:
    import duckdb

    from kam_analytics.backends import connect

    if memory_limit is None:
        return connect()
    try:
        return connect(memory_limit=memory_limit)
    except duckdb.Error as exc:
        fail(f"--memory-limit {memory_limit!r} is not a memory size such as 1.5GB ({exc})")


def run_scoring(
    table: ibis.Table,
    *,
    as_of: date,
    time_unit: str,
    horizon: float,
    discount_rate: float,
    config: ValueConfig | None,
    progress: ProgressCallback,
) -> ScoreResult:
    from kam_analytics.pipeline import score_book

    try:
        return score_book(
            table,
            as_of=as_of,
            time_unit=time_unit,  # type: ignore[arg-type]
            horizon=horizon,
            annual_discount_rate=discount_rate,
            config=config,
            progress=progress,
        )
    except ValueError as exc:
        fail(str(exc))


def write_customers(customers: pd.DataFrame, path: Path, kind: str) -> None:
    """CSV (UTF-8, dates as YYYY-MM-DD, empty for missing) or Parquet, through Arrow."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(customers, preserve_index=False)
    for i, column in enumerate(table.schema):
        # Dates as dates, and labels (pandas categoricals) as plain text columns.
        if pa.types.is_timestamp(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.date32()))
        elif pa.types.is_dictionary(column.type):
            table = table.set_column(i, column.name, table.column(i).cast(pa.string()))
    if kind == "parquet":
        pq.write_table(table, path)
    else:
        pa_csv.write_csv(table, path)


def show_score_summary(result: ScoreResult, path: Path) -> None:
    from kam_analytics.pipeline import horizon_words

    n = len(result.customers)
    say(
        f"Scored {n:,} customers as of {result.as_of.isoformat()} (horizon "
        f"{horizon_words(result.horizon, result.time_unit)}) → {path}"
    )
    counts = result.tier_counts
    say("tiers: " + ", ".join(f"{tier} {count:,}" for tier, count in counts.items()))
    top = result.pareto.revenue.top_shares.get(0.2, float("nan"))
    if math.isfinite(top):
        say(f"Pareto: the top 20% of customers bring {100 * top:.1f}% of revenue")
    say(f"BG/NBD: {format_params(result.clv.bgnbd_params)}")
    say(f"Gamma-Gamma: {format_params(result.clv.gamma_gamma_params)}")
    show_warnings(result.warnings)


def format_params(params: dict[str, float]) -> str:
    return ", ".join(f"{name} = {value:.4g}" for name, value in params.items())


def show_warnings(warnings: list[str]) -> None:
    for warning in warnings:
        say(f"warning: {warning}", style="yellow")


@contextmanager
def progress_display() -> Iterator[ProgressCallback]:
    """A transient step bar on stderr in a terminal; a silent callback otherwise."""
    if not err.is_terminal:
        yield lambda description, done, total: None
        return
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def update(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        yield update


# --- kam clv fit -------------------------------------------------------------------

clv_app = typer.Typer(
    help="Customer lifetime value models (BG/NBD and Gamma-Gamma) on a transactions file.",
    no_args_is_help=True,
)


@clv_app.command("fit")
def clv_fit_command(
    file: Annotated[
        Path,
        typer.Argument(
            dir_okay=False, help="CSV or Parquet file of transactions.", show_default=False
        ),
    ],
    calibration_end: Annotated[
        str,
        typer.Option(
            "--calibration-end",
            metavar="YYYY-MM-DD",
            help="Fit on purchases up to this date; later ones are the holdout, ignored.",
            show_default=False,
        ),
    ],
    time_unit: TimeUnitOption = TimeUnitName.week,
    customer_col: CustomerCol = "customer_id",
    date_col: DateCol = "date",
    amount_col: AmountCol = "amount",
    date_format: DateFormat = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the fit as JSON (for scripts).")
    ] = False,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMaster = "local[*]",
) -> None:
    """Fit BG/NBD and Gamma-Gamma by maximum likelihood; print parameters and warnings."""
    cut_off = parse_date("--calibration-end", calibration_end)
    table = open_transactions(
        file,
        engine=engine,
        spark_master=spark_master,
        customer_col=customer_col,
        date_col=date_col,
        amount_col=amount_col,
        date_format=date_format,
        margin_col=None,
    )
    result, customers = fit_models(table, calibration_end=cut_off, time_unit=time_unit.value)
    report = clv_report(result, customers)
    if as_json:
        typer.echo(json.dumps(report, indent=2, ensure_ascii=False))
        return
    say(f"{customers:,} customers, calibration up to {cut_off.isoformat()} ({time_unit.value}s)")
    say(f"BG/NBD: {format_params(result.bgnbd_params)}, log-likelihood {result.bgnbd.loglik_:.2f}")
    say(f"Gamma-Gamma: {format_params(result.gamma_gamma_params)}")
    show_warnings(result.warnings)


def fit_models(
    table: ibis.Table, *, calibration_end: date, time_unit: str
) -> tuple[ClvResult, int]:
    """Both models fitted on the calibration summary (one execute), and its customer count."""
    from kam_analytics.models.clv import fit_clv
    from kam_analytics.transforms.summary import customer_summary, unit_days

    summary = customer_summary(table, as_of=calibration_end, time_unit=time_unit)  # type: ignore[arg-type]
    columns = summary.select("customer_id", "frequency", "recency", "T", "monetary")
    frame = columns.order_by("customer_id").to_pyarrow().to_pandas()
    if frame.empty:
        fail(f"no purchases on or before {calibration_end.isoformat()}: nothing to fit")
    try:
        # The horizon does not change the fit; one year of predictions is computed alongside.
        result = fit_clv(
            frame, horizon=YEAR_IN_UNITS[time_unit], time_unit_days=unit_days(time_unit)
        )
    except ValueError as exc:
        fail(str(exc))
    return result, len(frame)


def clv_report(result: ClvResult, customers: int) -> dict[str, Any]:
    """The fit as plain data: parameters, log-likelihood, standard errors and warnings."""
    return {
        "bgnbd": {**_finite(result.bgnbd_params), "loglik": _number(result.bgnbd.loglik_)},
        "gamma_gamma": _finite(result.gamma_gamma_params),
        "customers": customers,
        "standard_errors": {
            "bgnbd": _finite(result.bgnbd_standard_errors),
            "gamma_gamma": _finite(result.gamma_gamma_standard_errors),
        },
        "warnings": list(result.warnings),
    }


def _finite(values: dict[str, float]) -> dict[str, float | None]:
    return {name: _number(value) for name, value in values.items()}


def _number(value: float) -> float | None:
    # JSON has no NaN: a value that could not be estimated is null.
    return float(value) if math.isfinite(value) else None
