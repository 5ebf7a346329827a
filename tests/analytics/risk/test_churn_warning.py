"""RISK-1: the churn warning ranks the accounts that stop buying first, and says why."""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import numpy as np
import pandas as pd
import pytest
from risk_books import T1, T2, WINDOW, loyal_book, regular_orders, stopping_book
from sklearn.metrics import roc_auc_score

from kam_analytics.backends import table_from_pandas
from kam_analytics.models.churn import (
    FEATURES,
    ChurnModel,
    ChurnSettings,
    calibration_table,
    churn_features,
    churn_outcomes,
    churn_risk,
    evaluate_churn_model,
    rule_based_risk,
    top_decile_lift,
)


@pytest.fixture(scope="module")
def stopping() -> tuple[pd.DataFrame, set[str]]:
    return stopping_book()


def test_it_ranks_the_customers_who_stop_above_those_who_keep_buying(
    stopping: tuple[pd.DataFrame, set[str]],
) -> None:
    orders, _ = stopping

    evaluation = evaluate_churn_model(orders, first_cutoff=T1, window=WINDOW)

    assert evaluation.method == "logistic"
    assert evaluation.second_cutoff == T2
    assert evaluation.n_train == evaluation.n_test == 120
    assert evaluation.test_churn_rate == pytest.approx(0.5)  # every stopper, by T2
    assert evaluation.auc > 0.97
    assert evaluation.top_decile_lift == pytest.approx(2.0)  # the top 10% all churned
    assert evaluation.brier < 0.05 < evaluation.brier_reference
    assert evaluation.coefficients["days_since_last_purchase"] > 0


def test_it_scores_the_book_with_high_risk_and_reasons_for_the_stoppers(
    stopping: tuple[pd.DataFrame, set[str]],
) -> None:
    orders, stoppers = stopping

    risk = churn_risk(orders, T2)

    accounts = risk.accounts.set_index("customer_id")
    stopped = accounts.index.isin(sorted(stoppers))
    assert risk.method == "logistic"
    assert risk.training_cutoff == T2 - timedelta(days=WINDOW)
    assert roc_auc_score(stopped, accounts["churn_probability"]) > 0.99
    assert set(accounts.loc[stopped, "risk_band"]) == {"high"}
    assert set(accounts.loc[~stopped, "risk_band"]) <= {"low", "medium"}
    one = accounts.loc[stopped].sort_values("days_since_last_purchase").iloc[-1]
    days = int(one["days_since_last_purchase"])
    assert f"no purchase for {days} days" in one["reasons_en"]
    assert f"{days}天未下单" in one["reasons_zh"]
    assert len(one["reasons_en"]) == len(one["reasons_zh"]) >= 1
    # Only what pushes risk up, strongest first.
    shown = [one["contributions"][name] for name in one["contributions"]]
    assert max(shown) > 0
    # A low risk needs no explanation: reasons are for the watch list (medium and high).
    low = accounts["risk_band"] == "low"
    assert low[~stopped].mean() > 0.8
    assert all(reasons == [] for reasons in accounts.loc[low, "reasons_en"])
    assert all(reasons != [] for reasons in accounts.loc[~low, "reasons_en"])


def test_the_contributions_add_up_to_the_log_odds(
    stopping: tuple[pd.DataFrame, set[str]],
) -> None:
    orders, _ = stopping
    risk = churn_risk(orders, T2)

    p = risk.accounts["churn_probability"].to_numpy()
    parts = np.array([sum(c.values()) for c in risk.accounts["contributions"]])
    logit = risk.coefficients["intercept"] + parts
    np.testing.assert_allclose(p, 1 / (1 + np.exp(-logit)), rtol=1e-9)


def test_every_coefficient_points_the_expected_way(
    stopping: tuple[pd.DataFrame, set[str]],
) -> None:
    orders, _ = stopping
    risk = churn_risk(orders, T2)

    for name, value in risk.coefficients.items():
        if name != "intercept":
            assert np.sign(value) in (0, FEATURES[name].direction), name


def test_it_falls_back_to_the_rule_with_a_warning_when_nobody_stopped() -> None:
    orders = loyal_book()

    risk = churn_risk(orders, T2)

    assert risk.method == "rules"
    assert risk.model is None
    assert any("0 of them stopped buying" in note for note in risk.warnings)
    assert any("rule" in note for note in risk.warnings)
    p = risk.accounts["churn_probability"]
    assert ((p >= 0) & (p <= 1)).all()
    assert set(risk.accounts["risk_band"]) == {"low"}  # weekly buyers, nobody ever left
    parts = risk.accounts["contributions"].iloc[0]
    assert set(parts) == {"p_no_purchase", "revenue_trend"}


def test_it_falls_back_when_the_book_is_too_small(
    stopping: tuple[pd.DataFrame, set[str]],
) -> None:
    orders, _ = stopping
    small = orders[orders["customer_id"].isin([f"c{i:03d}" for i in range(12)])]

    risk = churn_risk(small, T2)

    assert risk.method == "rules"
    assert any("only 12 accounts" in note for note in risk.warnings)
    evaluation = evaluate_churn_model(small, first_cutoff=T1, window=WINDOW)
    assert evaluation.method == "rules"
    assert evaluation.coefficients == {}


