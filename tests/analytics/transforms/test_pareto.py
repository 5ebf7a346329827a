"""Pareto, ABC and concentration figures on examples that can be checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.pareto import (
    abc_classes,
    concentration,
    cumulative_curve,
    downsample_curve,
    gini,
    hhi,
    pareto_analysis,
    top_n_share,
    top_share,
)
from kam_analytics.transforms import customer_summary
from tests.analytics.conftest import Loader
from tests.analytics.transforms.reference import AS_OF, story_transactions


def totals(*values: float) -> pd.Series:
    return pd.Series(values, index=[f"c{i}" for i in range(len(values))], dtype="float64")


# Ten customers: 50, 30, 10, 5, 5 and five with nothing; one net returner.
BOOK = pd.Series(
    [5.0, 50.0, 0.0, 30.0, -4.0, 10.0, 5.0, 0.0, 0.0, 0.0],
    index=["e", "a", "f", "b", "r", "c", "d", "g", "h", "i"],
)


def test_it_draws_the_cumulative_curve_largest_customers_first() -> None:
    curve = cumulative_curve(BOOK)
    assert curve["customer_share"].tolist() == pytest.approx(np.arange(11) / 10)
    assert curve["value_share"].tolist()[:6] == pytest.approx([0, 0.5, 0.8, 0.9, 0.95, 1.0])
    assert curve["value_share"].iloc[-1] == 1.0


def test_it_reads_top_shares_off_the_curve() -> None:
    assert top_share(BOOK, 0.10) == pytest.approx(0.50)
    assert top_share(BOOK, 0.20) == pytest.approx(0.80)
    assert top_share(BOOK, 0.05) == pytest.approx(0.25)  # half of the top customer
    assert top_n_share(BOOK, 3) == pytest.approx(0.90)


def test_it_classes_a_as_the_customers_making_the_first_80_percent() -> None:
    classes = abc_classes(BOOK)
    assert classes.to_dict() == {
        "e": "C",  # ties with "d" at 5; by id "d" makes 90..95% (B), "e" 95..100% (C)
        "a": "A",
        "f": "C",
        "b": "A",
        "r": "C",
        "c": "B",
        "d": "B",
        "g": "C",
        "h": "C",
        "i": "C",
    }
    shifted = abc_classes(BOOK, a_share=0.5, b_share=0.9)
    assert shifted[["a", "b", "c", "d"]].tolist() == ["A", "B", "B", "C"]


def test_it_finds_no_inequality_among_equal_customers() -> None:
    equal = totals(7, 7, 7, 7)
    assert gini(equal) == pytest.approx(0.0)
    assert hhi(equal) == pytest.approx(0.25)
    assert top_share(equal, 0.5) == pytest.approx(0.5)


def test_it_finds_full_concentration_in_one_customer() -> None:
    one = totals(1000, 0, 0, 0, 0)
    figures = concentration(one)
    assert figures.hhi == 1.0
    assert figures.hhi_points == 10_000
    assert figures.gini == pytest.approx(4 / 5)  # (n - 1) / n
    assert figures.classes.tolist() == ["A", "C", "C", "C", "C"]


def test_it_clips_net_returners_and_lists_them_apart() -> None:
    figures = concentration(BOOK, top_n=2)
    assert figures.total == 100.0
    assert figures.net_returners.to_dict() == {"r": -4.0}
    assert figures.top_n_share == pytest.approx(0.8)
    assert figures.classes["r"] == "C"
    summary = figures.class_summary.set_index("abc_class")
    assert summary["customers"].tolist() == [2, 2, 6]
    assert summary["value_share"].tolist() == pytest.approx([0.8, 0.15, 0.05])


def test_it_reports_undefined_shares_without_positive_revenue() -> None:
    nothing = totals(0, -5)
    assert np.isnan(gini(nothing)) and np.isnan(hhi(nothing))
    assert np.isnan(top_share(nothing, 0.2))
    assert abc_classes(nothing).tolist() == ["C", "C"]


def test_it_finds_the_80_20_rule_in_a_pareto_distributed_book() -> None:
    # Pareto index log(5) / log(4) ~ 1.16 is the one for which the top 20% hold 80%.
    rng = np.random.default_rng(2024)
    revenue = pd.Series(rng.pareto(np.log(5) / np.log(4), 200_000) + 1.0)
    assert top_share(revenue, 0.20) == pytest.approx(0.80, abs=0.06)
    figures = concentration(revenue)
    assert len(figures.curve) <= 200
    assert figures.curve.iloc[0].tolist() == [0.0, 0.0]
    assert figures.curve.iloc[-1].tolist() == [1.0, 1.0]
    a_customers = figures.class_summary.set_index("abc_class").loc["A", "customer_share"]
    assert 0.10 < a_customers < 0.30


def test_it_downsamples_the_curve_keeping_both_ends() -> None:
    curve = cumulative_curve(pd.Series(np.arange(1000, dtype=float)))
    small = downsample_curve(curve, max_points=50)
    assert len(small) == 50
    assert small.iloc[0].tolist() == curve.iloc[0].tolist()
    assert small.iloc[-1].tolist() == curve.iloc[-1].tolist()
    assert small["customer_share"].is_monotonic_increasing


def test_it_analyses_revenue_and_profit_of_a_summary_table(load: Loader) -> None:
    summary = customer_summary(load(story_transactions()), as_of=AS_OF)
    report = pareto_analysis(summary, top_n=1)
    assert report.revenue.n_customers == 7
    assert report.revenue.net_returners.index.tolist() == ["returner"]
    assert report.revenue.classes["regular"] == "A"
    revenue = summary.execute().set_index("customer_id")["total_revenue"]
    positive_total = revenue.clip(lower=0).sum()
    assert report.revenue.total == pytest.approx(positive_total)
    assert report.revenue.top_n_share == pytest.approx(revenue.max() / positive_total)
    assert report.profit is not None
    assert report.profit.net_returners.index.tolist() == ["returner"]
    without_margin = pareto_analysis(summary.drop("total_margin"))
    assert without_margin.profit is None
