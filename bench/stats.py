"""The arithmetic of the results: percentiles, ratios, targets, one record per measure."""

from __future__ import annotations

import math
import os
import platform
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.samples import ROOT


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) by linear interpolation between closest ranks."""
    if not values:
        raise ValueError("no values")
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def ratio(baseline: Sequence[float], ours: Sequence[float]) -> float:
    """How many times faster than the baseline: median(baseline) ÷ median(ours)."""
    ours_median = percentile(ours, 50)
    if ours_median <= 0:
        raise ValueError("our median must be positive")
    return percentile(baseline, 50) / ours_median


def paired_ratio(baseline: Sequence[float], ours: Sequence[float]) -> float:
    """The median of the per-pair ratios of interleaved runs (robust to a noisy machine)."""
    if len(baseline) != len(ours) or not ours:
        raise ValueError("need as many baseline runs as ours, at least one")
    return percentile([b / o for b, o in zip(baseline, ours, strict=True)], 50)


@dataclass(frozen=True)
class Target:
    """A target: the measured statistic must be at most (or at least) ``limit``."""

    limit: float
    statistic: str = "p50"  # which statistic the target is about: p50 | p95 | p99 | value | ratio
    at_least: bool = False

    def met(self, record: Record) -> bool | None:
        value = record.statistic(self.statistic)
        if value is None:
            return None
        return value >= self.limit if self.at_least else value <= self.limit

    def words(self, unit: str) -> str:
        sign = "≥" if self.at_least else "≤"
        if self.statistic == "ratio":
            return f"{sign} {self.limit:g}× faster than pandas"
        return f"{self.statistic} {sign} {self.limit:g} {unit}"


@dataclass
class Record:
    """One measure on one scale and database."""

    measure: str
    scale: str
    database: str
    unit: str
    n: int = 0
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    value: float | None = None  # a single-figure result (throughput, peak memory, …)
    baseline_ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    history_days: int | None = None
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def statistic(self, name: str) -> float | None:
        return self.baseline_ratio if name == "ratio" else getattr(self, name)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def summarise(
    measure: str,
    scale: str,
    database: str,
    unit: str,
    samples: Sequence[float],
    *,
    target: Target | None = None,
    **fields: Any,
) -> Record:
    """A record of ``samples``: n, p50, p95, p99, and whether ``target`` is met."""
    record = Record(measure, scale, database, unit, **fields)
    if samples:
        record.n = len(samples)
        record.p50 = percentile(samples, 50)
        record.p95 = percentile(samples, 95)
        record.p99 = percentile(samples, 99)
    return judge(record, target)


def judge(record: Record, target: Target | None) -> Record:
    if target is not None:
        record.target = target.words(record.unit)
        record.met = target.met(record)
    return record


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    info: dict[str, Any] = {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
    }
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines()
        info["cpu"] = next(
            (line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
            None,
        )
        meminfo = Path("/proc/meminfo").read_text(encoding="utf-8").splitlines()
        total = next((line.split()[1] for line in meminfo if line.startswith("MemTotal")), None)
        info["memory_gb"] = round(int(total) / 2**20, 1) if total else None
        info["load_average"] = [round(v, 2) for v in os.getloadavg()]
    except OSError:
        pass
    return info


def git_commit() -> str | None:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
        return commit + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return None
