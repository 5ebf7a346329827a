"""`kam score --transactions FILE`: scores a file without any database and writes one row
per customer, as CSV or Parquet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from kam_analytics.datasets import load_cdnow_sample
from tests.cli.helpers import Kam, kam_process

pytestmark = [
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option:Warning"),
]

REQUIRED = [
    "customer_id", "frequency", "recency", "T", "monetary", "r_score", "f_score", "m_score",
    "rfm_segment", "p_alive", "expected_purchases", "expected_spend", "clv", "tier",
]  # fmt: skip
AS_OF = "1997-09-30"


def cdnow_lines() -> pd.DataFrame:
    return load_cdnow_sample()[["customer_id", "date", "amount"]]


def write_csv(lines: pd.DataFrame, path: Path) -> Path:
    lines.assign(date=lines["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


@pytest.fixture
def cdnow_file(tmp_path: Path) -> Path:
    return write_csv(cdnow_lines(), tmp_path / "cdnow.csv")


def read_out(path: Path) -> pd.DataFrame:
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype={"customer_id": str, "rfm_code": str})
    return pd.read_parquet(path)


def test_it_writes_every_customer_with_the_promised_columns(
    kam: Kam, cdnow_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "scores.csv"
    result = kam("score", "--transactions", str(cdnow_file), "--as-of", AS_OF, "--out", str(out))

    assert result.exit_code == 0, result.output
    book = read_out(out)
    assert set(REQUIRED) <= set(book.columns)
    assert {"score", "tier_reason", "lifecycle", "score_clv", "rfm_code"} <= set(book.columns)
    assert len(book) == 2357 and book["customer_id"].is_unique
    assert book[REQUIRED].drop(columns="customer_id").notna().all().all()
    assert (book["expected_spend"] >= 0).all()
    assert book["first_purchase"].str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    assert "Scored 2,357 customers as of 1997-09-30 (horizon 52 weeks)" in result.stdout
    assert "tiers: diamond 47, core 424, potential" in result.stdout
    assert "Pareto: the top 20% of customers bring 63." in result.stdout
    assert "BG/NBD: r = 0.2426, alpha = 4.414, a = 0.7929, b = 2.426" in result.stdout
    assert "warning: No payments given" in result.stdout


def test_parquet_holds_the_same_book_as_csv(kam: Kam, cdnow_file: Path, tmp_path: Path) -> None:
    for name in ("scores.csv", "scores.parquet"):
        result = kam(
            "score", "--transactions", str(cdnow_file), "--as-of", AS_OF,
            "--out", str(tmp_path / name), "--memory-limit", "1GB",
        )  # fmt: skip
        assert result.exit_code == 0, result.output

    csv = read_out(tmp_path / "scores.csv")
    parquet = read_out(tmp_path / "scores.parquet")
    assert list(parquet.columns) == list(csv.columns)
    pd.testing.assert_frame_equal(
        parquet[REQUIRED].reset_index(drop=True),
        csv[REQUIRED].reset_index(drop=True),
        check_dtype=False,
        rtol=1e-12,
    )


def test_it_maps_columns_and_reads_other_date_formats(
    kam: Kam, cdnow_file: Path, tmp_path: Path
) -> None:
    lines = cdnow_lines()
    german = tmp_path / "belege.csv"
    lines.rename(columns={"customer_id": "Kunde", "amount": "Umsatz"}).assign(
        Belegdatum=lines["date"].dt.strftime("%d.%m.%Y")
    ).drop(columns="date").to_csv(german, index=False)

    mapped = kam(
        "score", "--transactions", str(german), "--as-of", AS_OF,
        "--out", str(tmp_path / "mapped.csv"), "--customer-col", "Kunde",
        "--date-col", "Belegdatum", "--amount-col", "Umsatz", "--date-format", "%d.%m.%Y",
    )  # fmt: skip
    plain = kam(
        "score", "--transactions", str(cdnow_file), "--as-of", AS_OF,
        "--out", str(tmp_path / "plain.csv"),
    )  # fmt: skip

    assert mapped.exit_code == 0, mapped.output
    assert plain.exit_code == 0, plain.output
    pd.testing.assert_frame_equal(
        read_out(tmp_path / "mapped.csv"), read_out(tmp_path / "plain.csv")
    )


def test_it_ignores_the_rows_after_the_as_of_date(
    kam: Kam, cdnow_file: Path, tmp_path: Path
) -> None:
    lines = cdnow_lines()
    before = write_csv(lines[lines["date"] <= pd.Timestamp(AS_OF)], tmp_path / "calib.csv")
    assert len(lines[lines["date"] > pd.Timestamp(AS_OF)]) > 0

    for source, name in ((cdnow_file, "all.csv"), (before, "calib-only.csv")):
        result = kam(
            "score", "--transactions", str(source), "--as-of", AS_OF,
            "--out", str(tmp_path / name),
        )  # fmt: skip
        assert result.exit_code == 0, result.output

    pd.testing.assert_frame_equal(
        read_out(tmp_path / "all.csv"), read_out(tmp_path / "calib-only.csv")
    )


def test_it_reads_the_weights_and_tier_settings(kam: Kam, cdnow_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "weights.yaml"
    config.write_text("tiers:\n  measure: revenue\n  currency_symbol: $\n", encoding="utf-8")
    out = tmp_path / "scores.csv"

    result = kam(
        "score", "--transactions", str(cdnow_file), "--as-of", AS_OF, "--out", str(out),
        "--config", str(config), "--time-unit", "month",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    book = read_out(out)
    top = book.loc[book["tier"] == "diamond", "tier_reason"]
    assert top.str.match(r"top 2% by revenue \(\$[\d.]+K?\)").all()
    assert "(horizon 12 months)" in result.stdout


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--amount-col", "Umsatz"], "the amount column 'Umsatz' is missing; the file has"),
        (["--date-format", "%d/%m/%Y"], "the date column 'date' has a value that is not"),
    ],
)
def test_it_names_the_file_and_the_column_on_bad_input(
    kam: Kam, cdnow_file: Path, tmp_path: Path, extra: list[str], message: str
) -> None:
    result = kam(
        "score", "--transactions", str(cdnow_file), "--as-of", AS_OF,
        "--out", str(tmp_path / "scores.csv"), *extra,
    )  # fmt: skip

    assert result.exit_code == 2
    assert f"Error: {cdnow_file}: {message}" in result.output
    assert not (tmp_path / "scores.csv").exists()


@pytest.mark.parametrize(
    ("changed", "message"),
    [
        ({"--as-of": "yesterday"}, "--as-of 'yesterday' is not a date; expected YYYY-MM-DD"),
        ({"--out": "scores.xlsx"}, "cannot write 'scores.xlsx': expected a file name ending"),
        ({"--horizon": "0"}, "--horizon must be a number of weeks > 0; got 0"),
        ({"--as-of": "1990-01-01"}, "No purchases on or before 1990-01-01: nothing to score."),
        ({"--transactions": "missing.csv"}, "missing.csv does not exist"),
        ({"--memory-limit": "lots"}, "--memory-limit 'lots' is not a memory size such as 1.5GB"),
    ],
)
def test_it_explains_bad_options(
    kam: Kam, cdnow_file: Path, tmp_path: Path, changed: dict[str, str], message: str
) -> None:
    options = {
        "--transactions": str(cdnow_file),
        "--as-of": AS_OF,
        "--out": str(tmp_path / "scores.csv"),
        **changed,
    }

    result = kam("score", *(part for pair in options.items() for part in pair))

    assert result.exit_code == 2
    assert message in result.output


def test_it_names_a_bad_setting(kam: Kam, cdnow_file: Path, tmp_path: Path) -> None:
    config = tmp_path / "weights.json"
    config.write_text('{"weights": {"clv": "lots"}}', encoding="utf-8")

    result = kam(
        "score", "--transactions", str(cdnow_file), "--as-of", AS_OF,
        "--out", str(tmp_path / "scores.csv"), "--config", str(config),
    )  # fmt: skip

    assert result.exit_code == 2
    assert f"{config}: weights.clv must be a number >= 0; got 'lots'" in result.output


def test_it_needs_no_database(cdnow_file: Path, tmp_path: Path) -> None:
    # A broken database URL would stop any command that sets Django up.
    result = kam_process(
        "score", "--transactions", str(cdnow_file), "--as-of", AS_OF,
        "--out", str(tmp_path / "scores.parquet"),
        home=tmp_path, extra_env={"KAM_DATABASE_URL": "mysql://nowhere/kam"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert len(pd.read_parquet(tmp_path / "scores.parquet")) == 2357
