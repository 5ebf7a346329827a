"""The engine's notes on odd books: the cases the honesty tests cover, in one list.

`model_notes` fits the models on small hand-made or simulated summaries (numpy only);
`book_notes` scores whole books (Northwind's fallbacks, payments and ratings with gaps,
a score without data) on the engine ``load`` puts them in. Used by the analytics tests
(every note has a code, figures and its text) and by the app's tests (every note
renders back to its English text through the translation table).
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd

from kam_analytics.config import CRITERIA, ScoreWeights, ValueConfig
from kam_analytics.models import BGNBD, GammaGamma, fit_clv
from kam_analytics.models.simulate import simulate_bgnbd, simulate_spend
from kam_analytics.models.tiering import TierInputs, assign_tiers
from kam_analytics.notes import Note
from kam_analytics.pipeline import _absent_notes, _trend_notes, score_book
from tests.analytics.pipeline.books import (
    NORTHWIND_AS_OF,
    STORY_AS_OF,
    northwind_book,
    story_book,
)

Loader = Callable[[pd.DataFrame], ibis.Table]
WEEK = 7.0


def _notes(warnings: list[str]) -> list[Note]:
    assert all(isinstance(w, Note) for w in warnings), [w for w in warnings]
    return [w for w in warnings if isinstance(w, Note)]


def model_notes() -> list[Note]:
    notes: list[Note] = []
    nobody_came_back = pd.DataFrame(
        {
            "frequency": np.zeros(50),
            "recency": np.zeros(50),
            "T": np.linspace(1.0, 40.0, 50),
            "monetary": np.zeros(50),
        }
    )
    notes += _notes(fit_clv(nobody_came_back, horizon=26.0, time_unit_days=WEEK).warnings)

    tiny = pd.DataFrame(
        {
            "frequency": [0, 1, 3, 8, 2],
            "recency": [0.0, 10.0, 30.0, 39.0, 5.0],
            "T": [20.0, 35.0, 39.0, 39.0, 39.0],
            "monetary": [0.0, 25.0, 40.0, 31.0, 12.0],
        }
    )
    # A horizon of ten years on a 39-week book also extrapolates.
    notes += _notes(fit_clv(tiny, horizon=520.0, time_unit_days=WEEK).warnings)
    no_fallback = GammaGamma(allow_fallback=False)
    notes += _notes(
        fit_clv(tiny, horizon=52.0, time_unit_days=WEEK, gamma_gamma=no_fallback).warnings
    )

    rng = np.random.default_rng(12)
    same_rate = simulate_bgnbd(
        5_000, r=1e7, alpha=1e8, a=0.8, b=2.4, T=rng.uniform(20, 60, 5_000), random_state=rng
    )
    same_rate["monetary"] = simulate_spend(
        same_rate["frequency"], p=6, q=4, gamma=15, random_state=rng
    )
    notes += _notes(fit_clv(same_rate, horizon=52.0, time_unit_days=WEEK).warnings)

    rng = np.random.default_rng(3)
    rates = simulate_bgnbd(
        300, r=50.0, alpha=500.0, a=2.0, b=5.0, T=rng.uniform(20, 60, 300), random_state=rng
    )
    for model in (BGNBD(), BGNBD(max_iter=1)):  # r and alpha loose; then not converged
        notes += _notes(model.fit(rates["frequency"], rates["recency"], rates["T"]).warnings_)
    rng = np.random.default_rng(3)
    loose = simulate_bgnbd(
        300, r=50.0, alpha=500.0, a=20.0, b=50.0, T=rng.uniform(20, 60, 300), random_state=rng
    )
    loose_spend = simulate_spend(loose["frequency"], p=6, q=4, gamma=15, random_state=rng)
    for allow in (True, False):
        spend = GammaGamma(max_iter=1, allow_fallback=allow)
        notes += _notes(spend.fit(loose["frequency"], loose_spend).warnings_)
    twenty = np.tile([1, 2, 3, 4, 5], 4)
    twenty_spend = simulate_spend(twenty, p=6, q=4, gamma=15, random_state=rng)
    notes += _notes(GammaGamma().fit(twenty, twenty_spend).warnings_)

    rng = np.random.default_rng(4)
    frequency = rng.integers(1, 6, size=400)
    heavy_tail = np.exp(rng.normal(3.0, 2.5, size=400))  # pushes q below 1
    flat = 20.0 * (1 + 1e-4 * np.sin(np.arange(400)))
    refunded = np.where(np.arange(400) % 40 == 0, -50.0, heavy_tail)
    for allow in (True, False):
        for monetary in (heavy_tail, flat, refunded):
            notes += _notes(GammaGamma(allow_fallback=allow).fit(frequency, monetary).warnings_)
    constant = np.full(400, 20.0)  # q runs to the edge of the search range
    notes += _notes(GammaGamma().fit(frequency, constant).warnings_)

    n = 100
    gain = np.where(np.arange(n) % 10 == 0, 10.0, -10.0)
    few_growing = TierInputs(
        id_order=np.arange(n),
        measure=np.arange(n, 0, -1.0),
        p_alive=np.ones(n),
        growth_from=np.full(n, 100.0),
        growth_to=100.0 + gain,
        growth_observed=np.ones(n, dtype=bool),
    )
    notes += _notes(assign_tiers(few_growing, horizon_words="12 months").warnings)

    short = np.array([np.nan, np.nan, np.nan, 0.5])
    notes += _notes(_trend_notes(short, 52, "week"))
    notes += _notes(_trend_notes(short, 1, "month"))
    notes += _notes(_absent_notes(("payment", "cooperation", "market_share")))
    return notes


def book_notes(load: Loader) -> list[Note]:
    notes: list[Note] = []
    northwind = score_book(load(northwind_book()), as_of=NORTHWIND_AS_OF)
    notes += _notes(northwind.warnings)
    summary = northwind.customers
    frequency, recency, T = summary["frequency"], summary["recency"], summary["T"]
    notes += _notes(BGNBD(allow_fallback=False).fit(frequency, recency, T).warnings_)
    spend = GammaGamma(allow_fallback=False).fit(frequency, summary["monetary"])
    notes += _notes(spend.warnings_)

    payments = pd.DataFrame(
        {
            "customer_id": ["small-00", "small-01", "small-02", "nobody"],
            "due_date": ["2024-06-30"] * 4,
            "paid_date": ["2024-06-30", "2024-08-29", None, "2024-06-30"],
            "amount": [500.0, 500.0, 500.0, 1.0],
        }
    )
    ratings = pd.DataFrame(
        {"customer_id": ["small-00", "small-01", "nobody"], "brand_influence": [5, 1, 3]}
    )
    story = load(story_book())
    notes += _notes(
        score_book(story, as_of=STORY_AS_OF, payments=payments, ratings=ratings).warnings
    )
    only_payments = ValueConfig(
        weights=ScoreWeights(**{**dict.fromkeys(CRITERIA, 0.0), "payment": 1.0})
    )
    notes += _notes(score_book(story, as_of=STORY_AS_OF, config=only_payments).warnings)
    return notes
