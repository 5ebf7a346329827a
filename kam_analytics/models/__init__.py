"""Estimators of customer value: BG/NBD, Gamma-Gamma and discounted CLV (see
``docs/methods/clv.md``), plus the other models of the value engine in sibling modules.

Estimators follow the scikit-learn contract: ``__init__`` stores settings, ``fit`` validates
and returns ``self``, learned values end in ``_``, predictions take keyword arguments.
"""

from kam_analytics.models.bgnbd import BGNBD
from kam_analytics.models.clv import ClvResult, customer_lifetime_value, fit_clv
from kam_analytics.models.gamma_gamma import GammaGamma

__all__ = ["BGNBD", "ClvResult", "GammaGamma", "customer_lifetime_value", "fit_clv"]
