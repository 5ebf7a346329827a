"""Simulate customer books from the BG/NBD and Gamma-Gamma models, with a seeded Generator.

Used to check that the estimators recover known parameters, and by the benchmarks to make
books of any size. Every function takes ``random_state`` (a seed or a numpy Generator).

The story of one customer (Fader, Hardie & Lee 2005, assumptions i-v; Fader & Hardie 2013):
the first purchase is at time 0; while alive they buy at Poisson rate
lambda ~ Gamma(r, alpha); after each repeat purchase they drop out with probability
p ~ Beta(a, b); each purchase is worth z ~ Gamma(p_spend, nu) with nu ~ Gamma(q, gamma).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from kam_analytics.models.diagnostics import FloatArray

__all__ = ["simulate_bgnbd", "simulate_spend", "simulate_transactions"]

RandomState = int | np.random.Generator | None


def _generator(random_state: RandomState) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng(random_state)


def simulate_bgnbd(
    n_customers: int,
    *,
    r: float,
    alpha: float,
    a: float,
    b: float,
    T: float | npt.ArrayLike,
    random_state: RandomState = None,
) -> pd.DataFrame:
    """Summaries (frequency, recency, T) of customers drawn from the BG/NBD model.

    ``T`` is the observation length of every customer (a scalar or one value each).
    Exact and vectorised: the number of Poisson arrivals in (0, T] is n ~ Poisson(lambda T);
    the repeat purchase after which the customer leaves is J ~ Geometric(p); the observed
    frequency is x = min(n, J), and given n arrivals the x-th arrival time is T times the
    x-th order statistic of n uniforms, T * Beta(x, n - x + 1). The customer is alive at T
    when J > n. Also returned: the latent ``purchase_rate``, ``dropout_probability`` and
    ``alive`` for checks.
    """
    rng = _generator(random_state)
    t_cal = np.broadcast_to(np.asarray(T, dtype=np.float64), (n_customers,)).copy()
    rate = rng.gamma(shape=r, scale=1.0 / alpha, size=n_customers)
    dropout = np.clip(rng.beta(a, b, size=n_customers), 1e-300, 1.0)
    arrivals = rng.poisson(rate * t_cal)
    leave_after = rng.geometric(dropout)
    frequency = np.minimum(arrivals, leave_after)
    has_repeat = frequency > 0
    order = rng.beta(
        np.where(has_repeat, frequency, 1), np.where(has_repeat, arrivals - frequency + 1, 1)
    )
    recency = np.where(has_repeat, t_cal * order, 0.0)
    return pd.DataFrame(
        {
            "frequency": frequency.astype(np.int64),
            "recency": recency,
            "T": t_cal,
            "purchase_rate": rate,
            "dropout_probability": dropout,
            "alive": leave_after > arrivals,
        }
    )


def simulate_spend(
    frequency: npt.ArrayLike,
    *,
    p: float,
    q: float,
    gamma: float,
    random_state: RandomState = None,
) -> FloatArray:
    """Average spend per repeat purchase under the Gamma-Gamma model (0 when frequency is 0).

    nu ~ Gamma(q, gamma) per customer; the mean of x purchase values z ~ Gamma(p, nu) is
    Gamma(p x, nu x) exactly (Fader & Hardie 2013), drawn in one step.
    """
    rng = _generator(random_state)
    x = np.asarray(frequency, dtype=np.float64)
    nu = rng.gamma(shape=q, scale=1.0 / gamma, size=x.shape)
    positive = x > 0
    shape = np.where(positive, p * x, 1.0)
    scale = 1.0 / (nu * np.where(positive, x, 1.0))
    return np.where(positive, rng.gamma(shape=shape, scale=scale), 0.0)


def simulate_transactions(
    n_customers: int,
    *,
    bgnbd_params: dict[str, float],
    gamma_gamma_params: dict[str, float],
    start: str | pd.Timestamp = "2020-01-01",
    acquisition_days: float = 90.0,
    end: str | pd.Timestamp = "2021-12-31",
    time_unit_days: float = 7.0,
    random_state: RandomState = None,
) -> pd.DataFrame:
    """Transaction lines (customer_id, date, amount) of a simulated book.

    First purchases fall uniformly in ``acquisition_days`` from ``start``; the book is
    observed until ``end``; the BG/NBD parameters are per ``time_unit_days``. Given x repeat
    purchases with the last at t_x, the earlier x - 1 are uniform on (0, t_x) (a property of
    the Poisson process). Every purchase, the first included, has a Gamma-Gamma amount.
    Dates are whole days, so two purchases on one day will merge in a daily summary.
    """
    rng = _generator(random_state)
    start_ts, end_ts = pd.Timestamp(start), pd.Timestamp(end)
    first_day = rng.uniform(0.0, acquisition_days, size=n_customers)
    horizon_days = (end_ts - start_ts).total_seconds() / 86400.0
    if horizon_days <= acquisition_days:
        raise ValueError("end must fall after the acquisition window.")
    t_cal = (horizon_days - first_day) / time_unit_days
    book = simulate_bgnbd(n_customers, T=t_cal, random_state=rng, **bgnbd_params)
    x = book["frequency"].to_numpy()
    t_x = book["recency"].to_numpy()

    lines = x + 1
    customer = np.repeat(np.arange(n_customers), lines)
    position = np.arange(customer.shape[0]) - np.repeat(np.cumsum(lines) - lines, lines)
    last = np.repeat(x, lines)
    times = np.repeat(t_x, lines) * rng.uniform(size=customer.shape[0])
    times[position == 0] = 0.0
    times[(position == last) & (last > 0)] = np.repeat(t_x, lines)[(position == last) & (last > 0)]
    order = np.lexsort((times, customer))
    times = times[order]

    nu = rng.gamma(
        shape=gamma_gamma_params["q"], scale=1.0 / gamma_gamma_params["gamma"], size=n_customers
    )
    amounts = rng.gamma(shape=gamma_gamma_params["p"], scale=1.0 / nu[customer])
    days = np.floor(np.repeat(first_day, lines) + times * time_unit_days)
    dates = start_ts + pd.to_timedelta(days, unit="D")
    return pd.DataFrame(
        {"customer_id": customer.astype(np.int64) + 1, "date": dates, "amount": amounts}
    )
