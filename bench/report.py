"""The results: ``bench/results/latest.json`` and ``docs/performance.md`` with its plot."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.runner import Outcome
from bench.samples import ROOT
from bench.stats import Record, git_commit, machine

RESULTS = ROOT / "bench" / "results" / "latest.json"
QUICK_RESULTS = ROOT / "bench" / "cache" / "quick.json"
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance.png"
FINDINGS = ROOT / "bench" / "findings.md"
SCALE_ORDER = {"ics": 0, "region": 1, "england": 2}
HISTORY_MEASURES = (
    "census load",
    "GET /flow/summary",
    "GET /flow/delayed-days",
    "GET /trends/weekly",
    "GET /patients/delayed",
)


def fmt_value(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    if unit == "s":
        return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "req/s":
        return f"{value:.1f} req/s"
    return f"{value:g} {unit}"


def _met(record: Record) -> str:
    return {True: "yes", False: "**no**", None: "–"}[record.met]


def rewrite_doc(path: Path = RESULTS) -> None:
    """Write docs/performance.md again from a results file (no measuring)."""
    document = json.loads(path.read_text(encoding="utf-8"))
    fields = set(Record.__dataclass_fields__)
    outcome = Outcome(
        records=[
            Record(**{k: v for k, v in item.items() if k in fields})
            for item in document.get("records", [])
        ],
        notes=clean_notes([], document.get("notes", [])),
        disagreements=document.get("disagreements", {}),
        load_timeline=document.get("load_timeline", []),
    )
    document["notes"] = outcome.notes
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    write_doc(document, outcome)


def write_json(
    outcome: Outcome, plan_name: str, started: datetime, path: Path = RESULTS
) -> dict[str, Any]:
    document = {
        "plan": plan_name,
        "started_at": started.isoformat(timespec="seconds"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "machine": machine(),
        "notes": outcome.notes,
        "generated_seconds": outcome.generated,
        "records": [
            {**r.as_dict(), "machine": "see top-level machine", "git_commit": "see top-level"}
            for r in outcome.records
        ],
        "disagreements": outcome.disagreements,
        "load_timeline": outcome.load_timeline,
        "forecast_backtest": outcome.forecast_backtest,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1, default=str) + "\n", encoding="utf-8")
    return document


def merge_previous(outcome: Outcome, path: Path) -> None:
    """Add the records (and disagreements, timeline, notes) of a previous results file that
    this run did not measure again: a run can complete an earlier one."""
    previous = json.loads(path.read_text(encoding="utf-8"))

    def key(measure: str, scale: str, database: str, days: int | None) -> tuple[Any, ...]:
        return (measure, scale, database, days)

    measured = {key(r.measure, r.scale, r.database, r.history_days) for r in outcome.records}
    fields = set(Record.__dataclass_fields__)
    for item in previous.get("records", []):
        if key(item["measure"], item["scale"], item["database"], item["history_days"]) in measured:
            continue
        outcome.records.append(Record(**{k: v for k, v in item.items() if k in fields}))
    for label, found in previous.get("disagreements", {}).items():
        outcome.disagreements.setdefault(label, found)
    if not outcome.load_timeline:
        outcome.load_timeline = previous.get("load_timeline", [])
    else:
        loaded = {(t["scale"], t["db"]) for t in outcome.load_timeline}
        outcome.load_timeline += [
            t for t in previous.get("load_timeline", []) if (t["scale"], t["db"]) not in loaded
        ]
    if not outcome.forecast_backtest:
        outcome.forecast_backtest = previous.get("forecast_backtest", [])
    outcome.notes = clean_notes(outcome.notes, previous.get("notes", []))


def clean_notes(current: list[str], earlier: list[str]) -> list[str]:
    """This run's notes, then the earlier notes about stores this run did not measure again
    (without failures, which a later run replaces, and without repeats)."""
    measured = {n.split(":", 1)[0] for n in current}
    notes = list(current)
    for note in earlier:
        while note.startswith("(from the run of "):
            note = note.split(") ", 1)[1]
        if "not measured" in note or "measures stopped" in note or note in notes:
            continue
        if note.split(":", 1)[0] in measured:
            continue
        notes.append(note)
    return notes


def _sorted(records: list[Record]) -> list[Record]:
    return sorted(
        records,
        key=lambda r: (SCALE_ORDER.get(r.scale, 9), r.history_days or 0, r.database, r.measure),
    )


def _row(r: Record) -> str:
    ratio = f"{r.baseline_ratio:.1f}×" if r.baseline_ratio is not None else "–"
    shown = fmt_value(r.value, r.unit) if r.value is not None else fmt_value(r.p50, r.unit)
    cpu = r.extra.get("cpu_p50")
    if cpu is None and r.extra.get("cpu_seconds"):
        cpu = statistics.median(r.extra["cpu_seconds"])
    return (
        f"| {r.measure} | {r.scale} | {r.database} | {r.history_days or '–'} | {r.n} | "
        f"{shown} | {fmt_value(r.p95, r.unit) if r.value is None else '–'} | "
        f"{fmt_value(cpu, 's')} | {ratio} | {r.target or '–'} | {_met(r)} | {r.note} |"
    )


HEADER = (
    "| measure | scale | database | history (days) | n | p50 (or value) | p95 | CPU p50 | "
    "vs pandas | target | met | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def _history_table(records: list[Record]) -> str:
    by: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    days: set[int] = set()
    for r in records:
        if r.scale == "ics" and r.measure in HISTORY_MEASURES and r.p50 is not None:
            by[(r.measure, r.database)][r.history_days or 0] = r.p50
            days.add(r.history_days or 0)
    if len(days) < 2:
        return "_Only one history size was measured in this run._"
    columns = sorted(days)
    lines = [
        "| measure | database | " + " | ".join(f"{d} days" for d in columns) + " |",
        "|---|---|" + "---|" * len(columns),
    ]
    for (measure, db), values in sorted(by.items()):
        cells = " | ".join(fmt_value(values.get(d), "s") for d in columns)
        lines.append(f"| {measure} | {db} | {cells} |")
    return "\n".join(lines)


def _shortest(records: list[Record]) -> dict[str, int]:
    """Each scale's shortest stored history (the like-for-like point across sizes)."""
    shortest: dict[str, int] = {}
    for r in records:
        days = r.history_days or 0
        shortest[r.scale] = min(days, shortest.get(r.scale, days))
    return shortest


