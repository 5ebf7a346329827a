"""The BG/NBD and Gamma-Gamma formulas against independent, straightforward versions.

References written here from the papers, sharing no code with the package:
- the likelihood eq. (6) and P(alive) in plain Python floats (``math``), small cases;
- eq. (9)/(10) with the *untransformed* Gauss series 2F1(r+x, b+x; a+b+x-1; z) summed in
  80-digit decimal arithmetic;
- eq. (10) once more as the model's definition, E[(1 - exp(-lambda p t)) / p] over the
  posterior lambda ~ Gamma(r+x, alpha+T), p ~ Beta(a, b+x) of a live customer, integrated
  numerically over p;
- Gamma-Gamma E[M | x, m] as the posterior mean of p / nu, integrated numerically.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext

import numpy as np
import pytest
from scipy import integrate, special

from kam_analytics.models import bgnbd, gamma_gamma

CDNOW = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
OTHER = {"r": 1.7, "alpha": 12.0, "a": 1.9, "b": 5.5}

# (x, t_x, T) histories: one-time buyer, light, regular, heavy, last purchase on the cut-off.
HISTORIES = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.0), (4, 20.0, 20.0)]
HORIZONS = [1.0, 39.0, 104.0]


def plain_likelihood(params: dict[str, float], x: int, t_x: float, T: float) -> float:
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]

    def beta(p: float, q: float) -> float:
        return math.gamma(p) * math.gamma(q) / math.gamma(p + q)

    common = math.gamma(r + x) * alpha**r / math.gamma(r)
    alive = beta(a, b + x) / beta(a, b) * common / (alpha + T) ** (r + x)
    gone = beta(a + 1, b + x - 1) / beta(a, b) * common / (alpha + t_x) ** (r + x) if x else 0.0
    return alive + gone


def plain_p_alive(params: dict[str, float], x: int, t_x: float, T: float) -> float:
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    if x == 0:
        return 1.0
    return 1.0 / (1.0 + a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x))


def decimal_expected_if_alive(params: dict[str, float], x: int, T: float, t: float) -> float:
    """(a+b+x-1)/(a-1) [1 - ((alpha+T)/(alpha+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)]."""
    with localcontext() as context:
        context.prec = 80
        r, alpha, a, b = (Decimal(repr(params[k])) for k in ("r", "alpha", "a", "b"))
        dx, dT, dt = Decimal(x), Decimal(repr(T)), Decimal(repr(t))
        z = dt / (alpha + dT + dt)
        c = a + b + dx - 1
        term = total = Decimal(1)
        k = 0
        while True:
            term = term * (r + dx + k) * (b + dx + k) / ((c + k) * (k + 1)) * z
            total += term
            k += 1
            shrinking = (r + dx + k) * (b + dx + k) * z < (c + k) * (k + 1)
            if shrinking and abs(term) < Decimal(10) ** -60 * abs(total):
                break
        power = ((r + dx) * ((alpha + dT) / (alpha + dT + dt)).ln()).exp()
        return float(c / (a - 1) * (1 - power * total))


def integral_expected_if_alive(params: dict[str, float], x: int, T: float, t: float) -> float:
    """E over p ~ Beta(a, b+x) of (1 - (1 + p t / (alpha+T))^-(r+x)) / p."""
    r, alpha, a, b = params["r"], params["alpha"], params["a"], params["b"]
    scale, shape = t / (alpha + T), r + x

    def integrand(p: float) -> float:
        if p == 0.0:
            return shape * scale
        return float(-np.expm1(-shape * np.log1p(p * scale)) / p)

    value, _ = integrate.quad(
        integrand, 0.0, 1.0, weight="alg", wvar=(a - 1.0, b + x - 1.0), epsabs=0, epsrel=1e-13
    )
    return float(value / special.beta(a, b + x))


@pytest.mark.parametrize("params", [CDNOW, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_it_matches_the_plain_likelihood(
    params: dict[str, float], x: int, t_x: float, T: float
) -> None:
    ours = bgnbd.log_likelihood(params, frequency=[x], recency=[t_x], T=[T])[0]
    assert ours == pytest.approx(math.log(plain_likelihood(params, x, t_x, T)), rel=1e-12)


@pytest.mark.parametrize("params", [CDNOW, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
def test_it_matches_the_plain_p_alive(
    params: dict[str, float], x: int, t_x: float, T: float
) -> None:
    ours = bgnbd.probability_alive(params, frequency=[x], recency=[t_x], T=[T])[0]
    assert ours == pytest.approx(plain_p_alive(params, x, t_x, T), rel=1e-13)


@pytest.mark.parametrize("params", [CDNOW, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), HISTORIES)
@pytest.mark.parametrize("t", HORIZONS)
def test_it_matches_the_decimal_series_and_the_integral_for_conditional_expectation(
    params: dict[str, float], x: int, t_x: float, T: float, t: float
) -> None:
    ours = bgnbd.conditional_expected_purchases(params, t=t, frequency=[x], recency=[t_x], T=[T])[0]
    alive = plain_p_alive(params, x, t_x, T)

    assert ours == pytest.approx(alive * decimal_expected_if_alive(params, x, T, t), rel=1e-12)
    assert ours == pytest.approx(alive * integral_expected_if_alive(params, x, T, t), rel=1e-9)


@pytest.mark.parametrize("params", [CDNOW, OTHER])
@pytest.mark.parametrize("t", [0.5, 39.0, 78.0, 520.0])
def test_it_matches_the_decimal_series_for_unconditional_expectation(
    params: dict[str, float], t: float
) -> None:
    # Eq. (9) is eq. (10)'s bracket for a customer just acquired (x = 0, T = 0).
    ours = bgnbd.expected_purchases(params, t=[t])[0]
    assert ours == pytest.approx(decimal_expected_if_alive(params, 0, 0.0, t), rel=1e-12)


@pytest.mark.parametrize("params", [CDNOW, OTHER])
def test_it_has_a_likelihood_gradient_that_matches_finite_differences(
    params: dict[str, float],
) -> None:
    x = np.array([0.0, 1.0, 2.0, 7.0, 40.0])
    t_x = np.array([0.0, 1.7, 30.4, 35.0, 37.0])
    T = np.array([38.9, 38.9, 38.9, 38.0, 38.5])
    point = np.log([params[k] for k in ("r", "alpha", "a", "b")])
    _, gradient = bgnbd._loglik_terms(point, x, t_x, T)
    for j in range(4):
        step = np.zeros(4)
        step[j] = 1e-6
        up, _ = bgnbd._loglik_terms(point + step, x, t_x, T)
        down, _ = bgnbd._loglik_terms(point - step, x, t_x, T)
        np.testing.assert_allclose(gradient[:, j], (up - down) / 2e-6, rtol=1e-6, atol=1e-8)


GG = {"p": 6.25, "q": 3.74, "gamma": 15.44}


@pytest.mark.parametrize(("x", "m"), [(1, 10.0), (3, 35.5), (12, 80.0), (250, 21.0)])
def test_it_matches_the_posterior_mean_spend_by_integration(x: int, m: float) -> None:
    p, q, gamma = GG["p"], GG["q"], GG["gamma"]
    # Posterior of nu after x purchases averaging m: Gamma(p x + q, gamma + x m).
    shape, rate = p * x + q, gamma + x * m

    def weighted(nu: float) -> float:
        log_density = shape * math.log(rate) - math.lgamma(shape) + (shape - 1) * math.log(nu)
        return p / nu * math.exp(log_density - rate * nu)

    expected, _ = integrate.quad(weighted, 0.0, np.inf, epsrel=1e-12, limit=200)
    ours = gamma_gamma.conditional_expected_average_spend(GG, frequency=[x], monetary=[m])[0]
    assert ours == pytest.approx(expected, rel=1e-8)


@pytest.mark.parametrize("x", [1, 4, 30])
def test_it_has_a_gamma_gamma_density_that_integrates_to_one(x: int) -> None:
    def density(m: float) -> float:
        return float(np.exp(gamma_gamma.log_likelihood(GG, frequency=[x], monetary=[m])[0]))

    total, _ = integrate.quad(density, 0.0, np.inf, epsrel=1e-10, limit=500)
    assert total == pytest.approx(1.0, rel=1e-8)
