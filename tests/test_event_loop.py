"""Nothing slow on the event loop (issue 16, part C): a batch load and a Dash callback run in
worker threads, so ``/api/v1/health`` answers while both are held open; a batch body is read
in chunks and refused (413) as soon as it passes ``HOMEWARD_MAX_BATCH_MB``."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient
from sqlalchemy import Engine

import app.api.feeds as feeds_api
from app.core.db import reset_caches
from app.main import create_app
from dashboards import wall_data
from tests.security_helpers import bearer, fast_password_hashing, sign_in  # noqa: F401
from tests.test_security_dash import payload
from tests.test_sources import BEDS

HELD = 60  # seconds a held load or callback waits for the test before giving up
ANSWER = 20  # seconds a request may take before the test calls it stalled


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """``app`` served by uvicorn in a thread on a socket bound (and listening) first, so a
    client may connect at once: the kernel queues it until the server accepts."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


class Gate:
    """Holds a function open until the test releases it, and tells the test it got there."""

    def __init__(self) -> None:
        self.entered = threading.Event()
        self.release = threading.Event()

    def hold(self, function: Any) -> Any:
        def held(*args: Any, **kwargs: Any) -> Any:
            self.entered.set()
            if not self.release.wait(HELD):
                raise RuntimeError("the test never released this call")
            return function(*args, **kwargs)

        return held


def test_health_answers_while_a_callback_and_a_load_are_held(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_gate, page_gate = Gate(), Gate()
    monkeypatch.setattr(feeds_api, "load_batch", load_gate.hold(feeds_api.load_batch))
    monkeypatch.setattr(wall_data, "collect", page_gate.hold(wall_data.collect))
    answers: dict[str, httpx.Response] = {}
    with live_server(create_app(with_dashboard=True)) as base:
        wall = httpx.Client(base_url=base, timeout=HELD + ANSWER)
        sign_in(wall, "wall")
        draw = payload(wall, "_pages_content.children", pathname="/wall", search="")
        feed = httpx.Client(base_url=base, headers=bearer("feed"), timeout=HELD + ANSWER)

        def post_callback() -> None:
            answers["callback"] = wall.post("/_dash-update-component", json=draw)

        def post_batch() -> None:
            answers["batch"] = feed.post(
                "/api/v1/feeds/beds/batches", content=BEDS, headers={"Content-Type": "text/csv"}
            )

        workers = [threading.Thread(target=post_callback), threading.Thread(target=post_batch)]
        for worker in workers:
            worker.start()
        try:
            assert load_gate.entered.wait(HELD), "the batch load never started"
            assert page_gate.entered.wait(HELD), "the /wall layout was never asked for"
            # both are held in their worker threads: the event loop is free to answer
            health = httpx.get(f"{base}/api/v1/health", timeout=ANSWER)
            assert health.status_code == 200
            assert health.json()["status"] == "ok"
            assert "batch" not in answers and "callback" not in answers  # still held
        finally:
            load_gate.release.set()
            page_gate.release.set()
            for worker in workers:
                worker.join(HELD + ANSWER)
        wall.close()
        feed.close()
    # the two ward rows of BEDS, both valid: loaded as one run
    batch = answers["batch"]
    assert batch.status_code == 201, batch.text
    body = batch.json()
    assert (body["status"], body["rows_in"], body["rows_loaded"]) == ("succeeded", 2, 2)
    # the pages router drew the wall page: its settings store is in the answer
    callback = answers["callback"]
    assert callback.status_code == 200, callback.text[:300]
    drawn = callback.json()["response"]["_pages_content"]["children"]
    assert '"wall-settings"' in json.dumps(drawn)


CHUNK = 64 * 1024


def _post_raw(
    app: Any,
    headers: dict[str, str],
    chunks: int,
    *,
    content_type: str = "text/csv",
    head: bytes = b"",
) -> tuple[int, dict[str, Any], int]:
    """POST ``chunks`` chunks of ``CHUNK`` bytes (the first starting with ``head``) to the beds
    batch route, straight through the ASGI interface; returns the status, the JSON answer and
    how many body bytes the app read."""
    read = 0
    sent = 0
    answer: dict[str, Any] = {"status": None, "body": b""}
    raw_headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
    raw_headers += [(b"content-type", content_type.encode()), (b"host", b"testserver")]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/feeds/beds/batches",
        "raw_path": b"/api/v1/feeds/beds/batches",
        "query_string": b"",
        "root_path": "",
        "headers": raw_headers,
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }

    async def receive() -> dict[str, Any]:
        nonlocal read, sent
        if sent == chunks:
            return {"type": "http.disconnect"}
        chunk = (head if sent == 0 else b"").ljust(CHUNK, b"x")
        sent += 1
        read += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": sent < chunks}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    asyncio.run(app(scope, receive, send))
    return answer["status"], json.loads(answer["body"]), read


@pytest.fixture
def one_mb_limit(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_MAX_BATCH_MB", "1")
    reset_caches()


def test_a_body_over_the_limit_is_refused_before_it_is_read_whole(one_mb_limit: None) -> None:
    app = create_app(with_dashboard=False)
    headers = bearer("feed")
    status, body, read = _post_raw(app, headers, chunks=64)  # 4 MB offered, chunked
    # 1 MB = 16 chunks of 64 KB, which is not yet over the limit; the 17th passes it
    assert status == 413
    assert body["detail"] == "batch larger than 1 MB: split it"
    assert read == 17 * CHUNK
    # the same body as a multipart upload: the form parser reads through the same limit
    multipart = "multipart/form-data; boundary=hwboundary"
    part = b'--hwboundary\r\nContent-Disposition: form-data; name="file"; filename="b.csv"\r\n\r\n'
    status, body, read = _post_raw(app, headers, 64, content_type=multipart, head=part)
    assert (status, read) == (413, 17 * CHUNK)


def test_a_declared_length_over_the_limit_is_refused_unread(one_mb_limit: None) -> None:
    app = create_app(with_dashboard=False)
    headers = {**bearer("feed"), "content-length": str(4 * 2**20)}  # 4 MB declared
    status, body, read = _post_raw(app, headers, chunks=64)
    assert (status, read) == (413, 0)  # answered from the header alone
    assert body["detail"] == "batch larger than 1 MB: split it"


def test_a_body_spooled_to_disk_loads_as_from_memory(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a spool of 100 bytes: the 2-row BEDS batch (~230 bytes) goes to a temporary file
    monkeypatch.setattr(feeds_api, "SPOOL_IN_MEMORY_BYTES", 100)
    with TestClient(create_app(with_dashboard=False), headers=bearer("feed")) as client:
        response = client.post(
            "/api/v1/feeds/beds/batches", content=BEDS, headers={"Content-Type": "text/csv"}
        )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["status"], body["rows_in"], body["rows_loaded"]) == ("succeeded", 2, 2)
