"""`kam serve` runs gunicorn on config.wsgi, and only on a database that is set up."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from kam_cli.server import KamServer, prepare_static_root, server_options
from tests.cli.helpers import REPO, kam_process, process_env


def test_it_serves_the_django_application() -> None:
    prepare_static_root()
    from config.wsgi import application

    server = KamServer(server_options("127.0.0.1", 8123, 2))

    assert server.cfg.bind == ["127.0.0.1:8123"]
    assert server.cfg.workers == 2
    assert server.load() is application


def test_it_asks_for_kam_init_before_serving(tmp_path: Path) -> None:
    result = kam_process("serve", home=tmp_path, timeout=60)

    assert result.returncode == 2
    assert "run `kam init` first" in result.stderr


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for(url: str, timeout: float = 30) -> tuple[int, bytes]:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - local
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


@pytest.mark.slow
def test_it_serves_pages_and_static_files_after_init(tmp_path: Path) -> None:
    init = kam_process(
        "init", home=tmp_path, extra_env={"KAM_ADMIN_PASSWORD": "Kam-very-secret-2026"}
    )
    assert init.returncode == 0, init.stderr
    port = free_port()
    server = subprocess.Popen(  # noqa: S603 - this interpreter running kam_cli
        [sys.executable, "-m", "kam_cli", "serve", "--port", str(port), "--workers", "1"],
        cwd=REPO,
        env=process_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        status, _ = wait_for(f"http://127.0.0.1:{port}/admin/login/")
        static_status, css = wait_for(f"http://127.0.0.1:{port}/static/kam/kam.css")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert status == 200
    assert static_status == 200 and css
