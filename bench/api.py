"""The metrics API measured in-process (``TestClient(create_app(with_dashboard=False))``):
no network hop, so the numbers are the app's own cost (routing, metrics, SQL, JSON)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bench import auth
from bench.baseline import BANDS


@dataclass(frozen=True)
class Endpoint:
    name: str  # the measure's name in the results
    path: str
    params: dict[str, str]
    period: str = ""  # the range asked for, in words


def endpoints(at: datetime, spell_id: str | None) -> list[Endpoint]:
    """Every endpoint of the metrics API, asked about the year (or four weeks) before ``at``."""
    day = at.date()
    year = {"start": (day - timedelta(days=364)).isoformat(), "end": day.isoformat()}
    weeks4 = {"start": (day - timedelta(days=27)).isoformat(), "end": day.isoformat()}
    moment = {"at": at.isoformat()}
    found = [
        Endpoint("/flow/summary", "/api/v1/flow/summary", moment, "now"),
        Endpoint("/flow/nctr-daily", "/api/v1/flow/nctr-daily", weeks4, "28 days"),
        Endpoint(
            "/flow/delayed-days",
            "/api/v1/flow/delayed-days",
            {**year, "group_by": "reason"},
            "a year, by reason",
        ),
        Endpoint("/flow/discharge-delays", "/api/v1/flow/discharge-delays", weeks4, "28 days"),
        Endpoint("/flow/red2green", "/api/v1/flow/red2green", weeks4, "28 days, by site"),
        Endpoint("/capacity/care-homes", "/api/v1/capacity/care-homes", moment, "now"),
        Endpoint("/capacity/domiciliary", "/api/v1/capacity/domiciliary", moment, "now"),
        Endpoint("/capacity/gaps", "/api/v1/capacity/gaps", moment, "now"),
        Endpoint("/patients/delayed", "/api/v1/patients/delayed", moment, "now, every patient"),
        Endpoint(
            "/trends/weekly",
            "/api/v1/trends/weekly",
            {"metric": "delayed_days", "weeks": "52", "end": day.isoformat()},
            "52 weeks",
        ),
    ]
    if spell_id is not None:
        found.append(
            Endpoint("/patients/{id}/journey", f"/api/v1/patients/{spell_id}/journey", {}, "")
        )
    return found


CACHE_SIZE_SETTING = "HOMEWARD_METRICS_CACHE_SIZE"


@contextmanager
def app_client(url: str, *, cache: bool = True) -> Iterator[Any]:
    """A TestClient on a fresh app bound to the database at ``url``; ``cache=False`` turns the
    metrics cache off, so every call computes its answer from the store."""
    os.environ["HOMEWARD_DATABASE_URL"] = url
    os.environ["HOMEWARD_RUN_SCHEDULER"] = "false"
    saved = os.environ.pop(CACHE_SIZE_SETTING, None)
    if not cache:
        os.environ[CACHE_SIZE_SETTING] = "0"
    from fastapi.testclient import TestClient

    from app.core.db import reset_caches
    from app.main import create_app

    reset_caches()
    try:
        with TestClient(create_app(with_dashboard=False), raise_server_exceptions=False) as client:
            auth.sign_in(client)
            yield client
    finally:
        os.environ.pop(CACHE_SIZE_SETTING, None)
        if saved is not None:
            os.environ[CACHE_SIZE_SETTING] = saved
        reset_caches()


def longest_delayed_spell(client: Any, at: datetime) -> str | None:
    """The spell with the longest wait beyond its DRD (the richest journey to draw)."""
    response = client.get("/api/v1/patients/delayed", params={"at": at.isoformat()})
    if response.status_code != 200:
        return None
    body = response.json()
    patients = body.get("patients") or body.get("items") or []
    if not patients:
        return None
    return str(patients[0].get("spell_id"))


@dataclass
class Timings:
    seconds: list[float]
    errors: list[str]
    bytes: int = 0
    # the harness process's CPU seconds per call: the app's own work (and SQLite's, which
    # runs in-process) without the waits of a busy machine; PostgreSQL's work is not in it
    cpu_seconds: list[float] = field(default_factory=list)


def call_counts(
    client: Any, points: list[Endpoint], calls: int, budget_seconds: float
) -> dict[str, int]:
    """How many calls each endpoint gets: ``calls``, fewer (at least 5) for one so slow that
    ``calls`` would overrun ``budget_seconds``. The probing call also warms the caches."""
    counts = {}
    for point in points:
        started = time.perf_counter()
        client.get(point.path, params=point.params)
        probe = time.perf_counter() - started
        counts[point.name] = max(5, min(calls, int(budget_seconds / max(probe, 1e-6))))
    return counts


def measure(client: Any, points: list[Endpoint], calls: dict[str, int]) -> dict[str, Timings]:
    """``calls[name]`` calls of each endpoint, round robin (so the machine's noise spreads
    over all of them)."""
    results = {p.name: Timings([], []) for p in points}
    for round_ in range(max(calls.values(), default=0)):
        for point in points:
            if round_ >= calls[point.name]:
                continue
            started, cpu = time.perf_counter(), time.process_time()
            response = client.get(point.path, params=point.params)
            elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
            timings = results[point.name]
            if response.status_code == 200:
                timings.seconds.append(elapsed)
                timings.cpu_seconds.append(cpu)
                timings.bytes = len(response.content)
            elif len(timings.errors) < 3:
                timings.errors.append(f"{response.status_code}: {response.text[:200]}")
            else:
                timings.errors.append(str(response.status_code))
    return results


def headline(client: Any, at: datetime, start: date, end: date) -> dict[str, Any]:
    """The four headline numbers from the API, in the baseline's shape."""
    period = {"start": start.isoformat(), "end": end.isoformat()}
    daily = _ok(client.get("/api/v1/flow/nctr-daily", params=period))
    delayed = _ok(client.get("/api/v1/flow/delayed-days", params={**period, "group_by": "reason"}))
    delays = _ok(client.get("/api/v1/flow/discharge-delays", params=period))
    summary = _ok(client.get("/api/v1/flow/summary", params={"at": at.isoformat()}))
    total = summary["total"]
    counts = {b["band"]: b["count"] for b in delays["bands"]}
    return {
        "nctr_daily": [
            {
                "date": d["date"],
                "discharged": d["discharged"],
                "discharged_by_1700": d["discharged_by_1700"],
                "remaining": d["remaining"],
            }
            for d in daily
        ],
        "delayed_days_total": delayed["total"],
        "delayed_days_by_reason": {str(g["key"]): g["delayed_days"] for g in delayed["groups"]},
        "discharges": delays["discharges"],
        "discharge_bands": {name: counts.get(name, 0) for name in BANDS},
        "summary": {
            "in_hospital": total["in_hospital"],
            "nctr_in_hospital": total["nctr_in_hospital"],
            **total["long_stays"],
            "delay_bands": total["delay_bands"],
        },
    }


