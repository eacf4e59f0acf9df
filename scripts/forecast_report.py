"""Regenerate the back-test table and plot of ``docs/forecast.md`` in one command.

    .venv/bin/python scripts/forecast_report.py --database-url sqlite:///homeward.db
    .venv/bin/python scripts/forecast_report.py --from-json bench/results/latest.json

With ``--database-url`` the back-test runs over that store (``homeward forecast backtest``
does the same); with ``--from-json`` it is read from a file ``homeward forecast backtest
--json`` wrote, or from the ``forecast_backtest`` section of the bench's results. Writes the
table between the markers of ``docs/forecast.md``, ``docs/forecast-backtest.json`` and the
plot ``docs/forecast-backtest.png`` (matplotlib, a dev dependency, as docs/performance.png).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "forecast.md"
JSON_OUT = ROOT / "docs" / "forecast-backtest.json"
PLOT = ROOT / "docs" / "forecast-backtest.png"
START, END = "<!-- backtest:start -->", "<!-- backtest:end -->"
PATHWAY_COLOURS = {0: "#4c6272", 1: "#005eb8", 2: "#007f3b", 3: "#d5281b"}


def from_store(url: str, site: str | None) -> dict[str, Any]:
    os.environ["HOMEWARD_DATABASE_URL"] = url
    sys.path.insert(0, str(ROOT))
    from app.core.db import session_scope
    from app.metrics.forecast import backtest

    with session_scope() as session:
        return backtest(session, site=site).model_dump(mode="json")


def from_json(path: Path) -> dict[str, Any]:
    document = json.loads(path.read_text(encoding="utf-8"))
    if "rows" in document:
        return dict(document)
    sections = document.get("forecast_backtest") or []
    if not sections:
        raise SystemExit(f"{path}: no back-test in it")
    # the largest ICS store measured
    return dict(max(sections, key=lambda s: (s.get("scale") == "ics", s.get("history_days", 0))))


def table(result: dict[str, Any]) -> str:
    lines = [
        f"Origins {result['first_origin']} to {result['last_origin']} (history "
        f"{result['history_start']} to {result['history_end']}), "
        f"{result['simulations']} runs per origin, seed {result['seed']}; "
        f"{result.get('site') or 'the whole system'}. MAE of the P50 of NCtR in hospital at "
        "the day's end; naive = the same weekday last week.",
        "",
        "| pathway | horizon | origins | mean | MAE | MAE % of mean | naive MAE | beats naive "
        "| P10–P90 coverage % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for row in result["rows"]:
        pct = row["mae_pct_of_mean"]
        lines.append(
            f"| P{row['pathway']} | D+{row['horizon']} | {row['origins']} "
            f"| {row['mean_actual']:.1f} | {row['mae']:.2f} "
            f"| {'–' if pct is None else f'{pct:.1f}'} | {row['naive_mae']:.2f} "
            f"| {'yes' if row['beats_naive'] else '**no**'} | {row['coverage_pct']:.1f} |"
        )
    return "\n".join(lines)


def plot(result: dict[str, Any], path: Path) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for pathway, colour in PATHWAY_COLOURS.items():
        rows = [r for r in result["rows"] if r["pathway"] == pathway]
        if not rows:
            continue
        horizons = [r["horizon"] for r in rows]
        mean = rows[0]["mean_actual"] or 1
        left.plot(
            horizons,
            [100 * r["mae"] / mean for r in rows],
            "o-",
            color=colour,
            label=f"P{pathway} forecast",
        )
        left.plot(
            horizons,
            [100 * r["naive_mae"] / mean for r in rows],
            "--",
            color=colour,
            alpha=0.6,
            label=f"P{pathway} seasonal-naive",
        )
        right.plot(
            horizons, [r["coverage_pct"] for r in rows], "o-", color=colour, label=f"P{pathway}"
        )
    left.axhline(10, color="#768692", linewidth=0.8)
    left.set(xlabel="days ahead", ylabel="MAE, % of the mean", title="Error by horizon")
    left.legend(fontsize=7, ncol=2)
    right.axhspan(70, 90, color="#f0f4f5")
    right.axhline(80, color="#768692", linewidth=0.8)
    right.set(
        xlabel="days ahead",
        ylabel="% of true values inside P10–P90",
        title="Band coverage (target 70–90 %)",
        ylim=(0, 100),
    )
    right.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--database-url")
    source.add_argument("--from-json", type=Path)
    parser.add_argument("--site", default=None)
    args = parser.parse_args(argv)
    result = (
        from_store(args.database_url, args.site) if args.database_url else from_json(args.from_json)
    )
    if not result["rows"]:
        raise SystemExit("not enough history to back-test")
    JSON_OUT.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    text = DOC.read_text(encoding="utf-8")
    block = f"{START}\n{table(result)}\n{END}"
    text, replaced = re.subn(
        re.escape(START) + ".*?" + re.escape(END), lambda _m: block, text, flags=re.S
    )
    if not replaced:
        raise SystemExit(f"{DOC}: no {START} … {END} markers")
    DOC.write_text(text, encoding="utf-8")
    drawn = plot(result, PLOT)
    print(
        f"wrote {DOC.relative_to(ROOT)}, {JSON_OUT.relative_to(ROOT)}"
        + (f", {PLOT.relative_to(ROOT)}" if drawn else " (no matplotlib: no plot)")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
