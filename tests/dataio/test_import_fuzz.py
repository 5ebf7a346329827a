"""Whatever bytes a file holds, an import answers with a report, never a traceback."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kam.dataio.engine import import_file
from tests.conftest import Cast

HEADER = "external_id,account,order_date,amount,product,quantity,margin,discount_rate\n"
cells = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"), max_size=12
)


@pytest.mark.slow
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=400), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_any_bytes_give_a_report(cast: Cast, data: bytes, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        report = import_file("transactions", path, actor=cast.dora)
    assert report.ok or all(str(p) for p in report.problems)


@pytest.mark.slow
@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(cells, min_size=0, max_size=9), max_size=5))
def test_any_cells_give_a_report(cast: Cast, rows: list[list[str]]) -> None:
    import csv
    import io

    text = io.StringIO()
    csv.writer(text).writerows(rows)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "orders.csv"
        path.write_text(HEADER + text.getvalue(), encoding="utf-8")
        report = import_file("transactions", path, actor=cast.dora)
    for problem in report.problems:
        assert str(problem).startswith(("row ", "column ")), str(problem)
