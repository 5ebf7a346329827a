"""The same file scored on DuckDB and on Spark gives the same book, to the last tier."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest

from kam_analytics.backends import read_transactions
from kam_analytics.pipeline import score_book
from tests.analytics.pipeline.books import CDNOW_AS_OF, NORTHWIND_AS_OF, cdnow_book, northwind_book

pytestmark = pytest.mark.spark


def scored(backend: ibis.BaseBackend, path: Path, as_of: date) -> pd.DataFrame:
    table = read_transactions(
        backend, path, customer_col="customer_id", date_col="date", amount_col="amount"
    )
    return score_book(table, as_of=as_of).customers


def assert_same_books(duck: pd.DataFrame, spark: pd.DataFrame) -> None:
    assert list(duck.columns) == list(spark.columns)
    assert list(duck["customer_id"]) == list(spark["customer_id"])
    for name in duck.columns:
        left, right = duck[name], spark[name]
        if pd.api.types.is_float_dtype(left):
            np.testing.assert_allclose(
                left.to_numpy(), right.to_numpy(), rtol=1e-9, atol=1e-9, err_msg=name
            )
        else:
            assert left.astype(str).tolist() == right.astype(str).tolist(), name


@pytest.mark.parametrize(
    ("book", "as_of"), [(cdnow_book, CDNOW_AS_OF), (northwind_book, NORTHWIND_AS_OF)]
)
def test_duckdb_and_spark_score_a_file_alike(
    duckdb_backend: ibis.BaseBackend,
    spark_backend: ibis.BaseBackend,
    tmp_path: Path,
    book: Callable[[], pd.DataFrame],
    as_of: date,
) -> None:
    path = tmp_path / "transactions.csv"
    lines = book()
    lines.assign(date=lines["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)

    duck = scored(duckdb_backend, path, as_of)
    spark = scored(spark_backend, path, as_of)

    assert_same_books(duck, spark)
    assert set(duck["tier"]) == {"diamond", "core", "potential", "basic"}
