"""The `kam` fixture: run the command in this process, on the test database."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner, Result

from kam_cli.main import app
from tests.cli.helpers import Kam


@pytest.fixture
def kam() -> Kam:
    runner = CliRunner()

    def run(*args: str, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, list(args), env=env, catch_exceptions=False)

    return run
