"""``python -m bench [--quick]``: run the benchmark plan and write the results and the doc."""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import UTC, datetime

from bench import report
from bench.plan import FULL, QUICK
from bench.runner import MEASURES, run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the ~2 minute smoke run")
    parser.add_argument(
        "--databases", default="sqlite,postgresql", help="comma-separated: sqlite,postgresql"
    )
    parser.add_argument("--scales", default="ics,region,england", help="comma-separated")
    parser.add_argument("--no-pages", action="store_true", help="skip the Chromium measures")
    parser.add_argument("--reload", action="store_true", help="load the stores again")
    parser.add_argument(
        "--no-load", action="store_true", help="measure only the stores already loaded"
    )
    parser.add_argument(
        "--histories", default="", help="comma-separated checkpoints (days) to measure"
    )
    parser.add_argument(
        "--measures",
        default=",".join(MEASURES),
        help="comma-separated: " + ",".join(MEASURES),
    )
    parser.add_argument(
        "--merge",
        action="store_true",
        help="keep the records of the previous results this run did not measure",
    )
    parser.add_argument(
        "--soak-seconds",
        type=float,
        default=None,
        help="how long the soak of the mixed load runs (default: the plan's, 600 s in full)",
    )
    parser.add_argument(
        "--no-doc", action="store_true", help="write the JSON only, not docs/performance.md"
    )
    parser.add_argument(
        "--report-only",
        action="store_true",
        help="rewrite docs/performance.md from bench/results/latest.json, measuring nothing",
    )
    args = parser.parse_args(argv)
    if args.report_only:
        report.rewrite_doc()
        return 0
    plan = QUICK if args.quick else FULL
    if args.soak_seconds is not None:
        plan = dataclasses.replace(plan, soak_seconds=args.soak_seconds)
    started = datetime.now(UTC)
    clock = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - clock:6.0f} s] {message}", flush=True)

    outcome = run(
        plan,
        databases=[d for d in args.databases.split(",") if d],
        scales=[s for s in args.scales.split(",") if s],
        pages=not args.no_pages,
        reload=args.reload,
        log=log,
        load=not args.no_load,
        histories=[int(d) for d in args.histories.split(",") if d],
        measures=tuple(m for m in args.measures.split(",") if m),
    )
    # the quick run is a smoke check: it never replaces the full run's results and doc
    results = report.QUICK_RESULTS if args.quick else report.RESULTS
    if args.merge and results.exists():
        report.merge_previous(outcome, results)
    document = report.write_json(outcome, plan.name, started, results)
    if not args.no_doc and not args.quick:
        report.write_doc(document, outcome)
    log(f"wrote {results.relative_to(report.ROOT)}")
    for record in outcome.records:
        if record.target:
            shown = record.value if record.value is not None else record.p50
            if record.baseline_ratio is not None:
                shown = record.baseline_ratio
            print(
                f"  {'MET ' if record.met else 'MISS' if record.met is False else '  ? '} "
                f"{record.measure} [{record.scale}/{record.database}/{record.history_days}d]: "
                f"{shown!r:.8} (target {record.target})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
