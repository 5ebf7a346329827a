"""RISK-1 on real data: the out-of-time evaluation on the CDNOW sample (docs/methods/risk.md).

Figures measured when the model was written (trend windows of 91 days):

* T1 = 1997-09-30, w = 91 days: AUC 0.815, top-decile lift 1.17 (at most 1 / 0.837 =
  1.195 with a test churn rate of 83.7%), Brier 0.105 against 0.137 for the base rate;
* T1 = 1997-06-30, w = 182 days: AUC 0.806, lift 1.22, Brier 0.134 against 0.173.

The floors below sit a few points under those, so a regression fails.
"""

from __future__ import annotations

import pandas as pd
import pytest

from kam_analytics.datasets import load_cdnow_sample
from kam_analytics.models.churn import ChurnSettings, evaluate_churn_model

SETTINGS = ChurnSettings(trend_days=91)


@pytest.fixture(scope="module")
def cdnow() -> pd.DataFrame:
    return load_cdnow_sample()


def test_it_predicts_cdnow_churn_out_of_time_over_13_weeks(cdnow: pd.DataFrame) -> None:
    evaluation = evaluate_churn_model(
        cdnow, first_cutoff="1997-09-30", window=91, settings=SETTINGS
    )

    assert str(evaluation.second_cutoff) == "1997-12-30"
    assert str(evaluation.test_end) == "1998-03-31"
    assert evaluation.method == "logistic"
    assert evaluation.n_train == evaluation.n_test == 2357
    assert evaluation.train_churn_rate == pytest.approx(0.8294, abs=1e-4)
    assert evaluation.test_churn_rate == pytest.approx(0.8367, abs=1e-4)
    assert evaluation.auc > 0.79
    assert evaluation.auc > evaluation.rule_auc
    assert evaluation.top_decile_lift > 1.12
    assert evaluation.brier < 0.115 < evaluation.brier_reference
    table = evaluation.calibration
    assert len(table) == 10
    assert table["observed_rate"].iloc[-1] > table["observed_rate"].iloc[0] + 0.4
    assert (table["mean_predicted"] - table["observed_rate"]).abs().max() < 0.15
    assert evaluation.warnings == []


def test_it_predicts_cdnow_churn_out_of_time_over_26_weeks(cdnow: pd.DataFrame) -> None:
    evaluation = evaluate_churn_model(
        cdnow, first_cutoff="1997-06-30", window=182, settings=SETTINGS
    )

    assert str(evaluation.test_end) == "1998-06-29"  # the data end on 1998-06-30
    assert evaluation.test_churn_rate == pytest.approx(0.7811, abs=1e-4)
    assert evaluation.auc > 0.78
    assert evaluation.top_decile_lift > 1.15
    assert evaluation.brier < evaluation.brier_reference - 0.02


def test_the_cdnow_evaluation_is_deterministic(cdnow: pd.DataFrame) -> None:
    first = evaluate_churn_model(cdnow, first_cutoff="1997-09-30", window=91, settings=SETTINGS)
    again = evaluate_churn_model(
        cdnow.sample(frac=1.0, random_state=1),
        first_cutoff="1997-09-30",
        window=91,
        settings=SETTINGS,
    )

    assert first.summary() == again.summary()
    assert first.coefficients == again.coefficients
