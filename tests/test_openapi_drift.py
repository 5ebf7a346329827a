"""The committed OpenAPI document (docs/openapi.json) is the one the code serves."""

from __future__ import annotations

from pathlib import Path

import pytest

from config.api import openapi_document

COMMITTED = Path(__file__).resolve().parent.parent / "docs" / "openapi.json"
REGENERATE = (
    'DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python -c "import django, pathlib; '
    "django.setup(); from config.api import openapi_document; "
    "pathlib.Path('docs/openapi.json').write_text(openapi_document(), encoding='utf-8')\""
)


def test_it_serves_the_committed_openapi_document() -> None:
    committed = COMMITTED.read_text(encoding="utf-8") if COMMITTED.exists() else ""
    if openapi_document() != committed:
        pytest.fail(
            "docs/openapi.json differs from the API; if the change is intended, regenerate "
            f"it from the project folder with:\n  {REGENERATE}"
        )
