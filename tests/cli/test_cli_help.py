"""`kam --help` lists every command, each with a help text, and needs no database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from kam.core.models import Role
from kam_cli.admin import RoleName
from kam_cli.main import app
from tests.cli.helpers import Kam, kam_process

COMMANDS = ["init", "import", "export", "serve", "demo", "user", "score", "clv"]


def all_commands(group: Any, prefix: str = "kam") -> list[tuple[str, Any]]:
    """(path, command) for every command under `group`, sub-commands included."""
    found: list[tuple[str, Any]] = []
    for name, command in group.commands.items():
        found.append((f"{prefix} {name}", command))
        if hasattr(command, "commands"):
            found.extend(all_commands(command, f"{prefix} {name}"))
    return found


def test_it_lists_the_six_commands(kam: Kam) -> None:
    result = kam("--help")

    assert result.exit_code == 0
    for name in COMMANDS:
        assert f" {name} " in result.output


def test_it_gives_every_command_and_option_a_help_text() -> None:
    root = typer.main.get_command(app)

    for path, command in all_commands(root):
        assert command.help, f"{path} has no help"
        for param in command.params:
            if param.name != "help":
                assert getattr(param, "help", None), f"{path} {param.name} has no help"


def test_it_knows_the_same_roles_as_the_user_model() -> None:
    assert [r.value for r in RoleName] == list(Role.values)


def test_it_shows_help_without_setting_django_up(tmp_path: Path) -> None:
    # A broken database URL would stop any command that sets Django up.
    result = kam_process(
        "--help", home=tmp_path, extra_env={"KAM_DATABASE_URL": "mysql://nowhere/kam"}
    )

    assert result.returncode == 0, result.stderr
    assert "demo" in result.stdout