def _size_table(records: list[Record]) -> str:
    wanted = ("census load", "census peak memory", "GET /flow/summary", "GET /patients/delayed")
    shortest = _shortest(records)
    scales = sorted(shortest, key=lambda s: SCALE_ORDER.get(s, 9))
    if len(scales) < 2:
        return "_Only one system size was measured in this run._"
    rows = []
    for measure in wanted:
        for db in ("sqlite", "postgresql"):
            cells = []
            for scale in scales:
                found = [
                    r
                    for r in records
                    if r.measure == measure
                    and r.database == db
                    and r.scale == scale
                    and (r.history_days or 0) == shortest[scale]
                ]
                r = found[0] if found else None
                shown = (r.value if r.value is not None else r.p50) if r else None
                cells.append(fmt_value(shown, r.unit if r else "s"))
            rows.append(f"| {measure} | {db} | " + " | ".join(cells) + " |")
    census_rows = {}
    for scale in scales:
        found = [r for r in records if r.measure == "census load" and r.scale == scale]
        if found and found[0].extra.get("rows"):
            census_rows[scale] = statistics.median(found[0].extra["rows"])
    head = " | ".join(
        f"{s}: {census_rows.get(s, 0):,.0f} rows a census, {shortest[s]} days stored"
        for s in scales
    )
    return "\n".join(
        [f"| measure | database | {head} |", "|---|---|" + "---|" * len(scales), *rows]
    )


def _timeline_table(timeline: list[dict[str, Any]]) -> str:
    if not timeline:
        return (
            "_The stores came from the cache in this run; the per-census load times of the "
            "first load are in the results of the run that loaded them._"
        )
    buckets = ((0, 7), (7, 30), (30, 90), (90, 180), (180, 270), (270, 366))
    lines = [
        "| scale | database | stored history (days) | censuses | p50 wall | p50 CPU |",
        "|---|---|---|---|---|---|",
    ]
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for t in timeline:
        groups[(t["scale"], t["db"])].append(t)
    for (scale, db), items in sorted(groups.items(), key=lambda kv: SCALE_ORDER.get(kv[0][0], 9)):
        for low, high in buckets:
            inside = [t for t in items if low <= t["history_days"] < high]
            if not inside:
                continue
            wall = statistics.median(t["seconds"] for t in inside)
            cpu = statistics.median(t["cpu_seconds"] for t in inside)
            lines.append(
                f"| {scale} | {db} | {low}–{high} | {len(inside)} | {fmt_value(wall, 's')} | "
                f"{fmt_value(cpu, 's')} |"
            )
    return "\n".join(lines)


