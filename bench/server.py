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

import httpx

from bench import auth
from bench.samples import CACHE, ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(url: str, *, workers: int = 1, log_name: str = "server") -> Iterator[str]:
    """``homeward serve`` on the database at ``url``; yields its base URL."""
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


def concurrent_load(
    base: str, path: str, params: dict[str, str], *, clients: int, seconds: float
) -> LoadResult:
    """``clients`` clients each asking ``path`` again as soon as answered, for ``seconds``."""
    return asyncio.run(_load(base, path, params, clients, seconds))


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
