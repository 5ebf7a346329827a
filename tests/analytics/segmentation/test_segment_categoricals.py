"""Categorical features count, and count as much as one numeric feature, no more."""

from __future__ import annotations

import numpy as np
import pandas as pd

from kam_analytics.models.segmentation import segment_accounts
from tests.analytics.segmentation.segmentation_books import (
    NUMERIC,
    categorical_groups,
    three_groups,
    with_noise_category,
)


def test_groups_that_differ_only_in_categories_are_still_separated() -> None:
    # A book of franchisees on one standard contract: every number is the same, the
    # groups differ in ownership and region only.
    book = categorical_groups().assign(total_revenue=250_000.0, frequency=12.0)
    result = segment_accounts(
        book,
        id_column="account_id",
        numeric=["total_revenue", "frequency"],
        categorical=["ownership_type", "region"],
    )

    assert result.k == 3
    table = pd.crosstab(book["group"], result.labels)
    assert (table.to_numpy() > 0).sum() == 3
    assert result.silhouette == 1.0


def test_a_categorical_with_thirty_levels_does_not_drown_the_numbers() -> None:
    # 30 industry codes assigned at random: noise that a one-hot encoding without the
    # 1/sqrt(2) weight (or with each column standardised) lets dominate the distance.
    book = with_noise_category(three_groups(), levels=30)
    result = segment_accounts(
        book, id_column="account_id", numeric=NUMERIC, categorical=["industry_code"]
    )

    assert result.features.categorical[0].merged == ()  # all 30 levels kept (6 each)
    assert sum(f == "industry_code" for f in result.features.column_feature) == 30
    assert result.k == 3
    table = pd.crosstab(book["group"], result.labels)
    assert (table.to_numpy() > 0).sum() == 3
    # No segment is about an industry code.
    assert all(profile.levels == () for profile in result.profiles)


def test_the_noise_category_lowers_the_silhouette_but_keeps_its_peak() -> None:
    plain = segment_accounts(three_groups(), id_column="account_id", numeric=NUMERIC)
    noisy = segment_accounts(
        with_noise_category(three_groups(), levels=30),
        id_column="account_id",
        numeric=NUMERIC,
        categorical=["industry_code"],
    )
    plain_curve = np.array([p.silhouette for p in plain.curve])
    noisy_curve = np.array([p.silhouette for p in noisy.curve])

    assert noisy_curve[1] < plain_curve[1]
    assert int(np.argmax(noisy_curve)) == int(np.argmax(plain_curve)) == 1  # k = 3
