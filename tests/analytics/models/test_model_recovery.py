"""The estimators recover known parameters from books simulated with a seeded Generator,
and their predictions agree with what the simulated customers actually do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from kam_analytics.models import BGNBD, GammaGamma
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend, simulate_transactions

BOOKS = [
    pytest.param({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 12_000, 7, id="cdnow-like"),
    pytest.param({"r": 2.0, "alpha": 8.0, "a": 1.5, "b": 4.0}, 6_000, 11, id="regular-buyers"),
]


def simulated_book(params: dict[str, float], n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    T = rng.uniform(20.0, 60.0, size=n)
    return simulate_bgnbd(n, T=T, random_state=rng, **params)


@pytest.mark.parametrize(("params", "n", "seed"), BOOKS)
def test_it_recovers_bgnbd_parameters_within_three_standard_errors(
    params: dict[str, float], n: int, seed: int
) -> None:
    book = simulated_book(params, n, seed)
    model = BGNBD().fit(book["frequency"], book["recency"], book["T"])

    assert model.converged_ and not model.fallback_
    assert model.warnings_ == []
    for name, true_value in params.items():
        error = model.standard_errors_[name]
        assert np.isfinite(error) and error > 0, name
        assert abs(model.params_[name] - true_value) < 3 * error, (name, model.params_[name])


@pytest.mark.parametrize(("params", "n", "seed"), BOOKS)
def test_it_predicts_what_simulated_customers_do(
    params: dict[str, float], n: int, seed: int
) -> None:
    book = simulated_book(params, n, seed)
    model = BGNBD().fit(book["frequency"], book["recency"], book["T"])
    history = {"frequency": book["frequency"], "recency": book["recency"], "T": book["T"]}

    # P(alive) against the simulated truth, on average over the book.
    alive = model.conditional_probability_alive(**history)
    gap = alive - book["alive"].to_numpy()
    assert abs(gap.mean()) < 4 * gap.std() / np.sqrt(n)

    # Expected purchases in the next 26 weeks against each customer's true expectation
    # given their latent rate and drop-out chance: alive * (1 - exp(-lambda p t)) / p.
    t = 26.0
    rate, dropout = book["purchase_rate"].to_numpy(), book["dropout_probability"].to_numpy()
    truth = book["alive"].to_numpy() * -np.expm1(-rate * dropout * t) / dropout
    predicted = model.conditional_expected_purchases(t=t, **history)
    gap = predicted - truth
    assert abs(gap.mean()) < 4 * gap.std() / np.sqrt(n)


def test_it_recovers_gamma_gamma_parameters_within_three_standard_errors() -> None:
    params = {"p": 6.25, "q": 3.74, "gamma": 15.44}
    book = simulated_book({"r": 2.0, "alpha": 8.0, "a": 1.5, "b": 4.0}, 8_000, 5)
    monetary = simulate_spend(book["frequency"], random_state=6, **params)
    model = GammaGamma().fit(book["frequency"], monetary)

    assert model.converged_ and not model.fallback_
    assert model.warnings_ == []
    for name, true_value in params.items():
        error = model.standard_errors_[name]
        assert np.isfinite(error) and error > 0, name
        assert abs(model.params_[name] - true_value) < 3 * error, (name, model.params_[name])


def test_it_weighs_a_compressed_book_like_the_full_one() -> None:
    book = simulated_book({"r": 0.5, "alpha": 5.0, "a": 0.9, "b": 3.0}, 3_000, 21)
    book[["recency", "T"]] = book[["recency", "T"]].round(0)  # whole weeks: many repeats
    full = BGNBD().fit(book["frequency"], book["recency"], book["T"])
    counted = book.groupby(["frequency", "recency", "T"], as_index=False).size()
    weighted = BGNBD().fit(
        counted["frequency"], counted["recency"], counted["T"], weights=counted["size"]
    )

    for name in full.params_:
        assert weighted.params_[name] == pytest.approx(full.params_[name], rel=1e-5)
    assert weighted.loglik_ == pytest.approx(full.loglik_, rel=1e-9)


def test_it_shrinks_parameters_with_a_penalty() -> None:
    book = simulated_book({"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}, 2_000, 3)
    plain = BGNBD().fit(book["frequency"], book["recency"], book["T"])
    penalised = BGNBD(penalizer=0.01).fit(book["frequency"], book["recency"], book["T"])

    def size(model: BGNBD) -> float:
        return sum(value**2 for value in model.params_.values())

    assert size(penalised) < size(plain)
    assert penalised.loglik_ < plain.loglik_


def test_it_simulates_transactions_that_summarise_like_the_model() -> None:
    lines = simulate_transactions(
        2_000,
        bgnbd_params={"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426},
        gamma_gamma_params={"p": 6.25, "q": 3.74, "gamma": 15.44},
        start="2020-01-01",
        acquisition_days=84,
        end="2020-09-30",
        random_state=8,
    )

    assert list(lines.columns) == ["customer_id", "date", "amount"]
    assert lines["customer_id"].nunique() == 2_000
    assert lines["date"].between(pd.Timestamp("2020-01-01"), pd.Timestamp("2020-09-30")).all()
    assert (lines["amount"] > 0).all()
    assert lines.groupby("customer_id")["date"].is_monotonic_increasing.all()
    # About as many lines per customer as CDNOW (6,919 / 2,357 over a longer period).
    assert 1.5 < len(lines) / 2_000 < 4.0
