"""Every warning of the engine is a Note: a registered code, its figures as plain JSON and,
as a string, the English sentence it always was (what the CLI prints and tests search)."""

from __future__ import annotations

import copy
import json
import pickle
import re

import numpy as np
import pytest

from kam_analytics.notes import NOTE_CODES, Note
from tests.analytics.conftest import Loader
from tests.analytics.note_books import book_notes, model_notes


def assert_well_formed(notes: list[Note]) -> None:
    assert notes
    for note in notes:
        assert isinstance(note, Note), note
        assert note.code in NOTE_CODES, note.code
        record = note.as_dict()
        assert record["code"] == note.code and record["params"] == note.params
        assert str(note) == record["text"] and type(str(note)) is str
        assert note == record["text"] and str(note).endswith((".", ")")), note
        # Plain JSON (no NaN, no numpy), and it comes back the same.
        assert json.loads(json.dumps(record, allow_nan=False)) == record
        for value in note.params.values():
            assert isinstance(value, str | int | float | list), (note.code, value)
        copies = (pickle.loads(pickle.dumps(note)), copy.deepcopy(note))  # noqa: S301 - own bytes
        for again in copies:
            assert isinstance(again, Note)
            assert (again.code, again.params, str(again)) == (note.code, note.params, str(note))


def test_every_note_on_the_odd_model_books_has_a_code_and_its_figures() -> None:
    notes = model_notes()

    assert_well_formed(notes)
    assert {
        "bgnbd_no_repeat_buyers",
        "bgnbd_few_repeat_buyers",
        "bgnbd_not_converged",
        "bgnbd_same_rates_unbounded",
        "bgnbd_same_rates_uncertain",
        "gamma_gamma_no_repeat_spend",
        "gamma_gamma_non_positive_spend",
        "gamma_gamma_few_customers",
        "gamma_gamma_too_few_customers",
        "gamma_gamma_q_not_above_one_no_fallback",
        "gamma_gamma_uniform_spend",
        "clv_extrapolation",
        "tiers_few_growth_candidates",
        "trend_short_history",
    } <= {note.code for note in notes}


def test_every_note_of_a_scored_book_has_a_code_and_its_figures(load: Loader) -> None:
    notes = book_notes(load)

    assert_well_formed(notes)
    assert {
        "bgnbd_no_dropout",
        "bgnbd_fallback_off",
        "gamma_gamma_spend_tied_to_frequency",
        "payments_none_due",
        "payments_unmatched",
        "ratings_missing",
        "ratings_unmatched",
        "score_no_payments",
        "score_no_ratings",
        "score_no_data",
    } <= {note.code for note in notes}


def test_the_figures_are_the_ones_in_the_sentence() -> None:
    notes: dict[str, Note] = {}
    for note in model_notes():
        notes.setdefault(note.code, note)  # the first of each code

    few = notes["bgnbd_few_repeat_buyers"]
    assert few.params == {"count": 4} and "Only 4 customers made a repeat purchase" in few
    same = notes["bgnbd_same_rates_unbounded"]
    assert f"(r = {same.params['r']:.3g})" in same and f"= {same.params['rate']:.3g} per" in same
    tiers = notes["tiers_few_growth_candidates"]
    assert tiers.params == {
        "candidates": 8,
        "min_p_alive": 0.5,
        "period": "12 months",
        "potential": 8,
        "quota": 30,
    }
    trend = notes["trend_short_history"]
    assert trend.params == {"period": "52 weeks", "share": 75.0}
    assert "the last 52 weeks with the 52 weeks before; 75% of the customers" in trend


def test_a_note_takes_only_registered_codes_and_keeps_figures_plain() -> None:
    with pytest.raises(ValueError, match="unknown note code"):
        Note("no_such_code", "Some sentence.")
    note = Note(
        "bgnbd_at_bound",
        "The BG/NBD fit ran to the edge ...",
        names=("r", np.str_("alpha")),
        bound=np.float64(20.0),
        count=np.int64(3),
        missing=float("nan"),
    )
    assert note.params == {"names": ["r", "alpha"], "bound": 20.0, "count": 3, "missing": "nan"}
    assert type(note.params["count"]) is int and type(note.params["bound"]) is float
    assert all(re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", code) for code in NOTE_CODES)
