"""Typed readers for settings that come from the environment.

Every reader fails at start-up with ImproperlyConfigured naming the variable, so a
typo in a deployment shows at once instead of as odd behaviour later.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

TRUE_WORDS = {"1", "true", "yes", "on"}
FALSE_WORDS = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean (expected one of: true, false, 1, 0, yes, no)"
    )


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name}={raw!r} must be at least {minimum}")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: list[str]) -> str:
    raw = os.environ.get(name, default).strip()
    if raw not in choices:
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not supported (expected one of: {', '.join(choices)})"
        )
    return raw


def kam_home() -> Path:
    raw = os.environ.get("KAM_HOME", "").strip()
    home = Path(raw).expanduser() if raw else Path.home() / ".kam"
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ImproperlyConfigured(
            f"KAM_HOME={str(home)!r} cannot be created or used: {exc.strerror}"
        ) from None
    if not os.access(home, os.W_OK):
        raise ImproperlyConfigured(f"KAM_HOME={str(home)!r} is not writable")
    return home


def secret_key(home: Path) -> str:
    """KAM_SECRET_KEY, or a key generated once and kept in KAM_HOME."""
    given = os.environ.get("KAM_SECRET_KEY", "").strip()
    if given:
        if len(given) < 32:
            raise ImproperlyConfigured(
                "KAM_SECRET_KEY is too short (expected 32 characters or more)"
            )
        return given
    key_file = home / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(50)
    # Create with owner-only permissions; O_EXCL keeps two processes from racing.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key)
    return key


def database_config(home: Path) -> dict[str, object]:
    import dj_database_url

    raw = os.environ.get("KAM_DATABASE_URL", "").strip()
    if not raw:
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(home / "kam.sqlite3"),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    scheme = raw.split(":", 1)[0]
    if scheme not in {"sqlite", "postgres", "postgresql", "pgsql"}:
        raise ImproperlyConfigured(
            f"KAM_DATABASE_URL has scheme {scheme!r} "
            "(expected sqlite:///path/to/file.sqlite3 or postgresql://user@host:port/name)"
        )
    try:
        config = dict(dj_database_url.parse(raw, conn_max_age=60))
    except Exception as exc:  # dj_database_url raises several types
        raise ImproperlyConfigured(f"KAM_DATABASE_URL cannot be parsed: {exc}") from None
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
        config["CONN_MAX_AGE"] = 0
    elif not config.get("NAME"):
        raise ImproperlyConfigured("KAM_DATABASE_URL names no database (expected …/DBNAME)")
    return config


#: KAM_TASKS_BACKEND -> the django-tasks backend that runs background work.
TASK_BACKENDS = {
    # Queued in the database; a worker (`kam worker`, started by `kam serve`) runs them.
    "database": "django_tasks_db.DatabaseBackend",
    # Run at once, inside the request that queued them: no worker, but a slow request.
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}


def tasks_config() -> dict[str, dict[str, object]]:
    """The TASKS setting: KAM_TASKS_BACKEND (database or immediate) as the default backend."""
    name = env_choice("KAM_TASKS_BACKEND", "database", list(TASK_BACKENDS))
    return {"default": {"BACKEND": TASK_BACKENDS[name]}}
