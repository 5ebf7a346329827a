"""kam.risk reaches the risk models only through kam.insights.risk (docs/architecture.md)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^\s*(from|import)\s+kam_analytics\b", re.MULTILINE)


def test_the_risk_app_and_its_command_never_import_kam_analytics() -> None:
    sources = [*(ROOT / "kam" / "risk").rglob("*.py"), ROOT / "kam_cli" / "risk.py"]
    assert len(sources) > 8
    offenders = [str(p.relative_to(ROOT)) for p in sources if IMPORT.search(p.read_text())]
    assert offenders == []


def test_the_bridge_is_where_the_risk_models_are_called() -> None:
    bridge = (ROOT / "kam" / "insights" / "risk.py").read_text()
    for module in ("churn", "credit", "relationship", "anomalies"):
        assert f"from kam_analytics.models.{module} import" in bridge
