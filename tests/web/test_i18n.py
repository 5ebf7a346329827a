"""English and Simplified Chinese (PLAT-1): every message of the project is translated,
the compiled catalogue matches the .po file, and the language switch works."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import translation

from tests.conftest import Cast
from tests.web.conftest import client_for

PO_FILE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)


def unquote(text: str) -> str:
    return str(ast.literal_eval(text.strip()))


KEYWORDS = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (.*)$")


def read_entry(block: list[tuple[int, str]]) -> Entry | None:
    """One entry of a .po file from its lines; None for an obsolete (#~) entry."""
    entry = Entry(line=block[0][0])
    target: list[str] = []
    parts: dict[str, list[str]] = {}
    for _number, line in block:
        if line.startswith("#~"):
            return None
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
        elif (match := KEYWORDS.match(line)) is not None:
            key = match.group(1)
            target = parts.setdefault(key, [])
            target.append(unquote(match.group(3)))
        elif line.startswith('"'):
            target.append(unquote(line))
    entry.context = "".join(parts["msgctxt"]) if "msgctxt" in parts else None
    entry.msgid = "".join(parts.get("msgid", []))
    entry.plural = "".join(parts["msgid_plural"]) if "msgid_plural" in parts else None
    for key, values in parts.items():
        if key == "msgstr":
            entry.msgstrs[0] = "".join(values)
        elif key.startswith("msgstr["):
            entry.msgstrs[int(key[7:-1])] = "".join(values)
    return entry


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file (obsolete entries left out), in plain Python."""
    entries: list[Entry] = []
    block: list[tuple[int, str]] = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, raw in enumerate([*lines, ""], start=1):
        line = raw.strip()
        if line:
            block.append((number, line))
            continue
        entry = read_entry(block) if block else None
        if entry is not None:
            entries.append(entry)
        block = []
    return entries


@pytest.fixture(scope="module")
def catalogue() -> list[Entry]:
    assert PO_FILE.exists(), "run: manage.py makemessages -l zh_Hans (see CONTRIBUTING.md)"
    return read_po(PO_FILE)


def test_it_translates_every_message_and_marks_none_fuzzy(catalogue: list[Entry]) -> None:
    messages = [e for e in catalogue if e.msgid]
    assert len(messages) > 300
    untranslated = [
        f"line {e.line}: {e.msgid!r}"
        for e in messages
        if not e.msgstrs or any(not text for text in e.msgstrs.values())
    ]
    fuzzy = [f"line {e.line}: {e.msgid!r}" for e in catalogue if "fuzzy" in e.flags]
    assert untranslated == []
    assert fuzzy == []


def test_it_keeps_the_placeholders_of_each_message(catalogue: list[Entry]) -> None:
    placeholder = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
    wrong = []
    for entry in catalogue:
        if not entry.msgid:
            continue
        expected = {m.group(0) for m in placeholder.finditer(entry.plural or entry.msgid)}
        for text in entry.msgstrs.values():
            if {m.group(0) for m in placeholder.finditer(text)} != expected:
                wrong.append(f"line {entry.line}: {entry.msgid!r}")
    assert wrong == []


def test_it_compiled_the_catalogue_from_the_current_po_file(catalogue: list[Entry]) -> None:
    stale = []
    with translation.override("zh-hans"):
        for entry in catalogue:
            if not entry.msgid:
                continue
            if entry.plural is not None and entry.context is not None:
                got = translation.npgettext(entry.context, entry.msgid, entry.plural, 1)
            elif entry.plural is not None:
                got = translation.ngettext(entry.msgid, entry.plural, 1)
            elif entry.context is not None:
                got = translation.pgettext(entry.context, entry.msgid)
            else:
                got = translation.gettext(entry.msgid)
            if got != entry.msgstrs[0]:
                stale.append(f"line {entry.line}: {entry.msgid!r}")
    assert stale == [], "run: manage.py compilemessages"


def test_it_renders_the_account_list_in_chinese(cast: Cast) -> None:
    client = client_for(cast.alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    page = client.get(reverse("accounts:list")).content.decode()
    assert '<html lang="zh-hans">' in page
    for text in ("客户", "国有企业", "外资企业", "制造业", "导出"):
        assert text in page


def test_it_switches_the_language_with_the_form_in_the_header(cast: Cast) -> None:
    client = client_for(cast.alice)
    english = client.get(reverse("accounts:list")).content.decode()
    assert 'action="/i18n/setlang/"' in english and 'value="zh-hans"' in english
    assert "State-owned" in english

    response = client.post(
        reverse("set_language"), {"language": "zh-hans", "next": reverse("accounts:list")}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:list")
    chinese = client.get(reverse("accounts:list")).content.decode()
    assert "国有企业" in chinese and "State-owned" not in chinese

    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "State-owned" in client.get(reverse("accounts:list")).content.decode()


def test_it_shows_the_login_page_in_the_browser_language(cast: Cast) -> None:
    page = Client(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").get(reverse("core:login"))
    assert "登录" in page.content.decode()
