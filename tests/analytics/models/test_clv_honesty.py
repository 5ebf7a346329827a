"""On small or odd books the CLV models say what is wrong in plain English and fall back
to simpler estimates: never NaN, never negative spend, never P(alive) = 1 for everyone
without a word."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from clv_summaries import CDNOW_CALIBRATION_END, WEEK, summarise

from kam_analytics.datasets import load_cdnow_sample
from kam_analytics.models import BGNBD, ClvResult, GammaGamma, fit_clv
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend


def assert_sane(result: ClvResult) -> None:
    for name in ("p_alive", "expected_purchases", "expected_spend", "clv"):
        values = getattr(result, name)
        assert np.all(np.isfinite(values)), name
        assert np.all(values >= 0), name
    assert np.all(result.p_alive <= 1)


def test_it_explains_the_northwind_book_and_still_values_it(
    northwind_weekly: pd.DataFrame,
) -> None:
    result = fit_clv(northwind_weekly, horizon=52.0, time_unit_days=WEEK)

    assert_sane(result)
    text = " ".join(result.warnings)
    assert "No drop-out can be identified in this book (a → 0)" in text
    assert "P(alive) is not informative" in text
    assert "expected purchases use the purchase rate only" in text
    assert "correlated with the number of purchases" in text
    assert result.bgnbd.fallback_ and result.gamma_gamma.fallback_
    assert result.gamma_gamma.spend_frequency_correlation_ == pytest.approx(0.74, abs=0.01)
    # The recency rule ranks customers instead of calling everyone alive.
    assert result.p_alive.min() < 0.1
    assert np.mean(result.p_alive == 1.0) < 0.1
    assert np.all(result.expected_purchases > 0)


def test_it_uses_the_purchase_rate_and_the_recency_rule_when_no_drop_out_shows(
    northwind_weekly: pd.DataFrame,
) -> None:
    book = northwind_weekly
    model = BGNBD().fit(book["frequency"], book["recency"], book["T"])
    r, alpha = model.nbd_params_["r"], model.nbd_params_["alpha"]
    x, t_x, T = (book[c].to_numpy(dtype=float) for c in ("frequency", "recency", "T"))

    expected = model.conditional_expected_purchases(t=52.0, frequency=x, recency=t_x, T=T)
    np.testing.assert_allclose(expected, 52.0 * (r + x) / (alpha + T))
    alive = model.conditional_probability_alive(frequency=x, recency=t_x, T=T)
    np.testing.assert_allclose(alive, ((alpha + t_x) / (alpha + T)) ** (r + x))
    assert model.expected_purchases(t=[52.0])[0] == pytest.approx(52.0 * r / alpha)
    # The nested NBD explains the book as well as the BG/NBD does.
    assert model.dropout_lr_statistic_ < 0.01


def test_it_can_be_told_not_to_fall_back(northwind_weekly: pd.DataFrame) -> None:
    book = northwind_weekly
    model = BGNBD(allow_fallback=False).fit(book["frequency"], book["recency"], book["T"])

    assert not model.fallback_
    assert any("fallback is switched off" in note for note in model.warnings_)
    alive = model.conditional_probability_alive(
        frequency=book["frequency"], recency=book["recency"], T=book["T"]
    )
    # What the fallback protects against: a boundary fit calls (nearly) everyone alive.
    assert np.all(alive > 0.99)


def test_it_shrinks_spend_towards_the_book_average_when_spend_follows_frequency(
    northwind_weekly: pd.DataFrame,
) -> None:
    book = northwind_weekly
    model = GammaGamma().fit(book["frequency"], book["monetary"])
    x, m = book["frequency"].to_numpy(float), book["monetary"].to_numpy(float)
    spend = model.conditional_expected_average_profit(frequency=x, monetary=m)

    repeat = x > 0
    mu = (x[repeat] * m[repeat]).sum() / x[repeat].sum()
    assert model.population_mean_spend_ == pytest.approx(mu)
    np.testing.assert_allclose(spend, (x * m + mu) / (x + 1.0))
    assert np.all(spend >= 0)


def test_it_survives_credit_notes_and_zero_amounts() -> None:
    lines = load_cdnow_sample()
    first_ids = lines["customer_id"].drop_duplicates().iloc[:40].to_numpy()
    credit = pd.DataFrame(
        {
            "customer_id": first_ids,
            "date": pd.Timestamp("1997-09-01"),
            # Half are refunded more than they ever spent, half get a zero-value line.
            "amount": np.where(np.arange(40) % 2 == 0, -500.0, 0.0),
            "quantity": 0,
        }
    )
    book = summarise(
        pd.concat([lines, credit], ignore_index=True),
        as_of=CDNOW_CALIBRATION_END,
        unit_days=WEEK,
    )
    assert (book["monetary"] < 0).sum() >= 10
    result = fit_clv(book, horizon=52.0, time_unit_days=WEEK)

    assert_sane(result)
    assert any("zero or negative average spend" in note for note in result.warnings)
    negative = book["monetary"].to_numpy() < 0
    p, q, gamma = (result.gamma_gamma_params[k] for k in ("p", "q", "gamma"))
    x = book["frequency"].to_numpy()[negative]
    # Net refunds count as zero spend: the estimate rests on the population prior.
    np.testing.assert_allclose(result.expected_spend[negative], p * gamma / (p * x + q - 1))


def test_it_says_when_nobody_came_back() -> None:
    book = pd.DataFrame(
        {
            "frequency": np.zeros(50),
            "recency": np.zeros(50),
            "T": np.linspace(1.0, 40.0, 50),
            "monetary": np.zeros(50),
        }
    )
    result = fit_clv(book, horizon=26.0, time_unit_days=WEEK)

    assert_sane(result)
    text = " ".join(result.warnings)
    assert "No customer made a repeat purchase" in text
    assert "No repeat purchase with a positive amount" in text
    assert np.all(result.clv == 0)


def test_it_says_when_everyone_buys_at_the_same_rate() -> None:
    rng = np.random.default_rng(12)
    book = simulate_bgnbd(
        5_000, r=1e7, alpha=1e8, a=0.8, b=2.4, T=rng.uniform(20, 60, 5_000), random_state=rng
    )
    book["monetary"] = simulate_spend(book["frequency"], p=6, q=4, gamma=15, random_state=rng)
    result = fit_clv(book, horizon=52.0, time_unit_days=WEEK)

    assert_sane(result)
    assert any("Purchase rates look (nearly) the same" in note for note in result.warnings)
    rate = result.bgnbd_params["r"] / result.bgnbd_params["alpha"]
    assert rate == pytest.approx(0.1, rel=0.05)


def test_it_values_a_tiny_book_and_warns_that_it_is_tiny() -> None:
    book = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c", "d", "e"],
            "frequency": [0, 1, 3, 8, 2],
            "recency": [0.0, 10.0, 30.0, 39.0, 5.0],
            "T": [20.0, 35.0, 39.0, 39.0, 39.0],
            "monetary": [0.0, 25.0, 40.0, 31.0, 12.0],
        }
    )
    result = fit_clv(book, horizon=52.0, time_unit_days=WEEK)

    assert_sane(result)
    text = " ".join(result.warnings)
    assert "Only 4 customers made a repeat purchase" in text
    assert "too few to fit the Gamma-Gamma model" in text
    assert list(result.to_frame()["customer_id"]) == ["a", "b", "c", "d", "e"]


def test_it_warns_when_spend_hardly_varies(cdnow_weekly: pd.DataFrame) -> None:
    flat = np.where(cdnow_weekly["frequency"] > 0, 20.0, 0.0)
    flat = flat * (1 + 1e-4 * np.sin(np.arange(flat.size)))
    model = GammaGamma().fit(cdnow_weekly["frequency"], flat)

    assert model.fallback_
    assert any("hardly varies" in note for note in model.warnings_)
    spend = model.conditional_expected_average_profit(
        frequency=cdnow_weekly["frequency"], monetary=flat
    )
    np.testing.assert_allclose(spend, 20.0, rtol=1e-3)


def test_it_falls_back_when_q_is_not_above_one() -> None:
    # Spend with a very heavy tail across customers pushes q below 1.
    rng = np.random.default_rng(4)
    frequency = rng.integers(1, 6, size=400)
    monetary = np.exp(rng.normal(3.0, 2.5, size=400))
    model = GammaGamma().fit(frequency, monetary)

    assert model.params_["q"] <= 1.0
    assert model.fallback_
    assert any("q = " in note and "not finite" in note for note in model.warnings_)
    spend = model.conditional_expected_average_profit(frequency=frequency, monetary=monetary)
    assert np.all(np.isfinite(spend)) and np.all(spend >= 0)


def test_it_values_a_last_purchase_on_the_cut_off_date(cdnow_weekly: pd.DataFrame) -> None:
    book = cdnow_weekly.copy()
    book.loc[0, ["frequency", "recency", "monetary"]] = [5, book.loc[0, "T"], 30.0]
    result = fit_clv(book, horizon=52.0, time_unit_days=WEEK)
    a, b = result.bgnbd_params["a"], result.bgnbd_params["b"]

    assert_sane(result)
    assert result.p_alive[0] == pytest.approx(1.0 / (1.0 + a / (b + 5 - 1)))


def test_it_values_a_customer_with_hundreds_of_purchases(cdnow_weekly: pd.DataFrame) -> None:
    book = cdnow_weekly.copy()
    book.loc[1, ["frequency", "recency", "T", "monetary"]] = [350, 38.5, 38.86, 18.0]
    result = fit_clv(book, horizon=520.0, time_unit_days=WEEK)

    assert_sane(result)
    assert result.clv[1] == result.clv.max()
    assert any("extrapolates" in note for note in result.warnings)


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("frequency", 1.5, r"frequency\[3\] = 1.5: frequency counts repeat purchases"),
        ("frequency", -1.0, r"frequency\[3\] = -1.0"),
        ("recency", 50.0, r"recency\[3\] = 50.0 is greater than T\[3\] = 39.0"),
        ("T", 0.0, r"T\[3\] = 0.0: T \(time from the first purchase"),
        ("recency", np.nan, r"recency\[3\] = nan is not a finite number"),
    ],
)
def test_it_names_the_bad_array_and_index(column: str, value: float, message: str) -> None:
    data = {
        "frequency": np.array([0.0, 1.0, 2.0, 3.0]),
        "recency": np.array([0.0, 5.0, 20.0, 30.0]),
        "T": np.array([39.0, 39.0, 39.0, 39.0]),
    }
    data[column][3] = value
    with pytest.raises(ValueError, match=message):
        BGNBD().fit(data["frequency"], data["recency"], data["T"])


def test_it_rejects_recency_without_repeat_purchases() -> None:
    with pytest.raises(ValueError, match=r"recency\[1\] = 4.0 but frequency\[1\] = 0"):
        BGNBD().fit([1, 0], [3.0, 4.0], [10.0, 10.0])


def test_it_rejects_a_summary_without_the_needed_columns() -> None:
    with pytest.raises(ValueError, match="lacks the column"):
        fit_clv(pd.DataFrame({"frequency": [1], "recency": [1.0]}), horizon=1, time_unit_days=7)
