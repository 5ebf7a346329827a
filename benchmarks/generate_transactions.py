"""Write a seeded book of transactions drawn from the BG/NBD + Gamma-Gamma process.

The value engine's benchmark input (see benchmarks/README.md): N customers acquired
uniformly over two years and observed for two more, buying by the BG/NBD story (Poisson
purchases while alive, drop-out after a repeat purchase) with Gamma-Gamma amounts, made by
`kam_analytics.models.simulate.simulate_transactions`. The default parameters give about
20 transaction lines per customer: 100,000 customers make about 2 million lines and
1,000,000 about 20 million.

Customers are generated in chunks, each from its own child of one seed (numpy's
SeedSequence), and appended to the file, so memory stays flat and the same seed and size
always give the same file.

    .venv/bin/python benchmarks/generate_transactions.py --customers 100000 \\
        --out benchmarks/out/tx_100k.parquet
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kam_analytics.models.simulate import simulate_transactions  # noqa: E402

#: Weekly BG/NBD parameters: mean purchase rate r/alpha = 0.21 a week, mean drop-out
#: chance a/(a+b) = 4.8% a repeat purchase; E[X(t)] over 2-4 years is about 19.5.
BGNBD_PARAMS = {"r": 1.25, "alpha": 6.0, "a": 0.45, "b": 9.0}
#: Gamma-Gamma parameters of the CDNOW fit (Fader, Hardie & Lee 2005): mean spend ~ 35.
GAMMA_GAMMA_PARAMS = {"p": 6.25, "q": 3.74, "gamma": 15.44}
START = "2021-01-01"
ACQUISITION_DAYS = 730.0
END = "2024-12-31"
CHUNK = 100_000
SCHEMA = pa.schema([("customer_id", pa.int64()), ("date", pa.date32()), ("amount", pa.float64())])


def generate_chunks(customers: int, *, seed: int, chunk: int = CHUNK) -> list[tuple[int, int]]:
    """(first customer number, size) of each chunk."""
    return [(start, min(chunk, customers - start)) for start in range(0, customers, chunk)]


def chunk_table(start: int, size: int, rng: np.random.Generator) -> pa.Table:
    """The transaction lines of customers start+1 .. start+size as an Arrow table."""
    lines = simulate_transactions(
        size,
        bgnbd_params=BGNBD_PARAMS,
        gamma_gamma_params=GAMMA_GAMMA_PARAMS,
        start=START,
        acquisition_days=ACQUISITION_DAYS,
        end=END,
        time_unit_days=7.0,
        random_state=rng,
    )
    frame = pd.DataFrame(
        {
            "customer_id": lines["customer_id"].to_numpy(np.int64) + start,
            "date": lines["date"].dt.date,
            # Cents, as an ERP would export them.
            "amount": np.round(lines["amount"].to_numpy(np.float64), 2),
        }
    )
    return pa.Table.from_pandas(frame, schema=SCHEMA, preserve_index=False)


def write_book(customers: int, out: Path, *, seed: int = 2024) -> int:
    """Write the book to ``out`` (.parquet or .csv); returns the number of lines."""
    suffix = out.suffix.lower()
    if suffix not in {".parquet", ".csv"}:
        raise SystemExit(f"{out}: expected a file name ending in .parquet or .csv")
    out.parent.mkdir(parents=True, exist_ok=True)
    chunks = generate_chunks(customers, seed=seed)
    streams = np.random.SeedSequence(seed).spawn(len(chunks))
    total = 0
    writer: pq.ParquetWriter | pa_csv.CSVWriter
    if suffix == ".parquet":
        writer = pq.ParquetWriter(out, SCHEMA, compression="snappy")
    else:
        writer = pa_csv.CSVWriter(out, SCHEMA)
    with writer:
        for (start, size), stream in zip(chunks, streams, strict=True):
            table = chunk_table(start, size, np.random.default_rng(stream))
            writer.write_table(table)
            total += table.num_rows
    return total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000, help="number of customers")
    parser.add_argument("--seed", type=int, default=2024, help="random seed")
    parser.add_argument("--out", type=Path, required=True, help="output file, .parquet or .csv")
    args = parser.parse_args(argv)
    if args.customers < 1:
        parser.error("--customers must be at least 1")
    began = time.perf_counter()
    lines = write_book(args.customers, args.out, seed=args.seed)
    elapsed = time.perf_counter() - began
    print(
        f"wrote {lines:,} transaction lines of {args.customers:,} customers to {args.out} "
        f"in {elapsed:.1f} s (seed {args.seed}; as-of date {END})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
