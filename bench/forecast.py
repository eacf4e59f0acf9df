"""The forecast (issue #13) at a store: how long it takes computed from the store (no metrics
cache: what the first request after a census pays), and its rolling-origin back-test, which
``bench/results/latest.json`` keeps under ``forecast_backtest``."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.stats import Record, Target, summarise

RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"

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


def merge_into(
    path: Path, records: list[Record], section: dict[str, Any], note: str
) -> dict[str, Any]:
    """Put this measure's records and back-test into the results file at ``path``, replacing
    only those of the same measure, scale, database and history (the rest stay as they
    were measured)."""
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))

    def key(item: dict[str, Any]) -> tuple[Any, ...]:
        return (item["measure"], item["scale"], item["database"], item["history_days"])

    new = [
        {**r.as_dict(), "machine": "see top-level machine", "git_commit": "see top-level"}
        for r in records
    ]
    replaced = {key(item) for item in new}
    document["records"] = [r for r in document.get("records", []) if key(r) not in replaced] + new
    same = (section["scale"], section["database"], section["history_days"])
    document["forecast_backtest"] = [
        s
        for s in document.get("forecast_backtest", [])
        if (s.get("scale"), s.get("database"), s.get("history_days")) != same
    ] + [section]
    notes = [n for n in document.get("notes", []) if not n.startswith("forecast only:")]
    document["notes"] = [*notes, note]
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    return document


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.forecast --database-url URL``: only the forecast section of the
    bench, on a store already loaded (e.g. the demo's), merged into the results file."""
    parser = argparse.ArgumentParser(prog="python -m bench.forecast", description=main.__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--scale", default="ics")
    parser.add_argument("--database", default=None, help="sqlite or postgresql (from the URL)")
    parser.add_argument("--history-days", type=int, required=True)
    parser.add_argument("--at", default=None, help="ISO moment (default: the newest census)")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--source", default="", help="what the store is, for the note")
    args = parser.parse_args(argv)
    database = args.database or ("postgresql" if "postgresql" in args.database_url else "sqlite")
    if args.at:
        at = datetime.fromisoformat(args.at)
    else:
        from sqlalchemy import func, select

        from app.core.db import make_engine
        from models.spells import PatientCensus

        engine = make_engine(args.database_url)
        with engine.connect() as connection:
            newest = connection.scalar(select(func.max(PatientCensus.snapshot_at)))
        engine.dispose()
        if newest is None:
            raise SystemExit("the store has no patients census")
        at = newest
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f} s] {message}", flush=True)

    records, section = measure(args.database_url, args.scale, database, args.history_days, at, log)
    note = (
        f"forecast only: {args.scale}/{database}/{args.history_days} days measured "
        f"{datetime.now(UTC).isoformat(timespec='seconds')} by `python -m bench.forecast` on "
        f"{args.source or 'a loaded store'} (the other records are from the run above)"
    )
    merge_into(args.results, records, section, note)
    log(f"merged into {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
