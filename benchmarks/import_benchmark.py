"""Import benchmark (DATA-5): N generated transaction rows into a fresh database.

Measures the first import (every row created), its peak memory, and a second import of
the same file (every row unchanged: the idempotent re-import). See benchmarks/README.md.

    .venv/bin/python benchmarks/import_benchmark.py                       # SQLite, 100,000 rows
    .venv/bin/python benchmarks/import_benchmark.py --rows 20000 --tracemalloc
    .venv/bin/python benchmarks/import_benchmark.py \\
        --database-url postgresql://postgres@127.0.0.1:5432/kam_bench
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PRODUCTS = [
    ("工业网关 GW-300", 4800),
    ("PLC 控制器 C-200", 12500),
    ("伺服电机 SV-750", 3600),
    ("温压传感器套件", 860),
    ("安装调试服务", 20000),
    ("运维服务年费", 48000),
]
HEADER = ["订单号", "客户编号", "日期", "金额", "产品", "数量", "毛利", "折扣"]


@dataclass
class Timing:
    seconds: float
    cpu_seconds: float  # this process only: wall time minus waiting (and other load)
    created: int
    updated: int
    unchanged: int
    problems: int
    traced_peak_mb: float | None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="transaction rows to import")
    parser.add_argument("--accounts", type=int, default=2_000, help="accounts the rows belong to")
    parser.add_argument("--seed", type=int, default=7, help="seed of the row generator")
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL URL whose database name contains 'bench' (dropped and created "
        "afresh); default: a new SQLite file in a temporary folder",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations (peak MB); makes the import about twice as slow",
    )
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the first import")
    return parser.parse_args(argv)


def prepare_environment(workdir: Path, database_url: str) -> str:
    """Point KAM at a throw-away home and a fresh database; returns its description."""
    os.environ["KAM_HOME"] = str(workdir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
    os.environ.setdefault("KAM_LOG_LEVEL", "WARNING")
    if database_url:
        recreate_postgres_database(database_url)
        os.environ["KAM_DATABASE_URL"] = database_url
        return database_url.split("@")[-1]
    os.environ["KAM_DATABASE_URL"] = f"sqlite:///{workdir / 'bench.sqlite3'}"
    return "SQLite (a new file in a temporary folder)"


def recreate_postgres_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, _, name = url.rpartition("/")
    name = name.split("?")[0]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_database() -> Any:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)
    from kam.core.models import Role, User

    return User.objects.create_user(
        username="bench-admin", role=Role.ADMINISTRATOR, is_staff=True, is_superuser=True
    )


def create_accounts(count: int, owner: Any) -> list[str]:
    from kam.accounts.models import Account

    ids = [f"C{n:06d}" for n in range(1, count + 1)]
    Account.objects.bulk_create(
        [
            Account(external_id=ext, name=f"基准客户 {ext}", name_key=ext, owner=owner)
            for ext in ids
        ],
        batch_size=2000,
    )
    return ids


def write_transactions(path: Path, rows: int, account_ids: list[str], seed: int) -> None:
    rng = random.Random(seed)
    start = dt.date(2023, 11, 1)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for number in range(1, rows + 1):
            product, price = rng.choice(PRODUCTS)
            quantity = rng.randint(1, 40)
            discount = rng.choice((0, 0, 0, 0.05, 0.1))
            amount = round(quantity * price * (1 - discount), 2)
            writer.writerow(
                [
                    f"SO{number:08d}",
                    rng.choice(account_ids),
                    (start + dt.timedelta(days=rng.randrange(1096))).isoformat(),
                    f"{amount:.2f}",
                    product,
                    quantity,
                    f"{amount * rng.uniform(0.15, 0.4):.2f}",
                    f"{discount:.4f}",
                ]
            )


def timed_import(path: Path, actor: Any, *, trace: bool, profile: str | None = None) -> Timing:
    from kam.dataio.engine import import_file

    if trace:
        tracemalloc.start()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    started, cpu_started = time.perf_counter(), time.process_time()
    report = import_file("transactions", path, actor=actor)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    peak = None
    if trace:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return Timing(
        seconds, cpu, report.created, report.updated, report.unchanged, len(report.problems), peak
    )


def rss_mb() -> float:
    # ru_maxrss is the high-water mark of the resident set, in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def describe(label: str, rows: int, timing: Timing) -> str:
    rate = rows / timing.seconds if timing.seconds else float("inf")
    line = (
        f"{label:<22} {timing.seconds:6.2f} s ({timing.cpu_seconds:.2f} s CPU)  {rate:7,.0f} rows/s"
        f"  created {timing.created:,}, updated {timing.updated:,}, "
        f"unchanged {timing.unchanged:,}, problems {timing.problems}"
    )
    if timing.traced_peak_mb is not None:
        line += f", traced peak {timing.traced_peak_mb:,.0f} MB"
    return line


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="kam-bench-") as tmp:
        workdir = Path(tmp)
        database = prepare_environment(workdir, args.database_url)
        actor = setup_database()
        account_ids = create_accounts(args.accounts, actor)
        path = workdir / "transactions.csv"
        started = time.perf_counter()
        write_transactions(path, args.rows, account_ids, args.seed)
        generated = time.perf_counter() - started
        print(f"database: {database}")
        print(
            f"file: {args.rows:,} rows, {path.stat().st_size / 2**20:.1f} MB, "
            f"{args.accounts:,} accounts (generated in {generated:.1f} s)"
        )
        rss_before = rss_mb()
        first = timed_import(path, actor, trace=args.tracemalloc, profile=args.profile)
        rss_after = rss_mb()
        second = timed_import(path, actor, trace=args.tracemalloc)
        print(describe("first import", args.rows, first))
        print(
            f"{'peak memory (RSS)':<22} {rss_after:8.0f} MB  "
            f"(+{rss_after - rss_before:,.0f} MB during the first import)"
        )
        print(describe("re-import (unchanged)", args.rows, second))
        from django.db import connections

        connections.close_all()
    ok = first.problems == 0 and first.created == args.rows and second.unchanged == args.rows
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
