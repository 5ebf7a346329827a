"""kam_analytics is pure Python: importing every module of it never loads Django."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import kam_analytics

IMPORT_ALL = """
import importlib, pkgutil, sys
import kam_analytics
names = [m.name for m in pkgutil.walk_packages(kam_analytics.__path__, "kam_analytics.")]
for name in names:
    importlib.import_module(name)
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
print(len(names))
print(" ".join(leaked))
"""


def test_it_imports_every_analytics_module_without_django() -> None:
    root = Path(kam_analytics.__file__).resolve().parent.parent
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO")}
    env["PYTHONPATH"] = str(root)
    completed = subprocess.run(  # noqa: S603 - a fixed script run by this interpreter
        [sys.executable, "-c", IMPORT_ALL],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )

    assert completed.returncode == 0, completed.stderr
    count, leaked = [*completed.stdout.splitlines(), "", ""][:2]
    assert int(count) >= 5  # the package really was walked
    assert leaked == "", f"Django was imported: {leaked}"
