"""How long `kam score --transactions` takes, and how much memory, beside two references.

For each book size (customers; about 20 transaction lines each, see
generate_transactions.py) it measures three separate processes, each from start to exit:

* **kam score**: `python -m kam_cli score --transactions FILE --as-of 2024-12-31 --out
  scores.parquet` - reading, checking, summary, RFM, BG/NBD + Gamma-Gamma, CLV, Pareto,
  score, tiers, lifecycle and writing the result, exactly as a user runs it;
* **bare DuckDB summary** (the floor): the same per-customer summary as one hand-written
  DuckDB query, fetched as Arrow; no models;
* **lifetimes** (with ``--with-lifetimes``): the same work with the `lifetimes` package
  (summary_data_from_transaction_data, BetaGeoFitter, GammaGammaFitter, CLV), in a venv of
  its own under benchmarks/out/ with the old pins it needs (pandas 1.5, numpy 1.26,
  scipy 1.11). Creating that venv downloads about 100 MB from PyPI, hence the flag.

Wall time, CPU time (user + system; steadier on a busy machine) and peak resident memory
(the child's own ``ru_maxrss`` from ``wait4``) are reported, with the fitted parameters of
kam and lifetimes side by side (they should agree to 3 significant digits).

    .venv/bin/python benchmarks/score_benchmark.py --customers 100000 1000000
    .venv/bin/python benchmarks/score_benchmark.py --customers 100000 --with-lifetimes

The same script is the child process of the two references (``--child``), so it imports
nothing beyond the standard library at the top.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
AS_OF = "2024-12-31"  # the end of the generated books
LIFETIMES_PINS = (
    "numpy==1.26.4",
    "scipy==1.11.4",
    "pandas==1.5.3",
    "pyarrow==14.0.2",
    "lifetimes==0.11.3",
)
# 10% a year as a monthly rate, as lifetimes discounts month by month.
MONTHLY_DISCOUNT = 1.1 ** (1 / 12) - 1
PARAM_NAMES = ("r", "alpha", "a", "b", "p", "q", "gamma")


@dataclass
class Measurement:
    tool: str
    customers: int
    wall_s: float
    cpu_s: float
    peak_rss_mib: float
    returncode: int
    params: dict[str, float] = field(default_factory=dict)
    note: str = ""


# --------------------------------------------------------------------------- measuring


def measure(tool: str, customers: int, command: list[str], timeout: float) -> Measurement:
    """Run ``command``; wall time, its own CPU time and peak RSS (wait4), stdout parsed."""
    log = OUT / f"{tool.replace(' ', '_')}_{customers}.log"
    with log.open("w") as output:
        began = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and script
            command, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
        timer = threading.Timer(timeout, _kill, args=(process.pid,))
        timer.start()
        _, status, usage = os.wait4(process.pid, 0)
        timer.cancel()
        wall = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    shown = log.relative_to(ROOT)
    note = "" if process.returncode == 0 else f"failed ({process.returncode}), see {shown}"
    return Measurement(
        tool=tool,
        customers=customers,
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        returncode=process.returncode,
        params=_parse_params(text),
        note=note,
    )


def _kill(pid: int) -> None:
    os.killpg(pid, signal.SIGKILL)


def _parse_params(text: str) -> dict[str, float]:
    """Parameters printed as "name = value" (kam score) or as a JSON line (the children)."""
    for line in reversed(text.splitlines()):
        if line.startswith("{") and line.endswith("}"):
            data = json.loads(line)
            return {k: float(v) for k, v in data.get("params", {}).items()}
    found = {}
    for name in PARAM_NAMES:
        match = re.search(rf"\b{name} = (-?[\d.]+(?:e[+-]?\d+)?)", text)
        if match:
            found[name] = float(match.group(1))
    return found


# --------------------------------------------------------------------------- the tools


def kam_command(book: Path, customers: int, memory_limit: str | None) -> list[str]:
    command = [
        sys.executable, "-m", "kam_cli", "score", "--transactions", str(book),
        "--as-of", AS_OF, "--out", str(OUT / f"scores_{customers}.parquet"),
    ]  # fmt: skip
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    return command


FLOOR_SQL = """
WITH days AS (
    SELECT CAST(customer_id AS VARCHAR) AS customer_id, date,
           SUM(amount) AS day_total, COUNT(*) AS n_rows,
           DATE_DIFF('day', date, DATE '{as_of}') AS days_before
    FROM read_parquet('{path}')
    WHERE date <= DATE '{as_of}'
    GROUP BY 1, 2
)
SELECT customer_id,
       COUNT(*) - 1 AS frequency,
       (MAX(days_before) - MIN(days_before)) / 7.0 AS recency,
       MAX(days_before) / 7.0 AS T,
       CASE WHEN COUNT(*) > 1
            THEN (SUM(day_total) - ARG_MIN(day_total, date)) / (COUNT(*) - 1) ELSE 0 END
           AS monetary,
       SUM(day_total) AS total_revenue, SUM(n_rows) AS n_transactions,
       MIN(date) AS first_purchase, MAX(date) AS last_purchase,
       MIN(days_before) AS days_since_last,
       COUNT(*) FILTER (WHERE days_before < 364) AS purchases_recent,
       SUM(day_total) FILTER (WHERE days_before < 364) AS revenue_recent,
       SUM(day_total) FILTER (WHERE days_before >= 364 AND days_before < 728)
           AS revenue_previous
