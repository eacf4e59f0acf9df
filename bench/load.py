"""The mixed load of issue 16 on a real server: ``clients`` API clients on ``/flow/summary``
while a census is POSTed to the API and three wall displays redraw, and a soak of that mix
with a census every ``census_every`` seconds (the server's memory at its start and end).

A wall display is a signed-in wall session drawing ``/wall`` through the pages router
callback every ``WALL_PERIOD`` seconds (the page's layout runs ``wall_data.collect``, the work
of its interval refresh, and the figures' JSON besides). A census is POSTed as a feed client
sends it: ``text/csv`` with a feed token. The soak's censuses are the sample's next census
moved on ``census_every`` minutes each time (its ``snapshot_at`` rewritten), so every one is
a new census of the same patients, loaded in full, not a duplicate.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

from bench import auth, server
from bench import plan as targets
from bench.stats import Record, judge, summarise

WALL_DISPLAYS = 3
WALL_PERIOD = 5.0  # seconds between a display's redraws (a real wall: 60 s)
CENSUS_DELAY = 5.0  # seconds of load before the first census is POSTed
MEMORY_EVERY = 5.0  # seconds between two readings of the server's memory


@dataclass
class MixResult:
    api: server.LoadResult
    censuses: list[dict[str, Any]] = field(default_factory=list)
    walls: list[float] = field(default_factory=list)
    wall_errors: list[str] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (seconds, RSS MB)
    warm_mb: float | None = None  # the server's RSS once the first census has loaded


class CensusSeries:
    """The next census after ``at``, then the same census ``step`` later each time."""

    def __init__(self, path: Path, snapshot_at: datetime, step: timedelta, loaded: bool) -> None:
        self.body = path.read_bytes()
        self.snapshot = snapshot_at
        self.step = step
        self.count = 1 if loaded else 0  # a census already in the store is moved on first

    def next(self) -> tuple[bytes, int]:
        """A census body and its rows."""
        old = self.snapshot.isoformat().encode()
        new = (self.snapshot + self.step * self.count).isoformat().encode()
        self.count += 1
        body = (
            self.body if old == new else self.body.replace(b"\n" + old + b",", b"\n" + new + b",")
        )
        return body, body.count(b"\n") - 1


def rss_mb(pid: int) -> float:
    """A process's resident set size now, in MB (0 when it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def run_mix(
    url: str,
    at: datetime,
    series: CensusSeries,
    *,
    clients: int,
    seconds: float,
    census_every: float,
    log_name: str,
) -> MixResult:
    """Serve the store at ``url`` and run the mix for ``seconds``: a census at 5 s and every
    ``census_every`` seconds after while there is time for it."""
    token = auth.ensure_wall_and_feed(url)
    processes: list[Any] = []
    with server.serving(url, log_name=log_name, started=processes) as base:
        pid = processes[0].pid
        holder: dict[str, server.LoadResult] = {}
        stop = threading.Event()
        result = MixResult(api=server.LoadResult(clients, seconds))
        started = time.perf_counter()
        result.memory.append((0.0, rss_mb(pid)))

        def api_clients() -> None:
            holder["api"] = server.concurrent_load(
                base,
                "/api/v1/flow/summary",
                {"at": at.isoformat()},
                clients=clients,
                seconds=seconds,
            )

        def memory() -> None:
            while not stop.wait(MEMORY_EVERY):
                result.memory.append((time.perf_counter() - started, rss_mb(pid)))

        threads = [threading.Thread(target=api_clients), threading.Thread(target=memory)]
        threads += [
            threading.Thread(target=_wall_display, args=(base, at, stop, result))
            for _ in range(WALL_DISPLAYS)
        ]
        for thread in threads:
            thread.start()
        with httpx.Client(base_url=base, timeout=600) as feed:
            due = CENSUS_DELAY
            while due < seconds and not stop.wait(max(0.0, due - (time.perf_counter() - started))):
                body, rows = series.next()
                began = time.perf_counter()
                try:
                    response = feed.post(
                        "/api/v1/feeds/patients/batches",
                        content=body,
                        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
                    )
                    status, answer = response.status_code, response.json()
                except (httpx.HTTPError, ValueError) as exc:
                    status, answer = 0, {"error": f"{type(exc).__name__}: {exc}"[:200]}
                result.censuses.append(
                    {
                        "at_seconds": began - started,
                        "seconds": time.perf_counter() - began,
                        "http_status": status,
                        "rows": rows,
                        "rows_loaded": answer.get("rows_loaded"),
                        "status": answer.get("status", answer.get("error")),
                    }
                )
                if result.warm_mb is None:
                    result.warm_mb = rss_mb(pid)
                due += census_every
        threads[0].join()
        stop.set()
        for thread in threads[1:]:
            thread.join()
        result.memory.append((time.perf_counter() - started, rss_mb(pid)))
        result.api = holder["api"]
    return result


