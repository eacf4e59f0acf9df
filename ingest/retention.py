"""Retention: what the store and the drop folders keep, run daily by the scheduler.

Two rules, each a setting (0 turns it off):

- ``HOMEWARD_PROCESSED_RETENTION_DAYS``: a file in ``processed/<feed>/`` older than this
  (by modification time, i.e. when it was loaded) is deleted. Its rows are in the store and
  its run keeps its name and content hash, so a redelivery is still seen as a duplicate.
  ``failed/`` is never emptied: a person must look at those files.
- ``HOMEWARD_SNAPSHOT_RETENTION_DAYS``: capacity snapshots (beds, care homes, home care) on
  Europe/London days that ended more than this many days ago are thinned to the **latest
  snapshot of each unit (ward, home and care type, provider and zone) on each day**. Every
  metric of a past day reads "each unit's latest snapshot at or before the end of the day"
  (occupancy, P1/P2/P3 supply, the weekly series), which this keeps exactly; only a view of a
  past moment *within* a thinned day falls back to the day before's last snapshot.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from app.domain.days import day_start, local_date
from models import BedSnapshot, CareHomeSnapshot, DomiciliarySnapshot

log = logging.getLogger(__name__)

#: each snapshot table and the columns naming the unit it describes
SNAPSHOT_UNITS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (BedSnapshot, ("ward_id",)),
    (CareHomeSnapshot, ("cqc_location_id", "care_type")),
    (DomiciliarySnapshot, ("provider_id", "zone")),
)


@dataclass(frozen=True)
class RetentionResult:
    files_removed: int
    bytes_removed: int
    snapshots_removed: int

    def describe(self) -> str:
        return (
            f"removed {self.files_removed} processed files "
            f"({self.bytes_removed / 1_000_000:.1f} MB) and {self.snapshots_removed} "
            "superseded capacity snapshots"
        )


def remove_processed_files(feeds_dir: Path, *, keep_days: int, now: datetime) -> tuple[int, int]:
    """Delete files under ``feeds_dir/processed/`` last modified more than ``keep_days`` ago;
    return (files, bytes) removed. ``keep_days`` 0 keeps everything."""
    if keep_days <= 0:
        return 0, 0
    processed = feeds_dir / "processed"
    if not processed.is_dir():
        return 0, 0
    cutoff = now.timestamp() - keep_days * 86_400
    files = size = 0
    for path in processed.rglob("*"):
        try:
            stat = path.stat()
            if not path.is_file() or stat.st_mtime >= cutoff:
                continue
            path.unlink()
        except FileNotFoundError:
            continue  # removed meanwhile
        files += 1
        size += stat.st_size
    return files, size


def thin_snapshots(session: Session, *, keep_days: int, now: datetime) -> int:
    """Keep, for local days ending more than ``keep_days`` ago, only the latest snapshot of
    each unit and day; return the rows deleted (committed day by day). 0 keeps everything."""
    if keep_days <= 0:
        return 0
    first_kept_day = local_date(now) - timedelta(days=keep_days)
    removed = 0
    for model, unit in SNAPSHOT_UNITS:
        oldest = session.scalar(select(func.min(model.snapshot_at)))
        if oldest is None:
            continue
        day: date = local_date(oldest)
        while day < first_kept_day:
            start, end = day_start(day), day_start(day + timedelta(days=1))
            later = aliased(model)
            latest_of_day = (
                select(func.max(later.snapshot_at))
                .where(
                    *(getattr(later, column) == getattr(model, column) for column in unit),
                    later.snapshot_at >= start,
                    later.snapshot_at < end,
                )
                .scalar_subquery()
            )
            result = session.execute(
                delete(model)
                .where(
                    model.snapshot_at >= start,
                    model.snapshot_at < end,
                    model.snapshot_at < latest_of_day,
                )
                .execution_options(synchronize_session=False)
            )
            session.commit()
            removed += result.rowcount or 0  # type: ignore[attr-defined]
            day += timedelta(days=1)
    return removed


def apply_retention(
    session: Session,
    feeds_dir: Path,
    *,
    processed_days: int,
    snapshot_days: int,
    now: datetime,
) -> RetentionResult:
    """Both rules, once (the scheduler's daily ``retention`` job)."""
    began = time.monotonic()
    files, size = remove_processed_files(feeds_dir, keep_days=processed_days, now=now)
    snapshots = thin_snapshots(session, keep_days=snapshot_days, now=now)
    result = RetentionResult(files, size, snapshots)
    log.info("retention: %s in %.1f s", result.describe(), time.monotonic() - began)
    return result
