"""The demo, an entry point beside ``app.main`` and ``app.cli``: it joins the synthetic system
(``sample_data``) to the write side (``ingest``), which never import each other.

:func:`prepare_demo` migrates, generates the synthetic system and loads it through the real
ingest path (what `make run` does before serving); :func:`tick` keeps it live, writing feed
files into the drop folders every interval, which the folder scan then loads like any other
delivery; :func:`simulator_jobs` is that tick as a scheduler job."""

from __future__ import annotations

import json
import logging
import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from app.core import migrations
from app.core.config import Settings
from app.core.db import get_engine, reset_caches, session_scope
from ingest.loader import load_batch
from ingest.reference import sync_reason_catalogue
from ingest.registry import load_reference_dir
from ingest.scheduler import ExtraJob
from ingest.sources import folder
from ingest.sources.folder import ensure_folders
from models import Base, IngestRun

log = logging.getLogger(__name__)
_lock = threading.Lock()
_cache: dict[Path, object] = {}


def state_file(settings: Settings) -> Path:
    return settings.demo_dir / "state.pkl"


def tick(settings: Settings, now: datetime | None = None) -> str | None:
    """Advance the simulated system to now, drop its feed files, and load them."""
    from sample_data.generator import LiveSimulator

    path = state_file(settings)
    if not path.exists():
        log.warning("no simulator state at %s: run `homeward demo` first", path)
        return None
    with _lock:
        simulator = _cache.get(path)
        if simulator is None:
            simulator = LiveSimulator.load(path)
            _cache[path] = simulator
        assert isinstance(simulator, LiveSimulator)
        written = simulator.tick(now or datetime.now(UTC), settings.feeds_dir / "inbox")
        simulator.save(path)
    result = folder.scan_all(settings.feeds_dir, settle_seconds=0)
    return f"simulator wrote {len(written)} files; loaded {len(result.summaries)}"


def simulator_jobs(settings: Settings) -> list[ExtraJob]:
    """The scheduler job that keeps the demo system live (none unless the simulator is on)."""
    if not settings.simulator:
        return []
    interval = settings.simulator_interval_seconds
    return [ExtraJob("simulator", lambda: tick(settings), interval, grace=interval)]


def _marker(settings: Settings) -> Path:
    return settings.demo_dir / "loaded.json"


def _store_has_data() -> bool:
    with session_scope() as session:
        return bool(session.scalar(select(func.count()).select_from(IngestRun)))


def _wipe() -> None:
    engine = get_engine()
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())


def prepare_demo(
    settings: Settings, *, days: int = 120, reset: bool = False, console: Console | None = None
) -> None:
    """Make the demo store ready; reuses a previous load unless ``reset``."""
    from sample_data.generator import GeneratorConfig, generate

    console = console or Console(stderr=True)
    migrations.upgrade(settings.database_url)
    reset_caches()
    with session_scope() as session:
        sync_reason_catalogue(session)
    ensure_folders(settings.feeds_dir)

    marker = _marker(settings)
    if not reset and marker.exists() and state_file(settings).exists() and _store_has_data():
        info = json.loads(marker.read_text())
        console.print(f"using the demo store loaded {info['loaded_at']} (--reset to start again)")
        return

    if _store_has_data():
        console.print("clearing the previous demo store")
        _wipe()
    sample_dir = settings.demo_dir / "sample"
    shutil.rmtree(sample_dir, ignore_errors=True)
    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    # The history is loaded with two censuses a day and 4-hourly bed state so that a fresh
    # machine is serving within a few minutes; the live simulator then delivers every minute.
    config = GeneratorConfig(
        seed=42,
        scale="ics",
        days=days,
        end=end,
        census_times=("08:00", "20:00"),
        bed_interval_minutes=240,
    )
    progress = Progress(
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )
    with progress:
        task = progress.add_task("generating the sample system", total=None)
        manifest = generate(
            sample_dir, config, progress=lambda d, t: progress.update(task, completed=d, total=t)
        )
        with session_scope() as session:
            load_reference_dir(session, sample_dir / "reference")
        files = manifest.files
        task = progress.add_task("loading feeds (ingest)", total=len(files))
        quarantined = 0
        for entry in files:
            summary = load_batch(
                entry.feed,
                Path(entry.path),
                source_kind="folder",
                source_name="demo history",
                file_name=Path(entry.path).name,
                fmt="csv",
            )
            quarantined += summary.rows_quarantined
            progress.advance(task)
    settings.demo_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sample_dir / "state.pkl", state_file(settings))
    marker.write_text(
        json.dumps(
            {
                "loaded_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "history_end": end.isoformat(),
                "days": days,
                "files": len(files),
                "rows_quarantined": quarantined,
            }
        )
    )
    console.print(
        f"loaded {len(files)} feed files ({days} days up to {end:%Y-%m-%d %H:%M} UTC); "
        f"{quarantined} rows quarantined"
    )
