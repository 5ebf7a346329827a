"""Warnings of the value engine: an English sentence with a stable code and its figures.

A `Note` *is* its English sentence (a ``str``), so printing, joining and searching
warnings work as before; it also carries ``code`` (snake_case, one of `NOTE_CODES`) and
``params`` (the figures in the sentence as plain JSON values), so an application can
show the warning in another language::

    Note("bgnbd_few_repeat_buyers", f"Only {n} customers made ...", count=n)

Every code the engine can produce is listed in `NOTE_CODES`; a translation table keyed
by code can be checked against it.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["NOTE_CODES", "Note", "NoteParam"]

#: A figure of a note, as JSON has it.
NoteParam = str | int | float | bool | None | list[Any]

#: Every code a note of the engine can have.
NOTE_CODES = frozenset(
    {
        # BG/NBD (kam_analytics.models.bgnbd)
        "bgnbd_no_repeat_buyers",
        "bgnbd_few_repeat_buyers",
        "bgnbd_not_converged",
        "bgnbd_no_dropout",
        "bgnbd_same_rates_unbounded",
        "bgnbd_same_rates_uncertain",
        "bgnbd_at_bound",
        "bgnbd_no_standard_errors",
        "bgnbd_fallback_off",
        # Gamma-Gamma (kam_analytics.models.gamma_gamma); each reason to fall back comes
        # as <code> (the shrinkage estimate is used) and <code>_no_fallback.
        "gamma_gamma_non_positive_spend",
        "gamma_gamma_no_repeat_spend",
        "gamma_gamma_few_customers",
        "gamma_gamma_at_bound",
        "gamma_gamma_no_standard_errors",
        "gamma_gamma_too_few_customers",
        "gamma_gamma_too_few_customers_no_fallback",
        "gamma_gamma_not_converged",
        "gamma_gamma_not_converged_no_fallback",
        "gamma_gamma_q_not_above_one",
        "gamma_gamma_q_not_above_one_no_fallback",
        "gamma_gamma_uniform_spend",
        "gamma_gamma_uniform_spend_no_fallback",
        "gamma_gamma_spend_tied_to_frequency",
        "gamma_gamma_spend_tied_to_frequency_no_fallback",
        # CLV (kam_analytics.models.clv)
        "clv_extrapolation",
        # Scoring the book (kam_analytics.pipeline)
        "trend_short_history",
        "payments_none_due",
        "payments_unmatched",
        "ratings_missing",
        "ratings_unmatched",
        "score_no_data",
        "score_no_payments",
        "score_no_ratings",
        # Tiers (kam_analytics.models.tiering)
        "tiers_few_growth_candidates",
    }
)


class Note(str):
    """A warning: ``str(note)`` is the English sentence; ``code`` and ``params`` name it.

    ``params`` are the figures of the sentence, unformatted (numpy numbers become Python
    numbers, non-finite floats the strings "nan" / "inf" / "-inf").
    """

    code: str
    params: dict[str, NoteParam]

    def __new__(cls, code: str, text: str, /, **params: object) -> Note:
        if code not in NOTE_CODES:
            raise ValueError(f"unknown note code {code!r}: add it to NOTE_CODES")
        note = super().__new__(cls, text)
        note.code = code
        note.params = {name: _plain(value) for name, value in params.items()}
        return note

    def __getnewargs_ex__(self) -> tuple[tuple[str, str], dict[str, Any]]:
        # Pickle and copy rebuild the note through __new__.
        return (self.code, str(self)), dict(self.params)

    def as_dict(self) -> dict[str, Any]:
        """``{"code", "params", "text"}``: the note as JSON."""
        return {"code": self.code, "params": dict(self.params), "text": str(self)}


def _plain(value: object) -> NoteParam:
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    item = getattr(value, "item", None)
    if callable(item):  # a numpy number
        value = item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | bool | int | float):
        return value
    return str(value)
