"""The composite score: percentile ranks, weighted, renormalised, with a breakdown that adds
up to the score; payment records and ratings with neutral values for the gaps."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from kam_analytics.config import CRITERIA, ScoreWeights
from kam_analytics.models.scoring import (
    composite_score,
    payment_percentiles,
    payment_record,
    percentile_rank,
    rating_values,
)

AS_OF = date(2024, 6, 30)


def test_percentile_ranks_run_from_0_to_100_with_ties_sharing() -> None:
    ranks = percentile_rank([10.0, 30.0, 20.0, 20.0, np.nan])

    np.testing.assert_allclose(ranks[:4], [0.0, 100.0, 50.0, 50.0])
    assert np.isnan(ranks[4])
    np.testing.assert_array_equal(percentile_rank([7.0, 7.0, 7.0]), 50.0)
    np.testing.assert_array_equal(percentile_rank([42.0]), 50.0)


def test_percentile_ranks_ignore_the_last_bits_of_a_sum() -> None:
    # 0.1 + 0.2 != 0.3 in floating point; an engine adding in another order must not
    # split the tie.
    ranks = percentile_rank([0.1 + 0.2, 0.3, 1.0])
    assert ranks[0] == ranks[1]


def test_the_breakdown_adds_up_to_the_score() -> None:
    rng = np.random.default_rng(3)
    percentiles = {name: rng.uniform(0, 100, 50) for name in ("volume", "clv", "growth")}
    result = composite_score(percentiles, ScoreWeights(), 50)

    breakdown = sum(result.contributions[name] for name in CRITERIA)
    np.testing.assert_allclose(breakdown, result.score, rtol=1e-12)
    assert np.all((result.score >= 0) & (result.score <= 100))


def test_weights_are_renormalised_over_the_criteria_present() -> None:
    weights = ScoreWeights(volume=0.2, clv=0.6, growth=0.0, payment=0.2)
    percentiles = {"volume": np.array([100.0, 0.0]), "clv": np.array([0.0, 100.0])}
    result = composite_score(percentiles, weights, 2)

    assert result.weights == pytest.approx({"volume": 0.25, "clv": 0.75})
    np.testing.assert_allclose(result.score, [25.0, 75.0])
    assert "payment" in result.absent
    assert "growth" not in result.absent  # zero weight: not missed
    np.testing.assert_array_equal(result.contributions["payment"], 0.0)


def test_a_top_customer_on_every_criterion_scores_100() -> None:
    values = {name: percentile_rank([1.0, 2.0, 3.0]) for name in ("volume", "frequency", "clv")}
    result = composite_score(values, ScoreWeights(), 3)
    np.testing.assert_allclose(result.score, [0.0, 50.0, 100.0])


def payments() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "customer_id": ["a", "a", "b", "b", "c", "c", "x"],
            "due_date": [
                "2024-01-31",
                "2024-02-29",
                "2024-03-31",
                "2024-05-31",
                "2024-06-15",
                "2024-07-31",  # not due yet at the as-of date: ignored
                "2024-01-31",
            ],
            "paid_date": [
                "2024-01-30",
                "2024-02-29",
                "2024-04-10",  # 10 days late
                None,  # unpaid: 30 days late at the as-of date
                "2024-07-05",  # paid after the as-of date: unknown then, 15 days late
                None,
                "2024-01-31",
            ],
            "amount": [100.0, 300.0, 100.0, 300.0, 50.0, 999.0, 10.0],
        }
    )


def test_it_measures_punctuality_by_amount_on_the_as_of_date() -> None:
    record = payment_record(payments(), np.array(["a", "b", "c", "d"]), as_of=AS_OF)

    np.testing.assert_allclose(record.on_time_share[:3], [1.0, 0.0, 0.0])
    # b: (100 * 10 + 300 * 30) / 400 days late on average, weighted by amount.
    np.testing.assert_allclose(record.mean_days_late[:3], [0.0, 25.0, 15.0])
    np.testing.assert_array_equal(record.n_payments, [2, 2, 1, 0])
    assert np.isnan(record.on_time_share[3]) and np.isnan(record.mean_days_late[3])
    assert record.unmatched_customers == 1  # "x" bought nothing


def test_customers_without_payments_are_neutral() -> None:
    record = payment_record(payments(), np.array(["a", "b", "c", "d"]), as_of=AS_OF)
    values = payment_percentiles(record)

    assert values[0] == 100.0  # always on time
    assert values[1] < values[2]  # later on average than c
    assert values[3] == 50.0


def test_it_weighs_zero_amount_payments_equally() -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "a"],
            "due_date": ["2024-01-31", "2024-02-29"],
            "paid_date": ["2024-01-31", "2024-03-10"],
            "amount": [0.0, 0.0],
        }
    )
    record = payment_record(frame, np.array(["a"]), as_of=AS_OF)
    assert record.on_time_share[0] == pytest.approx(0.5)
    assert record.mean_days_late[0] == pytest.approx(5.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"due_date": ["soon"] * 7}, "payments: row 1 has a due_date that is not a date: 'soon'"),
        ({"amount": ["1", "x", "1", "1", "1", "1", "1"]}, "row 2 has an amount that is not a"),
    ],
)
def test_it_points_at_a_bad_payment(change: dict[str, list[str]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        payment_record(payments().assign(**change), np.array(["a"]), as_of=AS_OF)


def test_it_names_missing_payment_columns() -> None:
    with pytest.raises(ValueError, match=r"payments: the column\(s\) 'due_date' are missing"):
        payment_record(payments().drop(columns="due_date"), np.array(["a"]), as_of=AS_OF)


def test_missing_ratings_are_a_neutral_three() -> None:
    ratings = pd.DataFrame(
        {"customer_id": ["a", "c", "zz"], "cooperation": [5, None, 1], "market_share": [2, 4, 3]}
    )
    values, missing, unmatched = rating_values(ratings, np.array(["a", "b", "c"]))

    np.testing.assert_array_equal(values["cooperation"], [5.0, 3.0, 3.0])
    np.testing.assert_array_equal(values["market_share"], [2.0, 3.0, 4.0])
    assert missing == {"cooperation": 2, "market_share": 1}
    assert unmatched == 1
    assert set(values) == {"cooperation", "market_share"}


@pytest.mark.parametrize(
    ("ratings", "message"),
    [
        (
            pd.DataFrame({"customer_id": ["a"], "cooperation": [6]}),
            "ratings: cooperation of customer 'a' is 6; expected a rating from 1 to 5",
        ),
        (
            pd.DataFrame({"customer_id": ["a"], "cooperation": ["good"]}),
            "ratings: cooperation of customer 'a' is 'good'",
        ),
        (
            pd.DataFrame({"customer_id": ["a"], "brand": [3]}),
            "ratings: unknown column\\(s\\) 'brand'; expected customer_id and any of",
        ),
        (
            pd.DataFrame({"customer_id": ["a", "a"], "cooperation": [3, 4]}),
            "ratings: customer 'a' has more than one row",
        ),
    ],
)
def test_it_refuses_bad_ratings(ratings: pd.DataFrame, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rating_values(ratings, np.array(["a"]))
