"""`kam serve`: gunicorn serving config.wsgi, with static files through whitenoise, and a
task worker (`kam worker`) as a child process for the scoring runs queued meanwhile."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

import typer
from gunicorn.app.base import BaseApplication

from kam_cli.console import fail, note
from kam_cli.runtime import require_ready_database
from kam_cli.worker import task_worker

HostOption = Annotated[str, typer.Option(help="Address to listen on (0.0.0.0: every interface).")]
PortOption = Annotated[int, typer.Option(min=1, max=65535, help="TCP port to listen on.")]
WorkersOption = Annotated[
    int | None,
    typer.Option(min=1, help="Worker processes (default: 2 per CPU core plus one, at most 9)."),
]
TaskWorkerOption = Annotated[
    bool,
    typer.Option(
        "--worker/--no-worker",
        help="Also run a task worker (kam worker) for scoring runs; it stops with the server.",
    ),
]


class KamServer(BaseApplication):  # type: ignore[misc]  # gunicorn has no type hints
    """gunicorn's embedding API: the options below instead of a command line."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from config.wsgi import application

        return application


def default_workers() -> int:
    return min(2 * (os.cpu_count() or 1) + 1, 9)


def server_options(host: str, port: int, workers: int | None) -> dict[str, Any]:
    return {
        "bind": f"{host}:{port}",
        "workers": workers or default_workers(),
        # Threads let one worker wait on the database while serving other requests.
        "worker_class": "gthread",
        "threads": 4,
        # Imports of large files run inside the request; give them time.
        "timeout": 180,
        "graceful_timeout": 30,
        "accesslog": "-",
        "errorlog": "-",
        "proc_name": "kam",
    }


def prepare_static_root() -> None:
    """Whitenoise serves from the app folders, but warns at start-up when STATIC_ROOT is
    missing; an empty folder (where collectstatic would write) keeps the log clean."""
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


def run_server(host: str, port: int, workers: int | None, *, with_worker: bool = True) -> None:
    """Serve until stopped, with a task worker unless `with_worker` is false. The database
    must be ready (callers check first)."""
    from django.db import connections

    options = server_options(host, port, workers)
    prepare_static_root()
    # Workers are forked: they must not inherit the master's open database connection.
    connections.close_all()
    with task_worker(with_worker):
        note(
            f"KAM at http://{host}:{port}/ ({options['workers']} workers; Ctrl+C stops)",
            style="green",
        )
        KamServer(options).run()


def serve(
    host: HostOption = "127.0.0.1",
    port: PortOption = 8000,
    workers: WorkersOption = None,
    worker: TaskWorkerOption = True,
) -> None:
    """Run the web application and the API (gunicorn) with a task worker for scoring runs."""
    require_ready_database()
    if host not in {"127.0.0.1", "localhost", "::1"}:
        from django.conf import settings

        if host not in settings.ALLOWED_HOSTS and "*" not in settings.ALLOWED_HOSTS:
            note(
                "Listening beyond this machine: add the name clients use to "
                "KAM_ALLOWED_HOSTS, or requests will be refused (400).",
                style="yellow",
            )
    try:
        run_server(host, port, workers, with_worker=worker)
    except OSError as exc:  # pragma: no cover - gunicorn reports bind errors itself
        fail(f"cannot listen on {host}:{port}: {exc}")
