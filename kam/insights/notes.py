"""The value engine's warnings in the page's language.

The engine gives each warning as a `kam_analytics.notes.Note`: an English sentence with a
stable code and its figures. A run stores them as ``{"code", "params", "text"}``
(`note_record`); `render_note` shows one in the active language from `MESSAGES`, with
the figures formatted as the English sentence has them. Unknown codes, figures that do
not fit the message, and warnings stored as plain strings (older runs) show the stored
English text.

Every code of `kam_analytics.notes.NOTE_CODES` needs a message here (a test checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext
from django_stubs_ext import StrOrPromise

from kam_analytics.notes import Note

__all__ = ["MESSAGES", "Message", "note_record", "note_text", "render_note", "render_notes"]

#: How a figure is written: a format spec for numbers (".2g"), or a function.
Format = str | Callable[[Any], str]


def _listed(values: Any) -> str:
    items = values if isinstance(values, list) else [values]
    return pgettext("list separator", ", ").join(str(item) for item in items)


_CRITERION_WORDS: dict[str, StrOrPromise] = {
    "cooperation": _("cooperation"),
    "brand_influence": _("brand influence"),
    "industry_position": _("industry position"),
    "market_share": _("market share"),
}


def _criterion(name: Any) -> str:
    """A rating criterion of the engine ("brand_influence") in words."""
    words = _CRITERION_WORDS.get(str(name))
    return str(words) if words is not None else str(name).replace("_", " ")


def _criteria(names: Any) -> str:
    listed = names if isinstance(names, list) else [names]
    return _listed([_criterion(name) for name in listed])


_PERIOD = re.compile(r"(?P<count>\d+(?:\.\d+)?) (?P<unit>day|week|month)s?")


def _period(words: Any) -> str:
    """A period as the engine words it ("52 weeks", "1 month") in the active language."""
    found = _PERIOD.fullmatch(str(words))
    if found is None:
        return str(words)
    count, unit = found["count"], found["unit"]
    amount = float(count)
    n = int(amount) if amount.is_integer() else 2  # a fraction takes the plural
    if unit == "day":
        text = ngettext("%(count)s day", "%(count)s days", n)
    elif unit == "week":
        text = ngettext("%(count)s week", "%(count)s weeks", n)
    else:
        text = ngettext("%(count)s month", "%(count)s months", n)
    return text % {"count": count}


@dataclass(frozen=True)
class Message:
    """A translatable message with ``%(name)s`` placeholders, and how to write each figure
    (by default as ``str()`` does, a list joined by commas)."""

    text: StrOrPromise
    formats: Mapping[str, Format] = field(default_factory=dict)

    def render(self, params: Mapping[str, Any]) -> str:
        values = {name: _formatted(value, self.formats.get(name)) for name, value in params.items()}
        return str(self.text) % values


def _formatted(value: Any, how: Format | None) -> str:
    if callable(how):
        return how(value)
    if how is not None and isinstance(value, int | float) and not isinstance(value, bool):
        return format(value, how)
    if isinstance(value, list):
        return _listed(value)
    return str(value)


#: code -> message; the English msgids are the engine's sentences.
MESSAGES: dict[str, Message] = {
    # BG/NBD
    "bgnbd_no_repeat_buyers": Message(
        _(
            "No customer made a repeat purchase: the BG/NBD model cannot be estimated; "
            "expected purchases are close to zero and P(alive) is not informative."
        )
    ),
    "bgnbd_few_repeat_buyers": Message(
        _(
            "Only %(count)s customers made a repeat purchase: the BG/NBD estimates are very "
            "uncertain."
        )
    ),
    "bgnbd_not_converged": Message(
        _(
            "The BG/NBD fit did not converge (%(message)s); expected purchases use the "
            "purchase rate only (NBD) and P(alive) uses the recency rule."
        )
    ),
    "bgnbd_no_dropout": Message(
        _(
            "No drop-out can be identified in this book (a → 0): P(alive) is not "
            "informative; expected purchases use the purchase rate only. P(alive) is "
            "replaced by the recency rule: the chance of the current silence for a customer "
            "still buying at their usual rate. (Mean drop-out chance per purchase "
            "%(mean_dropout)s; likelihood-ratio statistic against no drop-out "
            "%(lr_statistic)s.)"
        ),
        {"mean_dropout": ".2g", "lr_statistic": ".2f"},
    ),
    "bgnbd_same_rates_unbounded": Message(
        _(
            "Purchase rates look (nearly) the same for every customer: r and alpha run "
            "towards infinity (r = %(r)s), and only their ratio, the common purchase rate "
            "r/alpha = %(rate)s per time unit, is measured. Predictions rest on that rate "
            "and remain usable; the standard errors of r and alpha are not meaningful."
        ),
        {"r": ".3g", "rate": ".3g"},
    ),
    "bgnbd_same_rates_uncertain": Message(
        _(
            "Purchase rates look (nearly) the same for every customer: r and alpha are "
            "poorly determined (standard errors above half their values), and only their "
            "ratio, the common purchase rate r/alpha = %(rate)s per time unit, is measured. "
            "Predictions rest on that rate and remain usable; the standard errors of r and "
            "alpha are not meaningful."
        ),
        {"r": ".3g", "rate": ".3g"},
    ),
    "bgnbd_at_bound": Message(
        _(
            "The BG/NBD fit ran to the edge of the search range for %(names)s (|log value| = "
            "%(bound)s): those estimates are limits, not measurements."
        ),
        {"bound": "g"},
    ),
    "bgnbd_no_standard_errors": Message(
        _(
            "BG/NBD standard errors are not available: the likelihood is flat in some "
            "direction (the parameters are not all identifiable from this book)."
        )
    ),
    "bgnbd_fallback_off": Message(
        _("The fallback is switched off: predictions use the BG/NBD estimates.")
    ),
    # Gamma-Gamma
    "gamma_gamma_non_positive_spend": Message(
        _(
            "%(count)s repeat buyers have zero or negative average spend (credit notes "
            "exceed sales): they are left out of the Gamma-Gamma fit and their expected "
            "spend rests on the book's average."
        )
    ),
    "gamma_gamma_no_repeat_spend": Message(
        _(
            "No repeat purchase with a positive amount: spend per purchase cannot be "
            "estimated and expected spend is 0."
        )
    ),
    "gamma_gamma_few_customers": Message(
        _(
            "Only %(count)s repeat buyers with positive spend: the Gamma-Gamma estimates are "
            "very uncertain."
        )
    ),
    "gamma_gamma_at_bound": Message(
        _(
            "The Gamma-Gamma fit ran to the edge of the search range for %(names)s (|log "
            "value| = %(bound)s): those estimates are limits, not measurements."
        ),
        {"bound": "g"},
    ),
    "gamma_gamma_no_standard_errors": Message(
        _(
            "Gamma-Gamma standard errors are not available: the likelihood is flat in some "
            "direction."
        )
    ),
    "gamma_gamma_too_few_customers": Message(
        _(
            "Only %(count)s repeat buyers with positive spend: too few to fit the "
            "Gamma-Gamma model: expected spend uses the shrinkage estimate (the customer's "
            "average weighted with the book's average by number of purchases)."
        )
    ),
    "gamma_gamma_too_few_customers_no_fallback": Message(
        _(
            "Only %(count)s repeat buyers with positive spend: too few to fit the "
            "Gamma-Gamma model. The fallback is switched off: predictions use the "
            "Gamma-Gamma estimates."
        )
    ),
    "gamma_gamma_not_converged": Message(
        _(
            "The Gamma-Gamma fit did not converge (%(message)s): expected spend uses the "
            "shrinkage estimate (the customer's average weighted with the book's average by "
            "number of purchases)."
        )
    ),
    "gamma_gamma_not_converged_no_fallback": Message(
        _(
            "The Gamma-Gamma fit did not converge (%(message)s). The fallback is switched "
            "off: predictions use the Gamma-Gamma estimates."
        )
    ),
    "gamma_gamma_q_not_above_one": Message(
        _(
            "The Gamma-Gamma fit gives q = %(q)s <= 1, so the model's average spend "
            "p·gamma/(q-1) is not finite: expected spend uses the shrinkage estimate (the "
            "customer's average weighted with the book's average by number of purchases)."
        ),
        {"q": ".3g"},
    ),
    "gamma_gamma_q_not_above_one_no_fallback": Message(
        _(
            "The Gamma-Gamma fit gives q = %(q)s <= 1, so the model's average spend "
            "p·gamma/(q-1) is not finite. The fallback is switched off: predictions use the "
            "Gamma-Gamma estimates."
        ),
        {"q": ".3g"},
    ),
    "gamma_gamma_uniform_spend": Message(
        _(
            "Average spend hardly varies between customers (coefficient of variation "
            "%(spread)s): the model cannot separate customers: expected spend uses the "
            "shrinkage estimate (the customer's average weighted with the book's average by "
            "number of purchases)."
        ),
        {"spread": ".2g"},
    ),
    "gamma_gamma_uniform_spend_no_fallback": Message(
        _(
            "Average spend hardly varies between customers (coefficient of variation "
            "%(spread)s): the model cannot separate customers. The fallback is switched off: "
            "predictions use the Gamma-Gamma estimates."
        ),
        {"spread": ".2g"},
    ),
    "gamma_gamma_spend_tied_to_frequency": Message(
        _(
            "Spend per purchase is correlated with the number of purchases (Pearson "
            "correlation %(rho)s among repeat buyers); the Gamma-Gamma model assumes they "
            "are independent: expected spend uses the shrinkage estimate (the customer's "
            "average weighted with the book's average by number of purchases)."
        ),
        {"rho": ".2f"},
    ),
    "gamma_gamma_spend_tied_to_frequency_no_fallback": Message(
        _(
            "Spend per purchase is correlated with the number of purchases (Pearson "
            "correlation %(rho)s among repeat buyers); the Gamma-Gamma model assumes they "
            "are independent. The fallback is switched off: predictions use the Gamma-Gamma "
            "estimates."
        ),
        {"rho": ".2f"},
    ),
    # CLV
    "clv_extrapolation": Message(
        _(
            "The horizon (%(horizon)s time units) is more than %(ratio)s times the longest "
            "customer history (%(longest)s): the forecast extrapolates far beyond the data."
        ),
        {"horizon": "g", "ratio": "g", "longest": ".3g"},
    ),
    # Scoring the book
    "trend_short_history": Message(
        _(
            "The revenue trend compares the last %(period)s with the %(period)s before; "
            "%(share)s%% of the customers have too little history for that: their trend "
            "counts as flat in the score and their lifecycle stage rests on P(alive) and "
            "recency. A longer book (or a shorter trend window) measures more trends."
        ),
        {"period": _period, "share": ".0f"},
    ),
    "payments_none_due": Message(
        _(
            "%(count)s customers have no payment due by %(as_of)s: their payment record "
            "counts as neutral (50 of 100)."
        )
    ),
    "payments_unmatched": Message(
        _(
            "%(count)s customers in the payments have no purchase up to %(as_of)s and are "
            "not scored."
        )
    ),
    "ratings_missing": Message(
        _("%(count)s customers have no %(criterion)s rating: counted as neutral (3 of 5)."),
        {"criterion": _criterion},
    ),
    "ratings_unmatched": Message(
        _("%(count)s rated customers have no purchase up to %(as_of)s and are not scored.")
    ),
    "score_no_data": Message(_("None of the weighted criteria has data: every score is 0.")),
    "score_no_payments": Message(
        _(
            "No payments given: the payment record is left out of the score and the other "
            "weights are renormalised."
        )
    ),
    "score_no_ratings": Message(
        _(
            "No ratings given for %(criteria)s: left out of the score and the other weights "
            "are renormalised."
        ),
        {"criteria": _criteria},
    ),
    # Tiers
    "tiers_few_growth_candidates": Message(
        _(
            "Only %(candidates)s accounts outside diamond and core are growth candidates "
            "(P(alive) >= %(min_p_alive)s and value growing from one period of %(period)s to "
            "the next): the potential tier holds %(potential)s accounts instead of "
            "%(quota)s; the rest are basic."
        ),
        {"min_p_alive": "g", "period": _period},
    ),
}


def note_record(warning: object) -> dict[str, Any]:
    """A warning of the engine as a run stores it: ``{"code", "params", "text"}``."""
    if isinstance(warning, Note):
        return warning.as_dict()
    return {"code": "", "params": {}, "text": str(warning)}


def note_text(stored: Any) -> str:
    """The English text of a stored warning (a record or, in older runs, a string)."""
    if isinstance(stored, Mapping):
        return str(stored.get("text", ""))
    return str(stored)


def render_note(stored: Any) -> str:
    """A stored warning in the active language; the stored English text when its code is
    unknown, its figures do not fit the message, or it is a plain string."""
    if not isinstance(stored, Mapping):
        return str(stored)
    message = MESSAGES.get(str(stored.get("code", "")))
    params = stored.get("params")
    if message is None or not isinstance(params, Mapping):
        return note_text(stored)
    try:
        return message.render(params)
    except (KeyError, TypeError, ValueError):
        return note_text(stored)


def render_notes(stored: Any) -> list[str]:
    """Every stored warning of a run, rendered (see `render_note`)."""
    return [render_note(item) for item in stored or []]
