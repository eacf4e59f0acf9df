"""The feed scheduler (APScheduler 3.11): drop-folder scans, HTTP pulls, the jobs an entry
point adds (the demo simulator), and a heartbeat so the pages can tell when the scheduler
itself has stopped.

Two ways to run it (DESIGN.md §6): embedded in the web process (``HOMEWARD_RUN_SCHEDULER=true``,
the single-machine default of ``make run``) or as its own process (``homeward scheduler``) next
to several web workers. Either way each job takes a lock first — a PostgreSQL advisory lock,
or a file lock for SQLite — so two processes never run the same job at once.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from filelock import FileLock, Timeout
from sqlalchemy import delete, text

from app.core.config import HEARTBEAT_INTERVAL_SECONDS, Settings, get_settings
from app.core.db import get_engine, get_sessionmaker
from app.core.feed_config import get_feed_config
from ingest.loader import mark_abandoned_runs
from ingest.sources import folder, http
from models import SchedulerHeartbeat, SchedulerJobRun

log = logging.getLogger(__name__)
SKIPPED = "skipped: another process holds the lock"


@contextmanager
def job_lock(job_id: str, settings: Settings) -> Iterator[bool]:
    """Try to take the job's lock without waiting; yields whether it was taken."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(f"homeward:{job_id}".encode())
        with engine.connect() as conn:
            taken = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield taken
            finally:
                if taken:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                conn.commit()
        return
    settings.scheduler_lock_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.scheduler_lock_dir / f"{job_id}.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def locked(job_id: str, func: Callable[[], Any], settings: Settings) -> Callable[[], Any]:
    """Wrap a job so it runs only while holding its lock."""

    def run() -> Any:
        with job_lock(job_id, settings) as taken:
            if not taken:
                log.debug("%s %s", job_id, SKIPPED)
                return None
            return func()

    run.__name__ = f"locked_{job_id}"
    return run


def beat(name: str = "scheduler") -> None:
    """Write the heartbeat."""
    with get_sessionmaker()() as session:
        row = session.get(SchedulerHeartbeat, name)
        now = datetime.now(UTC)
        if row is None:
            session.add(
                SchedulerHeartbeat(
                    name=name, beat_at=now, hostname=socket.gethostname(), pid=os.getpid()
                )
            )
        else:
            row.beat_at, row.hostname, row.pid = now, socket.gethostname(), os.getpid()
        session.commit()


def scan_folders(settings: Settings) -> str | None:
    """Load whatever waits in the drop folders."""
    result = folder.scan_all(settings.feeds_dir)
    if not result.summaries and not result.left_in_inbox:
        return None
    loaded = sum(1 for s in result.summaries if s.status == "succeeded")
    failed = sum(1 for s in result.summaries if s.status == "failed")
    message = f"{len(result.summaries)} files: {loaded} loaded, {failed} failed"
    if result.left_in_inbox:
        message += f"; {len(result.left_in_inbox)} left in the inbox (database unavailable)"
        raise RuntimeError(message)
    return message


