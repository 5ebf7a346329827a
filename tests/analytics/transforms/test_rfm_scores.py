"""rfm_scores: quantile scores with ties kept together, the same on every engine."""

from __future__ import annotations

import ibis
import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.rfm import (
    RFM_GRID,
    RFM_SEGMENTS,
    rfm_scores,
    segment_of,
    to_five_point,
)
from kam_analytics.transforms import customer_summary
from tests.analytics.conftest import Loader
from tests.analytics.transforms.reference import AS_OF, reference_scores, story_transactions


def summary_frame(seed: int = 5, customers: int = 137) -> pd.DataFrame:
    """A summary with many ties, as real ones have (most customers bought once)."""
    rng = np.random.default_rng(seed)
    frequency = rng.choice([0, 0, 0, 1, 1, 2, 3, 8], customers)
    return pd.DataFrame(
        {
            "customer_id": [f"K{i:04d}" for i in range(customers)],
            "frequency": frequency,
            "recency": rng.integers(0, 50, customers).astype(float),
            "T": np.full(customers, 52.0),
            "monetary": np.round(rng.gamma(2, 50, customers), 2),
            "total_revenue": np.round(rng.gamma(1, 500, customers), 0),
            "n_transactions": frequency + 1 + rng.integers(0, 3, customers),
            "days_since_last": rng.integers(0, 40, customers) * 7,
        }
    )


def reference_rfm(summary: pd.DataFrame, bins: int) -> pd.DataFrame:
    r = reference_scores(summary["days_since_last"], bins, larger_is_better=False)
    f = reference_scores(summary["frequency"] + 1, bins, larger_is_better=True)
    m = reference_scores(summary["total_revenue"], bins, larger_is_better=True)
    separator = "" if bins <= 9 else "-"
    return pd.DataFrame(
        {
            "customer_id": summary["customer_id"],
            "r_score": r,
            "f_score": f,
            "m_score": m,
            "rfm_code": [separator.join(map(str, code)) for code in zip(r, f, m, strict=True)],
            "segment": [segment_of(a, b, bins=bins) for a, b in zip(r, f, strict=True)],
        }
    )


def scores_of(table_rows: pd.DataFrame) -> pd.DataFrame:
    columns = ["customer_id", "r_score", "f_score", "m_score", "rfm_code", "segment"]
    return table_rows[columns].sort_values("customer_id").reset_index(drop=True)


@pytest.mark.parametrize("bins", [5, 10])
def test_it_scores_like_the_pandas_reference(load: Loader, bins: int) -> None:
    summary = summary_frame()
    actual = scores_of(rfm_scores(load(summary), bins=bins).execute())
    expected = scores_of(reference_rfm(summary, bins))
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


def test_it_gives_the_same_scores_whatever_the_row_order(load: Loader) -> None:
    summary = summary_frame(seed=9, customers=40)
    shuffled = summary.sample(frac=1.0, random_state=1)
    first = scores_of(rfm_scores(load(summary)).execute())
    second = scores_of(rfm_scores(load(shuffled)).execute())
    pd.testing.assert_frame_equal(first, second)


def test_it_keeps_tied_customers_together(load: Loader) -> None:
    summary = pd.DataFrame(
        {
            "customer_id": list("abcdefghij"),
            "frequency": [0, 0, 0, 0, 0, 0, 1, 1, 2, 5],
            "days_since_last": [1, 1, 1, 1, 10, 20, 30, 40, 50, 60],
            "total_revenue": [10.0] * 10,
        }
    )
    rows = rfm_scores(load(summary)).execute().set_index("customer_id").sort_index()
    assert rows["f_score"].tolist() == [1, 1, 1, 1, 1, 1, 4, 4, 5, 5]
    assert rows["r_score"].tolist() == [4, 4, 4, 4, 3, 3, 2, 2, 1, 1]
    assert set(rows["m_score"]) == {1}  # everyone tied: the lowest place for all


def test_it_scores_the_customer_summary_end_to_end(load: Loader) -> None:
    summary = customer_summary(load(story_transactions()), as_of=AS_OF)
    rows = rfm_scores(summary, monetary_measure="monetary").execute().set_index("customer_id")
    assert rows.loc["on-as-of", "r_score"] == 5  # bought on as_of: nobody more recent
    assert rows.loc["regular", "f_score"] == 5
    assert rows.loc["returner", "m_score"] == 1  # monetary -80: the lowest
    assert set(rows["segment"]) <= set(RFM_SEGMENTS)


def test_it_uses_the_measures_it_is_given(load: Loader) -> None:
    summary = pd.DataFrame(
        {
            "customer_id": ["a", "b"],
            "frequency": [0, 9],
            "n_transactions": [7, 1],
            "recency": [30.0, 2.0],
            "days_since_last": [50, 1],
            "total_revenue": [1.0, 2.0],
            "monetary": [9.0, 1.0],
        }
    )
    rows = (
        rfm_scores(
            load(summary),
            bins=2,
            recency_measure="recency",
            frequency_measure="n_transactions",
            monetary_measure="monetary",
        )
        .execute()
        .set_index("customer_id")
    )
    assert rows.loc["a", "rfm_code"] == "222"
    assert rows.loc["b", "rfm_code"] == "111"


def test_it_maps_other_bin_counts_onto_the_five_point_grid() -> None:
    assert [to_five_point(s, 5) for s in range(1, 6)] == [1, 2, 3, 4, 5]
    assert [to_five_point(s, 3) for s in range(1, 4)] == [1, 3, 5]
    assert [to_five_point(s, 4) for s in range(1, 5)] == [1, 2, 4, 5]
    assert [to_five_point(s, 10) for s in range(1, 11)] == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    assert segment_of(10, 10, bins=10) == "champions"
    assert segment_of(1, 1, bins=3) == "lost"


def test_it_has_the_eleven_classic_segments_in_english_and_chinese() -> None:
    on_grid = {code for row in RFM_GRID.values() for code in row}
    assert on_grid == set(RFM_SEGMENTS)
    assert len(RFM_SEGMENTS) == 11
    for code, segment in RFM_SEGMENTS.items():
        assert segment.code == code
        assert segment.name_en and segment.name_zh and segment.description_en
        assert segment.description_zh
    assert RFM_SEGMENTS["champions"].name_zh == "冠军客户"
    assert segment_of(5, 5) == "champions"
    assert segment_of(1, 5) == "cant_lose_them"
    assert segment_of(3, 3) == "need_attention"


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("bins", 1, "bins must be between 2 and 100"),
        ("recency_measure", "age", "recency_measure must be one of days_since_last, recency"),
        ("monetary_measure", "profit", "monetary_measure must be one of total_revenue"),
    ],
)
def test_it_rejects_options_it_does_not_know(option: str, value: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        rfm_scores(ibis.memtable(summary_frame(customers=3)), **{option: value})  # type: ignore[arg-type]
