"""The forecast (issue #13) at a store: how long it takes computed from the store (no metrics
cache: what the first request after a census pays), and its rolling-origin back-test, which
``bench/results/latest.json`` keeps under ``forecast_backtest``."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from bench.stats import Record, Target, summarise

#: "cheap enough for the wall (≤ 1 s cold at ICS scale, in the bench)"
FORECAST_TARGET = Target(1.0)
CALLS = 5


def measure(
    url: str, scale: str, database: str, history_days: int, at: datetime, log: Callable[[str], None]
) -> tuple[list[Record], dict[str, Any]]:
    """The forecast and the what-if computed ``CALLS`` times at ``at``, the first call in this
    process on its own (imports and first use included), and the back-test of the store."""
    from sqlalchemy.orm import Session

    from app.core.db import make_engine
    from app.metrics import forecast
    from app.metrics.forecast.schemas import CapacityChange, WhatIfRequest

    engine = make_engine(url)
    records: list[Record] = []
    common = {"history_days": history_days}
    try:
        with Session(engine) as session:
            started = time.perf_counter()
            forecast.pathway_forecast(session, as_of=at)
            first = time.perf_counter() - started
            samples, cpu = [], []
            for _ in range(CALLS):
                started, cpu_started = time.perf_counter(), time.process_time()
                forecast.pathway_forecast(session, as_of=at)
                samples.append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
            records.append(
                summarise(
                    "forecast: the next 10 days (computed)",
                    scale,
                    database,
                    "s",
                    samples,
                    target=FORECAST_TARGET,
                    note=f"no cache; the first call in the process took {first:.2f} s",
                    extra={"first_call_seconds": first, "cpu_p50": sorted(cpu)[len(cpu) // 2]},
                    **common,
                )
            )
            request = WhatIfRequest(
                as_of=at, changes=[CapacityChange(kind="home_care_starts", amount=5)]
            )
            samples = []
            for _ in range(CALLS):
                started = time.perf_counter()
                forecast.what_if(session, request)
                samples.append(time.perf_counter() - started)
            records.append(
                summarise(
                    "forecast: what-if +5 home-care starts a day (computed)",
                    scale,
                    database,
                    "s",
                    samples,
                    note="no cache",
                    **common,
                )
            )
            started = time.perf_counter()
            backtest = forecast.backtest(session)
            seconds = time.perf_counter() - started
    finally:
        engine.dispose()
    log(
        f"  forecast p50 {records[0].p50 or 0:.3f} s, CPU {records[0].extra['cpu_p50']:.3f} s "
        f"(first {first:.2f} s); "
        f"back-test {seconds:.1f} s, {len(backtest.rows)} rows"
    )
    section = {
        "scale": scale,
        "database": database,
        "history_days": history_days,
        "seconds": round(seconds, 2),
        **backtest.model_dump(mode="json"),
    }
    return records, section
