"""`kam clv fit` reproduces the published CDNOW fits from the raw transactions file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kam_analytics.datasets import load_cdnow_sample, load_northwind_transactions
from tests.cli.helpers import Kam

pytestmark = [
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option:Warning"),
]

PUBLISHED_BGNBD = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
PUBLISHED_GAMMA_GAMMA = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.fixture
def cdnow_file(tmp_path: Path) -> Path:
    path = tmp_path / "cdnow.csv"
    lines = load_cdnow_sample()[["customer_id", "date", "amount"]]
    lines.assign(date=lines["date"].dt.strftime("%Y-%m-%d")).to_csv(path, index=False)
    return path


def test_it_reproduces_the_published_cdnow_parameters(kam: Kam, cdnow_file: Path) -> None:
    result = kam(
        "clv", "fit", str(cdnow_file), "--calibration-end", "1997-09-30",
        "--time-unit", "week", "--json",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    fit = json.loads(result.stdout)
    for name, value in PUBLISHED_BGNBD.items():
        assert round(fit["bgnbd"][name], 2) == round(value, 2), name
    for name, value in PUBLISHED_GAMMA_GAMMA.items():
        assert round(fit["gamma_gamma"][name], 2) == round(value, 2), name
    assert fit["bgnbd"]["loglik"] == pytest.approx(-9582.4, abs=0.05)
    assert fit["customers"] == 2357
    assert set(fit["standard_errors"]["bgnbd"]) == set(PUBLISHED_BGNBD)
    assert all(0 < se < 5 for se in fit["standard_errors"]["gamma_gamma"].values())
    assert fit["warnings"] == []


def test_it_prints_the_fit_for_people(kam: Kam, cdnow_file: Path) -> None:
    result = kam("clv", "fit", str(cdnow_file), "--calibration-end", "1997-09-30")

    assert result.exit_code == 0, result.output
    assert "2,357 customers, calibration up to 1997-09-30 (weeks)" in result.stdout
    assert "BG/NBD: r = 0.2426, alpha = 4.414, a = 0.7929, b = 2.426" in result.stdout
    assert "Gamma-Gamma: p = 6.25, q = 3.744, gamma = 15.44" in result.stdout


def test_it_reports_the_fallbacks_on_northwind(kam: Kam, tmp_path: Path) -> None:
    path = tmp_path / "orders.csv"
    orders = load_northwind_transactions()
    orders.rename(columns={"customer_id": "CustomerID", "date": "OrderDate"}).assign(
        OrderDate=orders["date"].dt.strftime("%d/%m/%Y")
    ).to_csv(path, index=False)

    result = kam(
        "clv", "fit", str(path), "--calibration-end", "1998-05-06", "--json",
        "--customer-col", "CustomerID", "--date-col", "OrderDate", "--date-format", "%d/%m/%Y",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    fit = json.loads(result.stdout)
    assert fit["customers"] == 89
    assert any("No drop-out can be identified" in w for w in fit["warnings"])
    # Standard errors that cannot be estimated are null, not NaN (which is not JSON).
    assert None in fit["standard_errors"]["bgnbd"].values()


def test_it_names_a_missing_column(kam: Kam, cdnow_file: Path) -> None:
    result = kam(
        "clv", "fit", str(cdnow_file), "--calibration-end", "1997-09-30",
        "--amount-col", "revenue",
    )  # fmt: skip

    assert result.exit_code == 2
    assert f"{cdnow_file}: the amount column 'revenue' is missing" in result.output


def test_it_refuses_a_calibration_end_before_any_purchase(kam: Kam, cdnow_file: Path) -> None:
    result = kam("clv", "fit", str(cdnow_file), "--calibration-end", "1990-01-01")

    assert result.exit_code == 2
    assert "no purchases on or before 1990-01-01" in result.output
    bad = kam("clv", "fit", str(cdnow_file), "--calibration-end", "30/09/1997")
    assert bad.exit_code == 2
    assert "--calibration-end '30/09/1997' is not a date; expected YYYY-MM-DD" in bad.output
