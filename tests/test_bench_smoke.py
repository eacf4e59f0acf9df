"""The benchmark harness's pure parts: its statistics, and the pandas baseline on a scenario
whose numbers are worked out by hand below (DESIGN.md §4.2–§4.4)."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bench import api, baseline
from bench.report import fmt_value
from bench.stats import Record, Target, paired_ratio, percentile, ratio, summarise

# --- statistics ------------------------------------------------------------------------------


def test_percentiles_interpolate_between_closest_ranks() -> None:
    assert percentile([4.0, 1.0, 3.0, 2.0], 50) == 2.5
    assert percentile([float(v) for v in range(1, 21)], 95) == pytest.approx(19.05)
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0], 100) == 3.0
    with pytest.raises(ValueError):
        percentile([], 50)


def test_ratios_against_the_baseline() -> None:
    assert ratio([10.0, 30.0, 20.0], [1.0, 2.0, 4.0]) == 10.0  # median 20 ÷ median 2
    # per pair: 10, 5, 20 → median 10
    assert paired_ratio([10.0, 10.0, 20.0], [1.0, 2.0, 1.0]) == 10.0
    with pytest.raises(ValueError):
        paired_ratio([1.0], [1.0, 2.0])


def test_a_target_is_judged_on_its_statistic() -> None:
    record = summarise("GET /x", "ics", "sqlite", "s", [0.01, 0.02, 0.03, 0.2], target=Target(0.05))
    assert (record.n, record.p50, record.met) == (4, 0.025, True)
    assert record.target == "p50 ≤ 0.05 s"
    assert summarise("c", "ics", "sqlite", "s", [0.1, 0.3], target=Target(0.2, "p95")).met is False
    faster = Record("fresh", "ics", "sqlite", "s", baseline_ratio=12.0)
    assert Target(10, "ratio", at_least=True).met(faster) is True
    assert Target(0, "value").met(Record("errors", "ics", "pg", "errors", value=0)) is True


def test_values_are_shown_in_readable_units() -> None:
    assert fmt_value(0.0123, "s") == "12 ms"
    assert fmt_value(2.5, "s") == "2.50 s"
    assert fmt_value(None, "s") == "–"
    assert fmt_value(412.4, "MB") == "412 MB"


# --- the baseline on a hand-worked scenario ---------------------------------------------------

HEADER = [
    "snapshot_at",
    "site_code",
    "spell_id",
    "admitted_at",
    "discharge_ready_date",
    "delay_reason_code",
    "discharged_at",
]
# January: Europe/London is UTC. One census a day at 08:00, 5–9 January 2026.
#   A: NCtR from 6 Jan (R1, then R2), absent from the 9 Jan census → discharged 9 Jan 08:00.
#   B: a late DRD of 5 Jan recorded on 7 Jan (R3), cleared on 8 Jan, DRD 9 Jan (R1) again.
#   C: never NCtR; a discharge row on 9 Jan for 8 Jan 18:30.
#   D: NCtR since 2 Jan (R2) throughout, in hospital, admitted 15 Dec (LOS 25 on 9 Jan).
CENSUS = {
    5: [
        ("A", "2026-01-01T10:00:00+00:00", "", ""),
        ("B", "2026-01-04T09:00:00+00:00", "", ""),
        ("C", "2025-12-20T12:00:00+00:00", "", ""),
        ("D", "2025-12-15T12:00:00+00:00", "2026-01-02", "R2"),
    ],
    6: [
        ("A", "2026-01-01T10:00:00+00:00", "2026-01-06", "R1"),
        ("B", "2026-01-04T09:00:00+00:00", "", ""),
        ("C", "2025-12-20T12:00:00+00:00", "", ""),
        ("D", "2025-12-15T12:00:00+00:00", "2026-01-02", "R2"),
    ],
    7: [
        ("A", "2026-01-01T10:00:00+00:00", "2026-01-06", "R2"),
        ("B", "2026-01-04T09:00:00+00:00", "2026-01-05", "R3"),
        ("C", "2025-12-20T12:00:00+00:00", "", ""),
        ("D", "2025-12-15T12:00:00+00:00", "2026-01-02", "R2"),
    ],
    8: [
        ("A", "2026-01-01T10:00:00+00:00", "2026-01-06", "R2"),
        ("B", "2026-01-04T09:00:00+00:00", "", ""),
        ("C", "2025-12-20T12:00:00+00:00", "", ""),
        ("D", "2025-12-15T12:00:00+00:00", "2026-01-02", "R2"),
    ],
    9: [
        ("B", "2026-01-04T09:00:00+00:00", "2026-01-09", "R1"),
        ("D", "2025-12-15T12:00:00+00:00", "2026-01-02", "R2"),
    ],
}


def _write_scenario(folder: Path) -> list[Path]:
    paths = []
    for day, rows in CENSUS.items():
        path = folder / f"patients_202601{day:02d}.csv"
        at = f"2026-01-{day:02d}T08:00:00+00:00"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(HEADER)
            for spell, admitted, drd, reason in rows:
                writer.writerow([at, "S01", spell, admitted, drd, reason, ""])
            if day == 9:
                writer.writerow(
                    [
                        at,
                        "S01",
                        "C",
                        "2025-12-20T12:00:00+00:00",
                        "",
                        "",
                        "2026-01-08T18:30:00+00:00",
                    ]
                )
        paths.append(path)
    return paths


def test_the_baseline_counts_the_scenario_as_worked_by_hand(tmp_path: Path) -> None:
    at = datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    numbers = baseline.headline(_write_scenario(tmp_path), at, date(2026, 1, 5), date(2026, 1, 9))
    # remaining at midnight: 5th B D; 6th A B D; 7th A B D; 8th A D; 9th B D (provisional)
    assert [d["remaining"] for d in numbers["nctr_daily"]] == [2, 3, 3, 2, 2]
    # A left on the 9th at 08:00 while NCtR; C left on the 8th, never NCtR
    assert [d["discharged"] for d in numbers["nctr_daily"]] == [0, 0, 0, 0, 1]
    assert [d["discharged_by_1700"] for d in numbers["nctr_daily"]] == [0, 0, 0, 0, 1]
    assert numbers["delayed_days_total"] == 12
    # A: 6th R1, 7th–8th R2; B: 5th–7th R3 (the census that first said so), 9th R1; D: R2 ×5
    assert numbers["delayed_days_by_reason"] == {"R2": 7, "R3": 3, "R1": 2}
    assert numbers["discharges"] == 2
    assert numbers["discharge_bands"] == {
        "0": 1,
        "1": 0,
        "2-3": 1,
        "4-6": 0,
        "7-13": 0,
        "14-20": 0,
        "21+": 0,
    }
    assert numbers["summary"] == {
        "in_hospital": 2,
        "nctr_in_hospital": 2,
        "los_7": 1,
        "los_14": 1,
        "los_21": 1,
        "delay_bands": {"0": 1, "1": 0, "2-3": 0, "4-6": 0, "7-13": 1, "14-20": 0, "21+": 0},
    }


def test_differences_name_each_number_that_disagrees(tmp_path: Path) -> None:
    at = datetime(2026, 1, 9, 8, 0, tzinfo=UTC)
    ours = baseline.headline(_write_scenario(tmp_path), at, date(2026, 1, 5), date(2026, 1, 9))
    assert api.differences(ours, ours) == []
    theirs = {**ours, "delayed_days_total": 11, "summary": {**ours["summary"], "los_7": 2}}
    assert api.differences(ours, theirs) == [
        "delayed_days_total: Homeward 12, pandas 11",
        "summary los_7: Homeward 1, pandas 2",
    ]


def test_the_baseline_runs_on_a_small_generated_sample(tmp_path: Path) -> None:
    generator = pytest.importorskip("sample_data.generator")
    end = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    config = generator.GeneratorConfig(
        seed=7, scale="ics", days=2, end=end, warmup_days=10, save_state=False
    )
    manifest = generator.generate(tmp_path, config)
    paths = [e.path for e in manifest.files if e.feed == "patients"]
    numbers = baseline.headline(paths, end, date(2026, 2, 28), date(2026, 3, 1))
    daily = numbers["nctr_daily"]
    assert sum(d["remaining"] for d in daily) == numbers["delayed_days_total"]
    assert sum(numbers["delayed_days_by_reason"].values()) == numbers["delayed_days_total"]
    assert sum(numbers["discharge_bands"].values()) == numbers["discharges"]
    summary = numbers["summary"]
    assert 0 < summary["nctr_in_hospital"] < summary["in_hospital"]
    assert summary["los_7"] >= summary["los_14"] >= summary["los_21"]
