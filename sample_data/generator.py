"""The deterministic synthetic sample system (docs/sample-data.md).

``generate`` writes the history of a fictional ICS (or of all England, for benchmarks) as feed
files in the contract layouts, and saves the world's final state; ``LiveSimulator`` carries the
same world on in real time for the live demo, writing one snapshot of every feed per tick.
Everything derives from the seed: the same seed and ``end`` give byte-identical files.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import random
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, NamedTuple

from sample_data import feeds
from sample_data.clock import (
    DAY,
    MINUTE,
    file_stamp,
    local_date,
    local_time,
    midnight,
    parse_hhmm,
    to_epoch,
    to_utc,
)
from sample_data.simulation import World
from sample_data.world import build_england, build_ics

STATE_FORMAT = 1
#: the live simulator skips a capacity file whose rows (apart from their time stamp) are those
#: of the file it last wrote for that feed, but writes one at least this often, so a quiet
#: night never makes a feed look stale (the shortest expected interval, beds, is 60 min)
UNCHANGED_FEEDS = ("beds", "care_homes", "domiciliary")
UNCHANGED_REWRITE_SECONDS = 30 * 60
MANIFEST_FORMAT = 1
DEFAULT_WARMUP_DAYS = {"ics": 90, "england": 14}

RowBuilder = Callable[[World, int], Iterator[list[str]]]
ROWS: dict[str, RowBuilder] = {
    "beds": feeds.bed_rows,
    "care_homes": feeds.care_home_rows,
    "domiciliary": feeds.domiciliary_rows,
    "patients": feeds.patient_rows,
}


@dataclass
class GeneratorConfig:
    """What to generate. ``end`` defaults to now rounded down to the hour (UTC); a naive
    ``end`` is Europe/London local time, as in the feeds."""

    seed: int = 42
    scale: Literal["ics", "england"] = "ics"
    days: int = 120
    end: datetime | None = None
    census_times: tuple[str, ...] = ("02:00", "08:00", "14:00", "20:00")  # local time
    bed_interval_minutes: int = 60
    capacity_time: str = "09:00"  # local time of the daily care_homes / domiciliary snapshot
    warmup_days: int | None = None  # simulated before the first file; default 90 (ics), 14
    save_state: bool = True  # write OUT/state.pkl for LiveSimulator.load

    def resolved(self) -> GeneratorConfig:
        """The same config with ``end`` and ``warmup_days`` made explicit and checked."""
        if self.scale not in DEFAULT_WARMUP_DAYS:
            raise ValueError(f"scale must be 'ics' or 'england', not {self.scale!r}")
        if self.days < 1:
            raise ValueError("days must be at least 1")
        if self.bed_interval_minutes < 1:
            raise ValueError("bed_interval_minutes must be at least 1")
        for value in (*self.census_times, self.capacity_time):
            parse_hhmm(value)
        if self.end is None:
            now = datetime.now(UTC)
            end = now.replace(minute=0, second=0, microsecond=0)
        else:
            end = datetime.fromtimestamp(to_epoch(self.end), UTC)
        warmup = self.warmup_days
        if warmup is None:
            warmup = DEFAULT_WARMUP_DAYS[self.scale]
        return replace(self, end=end, warmup_days=warmup, census_times=tuple(self.census_times))

    def params(self) -> dict[str, Any]:
        """The parameters that decide the world, as JSON-ready values (of a resolved config)."""
        values = asdict(self)
        values.pop("save_state")
        values["end"] = self.end.isoformat() if self.end else None
        values["census_times"] = list(self.census_times)
        return values


SMALL_SAMPLE_DIR = Path(__file__).resolve().parent / "small"
# The committed sample (``python -m sample_data.generator`` writes it again): two weeks, two
# censuses a day, beds every four hours, so it stays small enough to keep in git.
SMALL_SAMPLE_CONFIG = GeneratorConfig(
    seed=42,
    days=14,
    end=datetime(2026, 11, 16, tzinfo=UTC),
    census_times=("08:00", "20:00"),
    bed_interval_minutes=240,
    save_state=False,
)


class ManifestEntry(NamedTuple):
    feed: str
    path: Path
    snapshot_at: datetime


@dataclass
class Manifest:
    """The files of a generated history, in time order (and, at one moment, in feed order)."""

    root: Path
    params: dict[str, Any]
    files: list[ManifestEntry] = field(default_factory=list)
    reference: list[Path] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)  # rows written per feed

    def __iter__(self) -> Iterator[ManifestEntry]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int) -> ManifestEntry:
        return self.files[index]

    def of_feed(self, feed: str) -> list[ManifestEntry]:
        return [entry for entry in self.files if entry.feed == feed]

    def write(self) -> Path:
        path = self.root / "manifest.json"
        document = {
            "format": MANIFEST_FORMAT,
            "generator": "homeward sample_data",
            "params": self.params,
            "rows": self.rows,
            "reference": [p.relative_to(self.root).as_posix() for p in self.reference],
            "files": [
                {
                    "feed": e.feed,
                    "path": e.path.relative_to(self.root).as_posix(),
                    "snapshot_at": e.snapshot_at.isoformat(),
                }
                for e in self.files
            ],
        }
        path.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, root: Path) -> Manifest:
        document = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        files = [
            ManifestEntry(f["feed"], root / f["path"], datetime.fromisoformat(f["snapshot_at"]))
            for f in document["files"]
        ]
        reference = [root / p for p in document["reference"]]
        return cls(root, document["params"], files, reference, document.get("rows", {}))


def _new_world(config: GeneratorConfig) -> World:
    structure = random.Random(f"homeward-{config.seed}-{config.scale}-structure")
    orgs = build_ics(structure) if config.scale == "ics" else build_england(structure)
    return World(orgs, config.seed)


def _schedule(config: GeneratorConfig, start: int, end: int) -> list[tuple[int, str]]:
    """Every snapshot of the history: (instant, feed) in (start, end], in time then feed order."""
    moments: set[tuple[int, str]] = set()
    first_day, last_day = local_date(start), local_date(end)
    census_minutes = sorted({parse_hhmm(v) for v in config.census_times})
    capacity_minute = parse_hhmm(config.capacity_time)
    for day in range(first_day, last_day + 1):
        for minute in census_minutes:
            moments.add((local_time(day, minute), "patients"))
        capacity_at = local_time(day, capacity_minute)
        moments.add((capacity_at, "care_homes"))
        moments.add((capacity_at, "domiciliary"))
    interval = config.bed_interval_minutes * MINUTE
    t = start - start % interval + interval
    while t <= end:
        moments.add((t, "beds"))
        t += interval
    order = {feed: i for i, feed in enumerate(feeds.FEED_ORDER)}
    kept = [m for m in moments if start < m[0] <= end]
    return sorted(kept, key=lambda m: (m[0], order[m[1]]))


def _run_history(
    config: GeneratorConfig,
    out_dir: Path | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[World, int, Manifest | None]:
    """Live the world from the warm-up to ``config.end`` (a resolved config), writing the
    snapshots when ``out_dir`` is given. Returns the world, its last census instant and the
    manifest. Writing or not, the world ends in the same state."""
    assert config.end is not None and config.warmup_days is not None
    end = to_epoch(config.end)
    start = end - config.days * DAY
    world = _new_world(config)
    world.start(midnight(local_date(start) - config.warmup_days))
    world.advance(start)
    world.take_discharges()  # the warm-up's discharges are before the history
    world.stats.clear()
    last_census = start
    manifest = None
    if out_dir is not None:
        manifest = Manifest(out_dir, config.params())
        manifest.reference = _write_reference(world, out_dir)
    schedule = _schedule(config, start, end)
    for done, (t, feed) in enumerate(schedule, start=1):
        world.advance(t)
        if feed == "patients":
            last_census = t
        if manifest is not None:
            path = out_dir / feed / f"{feed}_{file_stamp(t)}.csv"  # type: ignore[operator]
            rows = feeds.write_csv(path, feeds.FEED_COLUMNS[feed], ROWS[feed](world, t))
            manifest.files.append(ManifestEntry(feed, path, to_utc(t)))
            manifest.rows[feed] = manifest.rows.get(feed, 0) + rows
        elif feed == "patients":
            world.take_discharges()
        if progress is not None:
            progress(done, len(schedule))
    world.advance(end)
    return world, last_census, manifest


def _write_reference(world: World, out_dir: Path) -> list[Path]:
    sites, councils = feeds.reference_rows(world.orgs)
    sites_path = out_dir / "reference" / "sites.csv"
    councils_path = out_dir / "reference" / "councils.csv"
    feeds.write_csv(sites_path, feeds.SITE_COLUMNS, sites)
    feeds.write_csv(councils_path, feeds.COUNCIL_COLUMNS, councils)
    organisations_path = out_dir / "reference" / "organisations.csv"
    feeds.write_csv(
        organisations_path, feeds.ORGANISATION_COLUMNS, feeds.organisation_rows(world.orgs)
    )
    return [sites_path, councils_path, organisations_path]


def simulate(config: GeneratorConfig) -> World:
    """The world of ``config`` lived to its ``end`` without writing a file (its ``stats``
    hold the history's running totals)."""
    world, _, _ = _run_history(config.resolved(), None)
    return world


def generate(
    out_dir: Path,
    config: GeneratorConfig,
    progress: Callable[[int, int], None] | None = None,
) -> Manifest:
    """Write the history's feed files, ``manifest.json`` and ``state.pkl`` under ``out_dir``;
    ``progress(done, total)`` is called after each snapshot file."""
    resolved = config.resolved()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    world, last_census, manifest = _run_history(resolved, out_dir, progress)
    assert manifest is not None
    manifest.write()
    if resolved.save_state:
        LiveSimulator(world, resolved, last_census).save(out_dir / "state.pkl")
    return manifest


class LiveSimulator:
    """The world after the history, carried on in real time for the live demo."""

    def __init__(self, world: World, config: GeneratorConfig, last_census_at: int) -> None:
        self.world = world
        self.config = config
        self.last_census_at = last_census_at
        # (fingerprint, written at) of the last file of each capacity feed, this process
        self.last_written: dict[str, tuple[str, int]] = {}

    @classmethod
    def from_history(cls, config: GeneratorConfig, state_path: Path | None = None) -> LiveSimulator:
        """The world at ``config.end``: loaded from ``state_path`` (as ``generate`` saved it)
        when that file holds this config's world, otherwise simulated again (no files)."""
        resolved = config.resolved()
        if state_path is not None and Path(state_path).exists():
            try:
                saved = cls.load(Path(state_path))
            except (ValueError, pickle.UnpicklingError, AttributeError, EOFError):
                saved = None
            if saved is not None and saved.config.params() == resolved.params():
                return saved
        world, last_census, _ = _run_history(resolved, None)
        return cls(world, resolved, last_census)

    @property
    def now(self) -> datetime:
        """The moment the world has been lived to."""
        return to_utc(self.world.now)

    def tick(self, now: datetime, out_dir: Path) -> list[Path]:
        """Live the world on to ``now`` and drop one snapshot of every feed stamped ``now``
        into ``out_dir/<feed>/`` (each written under a temporary name, then renamed)."""
        t = to_epoch(now)
        if t < self.world.now:
            raise ValueError(f"the world is already at {self.now.isoformat()}; cannot go back")
        self.world.advance(t)
        written = self.last_written
        paths = []
        for feed in feeds.FEED_ORDER:
            rows = list(ROWS[feed](self.world, t))
            if feed in UNCHANGED_FEEDS:
                fingerprint = _fingerprint(rows)
                previous = written.get(feed)
                if (
                    previous is not None
                    and previous[0] == fingerprint
                    and t - previous[1] < UNCHANGED_REWRITE_SECONDS
                ):
                    continue  # nothing changed: no file
                written[feed] = (fingerprint, t)
            path = Path(out_dir) / feed / f"{feed}_{file_stamp(t)}.csv"
            feeds.write_csv(path, feeds.FEED_COLUMNS[feed], rows, atomic=True)
            paths.append(path)
        self.last_census_at = t
        return paths

    def save(self, path: Path) -> None:
        """Pickle the world so a restarted demo carries on where it stopped."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.part")
        state = {
            "format": STATE_FORMAT,
            "config": self.config,
            "last_census_at": self.last_census_at,
            "world": self.world,
        }
        with temporary.open("wb") as fh:
            pickle.dump(state, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)

    @classmethod
    def load(cls, path: Path) -> LiveSimulator:
        """A simulator saved by ``save`` (or by ``generate`` as ``state.pkl``)."""
        with Path(path).open("rb") as fh:
            state = pickle.load(fh)
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"{path} is not a state file of this generator version")
        return cls(state["world"], state["config"], state["last_census_at"])


def _fingerprint(rows: list[list[str]]) -> str:
    """A digest of a file's rows without their time stamp (the first column)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\x1f".join(row[1:]).encode())
        digest.update(b"\n")
    return digest.hexdigest()


def write_small_sample(out_dir: Path = SMALL_SAMPLE_DIR) -> Manifest:
    """Write the committed sample again (after a change to the generator)."""
    import shutil

    shutil.rmtree(out_dir, ignore_errors=True)
    return generate(out_dir, SMALL_SAMPLE_CONFIG)


if __name__ == "__main__":
    manifest = write_small_sample()
    print(f"wrote {len(manifest)} files to {manifest.root}: {manifest.rows}")
