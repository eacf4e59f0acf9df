"""A real server (``homeward serve`` on a free loopback port) and concurrent clients on it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx

from bench import auth
from bench.samples import CACHE, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(
    url: str,
    *,
    workers: int = 1,
    log_name: str = "server",
    started: list[subprocess.Popen[bytes]] | None = None,
) -> Iterator[str]:
    """``homeward serve`` on the database at ``url``; yields its base URL (and appends the
    server's process to ``started``, for its memory)."""
    port = free_port()
    env = {
        **os.environ,
        "HOMEWARD_DATABASE_URL": url,
        "HOMEWARD_RUN_SCHEDULER": "false",
        "HOMEWARD_SIMULATOR": "false",
    }
    homeward = Path(sys.executable).with_name("homeward")
    command = [str(homeward)] if homeward.exists() else [sys.executable, "-m", "app.cli"]
    log = (CACHE / "run" / f"{log_name}.log").open("wb")
    process = subprocess.Popen(
        [
            *command,
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=log,
    )
    base = f"http://127.0.0.1:{port}"
    if started is not None:
        started.append(process)
    try:
        deadline = time.monotonic() + 120
        while True:
            if process.poll() is not None:
                raise RuntimeError(
                    f"the server stopped (exit {process.returncode}); see {log.name}"
                )
            try:
                if httpx.get(f"{base}/api/v1/health", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer within 120 s; see {log.name}")
            time.sleep(0.5)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


@dataclass
class LoadResult:
    clients: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return len(self.latencies) + self.errors

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0


def load_client() -> str:
    """The load client the concurrency measure uses, in words."""
    if os.environ.get("BENCH_LOAD_CLIENT", "raw") == "httpx":
        return "httpx's asyncio client"
    return "a lean asyncio HTTP/1.1 client"


def concurrent_load(
    base: str, path: str, params: dict[str, str], *, clients: int, seconds: float
) -> LoadResult:
    """``clients`` clients each asking ``path`` again as soon as answered, for ``seconds``.

    Each client is one keep-alive HTTP/1.1 connection driven by a lean asyncio client (raw
    streams: write the request, read the status line, headers and body). The harness shares
    the machine's cores with the server, and httpx's asyncio client spent ~3.7 ms of CPU a
    request against the server's ~1.5 ms (measured at 200 req/s on a cached /flow/summary):
    its own work, not the server's, set the latency. ``BENCH_LOAD_CLIENT=httpx`` measures
    with httpx as before.
    """
    if os.environ.get("BENCH_LOAD_CLIENT", "raw") == "httpx":
        return asyncio.run(_load(base, path, params, clients, seconds))
    return asyncio.run(_load_raw(base, path, params, clients, seconds))


def _sign_in_cookie(base: str) -> str:
    with httpx.Client(base_url=base, timeout=60) as client:
        response = client.post(
            auth.LOGIN, json={"username": auth.USERNAME, "password": auth.PASSWORD}
        )
        if response.status_code not in (200, 404):
            raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")
        return "; ".join(f"{name}={value}" for name, value in client.cookies.items())


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response; its status and whether the server keeps the connection open."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head[:-4].split(b"\r\n")
    status = int(status_line.split(b" ", 2)[1])
    headers = {}
    for line in lines:
        name, _, value = line.partition(b":")
        headers[name.strip().lower()] = value.strip().lower()
    if headers.get(b"transfer-encoding", b"").endswith(b"chunked"):
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    else:
        await reader.readexactly(int(headers.get(b"content-length", b"0")))
    return status, headers.get(b"connection") != b"close"


async def _load_raw(
    base: str, path: str, params: dict[str, str], clients: int, seconds: float
) -> LoadResult:
    result = LoadResult(clients, seconds)
    url = httpx.URL(base)
    cookie = await asyncio.to_thread(_sign_in_cookie, base)
    target = path + ("?" + urlencode(params) if params else "")
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "Accept: application/json\r\n\r\n"
    ).encode("latin-1")

    def failed(problem: str) -> None:
        result.errors += 1
        if len(result.error_samples) < 5:
            result.error_samples.append(problem)

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(url.host, url.port)

    reader, writer = await connect()  # warm-up
    writer.write(request)
    await _read_response(reader)
    writer.close()
    stop = time.perf_counter() + seconds

    async def one_client() -> None:
        connection: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                if connection is None:
                    connection = await asyncio.wait_for(connect(), 60)
                reader, writer = connection
                writer.write(request)
                status, keep = await asyncio.wait_for(_read_response(reader), 60)
            except (
                TimeoutError,
                OSError,
                asyncio.IncompleteReadError,
                asyncio.LimitOverrunError,
                ValueError,
            ) as exc:
                failed(f"{type(exc).__name__}: {exc}")
                if connection is not None:
                    connection[1].close()
                connection = None
                continue
            if status == 200:
                result.latencies.append(time.perf_counter() - started)
            else:
                failed(f"HTTP {status}")
            if not keep:
                writer.close()
                connection = None
        if connection is not None:
            connection[1].close()

    started = time.perf_counter()
    await asyncio.gather(*(one_client() for _ in range(clients)))
    result.seconds = time.perf_counter() - started
    return result


async def _load(
    base: str, path: str, params: dict[str, str], clients: int, seconds: float
) -> LoadResult:
    result = LoadResult(clients, seconds)
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as client:
        response = await client.post(
            auth.LOGIN, json={"username": auth.USERNAME, "password": auth.PASSWORD}
        )
        if response.status_code not in (200, 404):
            raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")
        await client.get(path, params=params)  # warm-up
        stop = time.perf_counter() + seconds

        async def one_client() -> None:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    response = await client.get(path, params=params)
                    ok = response.status_code == 200
                    problem = f"HTTP {response.status_code}"
                except httpx.HTTPError as exc:
                    ok, problem = False, f"{type(exc).__name__}: {exc}"
                if ok:
                    result.latencies.append(time.perf_counter() - started)
                else:
                    result.errors += 1
                    if len(result.error_samples) < 5:
                        result.error_samples.append(problem)

        started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        result.seconds = time.perf_counter() - started
    return result
