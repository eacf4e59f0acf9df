"""One run of the plan: prepare the stores, measure each, and collect the records."""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bench import api, auth, baseline, browser, forecast, load, server
from bench import plan as targets
from bench.census import CensusWorker
from bench.plan import Plan, ScalePlan
from bench.samples import ensure_sample
from bench.stats import Record, Target, judge, paired_ratio, percentile, summarise
from bench.stores import (
    Store,
    align_schema,
    discard,
    ensure_stores,
    postgres_available,
    restore,
    staleness,
)

Log = Callable[[str], None]
MEASURES = ("fresh", "endpoints", "concurrency", "pages", "load", "soak", "forecast")


@dataclass
class Outcome:
    records: list[Record] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    disagreements: dict[str, list[str]] = field(default_factory=dict)
    load_timeline: list[dict[str, Any]] = field(default_factory=list)
    generated: dict[str, float] = field(default_factory=dict)
    forecast_backtest: list[dict[str, Any]] = field(default_factory=list)


def run(
    plan: Plan,
    *,
    databases: list[str],
    scales: list[str],
    pages: bool,
    reload: bool,
    log: Log,
    load: bool = True,
    histories: list[int] | None = None,
    measures: tuple[str, ...] = MEASURES,
) -> Outcome:
    outcome = Outcome(notes=list(plan.notes))
    if "postgresql" in databases:
        why = postgres_available()
        if why is not None:
            outcome.notes.append(f"PostgreSQL not measured: {why}")
            databases = [d for d in databases if d != "postgresql"]
    for scale_plan in plan.scales:
        if scale_plan.scale not in scales:
            continue
        sample = ensure_sample(scale_plan.sample, log)
        if sample.generated_seconds is not None:
            outcome.generated[sample.spec.name] = sample.generated_seconds
        started = time.perf_counter()
        stores, timeline = ensure_stores(
            sample, databases, list(scale_plan.checkpoints), log, fresh=reload, load=load
        )
        log(f"{sample.spec.name} ready after {time.perf_counter() - started:.0f} s")
        outcome.load_timeline.extend({"scale": scale_plan.scale, **t} for t in timeline)
        for days in scale_plan.checkpoints:
            if histories and days not in histories:
                continue
            for db in databases:
                store = stores.get((db, days))
                if store is None:
                    outcome.notes.append(
                        f"{scale_plan.scale}/{db}/{days} days: not measured (the store is not "
                        "loaded yet and --no-load was given)"
                    )
                    continue
                try:
                    measure_store(
                        store, scale_plan, plan, outcome, pages=pages, log=log, measures=measures
                    )
                except Exception as exc:  # one broken store must not lose the others
                    log(traceback.format_exc())
                    outcome.notes.append(
                        f"{scale_plan.scale}/{db}/{days} days: the measures stopped on "
                        f"{type(exc).__name__}: {str(exc)[:300]}"
                    )
    return outcome


def measure_store(
    store: Store,
    sp: ScalePlan,
    plan: Plan,
    outcome: Outcome,
    *,
    pages: bool,
    log: Log,
    measures: tuple[str, ...] = MEASURES,
) -> None:
    label = f"{sp.scale}-{store.db}-h{store.history_days}"
    log(f"measuring {label}")
    url = restore(store, label)
    common = {"history_days": store.history_days}
    changed = staleness(store.name)
    if changed:
        outcome.notes.append(
            f"{label}: {' and '.join(changed)} changed since this store was loaded (its "
            "history was written by the code of then; `--reload` loads it again)"
        )
    added = align_schema(url)
    why = auth.ensure_user(url)
    if why:
        outcome.notes.append(f"{label}: signing in skipped: {why}")
    if added:
        outcome.notes.append(
            f"{label}: the saved store predates a schema change; added (empty for its "
            f"history) {', '.join(added)} — `--reload` loads it again under the current schema"
        )
    try:
        if "fresh" in measures:
            at = _fresh_censuses(store, sp, outcome, url, label, common, log)
        else:
            at = store.cut
        if "endpoints" in measures:
            _endpoints(store, sp, plan, outcome, url, at, common, log)
        if sp.server_at == store.history_days:
            if "concurrency" in measures:
                _concurrency(store, sp, plan, outcome, url, at, common, log)
            if pages and "pages" in measures and store.db == "sqlite":
                _pages(sp, plan, outcome, url, at, common, log)
            if "forecast" in measures:
                records, backtest = forecast.measure(
                    url, sp.scale, store.db, store.history_days, at, log
                )
                outcome.records.extend(records)
                outcome.forecast_backtest.append(backtest)
        if sp.load_at == store.history_days:
            series = _census_series(store, plan, at)  # one series: each census a new one
            for soak in (False, True):
                if ("soak" if soak else "load") in measures and series is not None:
                    _mixed_load(series, sp, plan, outcome, url, at, common, log, soak=soak)
                elif series is None:
                    outcome.notes.append(f"{sp.scale}/{store.db}: no census to POST")
    finally:
        discard(url)


