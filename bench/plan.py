"""What a run measures: the full plan (``make bench``) and the quick one (``make bench-quick``),
and the targets of the performance issue."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.samples import SampleSpec
from bench.stats import Target


@dataclass(frozen=True)
class ScalePlan:
    """One system size: its sample, the history checkpoints saved, and what runs on each."""

    scale: str  # ics | region | england
    sample: SampleSpec
    checkpoints: tuple[int, ...]
    fresh_censuses: int  # censuses loaded after the history (ingest + fresh numbers)
    server_at: int | None = None  # the checkpoint the server, concurrency and pages run on
    load_at: int | None = None  # the checkpoint the mixed load and the soak run on


@dataclass(frozen=True)
class Plan:
    name: str
    scales: tuple[ScalePlan, ...]
    api_calls: int
    api_budget_seconds: float  # per endpoint and store: fewer calls when one is this slow
    concurrent_clients: int
    concurrent_seconds: float
    wall_loads: int
    filter_changes: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    soak_seconds: float = 600  # the soak of the mixed load (python -m bench --soak-seconds)
    census_every: float = 30  # seconds between the soak's censuses


FULL = Plan(
    name="full",
    scales=(
        ScalePlan(
            "ics",
            SampleSpec("ics-year", "ics", 365, 5),
            checkpoints=(7, 30, 90, 365),
            fresh_censuses=5,
            server_at=365,
        ),
        ScalePlan(
            "region",
            SampleSpec("region-week", "region", 7, 2, region_of="england-week"),
            checkpoints=(3,),
            fresh_censuses=2,
        ),
        ScalePlan(
            "england",
            SampleSpec("england-week", "england", 7, 2),
            checkpoints=(3,),
            fresh_censuses=2,
            load_at=3,
        ),
    ),
    api_calls=30,
    api_budget_seconds=90,
    concurrent_clients=50,
    concurrent_seconds=60,
    wall_loads=10,
    filter_changes=10,
)

QUICK = Plan(
    name="quick",
    scales=(
        ScalePlan(
            "ics",
            SampleSpec("ics-quick", "ics", 7, 2),
            checkpoints=(3, 7),
            fresh_censuses=2,
            server_at=7,
            load_at=7,
        ),
    ),
    api_calls=8,
    api_budget_seconds=10,
    concurrent_clients=50,
    concurrent_seconds=8,
    wall_loads=3,
    filter_changes=3,
    soak_seconds=60,
    notes=(
        "quick run: ICS scale only, 7 days of history, 8 calls per endpoint, 8 s of "
        "concurrent load — a smoke check, not the numbers to quote",
    ),
)

# --- the targets of the performance issue (2-core machine) -----------------------------------

ICS_CENSUS = Target(0.5)
NATIONAL_CENSUS = Target(10)
NATIONAL_CENSUS_MEMORY = Target(500, "value")
ENDPOINT_TARGETS = {
    "/flow/summary": Target(0.050),
    "/flow/delayed-days": Target(0.300),
    "/trends/weekly": Target(0.300),
}
NATIONAL_SUMMARY = Target(1.0)
CONCURRENT_P95 = Target(0.200, "p95")
CONCURRENT_ERRORS = Target(0, "value")
WALL = Target(2.5)
FILTER_CHANGE = Target(1.0)
FRESH_RATIO = Target(10, "ratio", at_least=True)
SOAK_MEMORY_CHANGE = Target(10, "value")  # % between the soak's start and its end