def plot(records: list[Record], timeline: list[dict[str, Any]], path: Path = PLOT) -> bool:
    """Cost against stored history and against system size; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(16, 4.8))
    colours = {"sqlite": "#005eb8", "postgresql": "#d5281b"}
    markers = {m: k for m, k in zip(HISTORY_MEASURES, "osD^v", strict=True)}
    for measure in HISTORY_MEASURES:
        for db, colour in colours.items():
            points = sorted(
                (r.history_days or 0, r.p50 * 1000)
                for r in records
                if r.scale == "ics" and r.measure == measure and r.database == db and r.p50
            )
            if len(points) >= 2:
                left.plot(
                    *zip(*points, strict=True),
                    marker=markers[measure],
                    color=colour,
                    label=f"{measure} ({db})",
                    alpha=0.85,
                )
    left.set(
        xlabel="stored history (days), ICS",
        ylabel="p50 (ms)",
        yscale="log",
        title="Cost against stored history",
    )
    left.legend(fontsize=6)
    for db, colour in colours.items():
        items = sorted(
            (t["history_days"], t["cpu_seconds"])
            for t in timeline
            if t["db"] == db and t["scale"] == "ics"
        )
        if items:
            middle.plot(*zip(*items, strict=True), ".", color=colour, alpha=0.4, label=f"{db}")
    middle.set(
        xlabel="stored history when loaded (days)",
        ylabel="CPU seconds (loading process)",
        title="Each ICS census, while the year was loaded",
    )
    if timeline:
        middle.legend(fontsize=7)
    shortest = _shortest(records)
    sizes = {}
    for r in records:
        if r.measure == "census load" and r.extra.get("rows"):
            sizes[r.scale] = statistics.median(r.extra["rows"])
    for measure in ("census load", "GET /flow/summary", "GET /patients/delayed"):
        for db, colour in colours.items():
            points = sorted(
                (sizes[r.scale], r.p50 * 1000)
                for r in records
                if r.measure == measure
                and r.database == db
                and r.p50
                and r.scale in sizes
                and (r.history_days or 0) == shortest.get(r.scale)
            )
            if len(points) >= 2:
                right.plot(
                    *zip(*points, strict=True),
                    marker=markers[measure],
                    color=colour,
                    label=f"{measure} ({db})",
                    alpha=0.85,
                )
    right.set(
        xlabel="rows a census (system size)",
        ylabel="p50 (ms)",
        xscale="log",
        yscale="log",
        title="Cost against system size (shortest history)",
    )
    right.legend(fontsize=6)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def write_doc(document: dict[str, Any], outcome: Outcome, path: Path = DOC) -> None:
    records = _sorted(outcome.records)
    with_target = [r for r in records if r.target]
    others = [r for r in records if not r.target]
    plotted = plot(records, outcome.load_timeline)
    info = document["machine"]
    disagreements = [
        f"- **{label}**: " + ("; ".join(found[:8]) + (" …" if len(found) > 8 else ""))
        for label, found in outcome.disagreements.items()
        if found
    ]
    findings = FINDINGS.read_text(encoding="utf-8") if FINDINGS.exists() else ""
    plot_line = (
        "![Cost against history and system size](performance.png)"
        if plotted
        else "_matplotlib is not installed: no plot._"
    )
    agreement = "\n".join(disagreements) or (
        "Every compared number agreed (NCtR daily discharged / by 17:00 / remaining, delayed "
        "days by reason, discharge delay bands, the census summary)."
    )
    text = f"""# Performance

_Regenerated by `make bench` ({document["plan"]} run, {document["started_at"]} →
{document["finished_at"]}, commit `{document["git_commit"]}`) on {info.get("cpus")} CPUs
({info.get("cpu", "?")}), {info.get("memory_gb", "?")} GB, Python {info.get("python")};
load average at the end {info.get("load_average")}. Do not edit by hand: the harness rewrites
this file; the analysis at the end comes from `bench/findings.md`._

## How to run

