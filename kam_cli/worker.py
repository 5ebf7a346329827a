"""`kam worker`: runs background work (scoring runs queued from the dashboard or the API).

It is django-tasks-db's `db_worker` on the application's database. `kam serve` starts one
as a child process (see `task_worker`), so a single command serves the app and its work.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from kam_cli.console import fail, note
from kam_cli.runtime import describe_database, ensure_django, require_ready_database

BACKEND_VARIABLE = "KAM_TASKS_BACKEND"
# After the first SIGTERM the worker finishes the run it is on (as gunicorn's workers do
# with their requests); a second one interrupts it, and the run is marked failed.
GRACEFUL_SECONDS = 30.0
INTERRUPT_SECONDS = 10.0
PARENT_CHECK_SECONDS = 1.0


def worker(
    batch: Annotated[
        bool, typer.Option("--batch", help="Run the work queued now, then exit.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(min=0.1, help="Seconds between looks at an empty queue."),
    ] = 1.0,
    parent: Annotated[
        int | None,
        typer.Option(hidden=True, help="Stop when this process (kam serve) has gone."),
    ] = None,
) -> None:
    """Run queued background work (scoring and risk runs) until stopped, and queue the
    periodic work (SLA checks, club points, surveys, reminders); `kam serve` starts one."""
    ensure_django()
    require_database_backend()
    require_ready_database()
    if parent is not None:
        stop_when_orphaned(parent)
    from django.core.management import call_command

    if not batch:  # SLA checks, club points, surveys, reminders (kam.core.schedule)
        from kam.core.schedule import start_schedule

        start_schedule()
    note(f"KAM task worker on the {describe_database()} (Ctrl+C stops)", style="green")
    call_command(
        "db_worker",
        batch=batch,
        interval=interval,
        startup_delay=False,
        reload=False,
        verbosity=1,
    )


def uses_database_backend() -> bool:
    """Whether tasks wait in the database for a worker (else they run in the request)."""
    from django.conf import settings

    from config.env import TASK_BACKENDS

    return bool(settings.TASKS["default"]["BACKEND"] == TASK_BACKENDS["database"])


def require_database_backend() -> None:
    if not uses_database_backend():
        fail(
            f"{BACKEND_VARIABLE} is not 'database': tasks run inside the request that "
            "starts them, so there is nothing for a worker to do"
        )


def stop_when_orphaned(parent: int) -> None:
    """Stop gracefully (SIGTERM to ourselves) once `parent` is no longer our parent, so
    a `kam serve` that was killed leaves no worker behind."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# --- the worker as a child process of kam serve ---------------------------------------


def worker_command() -> list[str]:
    return [sys.executable, "-m", "kam_cli", "worker", "--parent", str(os.getpid())]


def start_worker_process() -> subprocess.Popen[bytes]:
    # Its own session: Ctrl+C in the terminal reaches the server, which then stops the
    # worker gracefully, instead of both at once.
    return subprocess.Popen(worker_command(), start_new_session=True)  # noqa: S603 - our own command


def stop_worker_process(process: subprocess.Popen[bytes]) -> None:
    """Let the worker finish the run it is on; interrupt it after GRACEFUL_SECONDS; kill
    it if it still has not stopped."""
    for wait in (GRACEFUL_SECONDS, INTERRUPT_SECONDS):
        if process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            continue
        return
    process.kill()
    process.wait()


@contextmanager
def task_worker(enabled: bool) -> Iterator[subprocess.Popen[bytes] | None]:
    """A `kam worker` child process for as long as the block runs (when `enabled` and
    tasks go through the database)."""
    if not enabled:
        yield None
        return
    if not uses_database_backend():
        note(f"{BACKEND_VARIABLE}=immediate: background work runs inside the requests")
        yield None
        return
    owner = os.getpid()
    process = start_worker_process()
    note(f"Task worker started (pid {process.pid})")
    try:
        yield process
    finally:
        # gunicorn's forked workers unwind through here too when they exit: only the
        # process that started the worker stops it.
        if os.getpid() == owner:
            stop_worker_process(process)
