"""Text helpers shared by imports, search and de-duplication."""

from __future__ import annotations

import re
import unicodedata

# Legal-form words that do not tell two companies apart. Longest first, so
# "股份有限公司" goes before "有限公司".
_LEGAL_FORMS_ZH = (
    "股份有限公司",
    "有限责任公司",
    "集团有限公司",
    "有限公司",
    "分公司",
    "公司",
)
_LEGAL_FORMS_EN = re.compile(
    r"\b(co|company|corp|corporation|inc|incorporated|ltd|limited|llc|plc|gmbh|ag|sa|bv|"
    r"pte|pty|kk|srl|spa)\b"
)
_NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def normalise_company_name(name: str) -> str:
    """A key under which two spellings of one company name collide.

    Full-width and half-width forms, case, spaces, punctuation and legal forms
    (有限公司, Co., Ltd., Inc., …) are ignored: 'ACME Co., Ltd.' == 'acme' ==
    'ＡＣＭＥ有限公司'. '分公司' is kept apart from its head office by the city name
    that usually precedes it, not by the suffix.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = text.replace("(", " ").replace(")", " ")
    text = _LEGAL_FORMS_EN.sub(" ", text.replace(".", " ").replace(",", " "))
    text = _NOT_WORD.sub("", text)
    for form in _LEGAL_FORMS_ZH:
        if text.endswith(form) and len(text) > len(form):
            text = text[: -len(form)]
            break
    return text
