"""calibration_holdout_split: the calibration summary plus what the cohort did next."""

from __future__ import annotations

from datetime import date

import ibis
import pytest

from kam_analytics.transforms import HOLDOUT_COLUMNS, calibration_holdout_split
from tests.analytics.conftest import Loader
from tests.analytics.transforms.reference import (
    assert_same_rows,
    random_transactions,
    reference_holdout,
    reference_summary,
    story_transactions,
)

CALIBRATION_END = date(2024, 6, 30)
HOLDOUT_END = date(2024, 9, 30)


def test_it_matches_the_pandas_reference(load: Loader) -> None:
    frame = random_transactions(seed=3)
    calibration_end, holdout_end = date(2024, 4, 30), date(2024, 10, 31)
    calibration, holdout = calibration_holdout_split(
        load(frame), calibration_end=calibration_end, holdout_end=holdout_end, time_unit="week"
    )
    assert tuple(holdout.columns) == HOLDOUT_COLUMNS
    assert_same_rows(
        calibration.execute(), reference_summary(frame, as_of=calibration_end, time_unit="week")
    )
    assert_same_rows(
        holdout.execute(),
        reference_holdout(
            frame, calibration_end=calibration_end, holdout_end=holdout_end, time_unit="week"
        ),
    )


def test_it_counts_holdout_purchase_days_for_the_calibration_cohort_only(load: Loader) -> None:
    _, holdout = calibration_holdout_split(
        load(story_transactions()),
        calibration_end=CALIBRATION_END,
        holdout_end=HOLDOUT_END,
        time_unit="day",
    )
    rows = holdout.execute().set_index("customer_id")
    assert "late" not in rows.index  # first bought in the holdout: not in the cohort
    assert rows.loc["holdout", "frequency_holdout"] == 2
    assert rows.loc["holdout", "revenue_holdout"] == pytest.approx(1700.0)
    assert rows.loc["holdout", "monetary_holdout"] == pytest.approx(850.0)
    assert rows.loc["one-timer", "frequency_holdout"] == 0
    assert rows.loc["one-timer", "monetary_holdout"] == 0.0
    assert set(rows["duration_holdout"]) == {92.0}


def test_it_refuses_a_holdout_that_ends_before_it_starts() -> None:
    table = ibis.memtable(story_transactions())
    with pytest.raises(ValueError, match=r"holdout_end .* must be after calibration_end"):
        calibration_holdout_split(table, calibration_end=HOLDOUT_END, holdout_end=CALIBRATION_END)
