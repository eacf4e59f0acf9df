"""The feed scheduler (APScheduler 3.11): drop-folder scans, HTTP pulls, the jobs an entry
point adds (the demo simulator), and a heartbeat so the pages can tell when the scheduler
itself has stopped.

Two ways to run it (DESIGN.md §6): embedded in the web process (``HOMEWARD_RUN_SCHEDULER=true``,
the single-machine default of ``make run``) or as its own process (``homeward scheduler``) next
to several web workers.

One scheduler, really: a scheduler runs its jobs only while it is the **leader**
(:class:`Leadership` — a PostgreSQL session-level advisory lock on a connection of its own,
held for the process's life; a file lock on SQLite). A second scheduler started by mistake
is a standby: each of its ticks tries the lock, so it takes over within one heartbeat
interval of the leader's death. Every job's ticks fall on one grid (:data:`TICK_ANCHOR` plus
whole intervals), whoever schedules them, and each tick is claimed in ``scheduler_job_runs``
(unique job and tick) before it runs: a tick already run is never run again, even across a
takeover. A per-job lock still keeps two runs of one job from overlapping. The heartbeat job
also sweeps ingest runs whose lease expired (:func:`ingest.run_records.mark_abandoned_runs`).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.events import (
    EVENT_JOB_MISSED,
    JobExecutionEvent,
)
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from filelock import FileLock, Timeout
from sqlalchemy import Connection, Engine, delete, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.core.config import HEARTBEAT_INTERVAL_SECONDS, Settings, get_settings
from app.core.db import get_engine, get_sessionmaker
from app.core.feed_config import get_feed_config
from ingest.loader import mark_abandoned_runs
from ingest.retention import apply_retention
from ingest.run_records import describe_error
from ingest.sources import folder, http
from models import SchedulerHeartbeat, SchedulerJobRun

log = logging.getLogger(__name__)
SKIPPED = "skipped: another process holds the lock"
#: every job's ticks are this instant plus whole intervals, in every scheduler process
TICK_ANCHOR = datetime(2026, 1, 1, tzinfo=UTC)
LEADER_KEY = zlib.crc32(b"homeward:scheduler-leader")
IDLE_KEPT = timedelta(days=1)  # ticks that had nothing to do are pruned after this
Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


class JobFailed(RuntimeError):
    """A job's failure in Homeward's own words (recorded as written)."""


class Leadership:
    """The scheduler leader's lock, taken without waiting and then held for the process's
    life: a PostgreSQL session-level advisory lock on a dedicated connection (released by
    the server when that session ends — the process died, or its connection did), or a file
    lock in ``lock_dir`` on SQLite (released by the operating system when the process dies).
    """

    def __init__(self, engine: Engine, lock_dir: Path) -> None:
        self.engine = engine
        self.lock_dir = lock_dir
        self._conn: Connection | None = None
        self._file: FileLock | None = None
        self.held = False
        # the jobs ask from the scheduler's worker threads, several at once: one at a time
        # on the one connection (or file lock) the process holds
        self._guard = threading.RLock()

    def acquire(self) -> bool:
        """Whether this process leads now: keep the lock, or try once to take it."""
        with self._guard:
            if self.held and self._still_held():
                return True
            self.held = False
            try:
                self.held = self._take()
            except SQLAlchemyError as exc:
                log.warning("scheduler leadership not taken: %s", describe_error(exc))
                self._drop_connection()
            return self.held

    def release(self) -> None:
        """Give the lock up (a clean shutdown; death releases it as well)."""
        with self._guard:
            self._release()

    def _release(self) -> None:
        if self._file is not None:
            self._file.release(force=True)
            self._file = None
        if self._conn is not None:
            with suppress(SQLAlchemyError):
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_KEY})
                self._conn.commit()
        self._drop_connection()
        self.held = False

    def _take(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            self.lock_dir.mkdir(parents=True, exist_ok=True)
            # held by the process, not the thread that took it: the jobs run in other threads
            self._file = self._file or FileLock(
                str(self.lock_dir / "scheduler-leader.lock"), thread_local=False
            )
            try:
                self._file.acquire(timeout=0)
            except Timeout:
                return False
            return True
        if self._conn is None:
            self._conn = self.engine.connect()
            # the server notices a vanished leader host within ~25 s, not hours
            for setting, value in (("idle", 10), ("interval", 5), ("count", 3)):
                self._conn.execute(text(f"SET tcp_keepalives_{setting} = {value}"))
        taken = self._conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_KEY})
        held = bool(taken.scalar())
        self._conn.commit()  # a session-level lock outlives the transaction
        return held

    def _still_held(self) -> bool:
        if self._conn is None:
            return self._file is not None and self._file.is_locked
        try:
            self._conn.execute(text("SELECT 1")).scalar()
            self._conn.commit()
            return True
        except SQLAlchemyError:
            log.warning("scheduler leadership lost: its database session ended")
            self._drop_connection()
            return False

    def _drop_connection(self) -> None:
        if self._conn is not None:
            with suppress(Exception):
                self._conn.invalidate()
                self._conn.close()
            self._conn = None


def tick_of(now: datetime, seconds: float) -> datetime:
    """The scheduled tick ``now`` falls in: :data:`TICK_ANCHOR` plus whole intervals."""
    whole = int((now - TICK_ANCHOR).total_seconds() // seconds)
    return TICK_ANCHOR + timedelta(seconds=whole * seconds)


def claim_tick(job_id: str, tick: datetime, now: datetime) -> int | None:
    """Record that ``job_id`` runs its ``tick``; None when that tick was already claimed."""
    try:
        with get_sessionmaker()() as session:
            row = SchedulerJobRun(
                job_id=job_id, scheduled_at=tick, started_at=now, status="running"
            )
            session.add(row)
            session.commit()
            return row.id
    except IntegrityError:
        return None


def finish_tick(row_id: int, status: str, message: str | None, now: datetime) -> None:
    with get_sessionmaker()() as session:
        session.execute(
            update(SchedulerJobRun)
            .where(SchedulerJobRun.id == row_id)
            .values(status=status, message=message, finished_at=now)
        )
        session.commit()


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


def locked(
    job_id: str,
    func: Callable[[], Any],
    settings: Settings,
    *,
    seconds: float | None = None,
    leadership: Leadership | None = None,
    clock: Clock = _utc_now,
) -> Callable[[], Any]:
    """Wrap a job: only the leader runs it, under its lock, once per tick of ``seconds``.

    The run's outcome is recorded on its tick's row: ``succeeded`` with what it did,
    ``idle`` when it had nothing to do, or ``failed`` with :class:`JobFailed`'s words or the
    error's class (:func:`describe_error`: never a driver's text, which quotes parameters).
    """

    def run() -> Any:
        if leadership is not None and not leadership.acquire():
            log.debug("%s skipped: this scheduler is a standby", job_id)
            return None
        with job_lock(job_id, settings) as taken:
            if not taken:
                log.debug("%s %s", job_id, SKIPPED)
                return None
            if seconds is None:
                return func()
            return _run_tick(job_id, func, tick_of(clock(), seconds), clock)

    run.__name__ = f"locked_{job_id}"
    return run


def _run_tick(job_id: str, func: Callable[[], Any], tick: datetime, clock: Clock) -> Any:
    row_id = claim_tick(job_id, tick, clock())
    if row_id is None:
        log.info("%s: the tick of %s has already run", job_id, f"{tick:%Y-%m-%d %H:%M:%S}")
        return None
    try:
        result = func()
    except Exception as exc:
        message = str(exc) if isinstance(exc, JobFailed) else describe_error(exc)
        log.error("job %s failed: %s", job_id, message)
        finish_tick(row_id, "failed", message[:2000], clock())
        return None
    status = "succeeded" if result else "idle"
    finish_tick(row_id, status, str(result)[:2000] if result else None, clock())
    return result


def heartbeat() -> str | None:
    """Beat, then mark abandoned the ingest runs whose lease expired."""
    beat()
    abandoned = mark_abandoned_runs()
    return (
        f"{abandoned} ingest runs abandoned by a stopped process marked failed"
        if abandoned
        else None
    )


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
        raise JobFailed(message)
    return message


def prune_job_runs(keep_days: int = 14) -> str:
    now = datetime.now(UTC)
    old = SchedulerJobRun.started_at < now - timedelta(days=keep_days)
    idle = (SchedulerJobRun.status == "idle") & (SchedulerJobRun.started_at < now - IDLE_KEPT)
    with get_sessionmaker()() as session:
        removed = session.execute(delete(SchedulerJobRun).where(old | idle)).rowcount  # type: ignore[attr-defined]
        session.commit()
    return f"pruned {removed} job runs"


def retention(settings: Settings) -> str:
    """Old processed files and superseded capacity snapshots go (ingest/retention.py)."""
    with get_sessionmaker()() as session:
        result = apply_retention(
            session,
            settings.feeds_dir,
            processed_days=settings.processed_retention_days,
            snapshot_days=settings.snapshot_retention_days,
            now=datetime.now(UTC),
        )
    return result.describe()


def _record(event: JobExecutionEvent) -> None:
    """Record a missed tick (the runs themselves are recorded by :func:`locked`)."""
    if event.code != EVENT_JOB_MISSED:
        return
    message = f"missed its run time {event.scheduled_run_time:%Y-%m-%d %H:%M:%S %Z}"
    log.warning("job %s %s", event.job_id, message)
    now = datetime.now(UTC)
    try:
        with get_sessionmaker()() as session:
            session.add(
                SchedulerJobRun(
                    job_id=event.job_id,
                    scheduled_at=event.scheduled_run_time,
                    started_at=now,
                    finished_at=now,
                    status="missed",
                    message=message,
                )
            )
            session.commit()
    except IntegrityError:
        pass  # that tick ran after all, in another scheduler
    except Exception as exc:
        log.error(
            "could not record the missed run of job %s: %s", event.job_id, describe_error(exc)
        )


@dataclass(frozen=True)
class ExtraJob:
    """A job an entry point adds to the feed jobs (the demo's simulator)."""

    job_id: str
    func: Callable[[], Any]
    seconds: float
    grace: int


def configure(
    scheduler: BaseScheduler,
    settings: Settings,
    extra_jobs: Sequence[ExtraJob] = (),
    leadership: Leadership | None = None,
) -> BaseScheduler:
    """Add every job to a scheduler: the feed jobs, then ``extra_jobs``; each runs only
    while ``leadership`` is held (one is made for the process when none is given)."""
    config = get_feed_config()
    folder.ensure_folders(settings.feeds_dir)
    leadership = leadership or Leadership(get_engine(), settings.scheduler_lock_dir)
    if not leadership.acquire():
        log.warning("another scheduler leads: this one waits as a standby and takes over")
    mark_abandoned_runs()
    common: dict[str, Any] = {"max_instances": 1, "coalesce": True, "replace_existing": True}

    def add(job_id: str, func: Callable[[], Any], seconds: float, grace: int) -> None:
        scheduler.add_job(
            locked(job_id, func, settings, seconds=seconds, leadership=leadership),
            "interval",
            seconds=seconds,
            start_date=TICK_ANCHOR,  # the same ticks in every scheduler process
            id=job_id,
            name=job_id,
            misfire_grace_time=grace,
            next_run_time=datetime.now(UTC),  # the current tick at once, unless already run
            **common,
        )

    add("heartbeat", heartbeat, HEARTBEAT_INTERVAL_SECONDS, grace=HEARTBEAT_INTERVAL_SECONDS)
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
    add("retention", lambda: retention(settings), 24 * 3600, grace=3600)
    scheduler.add_listener(_record, EVENT_JOB_MISSED)
    return scheduler


def _describe_pull(result: http.PullResult) -> str | None:
    if result.status == "not_modified":
        return None
    if result.status == "failed":
        raise JobFailed(result.error)
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
    leadership = Leadership(get_engine(), settings.scheduler_lock_dir)
    configure(scheduler, settings, extra_jobs, leadership)
    log.info("scheduler process started (feeds in %s)", Path(settings.feeds_dir).resolve())
    try:
        with suppress(KeyboardInterrupt, SystemExit):
            scheduler.start()
    finally:
        leadership.release()
