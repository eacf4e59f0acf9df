"""A 50 MB batch loads with bounded memory (SQLite only: it is about the reader, not the store)."""

from __future__ import annotations

import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.loader import load_batch
from models import BedSnapshot

HEADER = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,"
    "escalation_beds_open,beds_occupied,beds_closed\n"
)
WARDS = 100
TARGET_BYTES = 50 * 2**20
PEAK_LIMIT = 150 * 2**20


def write_history(path: Path) -> int:
    """Bed snapshots of 100 wards every 15 minutes, back in time, until the file is 50 MB."""
    names = [f"Ward {w:03d} — " + "Elderly care and general medicine; " * 4 for w in range(WARDS)]
    start = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)
    rows = 0
    size = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        size += fh.write(HEADER)
        step = 0
        while size < TARGET_BYTES:
            at = (start - timedelta(minutes=15 * step)).isoformat()
            lines = [
                f"{at},RXA01,W{w:03d},{names[w]},general_acute,20,2,{(w + step) % 23},0\n"
                for w in range(WARDS)
            ]
            size += fh.write("".join(lines))
            rows += WARDS
            step += 1
    return rows


@pytest.mark.slow
def test_a_50_mb_file_loads_with_bounded_memory(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the reader's memory is the point; SQLite is enough")
    path = tmp_path / "beds_history.csv"
    rows = write_history(path)
    assert path.stat().st_size >= TARGET_BYTES
    tracemalloc.start()
    try:
        summary = load_batch("beds", path, engine=engine)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (summary.status, summary.rows_in, summary.rows_loaded) == ("succeeded", rows, rows)
    assert session.scalar(select(func.count()).select_from(BedSnapshot)) == rows
    assert peak < PEAK_LIMIT, f"peak traced memory {peak / 2**20:.0f} MB"