def _period(store: Store, at: datetime) -> tuple[date, date]:
    """The headline period: the stored days after the first census day, up to ``at``'s day."""
    first = baseline.local_day_of(store.history()[0].snapshot_at)
    return first + timedelta(days=1), baseline.local_day_of(at)


def _fresh_censuses(
    store: Store,
    sp: ScalePlan,
    outcome: Outcome,
    url: str,
    label: str,
    common: dict[str, Any],
    log: Log,
) -> datetime:
    """Load the next censuses one by one; after each, time Homeward's fresh headline numbers
    against the pandas baseline's, interleaved (alternating which goes first)."""
    fresh = store.fresh("patients")[: sp.fresh_censuses]
    history = [e.path for e in store.history("patients")]
    loads: list[dict[str, Any]] = []
    ours: list[float] = []
    theirs: list[float] = []
    worker = CensusWorker(url)
    last: tuple[dict[str, Any], dict[str, Any]] | None = None
    try:
        with api.app_client(url) as client:
            for i, entry in enumerate(fresh):
                at = entry.snapshot_at
                start, end = _period(store, at)
                files = history + [e.path for e in fresh[: i + 1]]

                def homeward(
                    entry: Any = entry, at: datetime = at, s: date = start, e: date = end
                ) -> dict[str, Any]:
                    load = worker.load("patients", entry.path)
                    if load["status"] != "succeeded":
                        raise RuntimeError(f"{entry.path.name}: {load}")
                    loads.append(load)
                    began = time.perf_counter()
                    numbers = api.headline(client, at, s, e)
                    ours.append(float(load["seconds"]) + time.perf_counter() - began)
                    return numbers

                def pandas(
                    files: list[Any] = files, at: datetime = at, s: date = start, e: date = end
                ) -> dict[str, Any]:
                    began = time.perf_counter()
                    numbers = baseline.headline(files, at, s, e)
                    theirs.append(time.perf_counter() - began)
                    return numbers

                if i % 2 == 0:
                    mine = homeward()
                    other = pandas()
                else:
                    other = pandas()
                    mine = homeward()
                last = (mine, other)
                log(
                    f"  census {i + 1}: load {loads[-1]['seconds']:.2f} s, fresh numbers "
                    f"{ours[-1]:.2f} s, pandas {theirs[-1]:.2f} s"
                )
    finally:
        worker.close()
    scale, db = sp.scale, store.db
    census_target = {"ics": targets.ICS_CENSUS, "england": targets.NATIONAL_CENSUS}.get(scale)
    rows = sorted(int(x["rows"]) for x in loads)
    outcome.records.append(
        summarise(
            "census load",
            scale,
            db,
            "s",
            [float(x["seconds"]) for x in loads],
            target=census_target,
            **common,
            note=f"{rows[len(rows) // 2]:,} rows a census",
            extra={
                "cpu_seconds": [float(x["cpu_seconds"]) for x in loads],
                "rows": rows,
                "rows_per_second": [int(x["rows"]) / float(x["seconds"]) for x in loads],
            },
        )
    )
    peak = max(float(x["peak_rss_mb"]) for x in loads)
    outcome.records.append(
        judge(
            Record(
                "census peak memory",
                scale,
                db,
                "MB",
                n=len(loads),
                value=peak,
                note="peak RSS of the loading process, interpreter and imports included "
                f"(it held {float(loads[0]['rss_before_mb']):.0f} MB before the first load)",
                **common,
            ),
            targets.NATIONAL_CENSUS_MEMORY if scale == "england" else None,
        )
    )
    fresh_record = summarise(
        "fresh numbers after a census",
        scale,
        db,
        "s",
        ours,
        target=None,
        **common,
        note="load_batch + the 4 headline endpoints vs pandas re-reading every file",
        extra={"baseline_seconds": theirs},
    )
    fresh_record.baseline_ratio = paired_ratio(theirs, ours)
    year = sp.scale == "ics" and store.history_days >= 365
    outcome.records.append(judge(fresh_record, targets.FRESH_RATIO if year else None))
    if last is not None:
        found = api.differences(*last)
        outcome.disagreements[label] = found
        outcome.records.append(
            Record(
                "baseline disagreements",
                scale,
                db,
                "numbers",
                value=len(found),
                note="; ".join(found[:3]),
                **common,
            )
        )
    return fresh[-1].snapshot_at if fresh else store.cut


