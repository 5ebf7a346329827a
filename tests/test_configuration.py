"""Bad configuration fails at start with a message naming the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def start(env: dict[str, str], home: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KAM_")}
    clean.update({"KAM_HOME": str(home), "DJANGO_SETTINGS_MODULE": "config.settings", **env})
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"KAM_DEBUG": "maybe"}, "KAM_DEBUG='maybe' is not a boolean"),
        ({"KAM_DATABASE_URL": "mysql://x/y"}, "KAM_DATABASE_URL has scheme 'mysql'"),
        (
            {"KAM_LANGUAGE": "fr"},
            "KAM_LANGUAGE='fr' is not supported (expected one of: en, zh-hans)",
        ),
        ({"KAM_PAGE_SIZE": "ten"}, "KAM_PAGE_SIZE='ten' is not a whole number"),
        ({"KAM_SECRET_KEY": "short"}, "KAM_SECRET_KEY is too short"),
        ({"KAM_LOG_LEVEL": "LOUD"}, "KAM_LOG_LEVEL='LOUD' is not supported"),
    ],
)
def test_it_names_the_bad_variable(tmp_path: Path, env: dict[str, str], message: str) -> None:
    result = start(env, tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_it_refuses_a_home_it_cannot_create(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = start({}, blocker / "home")
    assert result.returncode != 0
    assert "KAM_HOME=" in result.stderr and "cannot be created or used" in result.stderr


def test_it_generates_a_secret_key_once_and_keeps_it(tmp_path: Path) -> None:
    assert start({}, tmp_path).returncode == 0
    key_file = tmp_path / "secret_key"
    first = key_file.read_text()
    assert len(first) >= 50
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert start({}, tmp_path).returncode == 0
    assert key_file.read_text() == first


def test_it_uses_sqlite_in_the_home_by_default_and_postgres_when_told(tmp_path: Path) -> None:
    assert start({}, tmp_path).stdout.strip() == "django.db.backends.sqlite3"
    result = start({"KAM_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/kam"}, tmp_path)
    assert result.stdout.strip() == "django.db.backends.postgresql"
