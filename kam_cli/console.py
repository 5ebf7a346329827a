"""Where the command writes: results on stdout, messages and progress on stderr."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console

# soft_wrap: long problem lines stay one line each, so they can be grepped and tested.
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

USAGE = 2  # what click returns for a bad command line: bad input the user can fix
FAILED = 1  # the command ran and the data was refused


def fail(message: str, code: int = USAGE) -> NoReturn:
    err.print(f"Error: {message}", style="bold red", markup=False)
    raise typer.Exit(code)


def say(message: str, style: str | None = None) -> None:
    out.print(message, style=style, markup=False)


def note(message: str, style: str | None = None) -> None:
    err.print(message, style=style, markup=False)