def _endpoints(
    store: Store,
    sp: ScalePlan,
    plan: Plan,
    outcome: Outcome,
    url: str,
    at: datetime,
    common: dict[str, Any],
    log: Log,
) -> None:
    """Every endpoint twice: with the metrics cache off (each call computes its answer from
    the store, as the first call after a census does — the targets are judged on these) and
    as served, with the cache on (after the warm-up call each is a hit until the next run)."""
    for cache in (False, True):
        with api.app_client(url, cache=cache) as client:
            spell = api.longest_delayed_spell(client, at)
            points = api.endpoints(at, spell)
            calls = api.call_counts(client, points, plan.api_calls, plan.api_budget_seconds)
            results = api.measure(client, points, calls)
        log(f"  endpoints, metrics cache {'on' if cache else 'off'}:")
        for point in points:
            _endpoint_record(store, sp, outcome, point, results[point.name], cache, common, log)


def _endpoint_record(
    store: Store,
    sp: ScalePlan,
    outcome: Outcome,
    point: api.Endpoint,
    timings: api.Timings,
    cache: bool,
    common: dict[str, Any],
    log: Log,
) -> None:
    full_year = sp.scale == "ics" and store.history_days >= 365
    target: Target | None = None
    if not cache:
        if full_year:
            target = targets.ENDPOINT_TARGETS.get(point.name)
        if sp.scale == "england" and point.name == "/flow/summary":
            target = targets.NATIONAL_SUMMARY
    how = "cached: a hit after the first call" if cache else "computed on every call"
    record = summarise(
        f"GET {point.name}" + (" (cached)" if cache else ""),
        sp.scale,
        store.db,
        "s",
        timings.seconds,
        target=target,
        **common,
        note=f"{point.period}; {how}" if point.period else how,
        extra={
            "errors": timings.errors[:5],
            "error_count": len(timings.errors),
            "response_bytes": timings.bytes,
            "cpu_p50": percentile(timings.cpu_seconds, 50) if timings.cpu_seconds else None,
            "metrics_cache": cache,
        },
    )
    if timings.errors:
        record.note = f"{len(timings.errors)} errors: {timings.errors[0]}"
        record.met = False if target else None
    outcome.records.append(record)
    if record.p50 is not None:
        log(
            f"    {point.name}: p50 {record.p50 * 1000:.0f} ms, p95 "
            f"{(record.p95 or 0) * 1000:.0f} ms (n={record.n})"
        )
    else:
        log(f"    {point.name}: failed {timings.errors[:1]}")


