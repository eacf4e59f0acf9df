"""The synthetic samples the benchmark loads, generated once and cached under ``bench/cache/``.

A sample is keyed by its generator parameters and the source of ``sample_data/``: change
either and it is made again. A *region* sample is a slice of the England sample (every feed
file cut to a sixth of the sites and their councils), the middle of the three system sizes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from sample_data.generator import GeneratorConfig

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "cache"
#: the last moment of every bench history (fixed, so caches stay valid); fresh censuses follow
HISTORY_END = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
CENSUS_TIMES = ("08:00",)  # one census a day keeps a year's load within the run's budget
BED_INTERVAL_MINUTES = 240
REGION_SHARE = 6  # the region is one sixth of England's sites
SAMPLE_FORMAT = 1


class ManifestEntry(NamedTuple):
    feed: str
    path: Path
    snapshot_at: datetime


@dataclass
class Manifest:
    """A generated sample's ``manifest.json``, read without importing the generator (so the
    harness keeps working on its cached samples while ``sample_data`` is being changed)."""

    root: Path
    params: dict[str, Any]
    files: list[ManifestEntry]
    reference: list[Path]
    rows: dict[str, int]

    def __iter__(self) -> Iterator[ManifestEntry]:
        return iter(self.files)

    def __len__(self) -> int:
        return len(self.files)

    def of_feed(self, feed: str) -> list[ManifestEntry]:
        return [entry for entry in self.files if entry.feed == feed]

    @classmethod
    def read(cls, root: Path) -> Manifest:
        document = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
        files = [
            ManifestEntry(f["feed"], root / f["path"], datetime.fromisoformat(f["snapshot_at"]))
            for f in document["files"]
        ]
        reference = [root / p for p in document["reference"]]
        return cls(root, document["params"], files, reference, document.get("rows", {}))

    def write(self) -> None:
        document = {
            "format": 1,
            "generator": "homeward bench (a slice of a generated sample)",
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
        (self.root / "manifest.json").write_text(json.dumps(document, indent=1) + "\n")


@dataclass(frozen=True)
class SampleSpec:
    """What to generate: ``history_days`` of history, then ``fresh_days`` of new censuses."""

    name: str
    scale: str  # ics | england | region (a slice of the England sample ``region_of``)
    history_days: int
    fresh_days: int
    region_of: str = ""

    @property
    def generator_scale(self) -> str:
        return "england" if self.scale == "region" else self.scale

    def params(self) -> dict[str, Any]:
        """What decides the sample's content (with the generator's code)."""
        return {
            "seed": 42,
            "scale": self.scale,
            "region_of": self.region_of,
            "region_share": REGION_SHARE if self.scale == "region" else None,
            "days": self.history_days + self.fresh_days,
            "end": (HISTORY_END + timedelta(days=self.fresh_days)).isoformat(),
            "census_times": list(CENSUS_TIMES),
            "bed_interval_minutes": BED_INTERVAL_MINUTES,
            "format": SAMPLE_FORMAT,
        }

    def config(self) -> GeneratorConfig:
        from sample_data.generator import GeneratorConfig

        return GeneratorConfig(
            seed=42,
            scale=self.generator_scale,  # type: ignore[arg-type]
            days=self.history_days + self.fresh_days,
            end=HISTORY_END + timedelta(days=self.fresh_days),
            census_times=CENSUS_TIMES,
            bed_interval_minutes=BED_INTERVAL_MINUTES,
            save_state=False,
        )


def source_hash(*folders: str) -> str:
    """A short hash of the Python source of ``folders`` (relative to the repository)."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".csv", ".toml", ".json"):
                digest.update(path.relative_to(ROOT).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def sample_key(spec: SampleSpec) -> str:
    """The key of a sample: its parameters (not the generator's source, so that a loaded
    store stays valid while the generator is worked on; ``--reload`` makes everything again)."""
    return hashlib.sha256(json.dumps(spec.params(), sort_keys=True).encode()).hexdigest()[:12]


@dataclass
class Sample:
    spec: SampleSpec
    key: str
    manifest: Manifest
    generated_seconds: float | None  # None: taken from the cache

    @property
    def root(self) -> Path:
        return self.manifest.root

    def history(self, days: int | None = None) -> list[ManifestEntry]:
        """The files of the last ``days`` days of history (all of it when None)."""
        start = HISTORY_END - timedelta(days=days) if days else datetime.min.replace(tzinfo=UTC)
        return [e for e in self.manifest if start < e.snapshot_at <= HISTORY_END]

    def fresh(self, feed: str = "patients") -> list[ManifestEntry]:
        """The files after the history, oldest first."""
        return [e for e in self.manifest.of_feed(feed) if e.snapshot_at > HISTORY_END]

    def patient_files(self, until: datetime) -> list[Path]:
        return [e.path for e in self.manifest.of_feed("patients") if e.snapshot_at <= until]


def ensure_sample(spec: SampleSpec, log: Callable[[str], None] = print) -> Sample:
    """The cached sample of ``spec``, generated first when missing or out of date."""
    key = sample_key(spec)
    folder = CACHE / "samples" / f"{spec.name}-{key}"
    if (folder / "manifest.json").exists():
        return Sample(spec, key, Manifest.read(folder), None)
    for old in (CACHE / "samples").glob(f"{spec.name}-*"):
        shutil.rmtree(old, ignore_errors=True)
    started = time.perf_counter()
    partial = folder.with_name(folder.name + ".part")
    shutil.rmtree(partial, ignore_errors=True)
    if spec.scale == "region":
        england = ensure_sample(
            SampleSpec(spec.region_of, "england", spec.history_days, spec.fresh_days), log
        )
        log(f"cutting the region sample out of {england.root.name}")
        _cut_region(england.manifest, partial)
    else:
        log(f"generating {spec.name}: {spec.scale}, {spec.history_days}+{spec.fresh_days} days")
        last = [0.0]

        def progress(done: int, total: int) -> None:
            if time.perf_counter() - last[0] > 30:
                last[0] = time.perf_counter()
                log(f"  {spec.name}: {done}/{total} files")

        from sample_data.generator import generate

        generate(partial, spec.config(), progress)
    partial.rename(folder)
    manifest = Manifest.read(folder)
    return Sample(spec, key, manifest, time.perf_counter() - started)


def _cut_region(england: Manifest, out: Path) -> None:
    """Write the files of ``england`` cut to a sixth of its sites and their councils."""
    first_census = england.of_feed("patients")[0].path
    with first_census.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sites = sorted({r["site_code"] for r in rows})
    kept_sites = set(sites[: max(1, len(sites) // REGION_SHARE)])
    kept_councils = {
        r["local_authority_code"]
        for r in rows
        if r["site_code"] in kept_sites and r["local_authority_code"]
    }
    files: list[ManifestEntry] = []
    rows_written: dict[str, int] = {}
    for entry in england:
        target = out / entry.path.relative_to(england.root)
        column, keep = (
            ("site_code", kept_sites)
            if entry.feed in ("patients", "beds")
            else ("local_authority_code", kept_councils)
        )
        rows_written[entry.feed] = rows_written.get(entry.feed, 0) + _filter_csv(
            entry.path, target, column, keep
        )
        files.append(ManifestEntry(entry.feed, target, entry.snapshot_at))
    reference = []
    for path in england.reference:
        target = out / path.relative_to(england.root)
        column, keep = (
            ("site_code", kept_sites)
            if path.name == "sites.csv"
            else ("local_authority_code", kept_councils)
        )
        _filter_csv(path, target, column, keep)
        reference.append(target)
    Manifest(
        out, {**england.params, "region_of": england.root.name}, files, reference, rows_written
    ).write()


def _filter_csv(source: Path, target: Path, column: str, keep: set[str]) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    written = 0
    with (
        source.open(newline="", encoding="utf-8") as src,
        target.open("w", newline="", encoding="utf-8") as dst,
    ):
        reader = csv.reader(src)
        writer = csv.writer(dst, lineterminator="\n")
        header = next(reader)
        writer.writerow(header)
        index = header.index(column)
        for row in reader:
            if row[index] in keep:
                writer.writerow(row)
                written += 1
    return written
