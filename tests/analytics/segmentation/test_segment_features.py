"""Feature preparation: the log rule, robust scaling, missing values and categoricals."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.segmentation import (
    CATEGORY_WEIGHT,
    OTHER_LEVEL,
    SegmentationSettings,
    prepare_features,
)


def book(n: int = 400, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "total_revenue": rng.lognormal(12.0, 1.5, n),  # long right tail
            "p_alive": rng.beta(8.0, 1.0, n),  # long left tail
            "growth_trend": rng.normal(0.0, 0.4, n) ** 3,  # skewed, but negative values
            "frequency": rng.normal(10.0, 2.0, n),  # symmetric
        }
    )


def test_it_logs_only_right_skewed_features_without_negative_values() -> None:
    prepared = prepare_features(book(), numeric=list(book().columns))
    logged = {prep.name: prep.log for prep in prepared.numeric}

    assert logged == {
        "total_revenue": True,
        "p_alive": False,
        "growth_trend": False,
        "frequency": False,
    }
    revenue = prepared.numeric[0]
    assert revenue.skew > 1
    assert prepared.transformed["total_revenue"].to_numpy() == pytest.approx(
        np.log1p(book()["total_revenue"].to_numpy())
    )


def test_it_centres_on_the_median_and_scales_by_the_normal_consistent_iqr() -> None:
    frame = book()
    prepared = prepare_features(frame, numeric=["frequency", "total_revenue"])
    for column in (0, 1):
        scaled = prepared.matrix[:, column]
        q75, q25 = np.percentile(scaled, [75, 25])
        assert np.median(scaled) == pytest.approx(0.0, abs=1e-12)
        assert q75 - q25 == pytest.approx(1.3489795, rel=1e-6)
    # For normal data the robust scale is close to the standard deviation.
    assert prepared.numeric[0].scale == pytest.approx(2.0, rel=0.15)
    assert prepared.numeric[0].scale_kind == "iqr"


def test_it_falls_back_to_the_standard_deviation_when_the_iqr_is_zero() -> None:
    values = np.zeros(100)
    values[:10] = np.arange(1.0, 11.0)  # 90% zeros: IQR 0
    prepared = prepare_features(
        pd.DataFrame({"discount_depth": values}), numeric=["discount_depth"]
    )
    prep = prepared.numeric[0]

    assert prep.scale_kind == "std"
    assert prep.scale == pytest.approx(float(np.std(prep.transform(values))))


def test_it_imputes_the_median_and_adds_a_missing_indicator() -> None:
    frame = book().head(50).copy()
    frame.loc[[3, 7], "frequency"] = np.nan
    prepared = prepare_features(frame, numeric=["frequency", "total_revenue"])

    assert prepared.columns == ("frequency", "frequency missing", "total_revenue")
    assert prepared.matrix[[3, 7], 0] == pytest.approx([0.0, 0.0])  # the median
    assert prepared.matrix[:, 1].sum() == 2
    assert prepared.matrix[[3, 7], 1] == pytest.approx([1.0, 1.0])
    assert [note.code for note in prepared.notes] == ["features_missing_imputed"]
    assert prepared.numeric[0].missing == 2


def test_it_merges_rare_levels_into_other() -> None:
    levels = ["retail"] * 60 + ["wholesale"] * 36 + ["mining"] * 3 + ["energy"] * 1
    frame = pd.DataFrame({"industry": levels, "total_revenue": np.arange(100.0)})
    prepared = prepare_features(frame, numeric=["total_revenue"], categorical=["industry"])
    industry = prepared.categorical[0]

    assert industry.merged == ("energy", "mining")
    assert industry.levels == (OTHER_LEVEL, "retail", "wholesale")
    assert set(prepared.categories["industry"].iloc[96:]) == {OTHER_LEVEL}
    assert "industry=mining" not in prepared.columns
    assert any(note.code == "features_levels_merged" for note in prepared.notes)


def test_it_treats_a_missing_category_as_a_level_of_its_own() -> None:
    levels = ["East China", None, "North China", ""] * 25
    frame = pd.DataFrame({"region": levels, "total_revenue": np.arange(100.0)})
    prepared = prepare_features(frame, numeric=["total_revenue"], categorical=["region"])

    assert prepared.categorical[0].levels == ("(missing)", "East China", "North China")


@pytest.mark.parametrize("n_levels", [2, 5, 30])
def test_each_categorical_feature_weighs_one_unit_whatever_its_levels(n_levels: int) -> None:
    n = 600
    codes = np.arange(n) % n_levels
    frame = pd.DataFrame(
        {"code": [f"L{c:02d}" for c in codes], "total_revenue": np.arange(n) + 1.0}
    )
    prepared = prepare_features(frame, numeric=["total_revenue"], categorical=["code"])
    block = prepared.matrix[:, [f == "code" for f in prepared.column_feature]]

    assert block.shape[1] == n_levels
    # Two accounts in different levels are exactly 1 apart, as one robust SD on a number.
    for i, j in itertools.combinations(range(n_levels + 1), 2):
        distance = float(np.linalg.norm(block[i] - block[j]))
        assert distance == pytest.approx(0.0 if codes[i] == codes[j] else 1.0)
    assert abs(CATEGORY_WEIGHT - 1 / np.sqrt(2)) < 1e-15
    # The block's total variance stays below one half, a numeric feature's is about one.
    assert block.var(axis=0).sum() == pytest.approx(0.5 * (1 - 1 / n_levels))
    assert block.var(axis=0).sum() < 0.5


def test_it_names_a_value_that_is_not_a_number() -> None:
    frame = pd.DataFrame({"total_revenue": [1.0, 2.0, "lots", 4.0]})
    with pytest.raises(ValueError, match=r"total_revenue: row 3 has 'lots'.*not a finite number"):
        prepare_features(frame, numeric=["total_revenue"])


def test_it_names_missing_and_doubly_given_columns() -> None:
    frame = book().head(20)
    with pytest.raises(ValueError, match=r"'employees' are not in the accounts"):
        prepare_features(frame, numeric=["total_revenue", "employees"])
    with pytest.raises(ValueError, match=r"'frequency' are given as numeric and as categorical"):
        prepare_features(frame, numeric=["frequency"], categorical=["frequency"])
    with pytest.raises(ValueError, match=r"numeric must be a list of column names"):
        prepare_features(frame, numeric="frequency")
    with pytest.raises(ValueError, match=r"every value is missing"):
        prepare_features(frame.assign(clv=np.nan), numeric=["clv"])


def test_settings_name_a_bad_value() -> None:
    with pytest.raises(ValueError, match=r"n_init must be a whole number of at least 10; got 3"):
        SegmentationSettings(n_init=3)
    with pytest.raises(ValueError, match=r"k_max must be a whole number of at least 4"):
        SegmentationSettings(k_min=4, k_max=3)
