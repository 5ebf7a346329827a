"""The import how-to lists every column each kind reads, with its other names."""

from __future__ import annotations

from pathlib import Path

import pytest

from kam.dataio.kinds import get_kind

DOC = Path(__file__).resolve().parents[2] / "docs" / "how-to" / "import.md"


@pytest.mark.parametrize("kind", ["accounts", "contacts", "transactions", "payments"])
def test_it_documents_every_column(kind: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(f"### `{kind}`", 1)[1].split("###", 1)[0]
    for field in get_kind(kind).fields:
        aliases = ", ".join(field.aliases)
        assert f"| `{field.name}` | {aliases} |" in section, field.name
