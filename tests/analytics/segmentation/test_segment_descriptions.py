"""Segments in words a manager understands, in English and Simplified Chinese."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.segmentation import (
    FEATURE_WORDS,
    FeatureWords,
    Segmentation,
    describe_segments,
    segment_accounts,
)
from tests.analytics.segmentation.segmentation_books import described_book, three_groups

NUMERIC = ["total_revenue", "frequency", "discount_share", "employees"]
CATEGORICAL = ["industry", "ownership_type", "region"]


@pytest.fixture(scope="module")
def described() -> tuple[pd.DataFrame, Segmentation]:
    book = described_book()
    result = segment_accounts(
        book, id_column="account_id", numeric=NUMERIC, categorical=CATEGORICAL
    )
    return book, result


def test_it_describes_the_key_accounts_in_both_languages(
    described: tuple[pd.DataFrame, Segmentation],
) -> None:
    book, result = described
    key = result.profiles[0]

    assert set(book.loc[result.labels == 1, "group"]) == {"key"}
    assert key.description.en == (
        "Large state-owned manufacturers in East China insensitive to price, buying very often"
    )
    assert key.description.zh == "华东地区大型国有制造企业，对价格不敏感，购买很频繁"


def test_it_gives_the_figures_behind_the_words(
    described: tuple[pd.DataFrame, Segmentation],
) -> None:
    _, result = described
    key = result.profiles[0]
    by_feature = {c.feature: c for c in key.numeric}

    assert key.numeric[0].feature == "discount_share"  # largest |effect|
    assert by_feature["discount_share"].direction == "low"
    assert by_feature["discount_share"].effect < -1.0
    assert by_feature["employees"].direction == "high"
    assert by_feature["employees"].segment_median > 10 * by_feature["employees"].book_median
    # Only the three largest differences are put in words.
    assert by_feature["total_revenue"].words is None
    levels = {(c.feature, c.level): c for c in key.levels}
    soe = levels[("ownership_type", "state-owned")]
    assert soe.segment_share == 1.0
    assert soe.lift == pytest.approx(1.0 / soe.book_share)
    assert soe.lift >= 1.5
    assert soe.words is not None and soe.words.zh == "国有"
    assert key.share == pytest.approx(40 / 240)
    assert key.revenue_share > 0.8


def test_small_and_mid_sized_accounts_get_their_own_words(
    described: tuple[pd.DataFrame, Segmentation],
) -> None:
    _, result = described
    mid, small = result.profiles[1], result.profiles[2]

    assert mid.description.en.startswith("Large accounts")  # above the book's median size
    assert "very" not in mid.description.en  # but not far above
    assert small.description.en == "Small accounts sensitive to price, spending little"
    assert small.description.zh == "小型客户，对价格敏感，采购金额小"
    assert small.levels == ()  # small accounts are of every kind


def test_a_feature_without_its_own_words_gets_the_generic_phrase() -> None:
    book = three_groups()
    book["warehouse_count"] = book["total_revenue"] / 10_000  # grows with the group
    labels = book["group"].to_numpy()
    profiles = describe_segments(book, labels, numeric=["warehouse_count"])
    by_label = {p.label: p for p in profiles}

    assert [p.label for p in profiles] == ["key", "mid", "small"]  # sorted labels
    assert by_label["key"].description.en == "Accounts with warehouse count well above average"
    assert by_label["key"].description.zh == "warehouse count 远高于平均的客户"
    assert by_label["small"].description.en == "Accounts with warehouse count below average"


def test_the_caller_can_give_words_for_a_feature() -> None:
    book = three_groups()
    book["warehouse_count"] = book["total_revenue"] / 10_000
    words = {
        "warehouse_count": FeatureWords(
            "warehouses", "仓库数", "with {very}many warehouses", "仓库{very}多", "", ""
        )
    }
    profiles = describe_segments(
        book, book["group"].to_numpy(), numeric=["warehouse_count"], words=words
    )

    assert profiles[0].description.en == "Accounts with very many warehouses"
    assert profiles[0].description.zh == "仓库很多的客户"
    assert profiles[2].description.en == "Accounts with warehouses below average"


def test_the_word_table_speaks_both_languages_for_every_feature() -> None:
    for name, words in FEATURE_WORDS.items():
        assert words.name_en and words.name_zh, name
        assert bool(words.high_en) == bool(words.high_zh), name
        assert bool(words.low_en) == bool(words.low_zh), name
        assert words.high_en.count("{very}") == words.high_zh.count("{very}"), name
        assert words.low_en.count("{very}") == words.low_zh.count("{very}"), name


def test_an_unknown_level_is_said_as_it_is() -> None:
    rng = np.random.default_rng(4)
    book = pd.DataFrame(
        {
            "total_revenue": rng.lognormal(10, 0.3, 100),
            "province": ["Jiangsu"] * 30 + list(rng.choice(["Hebei", "Hunan", "Sichuan"], 70)),
        }
    )
    labels = np.array(["a"] * 30 + ["b"] * 70)
    profiles = describe_segments(book, labels, numeric=["total_revenue"], categorical=["province"])

    assert profiles[0].description.en == "Accounts in Jiangsu"
    assert profiles[0].description.zh == "Jiangsu 客户"
