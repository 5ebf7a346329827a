"""score_book on real and hand-made books: every column, no NaN where a number is due,
honest warnings, the holdout ignored, payments and ratings in the score."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kam_analytics.config import CRITERIA, ScoreWeights, ValueConfig
from kam_analytics.models.lifecycle import STAGES
from kam_analytics.pipeline import OUTPUT_COLUMNS, ScoreResult, score_book
from kam_analytics.transforms import TimeUnit
from tests.analytics.conftest import Loader
from tests.analytics.pipeline.books import (
    CDNOW_AS_OF,
    NORTHWIND_AS_OF,
    STORY_AS_OF,
    cdnow_book,
    northwind_book,
    story_book,
)

# Columns that are numbers for every customer (growth_trend is empty where no trend can
# be measured, total_margin without margins).
NUMBERS = (
    "frequency",
    "recency",
    "T",
    "monetary",
    "total_revenue",
    "r_score",
    "f_score",
    "m_score",
    "p_alive",
    "expected_purchases",
    "expected_spend",
    "clv",
    "predicted_value",
    "value_growth",
    "score",
    *(f"score_{name}" for name in CRITERIA),
)


def assert_sound(result: ScoreResult) -> None:
    book = result.customers
    assert list(book.columns[: len(OUTPUT_COLUMNS)]) == list(OUTPUT_COLUMNS)
    assert book["customer_id"].is_unique
    assert book["customer_id"].is_monotonic_increasing
    for name in NUMBERS:
        values = book[name].to_numpy(np.float64)
        assert np.all(np.isfinite(values)), name
    for name in ("expected_spend", "expected_purchases", "clv", "score"):
        assert (book[name] >= 0).all(), name
    assert ((book["p_alive"] >= 0) & (book["p_alive"] <= 1)).all()
    assert (book["score"] <= 100).all()
    breakdown = book[[f"score_{name}" for name in CRITERIA]].sum(axis=1)
    np.testing.assert_allclose(breakdown, book["score"], rtol=1e-12, atol=1e-12)
    assert set(book["lifecycle"]) <= set(STAGES)
    assert book["tier"].notna().all() and book["tier_reason"].notna().all()
    assert sum(result.tier_counts.values()) == len(book)


def test_it_scores_cdnow_and_reproduces_the_published_fit(load: Loader) -> None:
    result = score_book(load(cdnow_book()), as_of=CDNOW_AS_OF)

    assert_sound(result)
    assert len(result.customers) == 2357
    for name, value in {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}.items():
        assert round(result.clv.bgnbd_params[name], 2) == round(value, 2)
    assert result.tier_counts["diamond"] == 47 and result.tier_counts["core"] == 424
    text = " ".join(result.warnings)
    assert "too little history" in text  # a 39-week book has no year-on-year trend
    assert "No payments given" in text and "No ratings given" in text
    assert result.pareto.revenue.top_shares[0.2] == pytest.approx(0.63, abs=0.01)
    assert set(result.customers["abc_class"]) == {"A", "B", "C"}


def test_it_scores_northwind_and_says_what_the_models_could_not_do(load: Loader) -> None:
    result = score_book(load(northwind_book()), as_of=NORTHWIND_AS_OF)

    assert_sound(result)
    text = " ".join(result.warnings)
    assert "No drop-out can be identified in this book" in text
    assert "correlated with the number of purchases" in text
    book = result.customers
    # The fallback's P(alive) separates customers instead of calling everyone alive.
    assert (book["p_alive"] < 0.5).any() and (book["p_alive"] == 1.0).mean() < 0.1
    assert {"growth", "declining", "mature"} <= set(book["lifecycle"])


def test_it_ignores_transactions_after_the_as_of_date(load: Loader) -> None:
    lines = cdnow_book()
    cut = score_book(load(lines), as_of=CDNOW_AS_OF).customers
    seen = lines[lines["date"] <= pd.Timestamp(CDNOW_AS_OF)]
    only_seen = score_book(load(seen), as_of=CDNOW_AS_OF).customers

    pd.testing.assert_frame_equal(cut, only_seen)
    assert lines["date"].max() > pd.Timestamp(CDNOW_AS_OF)


def test_it_puts_payments_and_ratings_into_the_score(load: Loader) -> None:
    lines = story_book()
    payments = pd.DataFrame(
        {
            "customer_id": ["small-00", "small-01", "small-02", "nobody"],
            "due_date": ["2024-06-30"] * 4,
            "paid_date": ["2024-06-30", "2024-08-29", None, "2024-06-30"],
            "amount": [500.0, 500.0, 500.0, 1.0],
        }
    )
    ratings = pd.DataFrame({"customer_id": ["small-00", "small-01"], "cooperation": [5, 1]})
    result = score_book(load(lines), as_of=STORY_AS_OF, payments=payments, ratings=ratings)

    assert_sound(result)
    book = result.customers.set_index("customer_id")
    assert book.loc["small-00", "on_time_share"] == 1.0
    assert book.loc["small-01", "mean_days_late"] == 60.0
    assert book.loc["small-02", "mean_days_late"] == 184.0  # unpaid at the as-of date
    assert np.isnan(book.loc["big-00", "on_time_share"])
    assert book.loc["small-00", "score_payment"] > book.loc["small-01", "score_payment"]
    assert book.loc["small-00", "cooperation"] == 5 and book.loc["big-00", "cooperation"] == 3
    text = " ".join(result.warnings)
    assert "customers have no payment due by 2024-12-31" in text
    assert "1 customers in the payments have no purchase" in text
    assert "customers have no cooperation rating: counted as neutral (3 of 5)" in text
    assert "No ratings given for brand influence, industry position, market share" in text


def test_it_follows_the_weights(load: Loader) -> None:
    weights = {**dict.fromkeys(CRITERIA, 0.0), "volume": 1.0}
    only_volume = ValueConfig(weights=ScoreWeights(**weights))
    result = score_book(load(story_book()), as_of=STORY_AS_OF, config=only_volume)
    book = result.customers

    np.testing.assert_allclose(book["score"], book["score_volume"])
    top = book.loc[book["score"].idxmax(), "customer_id"]
    assert top == book.loc[book["total_revenue"].idxmax(), "customer_id"]


def test_it_reports_progress_step_by_step(load: Loader) -> None:
    seen: list[tuple[str, int, int]] = []
    score_book(load(story_book()), as_of=STORY_AS_OF, progress=lambda *step: seen.append(step))

    assert [done for _, done, _ in seen] == [0, 1, 2, 3, 4]
    assert seen[0] == ("summarising the transactions", 0, 4)
    assert seen[-1][0] == "done"


def test_it_refuses_a_book_without_purchases_by_the_as_of_date(load: Loader) -> None:
    with pytest.raises(ValueError, match="No purchases on or before 1990-01-01"):
        score_book(load(story_book()), as_of=date(1990, 1, 1))
    with pytest.raises(ValueError, match="horizon must be > 0"):
        score_book(load(story_book()), as_of=STORY_AS_OF, horizon=0)


@pytest.mark.parametrize(("time_unit", "horizon"), [("day", 365), ("month", 12)])
def test_it_scores_in_every_time_unit(load: Loader, time_unit: TimeUnit, horizon: int) -> None:
    weekly = score_book(load(story_book()), as_of=STORY_AS_OF).customers
    other = score_book(
        load(story_book()),
        as_of=STORY_AS_OF,
        time_unit=time_unit,
        horizon=horizon,
    ).customers

    assert other["p_alive"].between(0, 1).all()
    # The same customers grow and decline whatever the unit.
    assert other.set_index("customer_id").loc["grower", "lifecycle"] == "growth"
    assert list(other["customer_id"]) == list(weekly["customer_id"])
