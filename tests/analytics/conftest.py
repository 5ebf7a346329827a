"""Engines for the analytics suite: every table test runs once per backend.

``backend`` is parametrised over DuckDB (in memory) and Spark (local mode, one session for
the whole run: it takes about ten seconds to start). Spark cases carry the ``spark`` marker,
so ``-m "not spark"`` gives a quick run. ``load`` puts a pandas frame into the backend
under a fresh name and returns the Ibis table.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator

import ibis
import pandas as pd
import pytest

from kam_analytics.backends import connect, table_from_pandas

Loader = Callable[[pd.DataFrame], ibis.Table]

_names = itertools.count()

# Test tables have a few hundred rows: compiling query code, re-planning and the JVM's
# optimising compiler cost more than they save (the suite's Spark part runs about twice
# as fast with these).
_SMALL_DATA_SPARK = {
    "spark.sql.codegen.wholeStage": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.extraJavaOptions": "-XX:TieredStopAtLevel=1",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "spark: runs on a local Spark session (needs Java; about 10 s to start)"
    )
    # Noise from Ibis 12 and PySpark 4.0 under pandas 3 / DuckDB 1.5, not from our code.
    for noise in (
        "ignore:The 'future.infer_string' option is deprecated:Warning:ibis.formats.pandas",
        "ignore:fetch_arrow_table\\(\\) is deprecated:DeprecationWarning:ibis.backends.duckdb",
        "ignore:The copy keyword is deprecated:Warning:pyspark.sql.pandas.types",
    ):
        config.addinivalue_line("filterwarnings", noise)


@pytest.fixture(scope="session")
def duckdb_backend() -> ibis.BaseBackend:
    return connect()


@pytest.fixture(scope="session")
def spark_backend(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ibis.BaseBackend]:
    pytest.importorskip("pyspark")
    if shutil.which("java") is None:
        pytest.skip("Spark needs a Java runtime")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    backend = connect(
        "spark://local[2]",
        shuffle_partitions=1,
        warehouse_dir=str(warehouse),
        **_SMALL_DATA_SPARK,
    )
    yield backend
    backend.disconnect()


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def backend(request: pytest.FixtureRequest) -> ibis.BaseBackend:
    engine: ibis.BaseBackend = request.getfixturevalue(f"{request.param}_backend")
    return engine


@pytest.fixture
def load(backend: ibis.BaseBackend) -> Loader:
    def load_frame(frame: pd.DataFrame) -> ibis.Table:
        return table_from_pandas(backend, frame, f"kam_test_{next(_names)}")

    return load_frame