def _concurrency(
    store: Store,
    sp: ScalePlan,
    plan: Plan,
    outcome: Outcome,
    url: str,
    at: datetime,
    common: dict[str, Any],
    log: Log,
) -> None:
    with server.serving(url, log_name=f"server-{store.db}") as base:
        result = server.concurrent_load(
            base,
            "/api/v1/flow/summary",
            {"at": at.isoformat()},
            clients=plan.concurrent_clients,
            seconds=plan.concurrent_seconds,
        )
    name = f"{plan.concurrent_clients} clients on /flow/summary"
    record = summarise(
        name,
        sp.scale,
        store.db,
        "s",
        result.latencies,
        target=targets.CONCURRENT_P95,
        **common,
        note=f"{result.throughput:.1f} req/s over {result.seconds:.0f} s, {result.errors} errors; "
        f"uvicorn, 1 worker, 50 keep-alive connections from {server.load_client()} on the "
        "same 2 cores",
        extra={
            "throughput": result.throughput,
            "errors": result.errors,
            "error_samples": result.error_samples,
            "requests": result.requests,
        },
    )
    outcome.records.append(record)
    outcome.records.append(
        judge(
            Record(
                f"{name}: errors",
                sp.scale,
                store.db,
                "errors",
                n=result.requests,
                value=result.errors,
                **common,
            ),
            targets.CONCURRENT_ERRORS,
        )
    )
    outcome.records.append(
        Record(
            f"{name}: throughput",
            sp.scale,
            store.db,
            "req/s",
            n=result.requests,
            value=result.throughput,
            **common,
        )
    )
    log(
        f"  concurrency: {result.throughput:.1f} req/s, p95 {(record.p95 or 0) * 1000:.0f} ms, "
        f"{result.errors} errors"
    )


def _census_series(store: Store, plan: Plan, at: datetime) -> load.CensusSeries | None:
    """The censuses the mixed load POSTs: the sample's first after ``at`` (else its last),
    then that census moved on ``plan.census_every`` minutes at a time."""
    entries = store.fresh("patients")
    if not entries:
        return None
    after = [e for e in entries if e.snapshot_at > at]
    base = after[0] if after else entries[-1]
    step = timedelta(minutes=plan.census_every)
    return load.CensusSeries(base.path, base.snapshot_at, step, loaded=not after)


def _mixed_load(
    series: load.CensusSeries,
    sp: ScalePlan,
    plan: Plan,
    outcome: Outcome,
    url: str,
    at: datetime,
    common: dict[str, Any],
    log: Log,
    *,
    soak: bool,
) -> None:
    """The API clients while censuses are POSTed and wall displays redraw (load.py): once
    with one census, as the soak with one every ``plan.census_every`` seconds."""
    seconds = plan.soak_seconds if soak else plan.concurrent_seconds
    name = "soak" if soak else "mixed load"
    log(f"  {name}: {plan.concurrent_clients} clients for {seconds:.0f} s, censuses POSTed")
    result = load.run_mix(
        url,
        at,
        series,
        clients=plan.concurrent_clients,
        seconds=seconds,
        census_every=plan.census_every if soak else seconds,
        log_name=f"server-{name.replace(' ', '-')}",
    )
    db = "sqlite" if url.startswith("sqlite") else "postgresql"
    found = load.records(name, result, sp.scale, db, common, soak=soak)
    outcome.records.extend(found)
    for record in found:
        shown = record.p95 if record.p95 is not None else record.value
        log(f"    {record.measure}: {shown!r:.8} {record.unit} (n={record.n}) {record.note[:90]}")


def _pages(
    sp: ScalePlan,
    plan: Plan,
    outcome: Outcome,
    url: str,
    at: datetime,
    common: dict[str, Any],
    log: Log,
) -> None:
    why = browser.unavailable()
    if why:
        outcome.notes.append(f"pages not measured: {why}")
        return
    with server.serving(url, log_name="server-pages") as base, browser.chromium() as driver:
        browser.sign_in(driver, base)
        wall = browser.wall_times(driver, base, at, plan.wall_loads)
        first_list, change = browser.coordinator_times(driver, base, at, plan.filter_changes)
    measures: list[tuple[str, browser.PageTimes, Target | None, str]] = [
        ("/wall fully rendered", wall, targets.WALL, "navigation to tiles with numbers"),
        ("/coordinator first list", first_list, None, "navigation to the patient count"),
        (
            "/coordinator filter change",
            change,
            targets.FILTER_CHANGE,
            "site filter changed to the list and count answering it",
        ),
    ]
    for name, times, target, words in measures:
        if not times.seconds:
            outcome.notes.append(f"{name} not measured: {'; '.join(times.errors[:2])}")
            log(f"  {name}: failed {times.errors[:1]}")
            continue
        record = summarise(
            name,
            sp.scale,
            "sqlite",
            "s",
            times.seconds,
            target=target,
            **common,
            note=words,
            extra={"errors": times.errors[:5]},
        )
        outcome.records.append(record)
        log(f"  {name}: p50 {(record.p50 or 0):.2f} s (n={record.n})")