FROM days
GROUP BY customer_id
ORDER BY customer_id
"""


def child_duckdb_floor(book: Path) -> None:
    """The per-customer summary as one bare DuckDB query, fetched as Arrow."""
    import duckdb

    result = duckdb.connect().execute(FLOOR_SQL.format(as_of=AS_OF, path=book)).arrow()
    # DuckDB 1.5 returns a RecordBatchReader here, older versions a Table.
    table = result.read_all() if hasattr(result, "read_all") else result
    print(json.dumps({"rows": table.num_rows}))


def child_lifetimes(book: Path) -> None:
    """Summary, BG/NBD, Gamma-Gamma, P(alive), expected purchases and CLV with lifetimes."""
    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    lines = pd.read_parquet(book)
    # Days as the period and 7 of them a unit: weeks with whole-day resolution, as kam.
    summary = summary_data_from_transaction_data(
        lines,
        "customer_id",
        "date",
        monetary_value_col="amount",
        observation_period_end=AS_OF,
        freq="D",
        freq_multiplier=7,
    )
    bgf = BetaGeoFitter(penalizer_coef=0.0)
    bgf.fit(summary["frequency"], summary["recency"], summary["T"])
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    ggf = GammaGammaFitter(penalizer_coef=0.0)
    ggf.fit(repeat["frequency"], repeat["monetary_value"])
    columns = (summary["frequency"], summary["recency"], summary["T"])
    bgf.conditional_probability_alive(*columns)
    bgf.conditional_expected_number_of_purchases_up_to_time(52, *columns)
    ggf.customer_lifetime_value(
        bgf, *columns, summary["monetary_value"], time=12, discount_rate=MONTHLY_DISCOUNT,
        freq="W",
    )  # fmt: skip
    # lifetimes calls the Gamma-Gamma scale v; FHL and kam call it gamma.
    spend = {"gamma" if name == "v" else name: value for name, value in ggf.params_.items()}
    params = {**dict(bgf.params_), **spend}
    print(json.dumps({"rows": len(summary), "params": {k: float(v) for k, v in params.items()}}))


def lifetimes_python() -> Path:
    """The venv with lifetimes and its old pins, created on first use."""
    venv = OUT / "lifetimes-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        print(f"creating {venv} (downloads {', '.join(LIFETIMES_PINS)})", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # noqa: S603
        subprocess.run(  # noqa: S603
            [str(python), "-m", "pip", "install", "--quiet", *LIFETIMES_PINS], check=True
        )
    return python


# --------------------------------------------------------------------------- the report


def ensure_book(customers: int, seed: int) -> Path:
    book = OUT / f"transactions_{customers}.parquet"
    if not book.exists():
        sys.path.insert(0, str(ROOT))
        from benchmarks.generate_transactions import write_book

        print(f"generating {book.name} ...", flush=True)
        lines = write_book(customers, book, seed=seed)
        print(f"  {lines:,} transaction lines", flush=True)
    return book


def count_lines(book: Path) -> int:
    import pyarrow.parquet as pq

    return int(pq.ParquetFile(book).metadata.num_rows)


def agreement(kam: dict[str, float], other: dict[str, float]) -> str:
    """How many parameters agree to 3 significant digits (relative difference < 0.1%).

    kam's values are read from its printed summary (4 significant digits), so a strict
    "same after rounding to 3 digits" would fail on rounding boundaries (8.815 / 8.8154).
    """
    shared = [name for name in PARAM_NAMES if name in kam and name in other]
    same = [n for n in shared if abs(kam[n] - other[n]) <= 1e-3 * max(abs(other[n]), 1e-12)]
    differ = [f"{n} {kam[n]:.4g} vs {other[n]:.4g}" for n in shared if n not in same]
    text = f"{len(same)}/{len(shared)} parameters agree to 3 significant digits"
    return text + (f" (differ: {'; '.join(differ)})" if differ else "")


def table(rows: list[Measurement], lines: dict[int, int]) -> str:
    header = (
        "| customers | transaction lines | tool | wall s | CPU s | peak RSS GiB |\n"
        "| --- | --- | --- | --- | --- | --- |"
    )
    body = [
        f"| {m.customers:,} | {lines[m.customers]:,} | {m.tool} | {m.wall_s:.1f} | "
        f"{m.cpu_s:.1f} | {m.peak_rss_mib / 1024:.2f} |" + (f" {m.note}" if m.note else "")
        for m in rows
    ]
    return "\n".join([header, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000])
    parser.add_argument("--with-lifetimes", action="store_true", help="also time lifetimes")
    parser.add_argument(
        "--memory-limit", help="also run kam score with this DuckDB memory limit, e.g. 1.5GB"
    )
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--timeout", type=float, default=1800.0, help="seconds per process")
    parser.add_argument("--child", choices=["duckdb-floor", "lifetimes"], help=argparse.SUPPRESS)
    parser.add_argument("book", nargs="?", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child == "duckdb-floor":
        child_duckdb_floor(args.book)
        return 0
    if args.child == "lifetimes":
        child_lifetimes(args.book)
        return 0

    OUT.mkdir(parents=True, exist_ok=True)
    print(f"{os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    rows: list[Measurement] = []
    lines: dict[int, int] = {}
    python_lt = lifetimes_python() if args.with_lifetimes else None
    for customers in args.customers:
        book = ensure_book(customers, args.seed)
        lines[customers] = count_lines(book)
        runs = [("kam score", kam_command(book, customers, None))]
        if args.memory_limit:
            limited = kam_command(book, customers, args.memory_limit)
            runs.append((f"kam score --memory-limit {args.memory_limit}", limited))
        floor = [sys.executable, __file__, "--child", "duckdb-floor", str(book)]
        runs.append(("bare DuckDB summary", floor))
        if python_lt is not None:
            runs.append(
                ("lifetimes", [str(python_lt), __file__, "--child", "lifetimes", str(book)])
            )
        for tool, command in runs:
            print(f"{customers:,} customers: {tool} ...", flush=True)
            rows.append(measure(tool, customers, command, args.timeout))
            print(f"  {rows[-1].wall_s:.1f} s, {rows[-1].peak_rss_mib / 1024:.2f} GiB", flush=True)
        kam = next(m for m in rows if m.customers == customers and m.tool == "kam score")
        print(f"  kam parameters: {kam.params}")
        other = [m for m in rows if m.customers == customers and m.tool == "lifetimes"]
        if other:
            print(f"  lifetimes parameters: {other[0].params}")
            print(f"  {agreement(kam.params, other[0].params)}")
    print()
    print(table(rows, lines))
    report = OUT / "score_benchmark.json"
    report.write_text(json.dumps([asdict(m) for m in rows], indent=2))
    print(f"\n(also in {report.relative_to(ROOT)})")
    return 0 if all(m.returncode == 0 for m in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