def _wall_display(base: str, at: datetime, stop: threading.Event, result: MixResult) -> None:
    """One wall display: sign in as the wall account, then draw /wall until ``stop``."""
    with httpx.Client(base_url=base, timeout=120) as client:
        response = client.post(
            auth.LOGIN, json={"username": auth.WALL_USERNAME, "password": auth.PASSWORD}
        )
        if response.status_code != 200:
            result.wall_errors.append(f"sign-in HTTP {response.status_code}")
            return
        [router] = [
            d
            for d in client.get("/_dash-dependencies").json()
            if "_pages_content.children" in d["output"]
        ]
        values = {"pathname": "/wall", "search": "?" + urlencode({"at": at.isoformat()})}
        inputs = [
            {"id": i["id"], "property": i["property"], "value": values.get(i["property"])}
            for i in router["inputs"]
        ]
        outputs = [
            {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
            for part in router["output"].strip(".").split("...")
        ]
        draw = {
            "output": router["output"],
            "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": inputs,
            "state": [{"id": s["id"], "property": s["property"]} for s in router["state"]],
            "changedPropIds": [f"{inputs[0]['id']}.{inputs[0]['property']}"],
        }
        while not stop.is_set():
            began = time.perf_counter()
            try:
                response = client.post("/_dash-update-component", json=draw)
                ok, problem = response.status_code == 200, f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                ok, problem = False, f"{type(exc).__name__}: {exc}"[:200]
            if ok:
                result.walls.append(time.perf_counter() - began)
            else:
                result.wall_errors.append(problem)
            stop.wait(WALL_PERIOD)


def records(
    name: str, result: MixResult, scale: str, db: str, common: dict[str, Any], *, soak: bool
) -> list[Record]:
    """The records of one run of the mix: the API clients' latency and errors, the censuses,
    the wall redraws and (for a soak) the server's memory."""
    api = result.api
    loads = [c for c in result.censuses if c["http_status"] in (200, 201)]
    census_note = (
        f"{len(loads)}/{len(result.censuses)} censuses of {result.censuses[0]['rows']:,} rows "
        "POSTed and loaded"
        if result.censuses
        else "no census POSTed"
    )
    found = [
        summarise(
            f"{name}: /flow/summary",
            scale,
            db,
            "s",
            api.latencies,
            target=targets.CONCURRENT_P95,
            **common,
            note=f"{api.clients} clients, {api.throughput:.1f} req/s over {api.seconds:.0f} s, "
            f"{api.errors} errors; {census_note}; {WALL_DISPLAYS} wall displays redrawing /wall "
            f"every {WALL_PERIOD:g} s; uvicorn, 1 worker, on the same 2 cores",
            extra={
                "throughput": api.throughput,
                "errors": api.errors,
                "error_samples": api.error_samples,
                "requests": api.requests,
            },
        ),
        judge(
            Record(
                f"{name}: errors",
                scale,
                db,
                "errors",
                n=api.requests + len(result.walls) + len(result.wall_errors) + len(result.censuses),
                value=api.errors + len(result.wall_errors) + len(result.censuses) - len(loads),
                note="API clients, wall redraws and census POSTs together",
                extra={"wall_errors": result.wall_errors[:5], "censuses": result.censuses},
                **common,
            ),
            targets.CONCURRENT_ERRORS,
        ),
        summarise(
            f"{name}: census POST",
            scale,
            db,
            "s",
            [float(c["seconds"]) for c in loads],
            **common,
            note=f"{census_note}; the POST's answer time (load_batch in a worker thread)",
        ),
        summarise(
            f"{name}: /wall redraw",
            scale,
            db,
            "s",
            result.walls,
            **common,
            note=f"{WALL_DISPLAYS} displays, the pages router callback drawing /wall",
        ),
    ]
    if soak and len(result.memory) >= 2 and result.warm_mb:
        # flat means no growth once warm: the first census and the first answers fill the
        # caches and the allocator's arenas once (the RSS at the server's start is noted)
        cold, start, end = result.memory[0][1], result.warm_mb, result.memory[-1][1]
        peak = max(mb for _, mb in result.memory)
        found.append(
            judge(
                Record(
                    f"{name}: server memory change",
                    scale,
                    db,
                    "%",
                    n=len(result.memory),
                    value=abs(end - start) / start * 100,
                    note=f"RSS {start:.0f} MB after the first census, {end:.0f} MB at the end, "
                    f"{peak:.0f} MB at most ({cold:.0f} MB when the server had started)",
                    extra={"memory_mb": result.memory, "warm_mb": start, "cold_mb": cold},
                    **common,
                ),
                targets.SOAK_MEMORY_CHANGE,
            )
        )
    return found