def test_the_rule_rises_with_the_chance_of_silence_and_with_a_decline() -> None:
    features = pd.DataFrame(
        {
            "p_alive": [0.9, 0.9, 0.2, 0.9],
            "p_no_purchase": [0.1, 0.1, 0.8, np.nan],
            "revenue_trend": [0.0, -1.0, 0.0, np.nan],
        }
    )

    score, parts = rule_based_risk(features)

    np.testing.assert_allclose(score, [0.1, 0.1 + 0.9 / 2, 0.8, 0.1])
    np.testing.assert_allclose(parts.sum(axis=1), score)


def test_the_outcome_is_no_purchase_in_the_window_after_the_cut_off() -> None:
    cutoff = date(2024, 1, 31)
    orders = pd.DataFrame(
        [
            *regular_orders("gone", first=date(2023, 1, 1), last=date(2023, 12, 1), gap=30),
            *regular_orders("stays", first=date(2023, 1, 1), last=date(2024, 3, 1), gap=30),
            {"customer_id": "late", "date": pd.Timestamp("2023-05-01"), "amount": 1.0},
            {"customer_id": "late", "date": pd.Timestamp("2024-07-29"), "amount": 1.0},
            {"customer_id": "new", "date": pd.Timestamp("2024-02-15"), "amount": 1.0},
        ]
    )

    churned = churn_outcomes(orders, as_of=cutoff, window_days=180)

    # "late" buys on day 180 (inside the window); "new" had not bought by the cut-off.
    assert churned.to_dict() == {"gone": True, "late": False, "stays": False}


def test_the_features_are_measured_as_of_the_cut_off() -> None:
    orders = pd.DataFrame(
        regular_orders("a", first=date(2021, 1, 1), last=date(2023, 12, 31), gap=10)
    )
    cutoff = date(2023, 6, 30)

    features = churn_features(orders, as_of=cutoff).frame.iloc[0]

    bought = [d.date() for d in orders["date"] if d.date() <= cutoff]
    assert features["days_since_last_purchase"] == (cutoff - max(bought)).days
    assert features["purchase_days"] == len(bought)
    assert features["revenue_trend"] == pytest.approx(0.0, abs=0.03)  # a steady buyer
    assert 0 <= features["p_no_purchase"] <= 1


def test_the_metrics_follow_their_definitions() -> None:
    churned = np.array([1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    score = np.linspace(1, 0, churned.size)

    # Top 10% = the two highest scores, both churned; base rate 4/20.
    assert top_decile_lift(churned, score) == pytest.approx(1.0 / 0.2)
    table = calibration_table(churned, score)
    assert table["accounts"].tolist() == [2] * 10
    assert table["observed_rate"].iloc[-1] == 1.0
    assert table["decile"].tolist() == list(range(1, 11))


def test_it_is_deterministic(stopping: tuple[pd.DataFrame, set[str]]) -> None:
    orders, _ = stopping
    shuffled = orders.sample(frac=1.0, random_state=3).reset_index(drop=True)

    first = churn_risk(orders, T2).accounts
    again = churn_risk(shuffled, T2).accounts

    pd.testing.assert_frame_equal(first, again)


def test_the_model_drops_features_that_point_the_wrong_way_or_never_vary() -> None:
    rng = np.random.default_rng(0)
    n = 300
    silence = rng.normal(size=n)
    y = silence + 0.5 * rng.normal(size=n) > 0
    frame = pd.DataFrame(
        {
            "days_since_last_purchase": np.exp(silence + 4),  # more silence, more churn
            "purchase_days": np.where(y, 20.0, 5.0) + rng.integers(0, 3, n),  # backwards
            "open_complaints": np.zeros(n),  # never varies
            "unrelated": rng.normal(size=n),  # not a feature: ignored
        }
    )

    model = ChurnModel().fit(frame, y)

    assert model.features_ == ("days_since_last_purchase",)
    assert model.coef_[0] > 0
    assert "against the expected direction" in model.dropped_["purchase_days"]
    assert model.dropped_["open_complaints"] == "the same value for every account"
    assert model.predict_proba(frame).shape == (n,)
    assert roc_auc_score(y, model.predict_proba(frame)) > 0.8


def test_the_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="window_days"):
        ChurnSettings(window_days=0)
    with pytest.raises(ValueError, match="medium_band"):
        ChurnSettings(medium_band=0.6, high_band=0.5)


def test_an_ibis_table_gives_the_same_scores_as_a_pandas_frame(
    stopping: tuple[pd.DataFrame, set[str]], duckdb_backend: ibis.BaseBackend
) -> None:
    orders, _ = stopping
    table = table_from_pandas(duckdb_backend, orders, "kam_test_churn_orders")

    from_table = churn_risk(table, T2).accounts
    from_frame = churn_risk(orders, T2).accounts

    pd.testing.assert_frame_equal(from_table, from_frame)
