"""Tiers: exact shares, ties by customer id, and "potential" means growth, not rank 21-50%."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from kam_analytics.config import TierConfig, TierShares, ValueConfig
from kam_analytics.models.tiering import TierInputs, assign_tiers, format_money, tier_counts
from kam_analytics.pipeline import score_book
from tests.analytics.conftest import Loader
from tests.analytics.pipeline.books import STORY_AS_OF, story_book

DEFAULT_SHARES = TierShares().as_dict()


def inputs(n: int, seed: int = 1) -> TierInputs:
    rng = np.random.default_rng(seed)
    before = rng.gamma(2.0, 100.0, n)
    return TierInputs(
        id_order=np.arange(n),
        measure=rng.lognormal(5.0, 1.5, n),
        p_alive=rng.beta(5.0, 1.0, n),
        growth_from=before,
        growth_to=before * rng.lognormal(0.2, 0.5, n),
        growth_observed=rng.uniform(size=n) < 0.8,
    )


def test_it_gives_exactly_the_shares_of_a_thousand_accounts() -> None:
    assert tier_counts(1000, DEFAULT_SHARES) == {
        "diamond": 20,
        "core": 180,
        "potential": 300,
        "basic": 500,
    }
    data = inputs(1000)
    result = assign_tiers(data)

    assert result.counts == {"diamond": 20, "core": 180, "potential": 300, "basic": 500}
    assert result.candidates > 300
    assert result.warnings == []
    order = np.argsort(-data.measure)
    assert set(result.tier[order[:20]]) == {"diamond"}
    assert set(result.tier[order[20:200]]) == {"core"}


@given(st.integers(min_value=0, max_value=5000))
def test_the_counts_always_add_up(n: int) -> None:
    counts = tier_counts(n, DEFAULT_SHARES)
    assert sum(counts.values()) == n
    for tier, share in DEFAULT_SHARES.items():
        assert abs(counts[tier] - share * n) < 1


def test_it_rounds_a_small_book_by_largest_remainder() -> None:
    # 89 accounts (Northwind): quotas 1.78, 16.02, 26.7, 44.5.
    assert tier_counts(89, DEFAULT_SHARES) == {
        "diamond": 2,
        "core": 16,
        "potential": 27,
        "basic": 44,
    }


def test_potential_accounts_are_growth_candidates_ranked_by_value_gained() -> None:
    data = inputs(1000, seed=4)
    result = assign_tiers(data)

    potential = result.tier == "potential"
    assert np.all(data.gain[potential] > 0)
    assert np.all(data.p_alive[potential] >= 0.5)
    rest = (result.tier == "basic") & (data.p_alive >= 0.5)
    assert data.gain[potential].min() >= data.gain[rest].max()


def test_ties_are_broken_by_customer_id_whatever_the_row_order() -> None:
    n = 100
    data = TierInputs(
        id_order=np.arange(n),
        measure=np.ones(n),  # everyone equal
        p_alive=np.ones(n),
        growth_from=np.zeros(n),
        growth_to=np.full(n, 50.0),
        growth_observed=np.ones(n, dtype=bool),
    )
    result = assign_tiers(data)
    assert list(result.tier[:3]) == ["diamond", "diamond", "core"]
    assert list(result.tier[20:50]) == ["potential"] * 30

    shuffle = np.random.default_rng(0).permutation(n)
    shuffled = assign_tiers(
        TierInputs(
            id_order=data.id_order[shuffle],
            measure=data.measure[shuffle],
            p_alive=data.p_alive[shuffle],
            growth_from=data.growth_from[shuffle],
            growth_to=data.growth_to[shuffle],
            growth_observed=data.growth_observed[shuffle],
        )
    )
    np.testing.assert_array_equal(shuffled.tier, result.tier[shuffle])


def test_it_says_when_too_few_accounts_grow_and_keeps_the_rest_basic() -> None:
    n = 100
    gain = np.where(np.arange(n) % 10 == 0, 10.0, -10.0)
    data = TierInputs(
        id_order=np.arange(n),
        measure=np.arange(n, 0, -1.0),
        p_alive=np.ones(n),
        growth_from=np.full(n, 100.0),
        growth_to=100.0 + gain,
        growth_observed=np.ones(n, dtype=bool),
    )
    result = assign_tiers(data)

    assert result.counts["potential"] == 8  # ids 20, 30, ..., 90
    assert result.counts["basic"] == 72
    assert "Only 8 accounts outside diamond and core are growth candidates" in result.warnings[0]


def test_it_gives_reasons_in_words_and_codes() -> None:
    data = TierInputs(
        id_order=np.arange(4),
        measure=np.array([1_234_567.0, 10.0, 5.0, 1.0]),
        p_alive=np.array([0.9, 0.92, 0.3, 0.8]),
        growth_from=np.array([0.0, 100.0, 0.0, 50.0]),
        growth_to=np.array([0.0, 180.0, 10.0, 40.0]),
        growth_observed=np.array([True, False, True, True]),
    )
    shares = TierShares(diamond=0.25, core=0.0, potential=0.25, basic=0.5)
    result = assign_tiers(data, TierConfig(shares=shares), horizon_words="52 weeks")

    assert list(result.reason_code) == [
        "diamond_by_clv",
        "potential_growth_predicted",
        "basic_low_p_alive",
        "basic_not_growing",
    ]
    assert result.reason[0] == "top 25% by CLV (¥1.2M)"
    assert result.reason[1] == (
        "growth candidate: predicted value up 80% on the last 52 weeks (¥180 against ¥100), "
        "P(alive) 0.92"
    )
    assert result.reason[2].startswith("P(alive) below 0.5")


@pytest.mark.parametrize(
    ("value", "text"),
    [(950.4, "¥950"), (12_345.0, "¥12.3K"), (1_234_567.0, "¥1.2M"), (-2.5e9, "-¥2.5B")],
)
def test_it_writes_money_compactly(value: float, text: str) -> None:
    assert format_money(value, "¥") == text


def test_a_small_fast_grower_is_potential_and_a_large_decliner_is_not(load: Loader) -> None:
    config = ValueConfig(tiers=TierConfig(measure="revenue"))
    result = score_book(load(story_book()), as_of=STORY_AS_OF, config=config)
    book = result.customers.set_index("customer_id")
    by_revenue = book["total_revenue"].rank(ascending=False, method="first")
    n = len(book)

    # A rank-based "potential" (21-50% by revenue) would take the decliner, not the grower.
    assert 0.2 < by_revenue["decliner"] / n <= 0.5
    assert by_revenue["grower"] / n > 0.5
    assert book.loc["grower", "tier"] == "potential"
    assert book.loc["grower", "tier_reason_code"] == "potential_growth_observed"
    assert book.loc["grower", "tier_reason"].startswith(
        "growth candidate: revenue up 1100% on the previous 52 weeks (¥4.8K against ¥400)"
    )
    assert book.loc["decliner", "tier"] == "basic"
    assert book.loc["decliner", "value_growth"] < 0
    big = [f"big-{i:02d}" for i in range(12)]
    assert set(book.loc[big, "tier"]) == {"diamond", "core"}
    assert result.tier_counts == tier_counts(n, DEFAULT_SHARES)


def test_it_ranks_by_the_composite_score_when_asked(load: Loader) -> None:
    config = ValueConfig(tiers=TierConfig(measure="score"))
    result = score_book(load(story_book()), as_of=STORY_AS_OF, config=config)
    book = result.customers.sort_values(["score", "customer_id"], ascending=[False, True])

    top = book.iloc[: result.tier_counts["diamond"] + result.tier_counts["core"]]
    assert set(top["tier"]) == {"diamond", "core"}
    assert top["tier_reason"].str.match(r"(top 2%|next 18%) by score \(\d+\.\d\)").all()
