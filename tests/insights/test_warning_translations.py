"""The engine's warnings in the page's language: a message for every code the engine can
produce, each English message is the engine's own sentence, and a stored run's warnings
(old plain strings too) show on the dashboard and in the API in the request's language."""

from __future__ import annotations

import datetime as dt
import html
import itertools
import json
import re
from typing import Any

import numpy as np
import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext

from kam.core.tokens import issue_token
from kam.insights.models import ScoringRun
from kam.insights.notes import MESSAGES, note_record, note_text, render_note, render_notes
from kam.insights.services import run_scoring
from kam_analytics.backends import connect, table_from_pandas
from kam_analytics.notes import NOTE_CODES, Note
from kam_analytics.pipeline import _absent_notes, _trend_notes
from tests.analytics.note_books import book_notes, model_notes
from tests.conftest import Cast
from tests.insights.conftest import FakeEngine

pytestmark = [
    pytest.mark.filterwarnings("ignore:fetch_arrow_table:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore:The 'future.infer_string' option:Warning"),
]

AS_OF = dt.date(2025, 12, 31)
FEW_BUYERS = (
    "Only %(count)s customers made a repeat purchase: the BG/NBD estimates are very uncertain."
)
OLD_WARNING = "A warning stored before warnings had codes."


@pytest.fixture(scope="module")
def engine_notes() -> list[Note]:
    """The notes the engine gives on the odd books of its own tests (DuckDB in memory)."""
    backend = connect()
    names = itertools.count()

    def load(frame: Any) -> Any:
        return table_from_pandas(backend, frame, f"notes_{next(names)}")

    return model_notes() + book_notes(load)


def stored_notes() -> list[Any]:
    """A run's warnings as store_result keeps them, and an old run's plain string."""
    few = Note(
        "bgnbd_few_repeat_buyers",
        "Only 4 customers made a repeat purchase: the BG/NBD estimates are very uncertain.",
        count=4,
    )
    trend = _trend_notes(np.array([np.nan, np.nan, np.nan, 0.5]), 52, "week")
    absent = _absent_notes(("cooperation", "brand_influence"))
    return [note_record(note) for note in [few, *trend, *absent]] + [OLD_WARNING]


def scored_run(book: Cast) -> ScoringRun:
    run = run_scoring(actor=book.dora, as_of=AS_OF)
    run.warnings = stored_notes()
    run.save(update_fields=["warnings"])
    return run


def test_every_code_the_engine_can_produce_has_a_message() -> None:
    assert sorted(NOTE_CODES - MESSAGES.keys()) == [], "codes without a translatable message"
    assert sorted(MESSAGES.keys() - NOTE_CODES) == [], "messages for codes the engine lacks"
    for code, message in MESSAGES.items():
        # Only %(name)s placeholders and %% in the msgids (python-format for translators).
        bare = re.sub(r"%\(\w+\)s|%%", "", str(message.text))
        assert "%" not in bare, code


def test_each_english_message_is_the_engines_sentence(engine_notes: list[Note]) -> None:
    assert {note.code for note in engine_notes} >= NOTE_CODES - {"bgnbd_at_bound"}
    with translation.override("en"):
        for note in engine_notes:
            # The message itself (render_note would hide a mismatch behind the stored text).
            assert MESSAGES[note.code].render(note.params) == str(note), note.code
            assert render_note(note_record(note)) == str(note)


def test_a_note_it_cannot_render_shows_its_stored_text() -> None:
    text = "The stored English sentence."
    assert render_note(text) == text
    assert render_note({"code": "", "params": {}, "text": text}) == text
    assert render_note({"code": "retired_code", "params": {}, "text": text}) == text
    assert render_note({"code": "bgnbd_few_repeat_buyers", "params": {}, "text": text}) == text
    assert render_note({"code": "bgnbd_few_repeat_buyers", "text": text}) == text
    assert render_note({"code": "bgnbd_no_dropout", "params": {"x": 1}, "text": text}) == text
    assert note_text({"code": "bgnbd_few_repeat_buyers", "text": text}) == text
    assert note_text(text) == text
    assert render_notes(None) == []


def test_the_dashboard_shows_the_warnings_in_the_page_language(
    book: Cast, engine: FakeEngine
) -> None:
    run = scored_run(book)
    english = html.unescape(logged_in(book.dora, "en").get("/insights/").content.decode())
    chinese = html.unescape(logged_in(book.dora, "zh-hans").get("/insights/").content.decode())

    for stored in run.warnings:
        assert note_text(stored) in english
    assert OLD_WARNING in chinese
    with translation.override("zh-hans"):
        # Until the catalogue has them the Chinese page shows what gettext returns.
        assert gettext(FEW_BUYERS) % {"count": "4"} in chinese
        for stored in run.warnings:
            assert render_note(stored) in chinese


def test_the_api_gives_the_warnings_in_the_request_language(book: Cast, engine: FakeEngine) -> None:
    run = scored_run(book)
    english = api_get(book.dora, "/api/portfolio", "en")
    chinese = api_get(book.dora, "/api/portfolio", "zh-hans")
    one_run = api_get(book.dora, f"/api/scoring-runs/{run.pk}", "zh-hans")

    assert english["warnings"] == english["run"]["warnings"]
    assert english["warnings"] == [note_text(stored) for stored in run.warnings]
    with translation.override("zh-hans"):
        expected = [render_note(stored) for stored in run.warnings]
        assert gettext(FEW_BUYERS) % {"count": "4"} == expected[0]
    assert chinese["warnings"] == chinese["run"]["warnings"] == one_run["warnings"] == expected


def test_the_chinese_dashboard_shows_chinese_warnings(book: Cast, engine: FakeEngine) -> None:
    run = scored_run(book)
    chinese = html.unescape(logged_in(book.dora, "zh-hans").get("/insights/").content.decode())
    with translation.override("zh-hans"):
        few = render_note(run.warnings[0])
    assert f"<li>{few}</li>" in chinese
    assert re.search(r"[\u4e00-\u9fff]", few), few  # needs the zh_Hans catalogue


def logged_in(user: object, language: str) -> Client:
    client = Client(headers={"accept-language": language})
    client.force_login(user)  # type: ignore[arg-type]
    return client


def api_get(user: Any, path: str, language: str) -> Any:
    headers = {
        "Authorization": f"Bearer {issue_token(user=user, name='tests')}",
        "Accept-Language": language,
    }
    response = Client().get(path, headers=headers)
    assert response.status_code == 200, response.content
    return json.loads(response.content)
