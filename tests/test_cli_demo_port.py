"""`make run` (``homeward demo``): a taken port fails at once, before any loading; "running"
is printed only once the server answers."""

from __future__ import annotations

import http.server
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.cli import PortTaken, claim_port, wait_until_answering


@pytest.fixture
def held_port() -> Iterator[int]:
    """A free port on 127.0.0.1, held by a listening socket of this test."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def _demo(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "HOMEWARD_ENVIRONMENT": "demo",
        "HOMEWARD_DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
        "HOMEWARD_DEMO_DIR": str(tmp_path / "demo"),
        "HOMEWARD_FEEDS_DIR": str(tmp_path / "feeds"),
        **env,
    }
    # a hung demo is a failure, not a wait: the timeout raises and names the command
    return subprocess.run(
        [sys.executable, "-m", "app.cli", "demo", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("how", ["option", "setting"])
def test_demo_with_the_port_taken_exits_with_the_setting_to_change(
    tmp_path: Path, held_port: int, how: str
) -> None:
    if how == "option":
        done = _demo(tmp_path, "--port", str(held_port))
    else:
        done = _demo(tmp_path, HOMEWARD_PORT=str(held_port))
    said = done.stdout + done.stderr
    assert done.returncode == 2, said
    assert f"Port {held_port} on 127.0.0.1 is already in use" in said
    assert "HOMEWARD_PORT=" in said and "--port" in said
    assert "Homeward is running" not in said
    # nothing was loaded: no store, no demo folder, no generating
    assert not (tmp_path / "demo.db").exists()
    assert not (tmp_path / "demo").exists()
    assert "generating" not in said and "loading feeds" not in said


def test_claim_port_refuses_a_taken_port_and_holds_a_free_one(held_port: int) -> None:
    with pytest.raises(PortTaken, match="HOMEWARD_PORT"):
        claim_port("127.0.0.1", held_port)
    sock = claim_port("127.0.0.1", 0)
    try:
        port = sock.getsockname()[1]
        with pytest.raises(PortTaken):  # held: nobody else gets it meanwhile
            claim_port("127.0.0.1", port)
    finally:
        sock.close()


def test_wait_until_answering_is_false_until_a_server_answers() -> None:
    sock = claim_port("127.0.0.1", 0)
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1/health"
    stop = threading.Event()
    # held but not serving: no answer, so no "running"
    assert wait_until_answering(url, timeout=1, stop=stop) is False

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Health, bind_and_activate=False)
    server.socket.close()
    server.socket = sock
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        assert wait_until_answering(url, timeout=30, stop=stop) is True
    finally:
        server.shutdown()
        server.server_close()


def test_wait_until_answering_stops_when_told() -> None:
    stop = threading.Event()
    stop.set()
    assert wait_until_answering("http://127.0.0.1:9/", timeout=30, stop=stop) is False
