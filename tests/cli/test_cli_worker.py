"""`kam worker` runs the queued scoring runs; `kam serve` runs one as its child process and
stops it when the server stops (`--no-worker`: none)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from kam_cli import worker as worker_module
from kam_cli.worker import stop_worker_process, task_worker
from tests.cli.helpers import REPO, Kam, kam_process, process_env
from tests.cli.test_cli_serve import free_port, wait_for

DATABASE_TASKS = {"KAM_TASKS_BACKEND": "database"}
# A stand-in worker: it exits on the Nth SIGTERM it gets (db_worker: the 1st when idle or
# once its task is done, the 2nd interrupts the task).
CHILD = """
import signal, sys, time
needed, seen = int(sys.argv[1]), []
def on_term(*_):
    seen.append(1)
    if len(seen) >= needed:
        sys.exit(len(seen))
signal.signal(signal.SIGTERM, on_term)
print("ready", flush=True)
time.sleep(60)
"""


def test_it_explains_the_worker_command(kam: Kam) -> None:
    result = kam("worker", "--help")

    assert result.exit_code == 0
    assert "--batch" in result.output and "--interval" in result.output
    assert "--parent" not in result.output  # for kam serve only
    assert " worker " in kam("--help").output


@pytest.mark.parametrize(
    ("backend", "message"),
    [
        ("immediate", "KAM_TASKS_BACKEND is not 'database'"),
        ("redis", "KAM_TASKS_BACKEND='redis' is not supported (expected one of: database"),
    ],
)
def test_it_refuses_a_backend_without_a_queue(tmp_path: Path, backend: str, message: str) -> None:
    result = kam_process(
        "worker", home=tmp_path, timeout=60, extra_env={"KAM_TASKS_BACKEND": backend}
    )

    assert result.returncode == 2
    assert message in result.stderr


def stand_in_worker(needed: int) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - this interpreter
        [sys.executable, "-c", CHILD, str(needed)], stdout=subprocess.PIPE
    )
    assert process.stdout is not None and process.stdout.readline() == b"ready\n"
    return process


@pytest.mark.parametrize(("needed", "outcome"), [(1, 1), (2, 2), (99, -signal.SIGKILL)])
def test_it_stops_the_worker_gently_then_firmly(
    monkeypatch: pytest.MonkeyPatch, needed: int, outcome: int
) -> None:
    monkeypatch.setattr(worker_module, "GRACEFUL_SECONDS", 0.5)
    monkeypatch.setattr(worker_module, "INTERRUPT_SECONDS", 0.5)
    process = stand_in_worker(needed)

    stop_worker_process(process)

    assert process.returncode == outcome


class FakeProcess:
    pid = 4242


@pytest.fixture
def worker_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def start() -> FakeProcess:
        calls.append("start")
        return FakeProcess()

    monkeypatch.setattr(worker_module, "start_worker_process", start)
    monkeypatch.setattr(worker_module, "stop_worker_process", lambda p: calls.append("stop"))
    return calls


def test_it_stops_the_worker_only_in_the_process_that_started_it(
    monkeypatch: pytest.MonkeyPatch, worker_calls: list[str]
) -> None:
    with monkeypatch.context() as forked, pytest.raises(SystemExit), task_worker(True):
        # A gunicorn worker is a fork of the server: it unwinds through here on exit.
        forked.setattr(os, "getpid", lambda: -1)
        raise SystemExit(0)
    assert worker_calls == ["start"]
    with task_worker(True):
        pass
    assert worker_calls == ["start", "start", "stop"]


def test_it_starts_no_worker_when_tasks_run_in_the_request(
    settings: Any, worker_calls: list[str]
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with task_worker(True) as process:
        assert process is None
    assert worker_calls == []


@pytest.fixture
def server_runs(monkeypatch: pytest.MonkeyPatch, worker_calls: list[str]) -> list[str]:
    monkeypatch.setattr("kam_cli.server.KamServer.run", lambda self: worker_calls.append("serve"))
    return worker_calls


@pytest.mark.django_db(transaction=True)  # serving closes the database connections
def test_it_serves_between_starting_and_stopping_the_worker(
    kam: Kam, server_runs: list[str]
) -> None:
    result = kam("serve", "--port", "8125")

    assert result.exit_code == 0, result.output
    assert server_runs == ["start", "serve", "stop"]


@pytest.mark.django_db(transaction=True)
def test_it_serves_without_a_worker_when_told(kam: Kam, server_runs: list[str]) -> None:
    result = kam("serve", "--port", "8125", "--no-worker")

    assert result.exit_code == 0, result.output
    assert server_runs == ["serve"]


# --- the real processes ------------------------------------------------------------------


@pytest.fixture(scope="module")
def ready_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("kam-worker")
    init = kam_process("init", home=home, extra_env={"KAM_ADMIN_PASSWORD": "Kam-very-secret-2026"})
    assert init.returncode == 0, init.stderr
    return home


def api(url: str, token: str, method: str = "GET") -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(  # noqa: S310 - a local server
        url, method=method, headers={"Authorization": f"Bearer {token}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def start_server(home: Path, port: int, stderr: IO[bytes]) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(  # noqa: S603 - this interpreter running kam_cli
        [sys.executable, "-m", "kam_cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO,
        env=process_env(home, DATABASE_TASKS),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
    )
    wait_for(f"http://127.0.0.1:{port}/admin/login/")
    return process


@pytest.fixture
def server(ready_home: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`kam serve` on a free port: its base URL and the file its messages go to."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = start_server(ready_home, port, stderr)
        try:
            yield f"http://127.0.0.1:{port}", log
        finally:
            process.terminate()
            process.wait(timeout=60)


def worker_pid(log: Path) -> int:
    for line in log.read_text(encoding="utf-8").splitlines():
        if line.startswith("Task worker started (pid "):
            return int(line.removeprefix("Task worker started (pid ").rstrip(")"))
    raise AssertionError(f"no worker started:\n{log.read_text(encoding='utf-8')}")


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.slow
def test_it_scores_through_the_worker_kam_serve_runs(
    ready_home: Path, server: tuple[str, Path]
) -> None:
    base, log = server
    token = kam_process("user", "token", "admin", home=ready_home).stdout.strip()
    status, run = api(f"{base}/api/scoring-runs", token, method="POST")
    assert (status, run["status"]) == (202, "queued")

    deadline = time.monotonic() + 60
    while run["status"] in {"queued", "running"} and time.monotonic() < deadline:
        time.sleep(0.5)
        run = api(f"{base}/api/scoring-runs/{run['id']}", token)[1]

    # A new database has no orders: the worker ran the run, and it failed saying so.
    assert (run["status"], run["error"]) == ("failed", "ValueError: there are no orders to score")
    assert is_running(worker_pid(log))


@pytest.mark.slow
def test_it_stops_the_worker_when_the_server_stops(ready_home: Path, tmp_path: Path) -> None:
    log = tmp_path / "serve.log"
    with log.open("wb") as stderr:
        process = start_server(ready_home, free_port(), stderr)
        pid = worker_pid(log)
        assert is_running(pid)
        process.terminate()
        process.wait(timeout=60)
    assert process.returncode == 0
    assert not is_running(pid)


@pytest.mark.slow
def test_it_stops_a_worker_whose_server_has_gone(ready_home: Path) -> None:
    # --parent names a process that is not the worker's parent, as after kam serve died.
    result = kam_process(
        "worker", "--parent", "999999", home=ready_home, timeout=60, extra_env=DATABASE_TASKS
    )

    assert result.returncode in {0, -signal.SIGTERM}, result.stderr
