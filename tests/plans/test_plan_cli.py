"""`kam plans list | show | remind | export`, with the acting user's visibility."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kam_cli.console import out
from tests.conftest import Cast
from tests.plans.conftest import Planned


def test_list_shows_the_plans_the_user_sees(
    planned: Planned, kam: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(out, "_width", 200)  # a wide terminal: no wrapped names
    alice = kam("plans", "list", "--as", "alice")
    assert alice.exit_code == 0, alice.output
    assert "Alice Steel Co., Ltd." in alice.stdout and "2026-08-30 (overdue)" in alice.stdout
    assert "1 plans" in alice.stdout
    bob = kam("plans", "list", "--as", "bob")
    assert bob.exit_code == 0
    assert "Alice Steel" not in bob.stdout
    assert "bob sees no account plan" in bob.stderr


def test_show_prints_the_plan_as_text(planned: Planned, kam: Any) -> None:
    shown = kam("plans", "show", str(planned.plan.pk), "--as", "alice")
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "# Account plan 2026: Alice Steel Co., Ltd." in out
    assert "Become Alice Steel's partner for the digital plant." in out
    assert "| 2025 | 400,000 | 380,000 | 95.0% |" in out
    assert "| MES licence | Sold | — |" in out
    assert "Workshop with the CTO" in out and "(overdue)" in out
    hidden = kam("plans", "show", str(planned.plan.pk), "--as", "bob")
    assert hidden.exit_code == 2
    assert f"no account plan {planned.plan.pk} that bob can see" in hidden.stderr


def test_export_writes_markdown_or_the_api_s_json(
    planned: Planned, cast: Cast, kam: Any, tmp_path: Path, api_as: Any
) -> None:
    md = tmp_path / "plan.md"
    result = kam("plans", "export", str(planned.plan.pk), "--out", str(md), "--as", "alice")
    assert result.exit_code == 0, result.output
    assert md.read_text(encoding="utf-8").startswith("# Account plan 2026: Alice Steel Co., Ltd.")
    out = tmp_path / "plan.json"
    kam("plans", "export", str(planned.plan.pk), "--out", str(out), "--as", "alice")
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported == api_as(cast.alice).get(f"/api/plans/{planned.plan.pk}").json()
    bad = kam("plans", "export", str(planned.plan.pk), "--out", str(tmp_path / "plan.pdf"))
    assert bad.exit_code == 2 and "expected a file name ending in .md or .json" in bad.stderr


def test_remind_takes_a_date(planned: Planned, kam: Any) -> None:
    early = kam("plans", "remind", "--as-of", "2026-08-30")
    assert "Reminded 0 overdue reviews" in early.stdout
    late = kam("plans", "remind", "--as-of", "2026-08-31")
    assert "Reminded 1 overdue reviews" in late.stdout
    bad = kam("plans", "remind", "--as-of", "soon")
    assert bad.exit_code == 2
