"""``python -m bench.forecast`` merges only the forecast section into the results file: its
records and back-test replace those of the same measure, scale, database and history; every
other record, back-test and note stays as it was measured."""

from __future__ import annotations

import json
from pathlib import Path

from bench.forecast import merge_into
from bench.stats import Record


def test_merging_replaces_only_the_forecast_of_the_same_store(tmp_path: Path) -> None:
    results = tmp_path / "latest.json"
    old_forecast = {
        "measure": "forecast: the next 10 days (computed)",
        "scale": "ics",
        "database": "sqlite",
        "history_days": 120,
        "p50": 2.0,
    }
    other = {**old_forecast, "measure": "endpoint: overview", "p50": 0.05}
    year = {**old_forecast, "history_days": 365, "p50": 0.9}
    results.write_text(
        json.dumps(
            {
                "records": [old_forecast, other, year],
                "forecast_backtest": [
                    {"scale": "ics", "database": "sqlite", "history_days": 120, "rows": ["old"]},
                    {"scale": "ics", "database": "sqlite", "history_days": 365, "rows": ["y"]},
                ],
                "notes": ["an earlier note", "forecast only: an earlier forecast run"],
            }
        ),
        encoding="utf-8",
    )
    new = Record(
        measure="forecast: the next 10 days (computed)",
        scale="ics",
        database="sqlite",
        unit="s",
        p50=0.43,
        history_days=120,
    )
    section = {"scale": "ics", "database": "sqlite", "history_days": 120, "rows": ["new"]}
    merge_into(results, [new], section, "forecast only: this run")
    document = json.loads(results.read_text(encoding="utf-8"))
    by_key = {(r["measure"], r["history_days"]): r["p50"] for r in document["records"]}
    assert by_key == {
        ("forecast: the next 10 days (computed)", 120): 0.43,  # replaced
        ("endpoint: overview", 120): 0.05,  # kept
        ("forecast: the next 10 days (computed)", 365): 0.9,  # another store: kept
    }
    assert sorted((s["history_days"], s["rows"]) for s in document["forecast_backtest"]) == [
        (120, ["new"]),
        (365, ["y"]),
    ]
    assert document["notes"] == ["an earlier note", "forecast only: this run"]
