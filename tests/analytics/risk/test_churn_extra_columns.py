"""RISK-1: the churn model takes the application's extra columns when they are there."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from risk_books import T1, T2, WINDOW, complaints_book

from kam_analytics.models.churn import churn_risk, evaluate_churn_model


@pytest.fixture(scope="module")
def book() -> tuple[pd.DataFrame, pd.DataFrame]:
    return complaints_book()


def _as_of(snapshots: pd.DataFrame):  # type: ignore[no-untyped-def]
    def at(day: date) -> pd.DataFrame | None:
        rows = snapshots[snapshots["as_of"] == pd.Timestamp(day)]
        return rows.drop(columns="as_of") if len(rows) else None

    return at


def test_it_learns_from_open_complaints_and_names_them_as_a_reason(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    orders, snapshots = book

    risk = churn_risk(orders, T2, _as_of(snapshots))

    assert risk.method == "logistic"
    weights = {k: v for k, v in risk.coefficients.items() if k != "intercept"}
    assert max(weights, key=weights.__getitem__) == "open_complaints"
    assert weights["open_complaints"] > 1
    accounts = risk.accounts.set_index("customer_id")
    unhappy = accounts[(accounts["open_complaints"] == 3) & (accounts["risk_band"] != "low")]
    assert len(unhappy) > 0
    for en, zh in zip(unhappy["reasons_en"], unhappy["reasons_zh"], strict=True):
        assert "3 open complaints" in en
        assert "3个未结投诉" in zh


def test_snapshots_in_one_frame_give_the_same_answer_as_a_function(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    orders, snapshots = book

    by_function = churn_risk(orders, T2, _as_of(snapshots)).accounts
    by_frame = churn_risk(orders, T2, snapshots).accounts

    pd.testing.assert_frame_equal(by_function, by_frame)


def test_it_works_without_the_extra_columns(book: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    orders, _ = book

    risk = churn_risk(orders, T2)

    assert "open_complaints" not in risk.coefficients
    assert "open_complaints" not in risk.accounts.columns


def test_a_single_frame_is_used_with_a_look_ahead_warning(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    orders, snapshots = book
    today = snapshots[snapshots["as_of"] == pd.Timestamp(T2)].drop(columns="as_of")

    risk = churn_risk(orders, T2, today)

    assert any("look-ahead" in note for note in risk.warnings)
    assert "open_complaints" in risk.accounts.columns


def test_it_says_when_the_accounts_to_score_lack_a_trained_column(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    orders, snapshots = book
    only_then = snapshots[snapshots["as_of"] == pd.Timestamp(T1)]

    risk = churn_risk(orders, T2, only_then)

    assert any("no snapshot as of 2023-12-27" in note for note in risk.warnings)
    assert any("lack" in note and "open_complaints" in note for note in risk.warnings)
    assert risk.accounts["churn_probability"].between(0, 1).all()


def test_the_evaluation_sees_each_cut_off_s_own_values(
    book: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    orders, snapshots = book

    with_complaints = evaluate_churn_model(
        orders, first_cutoff=T1, window=WINDOW, extra=_as_of(snapshots)
    )
    without = evaluate_churn_model(orders, first_cutoff=T1, window=WINDOW)

    assert "open_complaints" in with_complaints.coefficients
    assert with_complaints.train_auc > without.train_auc + 0.2


def test_unknown_extra_columns_are_refused(book: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    orders, _ = book
    extra = pd.DataFrame({"customer_id": ["u000"], "mood": [3]})

    with pytest.raises(ValueError, match=r"unknown column.*'mood'"):
        churn_risk(orders, T2, extra)