def prune_job_runs(keep_days: int = 14) -> str:
    cutoff = datetime.now(UTC) - timedelta(days=keep_days)
    with get_sessionmaker()() as session:
        removed = session.execute(
            delete(SchedulerJobRun).where(SchedulerJobRun.started_at < cutoff)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
    return f"pruned {removed} job runs"


def _record(event: JobExecutionEvent) -> None:
    """Record failed and missed runs, and successful runs that did something."""
    if event.code == EVENT_JOB_EXECUTED and not event.retval:
        return
    if event.job_id == "heartbeat" and event.code == EVENT_JOB_EXECUTED:
        return
    status = {EVENT_JOB_ERROR: "failed", EVENT_JOB_MISSED: "missed"}.get(event.code, "succeeded")
    if event.code == EVENT_JOB_ERROR:
        message = f"{type(event.exception).__name__}: {event.exception}"
        log.error("job %s failed: %s", event.job_id, message)
    elif event.code == EVENT_JOB_MISSED:
        message = f"missed its run time {event.scheduled_run_time:%Y-%m-%d %H:%M:%S %Z}"
        log.warning("job %s %s", event.job_id, message)
    else:
        message = str(event.retval)[:2000]
    now = datetime.now(UTC)
    try:
        with get_sessionmaker()() as session:
            session.add(
                SchedulerJobRun(
                    job_id=event.job_id,
                    scheduled_at=event.scheduled_run_time,
                    started_at=now,
                    finished_at=now,
                    status=status,
                    message=message,
                )
            )
            session.commit()
    except Exception:
        log.exception("could not record the run of job %s", event.job_id)


@dataclass(frozen=True)
class ExtraJob:
    """A job an entry point adds to the feed jobs (the demo's simulator)."""

    job_id: str
    func: Callable[[], Any]
    seconds: float
    grace: int


def configure(
    scheduler: BaseScheduler, settings: Settings, extra_jobs: Sequence[ExtraJob] = ()
) -> BaseScheduler:
    """Add every job to a scheduler: the feed jobs, then ``extra_jobs``."""
    config = get_feed_config()
    folder.ensure_folders(settings.feeds_dir)
    abandoned = mark_abandoned_runs()
    if abandoned:
        log.warning("%d ingest runs left running by a stopped process marked failed", abandoned)
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}

    def add(job_id: str, func: Callable[[], Any], seconds: float, grace: int) -> None:
        scheduler.add_job(
            locked(job_id, func, settings),
            "interval",
            seconds=seconds,
            id=job_id,
            name=job_id,
            misfire_grace_time=grace,
            next_run_time=datetime.now(UTC),
            **common,
        )

    add("heartbeat", beat, HEARTBEAT_INTERVAL_SECONDS, grace=HEARTBEAT_INTERVAL_SECONDS)
    scan_every = config.folders.scan_interval_seconds
    add("scan_folders", lambda: scan_folders(settings), scan_every, grace=int(scan_every * 4))
    for source in config.http_sources:
        seconds = source.interval_minutes * 60
        add(
            f"pull_{source.name}",
            lambda s=source: _describe_pull(http.pull(s)),  # type: ignore[misc]
            seconds,
            grace=max(60, int(seconds / 2)),
        )
    for job in extra_jobs:
        add(job.job_id, job.func, job.seconds, grace=job.grace)
    add("prune_job_runs", prune_job_runs, 24 * 3600, grace=3600)
    scheduler.add_listener(_record, EVENT_JOB_ERROR | EVENT_JOB_EXECUTED | EVENT_JOB_MISSED)
    return scheduler


def _describe_pull(result: http.PullResult) -> str | None:
    if result.status == "not_modified":
        return None
    if result.status == "failed":
        raise RuntimeError(result.error)
    summary = result.summary
    assert summary is not None
    return (
        f"{result.source}: run {summary.run_id} {summary.status}, {summary.rows_loaded} loaded, "
        f"{summary.rows_quarantined} quarantined"
    )


def start_embedded_scheduler(
    settings: Settings | None = None, extra_jobs: Sequence[ExtraJob] = ()
) -> BackgroundScheduler:
    """Start the scheduler in a background thread of the web process."""
    settings = settings or get_settings()
    scheduler = BackgroundScheduler(timezone=UTC)
    configure(scheduler, settings, extra_jobs)
    scheduler.start()
    log.info("embedded scheduler started (feeds in %s)", Path(settings.feeds_dir).resolve())
    return scheduler


def run_blocking(settings: Settings | None = None, extra_jobs: Sequence[ExtraJob] = ()) -> None:
    """Run the scheduler as its own process until interrupted (``homeward scheduler``)."""
    settings = settings or get_settings()
    scheduler = BlockingScheduler(timezone=UTC)
    configure(scheduler, settings, extra_jobs)
    log.info("scheduler process started (feeds in %s)", Path(settings.feeds_dir).resolve())
    with suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()
