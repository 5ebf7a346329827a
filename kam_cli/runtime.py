"""Django, set up on demand: the settings, the database and who a command acts as."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from kam_cli.console import fail

if TYPE_CHECKING:
    from kam.core.models import User

SETTINGS_MODULE = "config.settings"


def ensure_django() -> None:
    """Set Django up once. A second call (or a test that already did it) is a no-op."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)
    from django.apps import apps

    if apps.ready:
        return
    import django
    from django.core.exceptions import ImproperlyConfigured

    try:
        django.setup()
    except ImproperlyConfigured as exc:
        fail(f"configuration problem: {exc}")


def describe_database() -> str:
    """The default database in words, without its password."""
    from django.conf import settings

    config = settings.DATABASES["default"]
    if str(config["ENGINE"]).endswith("sqlite3"):
        return f"SQLite file {config['NAME']}"
    where = f"{config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}"
    user = f" as {config['USER']}" if config.get("USER") else ""
    return f"PostgreSQL database {config['NAME']} on {where}{user}"


def pending_migrations() -> list[str]:
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _backwards in plan]


def require_ready_database() -> None:
    """Stop with a clear message unless the database is reachable and fully migrated."""
    ensure_django()
    from django.db import DatabaseError

    try:
        pending = pending_migrations()
    except DatabaseError as exc:
        fail(f"cannot use the {describe_database()}: {exc}")
    if pending:
        fail(
            f"the {describe_database()} is not set up or not up to date "
            f"({len(pending)} migration(s) to apply): run `kam init` first"
        )


def find_user(username: str) -> User:
    from kam.core.models import User

    user = User.objects.filter(username__iexact=username).select_related("team").first()
    if user is None:
        fail(f"no user {username!r} (see `kam user list`)")
    return user


def acting_user(username: str | None) -> User:
    """The user a command acts as: --as USERNAME, else the first active administrator."""
    from django.db.models import Q

    from kam.core.models import Role, User

    if username:
        user = find_user(username)
        if not user.is_active:
            fail(f"user {user.username!r} is deactivated")
        return user
    admin = (
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.ADMINISTRATOR) | Q(is_superuser=True))
        .order_by("pk")
        .first()
    )
    if admin is None:
        fail("there is no administrator yet: run kam init first")
    return admin
