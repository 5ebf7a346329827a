"""k-means with k chosen by silhouette: the right k, the right groups, every time."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models.segmentation import (
    Segmentation,
    SegmentationSettings,
    segment_accounts,
)
from tests.analytics.segmentation.segmentation_books import NUMERIC, SIZES, one_blob, three_groups


def segment(book: pd.DataFrame, **kwargs: Any) -> Segmentation:
    return segment_accounts(book, id_column="account_id", numeric=NUMERIC, **kwargs)


def test_it_chooses_three_segments_for_three_separate_groups() -> None:
    book = three_groups()
    result = segment(book)
    curve = {point.k: point.silhouette for point in result.curve}

    assert result.k == 3
    assert list(curve) == [2, 3, 4, 5, 6, 7, 8]
    assert max(curve, key=curve.__getitem__) == 3
    assert curve[3] > curve[2] and curve[3] > curve[4]
    assert result.silhouette == curve[3] > 0.8
    inertia = [point.inertia for point in result.curve]
    assert inertia == sorted(inertia, reverse=True)  # more clusters, less inertia
    # Each segment is exactly one group.
    table = pd.crosstab(book["group"], result.labels)
    assert (table.to_numpy() > 0).sum() == 3
    assert result.searched_on == len(book)


def test_segments_are_numbered_by_descending_revenue() -> None:
    book = three_groups()
    result = segment(book)
    group_of = pd.Series(result.labels, index=book["group"]).groupby(level=0).first()

    assert group_of.to_dict() == {"key": 1, "mid": 2, "small": 3}
    assert [p.accounts for p in result.profiles] == [SIZES["key"], SIZES["mid"], SIZES["small"]]
    revenue = [p.revenue for p in result.profiles]
    assert revenue == sorted(revenue, reverse=True)
    assert sum(p.revenue_share for p in result.profiles) == pytest.approx(1.0)
    assert result.centres.shape == (3, result.features.matrix.shape[1])


def test_without_revenue_segments_are_numbered_by_size() -> None:
    result = segment(three_groups(), revenue_column=None)

    assert [p.accounts for p in result.profiles] == [90, 60, 30]
    assert all(np.isnan(p.revenue) for p in result.profiles)


def test_the_same_book_gives_the_same_segments_in_any_row_order() -> None:
    book = three_groups()
    first = segment(book)
    again = segment(book)
    shuffled_book = book.sample(frac=1.0, random_state=11)
    shuffled = segment(shuffled_book)

    assert np.array_equal(first.labels, again.labels)
    assert [p.silhouette for p in first.curve] == [p.silhouette for p in again.curve]
    by_id = dict(zip(first.ids, first.labels, strict=True))
    assert dict(zip(shuffled.ids, shuffled.labels, strict=True)) == by_id
    assert list(shuffled.ids) == list(shuffled_book["account_id"])  # input order kept


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_even_a_book_without_structure_gets_the_same_segments_in_any_row_order(
    seed: int,
) -> None:
    # Without clear groups k-means' result depends on its starting points, hence on the
    # row order; the rows are put in id order first, so shuffling changes nothing.
    book = one_blob()
    first = segment(book)
    shuffled = segment(book.sample(frac=1.0, random_state=seed))

    assert dict(zip(shuffled.ids, shuffled.labels, strict=True)) == dict(
        zip(first.ids, first.labels, strict=True)
    )


def test_it_prefers_the_smaller_k_when_silhouettes_nearly_tie() -> None:
    book = three_groups()
    strict = segment(book)
    # A tolerance wider than the gap between k = 2 and k = 3 takes the smaller k.
    gap = strict.curve[1].silhouette - strict.curve[0].silhouette
    loose = segment(book, settings=SegmentationSettings(tie_tolerance=gap + 0.01))

    assert strict.k == 3
    assert loose.k == 2


def test_it_never_tries_more_segments_than_a_fifth_of_the_accounts() -> None:
    book = three_groups(sizes={"small": 10, "mid": 10, "key": 10})
    result = segment(book)

    assert [point.k for point in result.curve] == [2, 3, 4, 5, 6]
    assert result.k == 3
    assert [note.code for note in result.notes] == ["segmentation_k_capped"]
    assert result.notes[0].params["k_tried"] == 6


def test_a_large_book_chooses_k_on_a_sample_and_assigns_every_account() -> None:
    book = three_groups(sizes={"small": 300, "mid": 200, "key": 100})
    result = segment(book, settings=SegmentationSettings(search_sample=150, silhouette_sample=100))

    assert result.searched_on == 150
    assert "segmentation_searched_on_sample" in [note.code for note in result.notes]
    assert result.k == 3
    table = pd.crosstab(book["group"], result.labels)
    assert (table.to_numpy() > 0).sum() == 3


def test_a_book_of_identical_accounts_is_one_segment_with_a_note() -> None:
    book = pd.DataFrame(
        {
            "account_id": range(25),
            "total_revenue": 1000.0,
            "frequency": 4.0,
            "discount_share": 0.1,
        }
    )
    result = segment(book)

    assert result.k == 1
    assert set(result.labels) == {1}
    assert result.curve == ()
    assert np.isnan(result.silhouette)
    assert "segmentation_identical_rows" in [note.code for note in result.notes]
    assert result.profiles[0].description.en == "Accounts close to the book average"


def test_fewer_than_ten_accounts_is_an_error() -> None:
    with pytest.raises(ValueError, match=r"at least 10 accounts .*got 9"):
        segment(three_groups().head(9))


def test_it_names_a_repeated_or_missing_id() -> None:
    book = three_groups()
    book.loc[5, "account_id"] = book.loc[4, "account_id"]
    with pytest.raises(ValueError, match=r"account_id: the id 'A0004' appears more than once"):
        segment(book)
    with pytest.raises(ValueError, match=r"revenue_column 'sales' is not in the accounts"):
        segment(three_groups(), revenue_column="sales")


def test_a_bad_value_is_named_by_its_row_in_the_input() -> None:
    book = three_groups().iloc[::-1].reset_index(drop=True).astype({"frequency": object})
    book.loc[2, "frequency"] = "weekly"
    with pytest.raises(ValueError, match=r"frequency: row 3 has 'weekly'"):
        segment(book)