def _ok(response: Any) -> Any:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.url}: {response.status_code} {response.text[:300]}")
    return response.json()


def differences(ours: dict[str, Any], theirs: dict[str, Any]) -> list[str]:
    """Where Homeward's headline numbers and the baseline's disagree, in words."""
    found: list[str] = []
    for mine, other in zip(ours["nctr_daily"], theirs["nctr_daily"], strict=False):
        for key in ("discharged", "discharged_by_1700", "remaining"):
            if mine[key] != other[key]:
                found.append(
                    f"nctr-daily {mine['date']} {key}: Homeward {mine[key]}, pandas {other[key]}"
                )
    for key in ("delayed_days_total", "discharges"):
        if ours[key] != theirs[key]:
            found.append(f"{key}: Homeward {ours[key]}, pandas {theirs[key]}")
    for group in ("delayed_days_by_reason", "discharge_bands"):
        for key in sorted(set(ours[group]) | set(theirs[group])):
            a, b = ours[group].get(key, 0), theirs[group].get(key, 0)
            if a != b:
                found.append(f"{group}[{key}]: Homeward {a}, pandas {b}")
    for key, value in ours["summary"].items():
        other = theirs["summary"].get(key)
        if value != other:
            found.append(f"summary {key}: Homeward {value}, pandas {other}")
    return found
