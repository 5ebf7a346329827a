"""The Gamma-Gamma model of spend per purchase.

References
----------
FHL 2005b
    P. S. Fader, B. G. S. Hardie, K. L. Lee, "RFM and CLV: Using Iso-Value Curves for
    Customer Base Analysis", Journal of Marketing Research 42(4), 2005, 415-430.
FH 2013
    P. S. Fader, B. G. S. Hardie, "The Gamma-Gamma Model of Monetary Value", research note,
    2013.

A customer's purchase values are z ~ Gamma(p, nu), with nu ~ Gamma(q, gamma) across
customers. From x purchases only their mean m_x is used; m_x | nu ~ Gamma(p x, nu x).
The model assumes spend is independent of how often a customer buys; :class:`GammaGamma`
checks that assumption and says so when it fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

from kam_analytics.models.diagnostics import (
    LOG_PARAM_BOUND,
    Distinct,
    FloatArray,
    as_float_array,
    check_same_length,
    compress_rows,
    distinct_values,
    minimise_in_log_space,
    standard_errors_from_log_hessian,
    summed_over_rows,
    total_hessian,
    validate_weights,
    weighted_pearson,
)
from kam_analytics.notes import Note

__all__ = ["GammaGamma", "conditional_expected_average_spend", "log_likelihood"]

PARAM_NAMES = ("p", "q", "gamma")

# Fewer repeat buyers with positive spend than this and the three parameters are not
# worth estimating.
_MIN_CUSTOMERS = 10
# Pearson correlation between frequency and average spend among repeat buyers above which
# the independence assumption is taken as broken.
_MAX_CORRELATION = 0.3
# Coefficient of variation of average spend below which spend "hardly varies": p and q then
# run to infinity and the model adds nothing to the plain average.
_MIN_SPEND_CV = 0.01
_FEW_CUSTOMERS = 30


def _unpack(params: Mapping[str, float] | Sequence[float]) -> tuple[float, float, float]:
    if isinstance(params, Mapping):
        values = tuple(float(params[name]) for name in PARAM_NAMES)
    else:
        values = tuple(float(v) for v in params)
    if len(values) != 3 or not all(np.isfinite(v) and v > 0 for v in values):
        raise ValueError(
            f"Gamma-Gamma parameters (p, q, gamma) must be three numbers > 0: {values}"
        )
    return values[0], values[1], values[2]


def _validate(frequency: npt.ArrayLike, monetary: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = as_float_array("frequency", frequency)
    m = as_float_array("monetary", monetary)
    check_same_length(frequency=x, monetary=m)
    bad = np.flatnonzero((x < 0) | (x != np.round(x)))
    if bad.size:
        i = int(bad[0])
        raise ValueError(
            f"frequency[{i}] = {float(x[i])!r}: frequency counts repeat purchases and must be a "
            "whole number >= 0."
        )
    return x, m


@dataclass(frozen=True)
class _SpendRows:
    """Fitting data with what does not depend on the parameters computed once."""

    x: FloatArray
    log_m: FloatArray
    total: FloatArray  # x m, the customer's total repeat spend
    log_total: FloatArray  # ln(x m) = ln x + ln m
    distinct: Distinct

    @classmethod
    def of(cls, x: FloatArray, m: FloatArray) -> _SpendRows:
        return cls(x, np.log(m), x * m, np.log(x) + np.log(m), distinct_values(x))


@dataclass(frozen=True)
class _SpendFit:
    """What the summed likelihood (`_loglik_sums`) needs, computed once per fit."""

    total: FloatArray  # x m per row
    weights: FloatArray
    weighted_x: FloatArray  # weights * x
    frequencies: FloatArray  # distinct x
    frequency_weights: FloatArray  # summed weights of each distinct x
    weight: float  # W, all weights
    x_log_total: float  # sum w x ln(x m)
    log_m: float  # sum w ln m

    @classmethod
    def of(cls, rows: _SpendRows, counts: FloatArray) -> _SpendFit:
        values, index = rows.distinct
        return cls(
            total=rows.total,
            weights=counts,
            weighted_x=counts * rows.x,
            frequencies=values,
            frequency_weights=np.bincount(index, weights=counts, minlength=values.shape[0]).astype(
                np.float64
            ),
            weight=float(counts.sum()),
            x_log_total=float(counts @ (rows.x * rows.log_total)),
            log_m=float(counts @ rows.log_m),
        )


def _loglik_sums(log_params: FloatArray, fit: _SpendFit) -> tuple[float, FloatArray]:
    """Sum over customers of ln f (see `_loglik_terms`) and of its gradient in log-parameters.

    The same numbers as the weighted sum of `_loglik_terms`; with L = ln(gamma + x m),
    S1 = sum w x L, S0 = sum w L, R1 = sum w x / (gamma + x m), R0 = sum w / (gamma + x m)
    (the only sums over rows), W_v the weights of x = v, W their total,
    A = sum w x ln(x m) and B = sum w ln m:

      sum ln f = sum_v W_v [lnG(pv+q) - lnG(pv)] - W lnG(q) + W q ln gamma + p A - B
                 - p S1 - q S0
      d/dp     = sum_v W_v v [psi(pv+q) - psi(pv)] + A - S1
      d/dq     = sum_v W_v psi(pv+q) - W psi(q) + W ln gamma - S0
      d/dgamma = W q / gamma - p R1 - q R0
    """
    p, q, gamma = np.exp(log_params)
    v, weight_v, weight = fit.frequencies, fit.frequency_weights, fit.weight

    def part(rows: slice) -> tuple[float, FloatArray]:
        shifted = gamma + fit.total[rows]
        log_shifted = np.log(shifted)
        inverse = 1.0 / shifted
        weights, weighted_x = fit.weights[rows], fit.weighted_x[rows]
        return 0.0, np.array(
            [
                float(weighted_x @ log_shifted),
                float(weights @ log_shifted),
                float(weighted_x @ inverse),
                float(weights @ inverse),
            ]
        )

    _, (s1, s0, r1, r0) = summed_over_rows(part, fit.weights.shape[0])
    pv = p * v
    psi_pvq = special.digamma(pv + q)
    ll = (
        float(weight_v @ (special.gammaln(pv + q) - special.gammaln(pv)))
        + weight * (q * np.log(gamma) - special.gammaln(q))
        + p * fit.x_log_total
        - fit.log_m
        - p * s1
        - q * s0
    )
    d_p = float(weight_v @ (v * (psi_pvq - special.digamma(pv)))) + fit.x_log_total - s1
    d_q = float(weight_v @ psi_pvq) + weight * (np.log(gamma) - special.digamma(q)) - s0
    d_gamma = weight * q / gamma - p * r1 - q * r0
    return float(ll), np.array([d_p * p, d_q * q, d_gamma * gamma])


def _loglik_terms(log_params: FloatArray, rows: _SpendRows) -> tuple[FloatArray, FloatArray]:
    """ln f(m_x | p, q, gamma; x), the marginal density of average spend (FH 2013).

    f = Gamma(px+q) / (Gamma(px) Gamma(q)) * gamma^q m^(px-1) x^(px) / (gamma + x m)^(px+q),
    for x >= 1 and m > 0; returned with its gradient with respect to log-parameters. The
    gamma functions depend on x alone and are evaluated once per distinct x.
    """
    p, q, gamma = np.exp(log_params)
    values, index = rows.distinct
    pv = p * values
    gammaln_part = (special.gammaln(pv + q) - special.gammaln(pv))[index]
    digamma_pxq = special.digamma(pv + q)[index]
    digamma_px = special.digamma(pv)[index]
    px = p * rows.x
    gamma_total = gamma + rows.total
    log_gamma_total = np.log(gamma_total)
    ll = (
        gammaln_part
        - special.gammaln(q)
        + q * np.log(gamma)
        + px * rows.log_total
        - rows.log_m
        - (px + q) * log_gamma_total
    )
    d_p = rows.x * (digamma_pxq - digamma_px + rows.log_total - log_gamma_total)
    d_q = digamma_pxq - special.digamma(q) + np.log(gamma) - log_gamma_total
    d_gamma = q / gamma - (px + q) / gamma_total
    return ll, np.column_stack([d_p * p, d_q * q, d_gamma * gamma])


def log_likelihood(
    params: Mapping[str, float] | Sequence[float],
    *,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
) -> FloatArray:
    """Per-customer ln f(m_x | p, q, gamma; x) for repeat buyers (x >= 1, m_x > 0)."""
    x, m = _validate(frequency, monetary)
    if np.any(x < 1) or np.any(m <= 0):
        raise ValueError("The Gamma-Gamma likelihood needs frequency >= 1 and monetary > 0.")
    ll, _ = _loglik_terms(np.log(np.array(_unpack(params))), _SpendRows.of(x, m))
    return ll


def conditional_expected_average_spend(
    params: Mapping[str, float] | Sequence[float],
    *,
    frequency: npt.ArrayLike,
    monetary: npt.ArrayLike,
) -> FloatArray:
    """E[M | p, q, gamma, m_x, x] = p (gamma + x m_x) / (p x + q - 1)  (FHL 2005b; FH 2013).

    A weighted average of the population mean p gamma / (q - 1) and the customer's own
    m_x, with weight p x / (p x + q - 1) on the latter. Customers without repeat purchases
    (x = 0) get the population mean; a negative m_x (net credit notes) counts as 0, so the
    result is never negative. Needs q > 1.
    """
    p, q, gamma = _unpack(params)
    if q <= 1:
        raise ValueError(f"The expected spend needs q > 1 (got q = {q:.4g}).")
    x, m = _validate(frequency, monetary)
    own = np.where(x > 0, np.maximum(m, 0.0), 0.0)
    return p * (gamma + x * own) / (p * x + q - 1.0)


class GammaGamma:
    """Gamma-Gamma spend model (FHL 2005b; FH 2013) by maximum likelihood, scikit-learn style.

    Parameters
    ----------
    penalizer
        L2 penalty ``penalizer * (p^2 + q^2 + gamma^2)`` on the mean negative log-likelihood.
    tol, max_iter
        Optimiser tolerance on the objective and limit on likelihood evaluations.
    initial_params
        Starting values {p, q, gamma}. By default p = 1, q = 3 and gamma matching the
        book's mean spend, and again from all ones if that run does not converge to an
        interior point; the better optimum is kept.
    allow_fallback
        When the model does not apply (too few repeat buyers, no convergence, q <= 1, spend
        hardly varying, or spend correlated with frequency), predict with the shrinkage
        estimate instead (see :meth:`fit`); warnings say so.
    fallback_prior_purchases
        k in the shrinkage estimate (x m_x + k mu) / (x + k): how many purchases' worth of
        weight the book's mean spend mu gets against the customer's own average.

    Learned attributes
    ------------------
    params_, standard_errors_ : dict p, q, gamma
    loglik_ : total log-likelihood over the customers fitted
    n_customers_ : customers given; n_fitted_ : repeat buyers with positive spend used
    spend_frequency_correlation_ : Pearson correlation of x and m_x among those
    population_mean_spend_ : mu, the book's mean spend per repeat purchase (the fallback's)
    converged_, fallback_, warnings_
    """

    def __init__(
        self,
        *,
        penalizer: float = 0.0,
        tol: float = 1e-12,
        max_iter: int = 5000,
        initial_params: Mapping[str, float] | None = None,
        allow_fallback: bool = True,
        fallback_prior_purchases: float = 1.0,
    ) -> None:
        self.penalizer = penalizer
        self.tol = tol
        self.max_iter = max_iter
        self.initial_params = initial_params
        self.allow_fallback = allow_fallback
        self.fallback_prior_purchases = fallback_prior_purchases

    def fit(
        self,
        frequency: npt.ArrayLike,
        monetary: npt.ArrayLike,
        *,
        weights: npt.ArrayLike | None = None,
    ) -> GammaGamma:
        """Fit on repeat buyers with positive average spend; returns ``self``.

        ``monetary`` is the mean value of each customer's repeat purchases (0 or anything
        for customers without one: they are not used). Identical (x, m_x) pairs share one
        likelihood term. Standard errors as in :class:`~kam_analytics.models.bgnbd.BGNBD`:
        inverse of a finite-difference Hessian of the negative log-likelihood, by the delta
        method from log-parameters.
        """
        if self.penalizer < 0:
            raise ValueError(f"penalizer must be >= 0 (got {self.penalizer}).")
        if self.fallback_prior_purchases < 0:
            raise ValueError("fallback_prior_purchases must be >= 0.")
        x, m = _validate(frequency, monetary)
        w = validate_weights(weights, x.shape[0])
        repeat = x > 0
        usable = repeat & (m > 0)
        notes: list[str] = []
        n_non_positive = int(np.count_nonzero(repeat & (m <= 0)))
        if n_non_positive:
            notes.append(
                Note(
                    "gamma_gamma_non_positive_spend",
                    f"{n_non_positive} repeat buyers have zero or negative average spend "
                    "(credit notes exceed sales): they are left out of the Gamma-Gamma fit and "
                    "their expected spend rests on the book's average.",
                    count=n_non_positive,
                )
            )
        self.n_customers_ = int(x.shape[0])
        self.n_fitted_ = int(np.count_nonzero(usable))
        fx, fm, fw = x[usable], m[usable], w[usable]
        self.population_mean_spend_ = (
            float((fw * fx * fm).sum() / (fw * fx).sum()) if self.n_fitted_ else 0.0
        )
        self.spend_frequency_correlation_ = (
            weighted_pearson(fx, fm, fw) if self.n_fitted_ > 2 else 0.0
        )

        self.params_ = dict.fromkeys(PARAM_NAMES, float("nan"))
        self.standard_errors_ = dict.fromkeys(PARAM_NAMES, float("nan"))
        self.loglik_ = float("nan")
        self.converged_ = False
        at_bound = np.zeros(3, dtype=bool)
        errors_ok = False
        if self.n_fitted_ >= 2:
            at_bound, errors_ok = self._maximise(fx, fm, fw if weights is not None else None)
        self.warnings_, self.fallback_ = self._diagnose(notes, fx, fm, at_bound, errors_ok)
        return self

    def _maximise(
        self, x: FloatArray, m: FloatArray, weights: FloatArray | None
    ) -> tuple[npt.NDArray[np.bool_], bool]:
        rows = compress_rows([x, m], weights)
        data = _SpendFit.of(_SpendRows.of(*rows.columns), rows.weights)
        counts = rows.weights
        total = float(counts.sum())
        penalizer = float(self.penalizer)

        def objective(log_params: FloatArray) -> tuple[float, FloatArray]:
            ll_sum, grad_sum = _loglik_sums(log_params, data)
            value = -ll_sum / total
            gradient = -grad_sum / total
            if not np.isfinite(value):
                return np.inf, np.zeros(3)
            natural = np.exp(log_params)
            value += penalizer * float(np.sum(natural**2))
            return value, np.asarray(gradient + penalizer * 2.0 * natural**2, dtype=np.float64)

        fit = minimise_in_log_space(objective, self._starts(), tol=self.tol, max_iter=self.max_iter)

        def total_gradient(log_params: FloatArray) -> FloatArray:
            return np.asarray(-_loglik_sums(log_params, data)[1], dtype=np.float64)

        natural = np.exp(fit.log_params)
        errors, errors_ok = standard_errors_from_log_hessian(
            total_hessian(fit, total_gradient, penalizer, total), natural
        )
        self.params_ = dict(zip(PARAM_NAMES, (float(v) for v in natural), strict=True))
        self.standard_errors_ = dict(zip(PARAM_NAMES, (float(v) for v in errors), strict=True))
        self.loglik_ = _loglik_sums(fit.log_params, data)[0]
        self.converged_ = bool(fit.converged)
        self._optimiser_message = fit.message
        return fit.at_bound, errors_ok

    def _starts(self) -> list[FloatArray]:
        if self.initial_params is not None:
            return [np.log(np.array(_unpack(self.initial_params)))]
        # p = 1, q = 3 and gamma such that p gamma / (q - 1) is the book's mean spend.
        matched = np.log(np.array([1.0, 3.0, 2.0 * max(self.population_mean_spend_, 1e-6)]))
        return [matched, np.zeros(3)]

    def _diagnose(
        self,
        notes: list[str],
        x: FloatArray,
        m: FloatArray,
        at_bound: npt.NDArray[np.bool_],
        errors_ok: bool,
    ) -> tuple[list[str], bool]:
        """Plain-English warnings, and whether predictions must use the shrinkage fallback."""
        fallback_text = (
            "expected spend uses the shrinkage estimate (the customer's average weighted with "
            "the book's average by number of purchases)."
        )
        # (code, the reason in words, its figures): a note each, with the consequence.
        reasons: list[tuple[str, str, dict[str, object]]] = []
        if self.n_fitted_ == 0:
            notes.append(
                Note(
                    "gamma_gamma_no_repeat_spend",
                    "No repeat purchase with a positive amount: spend per purchase cannot be "
                    "estimated and expected spend is 0.",
                )
            )
            return notes, True
        if self.n_fitted_ < _MIN_CUSTOMERS:
            reasons.append(
                (
                    "gamma_gamma_too_few_customers",
                    f"Only {self.n_fitted_} repeat buyers with positive spend: too few to fit "
                    "the Gamma-Gamma model",
                    {"count": self.n_fitted_},
                )
            )
        elif self.n_fitted_ < _FEW_CUSTOMERS:
            notes.append(
                Note(
                    "gamma_gamma_few_customers",
                    f"Only {self.n_fitted_} repeat buyers with positive spend: the Gamma-Gamma "
                    "estimates are very uncertain.",
                    count=self.n_fitted_,
                )
            )
        if self.n_fitted_ >= 2 and not self.converged_:
            message = getattr(self, "_optimiser_message", "")
            reasons.append(
                (
                    "gamma_gamma_not_converged",
                    f"The Gamma-Gamma fit did not converge ({message})",
                    {"message": message},
                )
            )
        q = self.params_["q"]
        if np.isfinite(q) and q <= 1.0:
            reasons.append(
                (
                    "gamma_gamma_q_not_above_one",
                    f"The Gamma-Gamma fit gives q = {q:.3g} <= 1, so the model's average spend "
                    "p·gamma/(q-1) is not finite",
                    {"q": q},
                )
            )
        spread = float(np.std(m) / np.mean(m)) if m.size else 0.0
        if m.size >= 2 and spread < _MIN_SPEND_CV:
            reasons.append(
                (
                    "gamma_gamma_uniform_spend",
                    f"Average spend hardly varies between customers (coefficient of variation "
                    f"{spread:.2g}): the model cannot separate customers",
                    {"spread": spread},
                )
            )
        rho = self.spend_frequency_correlation_
        if abs(rho) > _MAX_CORRELATION:
            reasons.append(
                (
                    "gamma_gamma_spend_tied_to_frequency",
                    f"Spend per purchase is correlated with the number of purchases (Pearson "
                    f"correlation {rho:.2f} among repeat buyers); the Gamma-Gamma model assumes "
                    "they are independent",
                    {"rho": rho},
                )
            )
        stuck = [n for n, flag in zip(PARAM_NAMES, at_bound, strict=True) if flag]
        if stuck:
            notes.append(
                Note(
                    "gamma_gamma_at_bound",
                    "The Gamma-Gamma fit ran to the edge of the search range for "
                    f"{', '.join(stuck)} (|log value| = {LOG_PARAM_BOUND:g}): those estimates "
                    "are limits, not measurements.",
                    names=stuck,
                    bound=LOG_PARAM_BOUND,
                )
            )
        if self.n_fitted_ >= 2 and not errors_ok:
            notes.append(
                Note(
                    "gamma_gamma_no_standard_errors",
                    "Gamma-Gamma standard errors are not available: the likelihood is flat in "
                    "some direction.",
                )
            )
        fallback = bool(reasons)
        if fallback and self.allow_fallback:
            notes.extend(
                Note(code, f"{reason}: {fallback_text}", **params)
                for code, reason, params in reasons
            )
        elif fallback:
            notes.extend(
                Note(
                    f"{code}_no_fallback",
                    f"{reason}. The fallback is switched off: predictions use the Gamma-Gamma "
                    "estimates.",
                    **params,
                )
                for code, reason, params in reasons
            )
            fallback = not (np.isfinite(q) and q > 1.0)
        return notes, fallback

    def conditional_expected_average_profit(
        self, *, frequency: npt.ArrayLike, monetary: npt.ArrayLike
    ) -> FloatArray:
        """Expected spend per future purchase of each customer, never negative.

        Gamma-Gamma: p (gamma + x m_x) / (p x + q - 1) (FHL 2005b; FH 2013). Fallback
        (``fallback_``): (x max(m_x, 0) + k mu) / (x + k) with mu the book's mean spend per
        repeat purchase and k = ``fallback_prior_purchases``.
        """
        if not hasattr(self, "params_"):
            raise RuntimeError("This GammaGamma is not fitted yet: call fit() first.")
        if not self.fallback_:
            return conditional_expected_average_spend(
                self.params_, frequency=frequency, monetary=monetary
            )
        x, m = _validate(frequency, monetary)
        own = np.where(x > 0, np.maximum(m, 0.0), 0.0)
        k = float(self.fallback_prior_purchases)
        mu = self.population_mean_spend_
        with np.errstate(invalid="ignore", divide="ignore"):
            shrunk = (x * own + k * mu) / (x + k)
        return np.where(x + k > 0, shrunk, mu)

    def __repr__(self) -> str:
        if not hasattr(self, "params_"):
            return f"GammaGamma(penalizer={self.penalizer})"
        shown = ", ".join(f"{k}={v:.4g}" for k, v in self.params_.items())
        return f"GammaGamma({shown}, loglik={self.loglik_:.2f}, fallback={self.fallback_})"
