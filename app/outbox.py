"""The returns outbox, an entry point beside ``app.demo``: a scheduler job that writes each
finished day's acute discharge sitrep and each finished month's discharge-delay measures
(``app.metrics.returns``) as CSV into ``settings.returns_outbox_dir`` for the trust's own
submission process to pick up (docs/returns.md).

It is handed to ``ingest.scheduler`` as an :class:`~ingest.scheduler.ExtraJob`, as the demo's
simulator is, so the write side never imports the read side. Each period's file is written
once: a file already there is left alone (the same file for the same period, whatever the job's
timing), and a file is written under a temporary name and renamed, so the submission process
never picks up half a file.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from app.core.config import Settings
from app.core.db import get_read_sessionmaker
from app.domain.days import zone
from app.metrics import returns
from app.metrics.schemas import ReturnFile
from app.security.csv_safety import to_csv
from ingest.scheduler import ExtraJob

log = logging.getLogger(__name__)


def outbox_name(file: ReturnFile) -> str:
    """The file name of a return: what, which period, which level."""
    return f"homeward_{file.name}_{file.period}_{file.level}.csv"


def write_once(folder: Path, name: str, body: str) -> bool:
    """Write ``body`` to ``folder/name`` atomically unless it exists; whether it was written."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    if target.exists():
        return False
    part = folder / f".{name}.part"
    try:
        with part.open("w", newline="", encoding="utf-8") as fh:
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    return True


def due_periods(now: datetime, ready_at: time) -> tuple[date, str]:
    """The periods whose return is due at ``now``: a day once ``ready_at`` (Europe/London) the
    next day has passed — the morning census has said who left overnight and which DRDs were
    recorded late — and a month once its last day's sitrep is due."""
    local = now.astimezone(zone())
    settled = local.date() if local.time() >= ready_at else local.date() - timedelta(days=1)
    day = settled - timedelta(days=1)
    last_month = settled.replace(day=1) - timedelta(days=1)
    return day, last_month.strftime("%Y-%m")


def write_returns(settings: Settings, now: datetime | None = None) -> str | None:
    """Write the returns due at ``now`` that the outbox does not hold yet; what was written."""
    folder = settings.returns_outbox_dir
    if folder is None:
        return None
    now = now or datetime.now(UTC)
    day, month = due_periods(now, settings.returns_outbox_ready_at)
    level = settings.returns_outbox_level
    with get_read_sessionmaker()() as session:
        files = [
            returns.sitrep(session, day=day, level=level, at=now),
            returns.discharge_delay_measures(session, month=month, level=level, at=now),
        ]
    written = [
        outbox_name(file)
        for file in files
        if write_once(
            folder, outbox_name(file), to_csv(returns.HEADER, returns.csv_cells(file.rows))
        )
    ]
    if not written:
        return None
    log.info("returns outbox: wrote %s", ", ".join(written))
    return f"returns outbox: wrote {', '.join(written)}"


def outbox_jobs(settings: Settings) -> list[ExtraJob]:
    """The scheduler job that fills the returns outbox (none unless a folder is set)."""
    if settings.returns_outbox_dir is None:
        return []
    interval = settings.returns_outbox_interval_minutes * 60
    return [ExtraJob("returns_outbox", lambda: write_returns(settings), interval, grace=interval)]
