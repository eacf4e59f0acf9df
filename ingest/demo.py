"""Prepare the demo store: migrate, generate the synthetic system and load it through the
real ingest path (what `make run` does before serving)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy import func, select

from app import migrations
from app.config import Settings
from app.db import get_engine, reset_caches, session_scope
from ingest.loader import load_batch
from ingest.reference import sync_reason_catalogue
from ingest.registry import load_reference_dir
from ingest.simulator import state_file
from ingest.sources.folder import ensure_folders
from models import Base, IngestRun


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
