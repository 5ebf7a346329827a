"""Small hand-made books of accounts whose right segmentation is known."""

from __future__ import annotations

import numpy as np
import pandas as pd

NUMERIC = ["total_revenue", "frequency", "discount_share"]

# Three kinds of account, far apart on every numeric feature.
GROUPS = {
    "small": {"revenue": 20_000.0, "frequency": 2.0, "discount_share": 0.60},
    "mid": {"revenue": 400_000.0, "frequency": 12.0, "discount_share": 0.30},
    "key": {"revenue": 8_000_000.0, "frequency": 60.0, "discount_share": 0.03},
}


#: Accounts per group: many small ones, fewer key accounts, as in a real book.
SIZES = {"small": 90, "mid": 60, "key": 30}


def three_groups(seed: int = 7, sizes: dict[str, int] | None = None) -> pd.DataFrame:
    """Three well-separated groups (`SIZES` accounts each); ``group`` is the truth."""
    rng = np.random.default_rng(seed)
    frames = []
    for name, centre in GROUPS.items():
        per_group = (sizes or SIZES)[name]
        frames.append(
            pd.DataFrame(
                {
                    "group": name,
                    "total_revenue": centre["revenue"] * rng.lognormal(0.0, 0.15, per_group),
                    "frequency": np.maximum(
                        1.0, centre["frequency"] * rng.lognormal(0.0, 0.1, per_group)
                    ).round(),
                    "discount_share": np.clip(
                        centre["discount_share"] + rng.normal(0.0, 0.02, per_group), 0.0, 1.0
                    ),
                }
            )
        )
    book = pd.concat(frames, ignore_index=True)
    book.insert(0, "account_id", [f"A{i:04d}" for i in range(len(book))])
    return book


def with_noise_category(book: pd.DataFrame, levels: int = 30, seed: int = 3) -> pd.DataFrame:
    """The book plus ``industry_code``: ``levels`` levels drawn at random (pure noise)."""
    rng = np.random.default_rng(seed)
    codes = np.arange(len(book)) % levels
    rng.shuffle(codes)
    return book.assign(industry_code=[f"C{c:02d}" for c in codes])


def categorical_groups(per_group: int = 50, seed: int = 11) -> pd.DataFrame:
    """Three groups alike in every number, different only in ownership and region."""
    rng = np.random.default_rng(seed)
    kinds = [
        ("soe_east", "state-owned", "East China"),
        ("private_south", "private", "South China"),
        ("foreign_north", "foreign-owned", "North China"),
    ]
    frames = []
    for name, ownership, region in kinds:
        frames.append(
            pd.DataFrame(
                {
                    "group": name,
                    "total_revenue": rng.lognormal(12.0, 0.3, per_group),
                    "frequency": rng.poisson(10.0, per_group).astype(float),
                    "ownership_type": ownership,
                    "region": region,
                }
            )
        )
    book = pd.concat(frames, ignore_index=True)
    book.insert(0, "account_id", np.arange(1, len(book) + 1))
    return book


def described_book(seed: int = 5) -> pd.DataFrame:
    """Key accounts that are large state-owned manufacturers in East China buying often
    at full price, among mid-sized and small accounts of every kind."""
    rng = np.random.default_rng(seed)
    parts = []
    for name, n, employees, frequency, discount, revenue in (
        ("key", 40, 5_000.0, 50.0, 0.02, 6_000_000.0),
        ("mid", 80, 300.0, 12.0, 0.30, 400_000.0),
        ("small", 120, 20.0, 2.0, 0.55, 20_000.0),
    ):
        key = name == "key"
        parts.append(
            pd.DataFrame(
                {
                    "group": name,
                    "total_revenue": revenue * rng.lognormal(0.0, 0.2, n),
                    "frequency": np.maximum(1.0, frequency * rng.lognormal(0.0, 0.15, n)).round(),
                    "discount_share": np.clip(discount + rng.normal(0.0, 0.02, n), 0.0, 1.0),
                    "employees": (employees * rng.lognormal(0.0, 0.2, n)).round(),
                    "industry": "manufacturing"
                    if key
                    else rng.choice(["manufacturing", "retail", "wholesale", "logistics"], n),
                    "ownership_type": "state-owned"
                    if key
                    else rng.choice(
                        ["private", "foreign-owned", "state-owned"], n, p=[0.6, 0.3, 0.1]
                    ),
                    "region": "East China"
                    if key
                    else rng.choice(
                        ["East China", "North China", "South China", "Central China"], n
                    ),
                }
            )
        )
    book = pd.concat(parts, ignore_index=True)
    book.insert(0, "account_id", [f"K{i:03d}" for i in range(len(book))])
    return book


def one_blob(n: int = 200, seed: int = 21) -> pd.DataFrame:
    """Accounts with no group structure: where k-means lands depends on where it starts."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "account_id": [f"N{i:03d}" for i in range(n)],
            "total_revenue": rng.lognormal(11.0, 1.0, n),
            "frequency": rng.poisson(6.0, n).astype(float),
            "discount_share": rng.uniform(0.0, 0.5, n),
        }
    )