- `make bench-quick` (about 2 minutes): ICS scale, a week of history, SQLite and PostgreSQL,
  a few calls of each endpoint — a smoke check of the harness and the obvious regressions.
- `make bench` (the numbers to quote): a year of ICS history (saved at 7, 30, 90 and 365
  days), three days of a region (a sixth of England) and of England, 30 calls of each
  endpoint, 50 concurrent clients for 60 s, the pages in Chromium.
  The first run generates and loads the data (tens of minutes on a busy 2-core machine);
  later runs reuse `bench/cache/` (samples keyed by their parameters, loaded stores keyed by
  the sample and the schema). `python -m bench --reload` loads the stores again (do it after
  changing the ingest code, so the stored history matches it); `--no-pages`,
  `--databases sqlite`, `--scales ics` narrow a run.
- PostgreSQL: `BENCH_POSTGRES_URL` (default `postgresql+psycopg://postgres@127.0.0.1:5432`);
  the harness creates and drops only databases named `hwbench_*`.

How each number is taken:

- **census load**: one patients census (the next one after the stored history) through
  `ingest.loader.load_batch`, in a separate worker process; wall seconds of `load_batch`, and
  the worker's peak resident memory (interpreter and imports included).
- **CPU p50**: CPU seconds of the measuring process (the loading worker for a census; the
  harness, which runs the app in-process, for an endpoint — SQLite's work included,
  PostgreSQL's not). On a busy shared machine the wall time includes waiting for a core;
  the CPU time shows the work itself.
- **GET …**: in-process through `fastapi.testclient.TestClient(create_app(with_dashboard=False))`
  (no network hop), round robin over the endpoints so the machine's noise spreads over all of
  them, after one warm-up call each. Ranges: a year for delayed days, 52 weeks for the trend,
  28 days for the daily sitrep, discharge delays and Red2Green, `at` = the last census.
  Each endpoint is measured twice: **`GET …`** with the metrics cache off
  (`HOMEWARD_METRICS_CACHE_SIZE=0`), so every call computes its answer from the store — what
  the first request after a census costs; the targets are judged on these — and
  **`GET … (cached)`** as served, where every call after the warm-up is answered from the
  cache until the next ingest run.
- **concurrent clients**: a real `homeward serve` (uvicorn, one worker, metrics cache on as
  served) on 127.0.0.1, and 50 clients in the harness process, each one keep-alive HTTP/1.1
  connection asking again as soon as it is answered — both on the same 2 cores. The clients
  are a lean asyncio HTTP/1.1 client (`bench/server.py`): httpx's asyncio client spent ~3.7 ms
  of CPU a request against the server's ~1.5 ms, so on two shared cores it, not the server,
  set the latency. `BENCH_LOAD_CLIENT=httpx` measures with httpx. Any answer but 200, a
  time-out (60 s) or a broken connection counts as an error.
- **pages**: the Debian Chromium, headless, 1920×1080; `/wall` from navigation until at
  least five tiles show numbers and no Dash callback is loading; a coordinator filter change
  from selecting a site until the patient count changes.
- **fresh numbers after a census** against **pandas**: Homeward = load the new census +
  the four headline endpoints (NCtR daily, delayed days by reason, discharge delay bands,
  summary); pandas = `bench/baseline.py`, a plain script that re-reads every patients file and
  recomputes the same numbers. Interleaved, alternating which goes first; the ratio is the
  median of the per-census ratios. The two sets of numbers are compared (see below).
- History is one census a day (08:00) and bed snapshots every 4 hours — the ICS year is
  ~0.9M patient-days either way; four censuses a day would quadruple the load time only.

## Against the targets

{HEADER}
{chr(10).join(_row(r) for r in with_target) or "| – |"}

## Every measure

{HEADER}
{chr(10).join(_row(r) for r in others) or "| – |"}

## How cost grows with stored history (ICS, p50)

{_history_table(records)}

Census load time while the ICS history was being loaded (the worker loading SQLite and the
one loading PostgreSQL ran side by side, so wall times include their contention; CPU is the
loading process only):

{_timeline_table(outcome.load_timeline)}

## How cost grows with system size (the shortest stored history of each, p50)

{_size_table(records)}

{plot_line}

## Homeward against the pandas baseline

{agreement}

## Notes of this run

{chr(10).join(f"- {n}" for n in document["notes"]) or "- none"}

{findings}
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text.rstrip() + "\n", encoding="utf-8")
