"""SEG-4: measurable, substantial, accessible, differentiable and homogeneous segments."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.segmentation import (
    CHECKS,
    SegmentValidity,
    ValiditySettings,
    segment_accounts,
    segment_validity,
)
from tests.analytics.segmentation.segmentation_books import NUMERIC, three_groups


def segmented() -> pd.DataFrame:
    """The three-group book with its k-means segments, owners and contacts."""
    book = three_groups()
    result = segment_accounts(book, id_column="account_id", numeric=NUMERIC)
    return book.assign(segment=result.labels, has_owner=True, has_contact=True)


def check(book: pd.DataFrame, **kwargs: Any) -> SegmentValidity:
    options: dict[str, Any] = {
        "segment_column": "segment",
        "measures": NUMERIC,
        "revenue_column": "total_revenue",
        "owner_column": "has_owner",
        "contact_column": "has_contact",
        **kwargs,
    }
    return segment_validity(book, **options)


def test_well_made_segments_pass_every_check() -> None:
    validity = check(segmented())

    assert list(validity.overall) == list(CHECKS)
    assert {name: c.status for name, c in validity.overall.items()} == dict.fromkeys(CHECKS, "pass")
    assert validity.passed
    assert all(c.status == "pass" for s in validity.segments for c in s.checks.values())
    assert [d.measure for d in validity.differences] == NUMERIC
    assert all(d.differs and d.p_value < 1e-10 for d in validity.differences)
    assert all(d.epsilon_squared > 0.8 for d in validity.differences)
    assert validity.silhouette > 0.8
    assert validity.overall["substantial"].reason.zh == "全部 3 个细分市场均通过"


def test_a_tiny_segment_is_not_substantial() -> None:
    book = segmented()
    small = book.index[book["segment"] == 3][:4]  # four of the small accounts
    book.loc[small, "segment"] = 4
    validity = check(book)
    tiny = next(s for s in validity.segments if s.segment == 4)
    substantial = tiny.checks["substantial"]

    assert substantial.status == "warn"
    assert substantial.figures["account_share"] == pytest.approx(4 / 180)
    assert substantial.reason.en.startswith("too small: 2.2% of accounts, 0.0% of revenue")
    assert "below 5.0% of accounts and 10.0% of revenue" in substantial.reason.en
    assert substantial.reason.zh.startswith("规模不足")
    assert validity.overall["substantial"].status == "warn"
    assert validity.overall["substantial"].reason.en == "1 of 4 segments warn: 4"
    assert not validity.passed


def test_a_few_accounts_with_a_large_share_of_revenue_are_substantial() -> None:
    book = segmented()
    key = book.index[book["segment"] == 1][:5]  # 2.8% of accounts, most of the revenue
    book.loc[key, "segment"] = 0
    validity = check(book)
    few = next(s for s in validity.segments if s.segment == 0)

    assert few.checks["substantial"].status == "pass"
    assert few.checks["substantial"].figures["revenue_share"] > 0.1


def test_a_segment_losing_money_is_not_substantial() -> None:
    book = segmented()
    book["total_margin"] = np.where(book["segment"] == 2, -1_000.0, 500.0)
    validity = check(book, margin_column="total_margin")
    mid = next(s for s in validity.segments if s.segment == 2).checks["substantial"]

    assert mid.status == "warn"
    assert "margin -60,000 is not above 0" in mid.reason.en


def test_identical_segments_are_not_differentiable() -> None:
    # Two segments holding exactly the same accounts' figures: nothing tells them apart.
    half = three_groups()
    book = pd.concat([half.assign(segment="A"), half.assign(segment="B")], ignore_index=True)
    validity = segment_validity(book, segment_column="segment", measures=NUMERIC)
    differentiable = validity.overall["differentiable"]

    assert differentiable.status == "warn"
    assert all(d.p_value == pytest.approx(1.0) for d in validity.differences)
    assert all(d.epsilon_squared == pytest.approx(0.0) for d in validity.differences)
    assert differentiable.figures["p_value[total_revenue]"] == pytest.approx(1.0)
    assert "total_revenue: H = 0.00, p = 1.00, ε² = 0.000" in differentiable.reason.en
    assert differentiable.reason.en.startswith("segments do not differ on any measure")
    assert differentiable.reason.zh.startswith("各细分市场在任何指标上都没有显著差异")
    for segment in validity.segments:
        assert segment.checks["differentiable"].status == "warn"
        assert segment.checks["homogeneous"].status == "warn"
    assert validity.overall["homogeneous"].status == "warn"
    assert validity.overall["accessible"].status == "not_checked"


def test_random_segments_of_one_book_do_not_differ() -> None:
    book = three_groups()
    book["segment"] = np.random.default_rng(8).choice(["A", "B", "C"], len(book))
    validity = segment_validity(book, segment_column="segment", measures=NUMERIC)

    assert validity.overall["differentiable"].status == "warn"
    assert all(d.p_value > 0.05 for d in validity.differences)
    assert validity.overall["homogeneous"].status == "warn"
    assert validity.silhouette < 0.1


def test_segments_with_missing_data_are_not_measurable() -> None:
    book = segmented()
    key = book.index[book["segment"] == 1]
    book.loc[key[:10], "frequency"] = np.nan  # 10 of 30 key accounts
    validity = check(book)
    key_checks = next(s for s in validity.segments if s.segment == 1).checks

    assert key_checks["measurable"].status == "warn"
    assert key_checks["measurable"].figures["coverage"] == pytest.approx(20 / 30)
    assert "only 66.7% of accounts have every defining value" in key_checks["measurable"].reason.en
    assert validity.overall["measurable"].status == "warn"
    assert validity.overall["measurable"].figures["coverage"] == pytest.approx(170 / 180)


def test_segments_without_owners_or_contacts_are_not_accessible() -> None:
    book = segmented()
    small = book.index[book["segment"] == 3]
    book.loc[small[:30], "has_contact"] = False  # a third of the small accounts
    book["has_owner"] = book["has_owner"].astype(int)  # 1 / 0 is accepted as well
    validity = check(book)
    accessible = next(s for s in validity.segments if s.segment == 3).checks["accessible"]

    assert accessible.status == "warn"
    assert accessible.figures == {"owner_share": 1.0, "contact_share": pytest.approx(2 / 3)}
    assert accessible.reason.en == "hard to reach: have a contact: 66.7% < 80.0%"
    assert validity.overall["accessible"].status == "warn"


def test_thresholds_are_settings() -> None:
    book = segmented()
    lenient = check(book, settings=ValiditySettings(min_account_share=0.0, min_revenue_share=0.0))
    strict = check(book, settings=ValiditySettings(min_account_share=0.5, min_revenue_share=0.9))

    assert lenient.overall["substantial"].status == "pass"
    assert strict.overall["substantial"].status == "warn"
    with pytest.raises(ValueError, match=r"min_coverage must be a number between 0 and 1; got 80"):
        ValiditySettings(min_coverage=80)


def test_it_names_a_flag_that_is_not_true_or_false() -> None:
    book = segmented().assign(has_owner="maybe")
    with pytest.raises(ValueError, match=r"has_owner: row 1 has 'maybe'; expected true or false"):
        check(book)
