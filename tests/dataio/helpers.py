from __future__ import annotations

from pathlib import Path

from kam.core.models import User
from kam.dataio.engine import ImportReport, import_file


def write_csv(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_bytes(text.encode(encoding))
    return path


def run_import(kind: str, path: Path, actor: User, **options: object) -> ImportReport:
    return import_file(kind, path, actor=actor, **options)  # type: ignore[arg-type]


def problem_lines(report: ImportReport) -> list[str]:
    return [str(p) for p in report.problems]
