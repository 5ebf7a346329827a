"""`kam init` and `kam user …`: the database, the first administrator and the users."""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import fail, note, out, say
from kam_cli.runtime import (
    describe_database,
    ensure_django,
    find_user,
    pending_migrations,
    require_ready_database,
)

if TYPE_CHECKING:
    from kam.core.models import Team, User

ADMIN_PASSWORD_VARIABLE = "KAM_ADMIN_PASSWORD"  # noqa: S105 - a variable name


class RoleName(StrEnum):
    # The values of kam.core.models.Role (a test keeps them equal); spelled out here
    # because importing the model needs Django, and `kam --help` must not.
    administrator = "administrator"
    director = "director"
    sales_manager = "sales_manager"
    account_manager = "account_manager"
    analyst = "analyst"
    service_agent = "service_agent"


# --- kam init ----------------------------------------------------------------------


def init(
    username: Annotated[str, typer.Option(help="User name of the first administrator.")] = "admin",
    email: Annotated[str, typer.Option(help="E-mail address of the first administrator.")] = "",
    password: Annotated[
        str | None,
        typer.Option(
            help=f"Password of the first administrator (default: ${ADMIN_PASSWORD_VARIABLE}, "
            "else asked for in a terminal).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create or upgrade the database and the first administrator. Safe to run again."""
    ensure_django()
    migrate_database()
    from kam.core.models import Role, User

    existing = User.objects.filter(role=Role.ADMINISTRATOR, is_superuser=True, is_active=True)
    first = existing.order_by("pk").first()
    if first is not None:
        say(f"Administrator {first.username!r} already exists; no user created.")
        return
    secret = admin_password(password)
    check_password_strength(secret, username=username, email=email)
    User.objects.create_user(
        username=username,
        email=email,
        password=secret,
        role=Role.ADMINISTRATOR,
        is_staff=True,
        is_superuser=True,
    )
    say(f"Created administrator {username!r}. Start the server with: kam serve", style="green")


def migrate_database() -> None:
    from django.core.management import call_command
    from django.db import DatabaseError

    try:
        pending = pending_migrations()
        if pending:
            note(f"Applying {len(pending)} migration(s) to the {describe_database()} …")
        call_command("migrate", interactive=False, verbosity=0)
    except DatabaseError as exc:
        fail(f"cannot set up the {describe_database()}: {exc}")
    say(f"Database ready: {describe_database()}")


def admin_password(given: str | None) -> str:
    """--password, else $KAM_ADMIN_PASSWORD, else a prompt in a terminal, else an error."""
    if given:
        return given
    from_environment = os.environ.get(ADMIN_PASSWORD_VARIABLE, "")
    if from_environment:
        return from_environment
    if sys.stdin.isatty():
        return str(
            typer.prompt(
                "Password for the administrator", hide_input=True, confirmation_prompt=True
            )
        )
    fail(
        f"no password for the administrator: pass --password, set {ADMIN_PASSWORD_VARIABLE} "
        "or run kam init in a terminal"
    )


def check_password_strength(password: str, *, username: str, email: str) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    from kam.core.models import User

    try:
        validate_password(password, user=User(username=username, email=email))
    except ValidationError as exc:
        fail("password refused: " + " ".join(exc.messages))


# --- kam user ------------------------------------------------------------------------

user_app = typer.Typer(
    help="Create users, change their roles, list them and issue API tokens.",
    no_args_is_help=True,
)


@user_app.command("create")
def create_user(
    username: Annotated[str, typer.Argument(help="The new user's login name.", show_default=False)],
    role: Annotated[
        RoleName, typer.Option(help="What the user may see and do.", show_default=False)
    ],
    team: Annotated[
        str | None, typer.Option(help="The user's sales team (created if it does not exist).")
    ] = None,
    email: Annotated[str, typer.Option(help="E-mail address.")] = "",
    password: Annotated[
        str | None,
        typer.Option(
            help="Password (default: asked for in a terminal; without one the user signs in "
            "only after an administrator sets it).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Create a user with a role."""
    require_ready_database()
    from kam.core.models import User

    if User.objects.filter(username__iexact=username).exists():
        fail(f"user {username!r} already exists (change the role with `kam user set-role`)")
    secret = password or prompt_password(username)
    if secret:
        check_password_strength(secret, username=username, email=email)
    user = User(username=username, email=email, team=team_named(team) if team else None)
    apply_role(user, role.value)
    if secret:
        user.set_password(secret)
    else:
        user.set_unusable_password()
    user.save()
    say(
        f"Created {role.value} {username!r}" + (f" in team {team!r}" if team else ""), style="green"
    )
    if not secret:
        note(
            "No password set: give one in the admin site, or issue an API token with "
            f"`kam user token {username}`.",
            style="yellow",
        )


def prompt_password(username: str) -> str:
    if not sys.stdin.isatty():
        return ""
    return str(typer.prompt(f"Password for {username}", hide_input=True, confirmation_prompt=True))


def team_named(name: str) -> Team:
    from kam.core.models import Team

    team, created = Team.objects.get_or_create(name=name)
    if created:
        note(f"Created team {name!r}.")
    return team


def apply_role(user: User, role: str) -> None:
    """The role, and the Django flags that go with it: administrators run the admin site."""
    from kam.core.models import Role

    user.role = role
    user.is_staff = role == Role.ADMINISTRATOR
    user.is_superuser = role == Role.ADMINISTRATOR


@user_app.command("set-role")
def set_role(
    username: Annotated[str, typer.Argument(help="The user to change.", show_default=False)],
    role: Annotated[RoleName, typer.Argument(help="The new role.", show_default=False)],
) -> None:
    """Change a user's role."""
    require_ready_database()
    from kam.core.models import Role, User

    user = find_user(username)
    others = User.objects.filter(role=Role.ADMINISTRATOR, is_active=True).exclude(pk=user.pk)
    if user.role == Role.ADMINISTRATOR and role != RoleName.administrator and not others.exists():
        fail(f"{user.username!r} is the last administrator; make someone else one first")
    before = user.role
    apply_role(user, role.value)
    user.save(update_fields=["role", "is_staff", "is_superuser"])
    say(f"{user.username}: {before} → {role.value}")


@user_app.command("list")
def list_users() -> None:
    """List users with their roles and teams."""
    require_ready_database()
    from kam.core.models import User

    table = Table("username", "name", "role", "team", "e-mail", "active", "last login")
    for user in User.objects.select_related("team").order_by("username"):
        table.add_row(
            user.username,
            user.get_full_name(),
            user.role,
            user.team.name if user.team else "",
            user.email,
            "yes" if user.is_active else "no",
            f"{user.last_login:%Y-%m-%d %H:%M}" if user.last_login else "never",
        )
    out.print(table)


@user_app.command("token")
def token(
    username: Annotated[str, typer.Argument(help="Whose token it is.", show_default=False)],
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Days until it expires (default: KAM_API_TOKEN_DAYS, 365)."),
    ] = None,
    name: Annotated[
        str, typer.Option(help="A label to recognise the token by, e.g. erp-sync.")
    ] = "",
) -> None:
    """Issue a new API token and print it (it is shown only this once)."""
    require_ready_database()
    from kam.core.tokens import issue_token

    user = find_user(username)
    if not user.is_active:
        fail(f"user {user.username!r} is deactivated")
    raw = issue_token(user=user, name=name, days=days)
    out.print(raw, markup=False, highlight=False)
    note(
        f"API token for {user.username}; send it as the header `Authorization: Bearer <token>`. "
        "It is not stored and cannot be shown again."
    )
