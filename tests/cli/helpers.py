"""Helpers for the `kam` command tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from typer.testing import Result

REPO = Path(__file__).resolve().parents[2]

Kam = Callable[..., Result]


def kam_process(
    *args: str, home: Path, timeout: float = 120, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `python -m kam_cli ARGS…` as its own process, with its own KAM_HOME."""
    return subprocess.run(  # noqa: S603 - this interpreter running kam_cli
        [sys.executable, "-m", "kam_cli", *args],
        cwd=REPO,
        env=process_env(home, extra_env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def process_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment minus any database URL, with KAM_HOME pointing at `home`."""
    env = {k: v for k, v in os.environ.items() if k != "KAM_DATABASE_URL"}
    env.update({"KAM_HOME": str(home), "COLUMNS": "200", **(extra or {})})
    return env


def write_csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_text(text.lstrip("\n"), encoding=encoding)
    return path
