"""Decision-tree rules that reproduce tiers or segments, readable in both languages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.segmentation import Bilingual, explain_labels, segment_accounts
from tests.analytics.segmentation.segmentation_books import NUMERIC, three_groups


def accounts(n: int = 400, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "total_revenue": rng.lognormal(13.0, 1.2, n),
            "frequency": rng.poisson(8.0, n).astype(float),
            "industry": rng.choice(["manufacturing", "retail", "wholesale"], n),
        }
    )


def test_it_reproduces_a_threshold_rule_and_shows_the_threshold() -> None:
    book = accounts()
    tier = np.where(book["total_revenue"] > 1_000_000, "core", "basic")
    rules = explain_labels(book, tier, numeric=["total_revenue", "frequency"])

    assert rules.training_accuracy == 1.0
    assert rules.cv_accuracy > 0.95
    assert [r.text.en for r in rules.rules] == [
        f"IF total revenue ≤ 1M THEN basic (100% of {(tier == 'basic').sum()} accounts)",
        f"IF total revenue > 1M THEN core (100% of {(tier == 'core').sum()} accounts)",
    ]
    assert rules.rules[1].text.zh == (
        f"如果 总收入 > 1M，则为 核心（{(tier == 'core').sum()} 个客户中 100%）"
    )
    condition = rules.rules[1].conditions[0]
    assert (condition.feature, condition.lower, condition.upper) == ("total_revenue", 1e6, None)
    assert rules.importances[0] == ("total_revenue", pytest.approx(1.0))
    assert rules.importances[1] == ("frequency", 0.0)


def test_on_dense_data_thresholds_are_rounded_and_the_figures_are_the_rules_as_shown() -> None:
    book = accounts(n=5_000)
    tier = np.where(book["total_revenue"] > 1_234_567.0, "core", "basic")
    rules = explain_labels(book, tier, numeric=["total_revenue"])
    shown = book["total_revenue"] > 1_230_000  # three significant digits: 1.23M

    assert [r.text.en.split(" THEN")[0] for r in rules.rules] == [
        "IF total revenue ≤ 1.23M",
        "IF total revenue > 1.23M",
    ]
    assert rules.training_accuracy == pytest.approx(np.mean(shown == (tier == "core")))
    assert rules.training_accuracy < 1.0  # a few accounts lie between 1.23M and the cut
    assert rules.rules[1].accounts == shown.sum()


def test_it_reads_the_rule_of_a_number_and_a_category() -> None:
    book = accounts()
    core = (book["total_revenue"] > 1_000_000) & (book["industry"] == "manufacturing")
    tier = np.where(core, "core", "basic")
    rules = explain_labels(
        book, tier, numeric=["total_revenue", "frequency"], categorical=["industry"]
    )
    texts = [r.text.en for r in rules.rules]

    assert rules.training_accuracy == 1.0
    assert (
        f"IF total revenue > 1M AND industry is manufacturing THEN core "
        f"(100% of {core.sum()} accounts)"
    ) in texts
    assert any("industry is not manufacturing THEN basic" in text for text in texts)
    zh = [r.text.zh for r in rules.rules if r.label == "core"]
    assert zh == [
        f"如果 总收入 > 1M 且 行业为“manufacturing”，则为 核心（{core.sum()} 个客户中 100%）"
    ]
    assert {name for name, weight in rules.importances if weight > 0} == {
        "total_revenue",
        "industry",
    }
    assert sum(r.accounts for r in rules.rules) == len(book)


def test_accounts_without_a_value_are_named_in_the_rule() -> None:
    book = accounts()
    book.loc[book.index[:40], "total_revenue"] = np.nan
    size = np.where(book["total_revenue"].fillna(0) > 500_000, "big", "small")
    rules = explain_labels(book, size, numeric=["total_revenue", "frequency"])

    assert rules.training_accuracy == 1.0
    assert [r.text.en.split(" THEN")[0] for r in rules.rules] == [
        "IF total revenue ≤ 500K (or missing)",
        "IF total revenue > 500K",
    ]
    assert rules.rules[0].text.zh.startswith("如果 总收入 ≤ 500K（或缺失）")


def test_a_split_of_known_against_missing_values_reads_as_such() -> None:
    # The tree's threshold for "known left, missing right" is infinite: it must read as
    # "is missing" / "is known", never as a comparison with infinity.
    book = accounts()
    book.loc[book.index[:60], "total_revenue"] = np.nan
    label = np.where(book["total_revenue"].isna(), "prospect", "customer")
    rules = explain_labels(book, label, numeric=["total_revenue", "frequency"])
    texts = {r.label: r.text for r in rules.rules}

    assert rules.training_accuracy == 1.0
    assert texts["prospect"].en.startswith("IF total revenue is missing THEN prospect")
    assert texts["customer"].en.startswith("IF total revenue is known THEN customer")
    assert texts["prospect"].zh.startswith("如果 总收入缺失，则为")
    assert not any("inf" in r.text.en for r in rules.rules)
    missing = next(r for r in rules.rules if r.label == "prospect").conditions[0]
    assert (missing.operator, missing.or_missing) == ("missing", True)


def test_it_explains_the_segments_of_a_clustering() -> None:
    book = three_groups()
    segments = segment_accounts(book, id_column="account_id", numeric=NUMERIC)
    rules = explain_labels(book, segments.labels, numeric=NUMERIC)

    assert rules.training_accuracy == 1.0
    assert rules.cv_accuracy == 1.0
    assert rules.classes == (1, 2, 3)
    assert {r.label for r in rules.rules} == {1, 2, 3}
    assert all(" THEN segment " in r.text.en for r in rules.rules)
    assert all("则为 细分市场 " in r.text.zh for r in rules.rules)


def test_a_shallow_tree_says_how_well_it_does() -> None:
    rng = np.random.default_rng(3)
    book = accounts()
    noisy = np.where(rng.uniform(size=len(book)) < 0.5, "a", "b")  # nothing to learn
    rules = explain_labels(book, noisy, numeric=["total_revenue", "frequency"], max_depth=2)

    assert len(rules.rules) <= 4
    assert all(len(r.conditions) <= 2 for r in rules.rules)
    assert 0.5 <= rules.training_accuracy < 0.7
    assert rules.cv_accuracy < 0.6
    assert rules.cv_folds == 5
    for rule in rules.rules:
        assert rule.purity == pytest.approx(rule.correct / rule.accounts)
        assert rule.accounts >= 4  # min_samples_leaf = 1% of 400


def test_label_names_translate_the_labels() -> None:
    book = accounts()
    label = np.where(book["frequency"] > 8, "loyal", "occasional")
    names = {"loyal": Bilingual("loyal", "忠诚"), "occasional": Bilingual("occasional", "偶尔")}
    rules = explain_labels(book, label, numeric=["frequency"], label_names=names)

    assert {r.text.zh.split("则为 ")[1].split("（")[0] for r in rules.rules} == {"忠诚", "偶尔"}
    assert "purchase frequency > 8 THEN loyal" in rules.rules[0].text.en + rules.rules[1].text.en


def test_a_label_with_too_few_accounts_for_five_folds_reduces_them() -> None:
    book = accounts()
    label = np.where(book["total_revenue"].rank() > len(book) - 3, "diamond", "other")
    rules = explain_labels(book, label, numeric=["total_revenue"], min_leaf_share=0.0)

    assert rules.cv_folds == 3
    assert [note.code for note in rules.notes] == ["rules_cv_folds_reduced"]


def test_it_needs_two_labels() -> None:
    with pytest.raises(ValueError, match=r"every account has the label 'core'; need two or more"):
        explain_labels(accounts(), ["core"] * 400, numeric=["frequency"])
    with pytest.raises(ValueError, match=r"labels: row 2 has no label"):
        explain_labels(accounts().head(3), ["a", None, "b"], numeric=["frequency"])
