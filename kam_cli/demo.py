"""`kam demo`: a realistic demo book in its own database, then the server.

The demo never touches a real database: without KAM_DATABASE_URL it builds a fresh
SQLite file KAM_HOME/demo.sqlite3; with KAM_DATABASE_URL it refuses unless told to
erase that database (--reset-database).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from kam_cli.console import err, fail, note, out, say
from kam_cli.runtime import describe_database, ensure_django
from kam_cli.server import HostOption, PortOption, WorkersOption, run_server

if TYPE_CHECKING:
    import datetime as dt

    from kam.core.demo import DemoUser
    from kam.core.models import User
    from kam.dataio.engine import ImportReport

DATABASE_VARIABLE = "KAM_DATABASE_URL"
DEMO_DATABASE = "demo.sqlite3"


def demo(
    seed: Annotated[
        int, typer.Option(help="Seed of the generator: the same seed, the same book.")
    ] = 42,
    serve: Annotated[
        bool, typer.Option("--serve/--no-serve", help="Start the server when the demo is built.")
    ] = True,
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = None,
    reset_database: Annotated[
        bool,
        typer.Option(
            "--reset-database",
            help=f"Erase the database named by ${DATABASE_VARIABLE} and build the demo in it.",
        ),
    ] = False,
) -> None:
    """Build a demo customer base (~2,000 accounts, 3 years of orders) and serve it."""
    choose_demo_database(reset_database=reset_database)
    ensure_django()
    check_demo_database()
    say(f"Demo database: {describe_database()}")
    prepare_database(flush=reset_database)
    build_and_load(seed)
    if serve:
        run_server(host, port, workers)


def kam_home() -> Path:
    from django.core.exceptions import ImproperlyConfigured

    from config.env import kam_home as configured_home

    try:
        return configured_home()
    except ImproperlyConfigured as exc:
        fail(f"configuration problem: {exc}")


def choose_demo_database(*, reset_database: bool) -> None:
    """Point Django at KAM_HOME/demo.sqlite3 (deleted first), unless a URL is given."""
    url = os.environ.get(DATABASE_VARIABLE, "").strip()
    if url:
        if not reset_database:
            fail(
                f"{DATABASE_VARIABLE} is set, and the demo would replace everything in that "
                f"database. Unset {DATABASE_VARIABLE} to build the demo in its own SQLite file, "
                "or pass --reset-database to erase that database"
            )
        return
    path = kam_home() / DEMO_DATABASE
    for leftover in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        leftover.unlink(missing_ok=True)
    os.environ[DATABASE_VARIABLE] = f"sqlite:///{path}"


def check_demo_database() -> None:
    """Refuse when Django was set up earlier (in this process) on another database."""
    from django.conf import settings

    url = os.environ.get(DATABASE_VARIABLE, "")
    name = str(settings.DATABASES["default"]["NAME"])
    if url.startswith("sqlite:") and not url.endswith(name):
        fail(f"Django is already set up on {name}; run kam demo in its own process")


def prepare_database(*, flush: bool) -> None:
    from django.core.management import call_command
    from django.db import DatabaseError

    try:
        call_command("migrate", interactive=False, verbosity=0)
        if flush:
            call_command("flush", interactive=False, verbosity=0)
    except DatabaseError as exc:
        fail(f"cannot prepare the {describe_database()}: {exc}")


def build_and_load(seed: int) -> None:
    from kam.core.demo import (
        DEMO_PASSWORD,
        DemoLoadFailed,
        book_counts,
        build_demo,
        create_demo_organisation,
        load_demo,
    )

    started = time.perf_counter()
    with err.status("Generating the demo book …"):
        book = build_demo(seed=seed)
    say(
        f"Generated the demo book (seed {seed}, as of {book.as_of:%Y-%m-%d}): the top 20% "
        f"of accounts bring {book.top_share():.0%} of revenue"
    )
    users = create_demo_organisation(book)
    folder = kam_home() / "demo"
    try:
        with err.status("Importing the demo files …"):
            load_demo(book, folder, actor=users["admin"], on_report=show_loaded)
    except DemoLoadFailed as exc:
        fail(f"the demo files did not import:\n{exc}", code=1)
    score_demo(users["admin"], book.as_of)
    populate_relationship_work(seed, users, book.as_of)
    check_demo_risks(users["admin"], book.as_of)
    counts = ", ".join(f"{count:,} {name}" for name, count in book_counts(book).items())
    say(f"Demo ready in {time.perf_counter() - started:.1f} s: {counts}", style="green")
    say(f"Sample import files: {folder}")
    show_logins(book.users, DEMO_PASSWORD)
    url = os.environ.get(DATABASE_VARIABLE, "")
    if url.startswith("sqlite:"):  # other URLs may hold a password: not for the screen
        say(f"To serve this demo again without rebuilding it: {DATABASE_VARIABLE}={url} kam serve")


def score_demo(actor: User, as_of: dt.date) -> None:
    """Score the demo book so the dashboard and the account pages show tiers."""
    from kam.insights.services import run_scoring

    with err.status("Scoring the demo book …"):
        run = run_scoring(actor=actor, as_of=as_of)
    if run.status == "succeeded":
        say(f"Scored {run.account_count:,} accounts as of {as_of:%Y-%m-%d}")
    else:
        note(f"  scoring failed ({run.error}); the dashboard stays empty until `kam score`")


def check_demo_risks(actor: User, as_of: dt.date) -> None:
    """Check the risks again once the activities and tickets exist: the check after the
    scoring run saw neither (contact recency, complaints, meetings with the buyers)."""
    from kam.risk.services import check_risks

    with err.status("Checking the demo book's risks …"):
        run = check_risks(actor=actor, as_of=as_of)
    if run.status == "succeeded":
        say(f"Checked the risks of {run.account_count:,} accounts with activities and tickets")
    else:
        note(f"  the risk check failed ({run.error}); `kam risk` runs it again")


#: The demo content of the service and relationship apps, in the order it is built: the
#: holiday calendar before tickets (their SLA clocks skip holidays), all after scoring
#: (service policies, visit cadence and club levels follow the tiers).
DEMO_PARTS = (
    ("activities", "kam.relations.demo"),
    ("tickets and surveys", "kam.service.demo"),
    ("satisfaction surveys", "kam.service.survey_demo"),  # after the tickets they follow
    ("account plans", "kam.plans.demo"),
    ("club members", "kam.club.demo"),
)


def populate_relationship_work(seed: int, users: dict[str, User], as_of: dt.date) -> None:
    """Activities, tickets, surveys, account plans and club members, so every page of the
    service and relationship apps shows real content. Deterministic with the seed."""
    import importlib
    import random

    from kam.accounts.models import Account
    from kam.service.policies import load_bundled_holidays

    load_bundled_holidays(actor=users["director"], source="demo")
    for offset, (label, module) in enumerate(DEMO_PARTS, start=1):
        populate = importlib.import_module(module).populate
        with err.status(f"Adding demo {label} …"):
            rng = random.Random(seed + offset)  # noqa: S311 - demo data, not secrets
            made = populate(rng, Account.objects.all(), users, as_of)
        say("Added " + ", ".join(f"{count:,} {name}" for name, count in made.items()))


def show_loaded(report: ImportReport) -> None:
    note(f"  imported {report.summary()}")


def show_logins(users: list[DemoUser], password: str) -> None:
    table = Table("user", "role", "team", title=f"Demo logins (password: {password})")
    for user in users:
        table.add_row(user.username, user.role, user.team or "")
    out.print(table)
