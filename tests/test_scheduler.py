"""Scheduler: job locks (file lock on SQLite, advisory lock on PostgreSQL), heartbeat, recorded
failures and misses, and the job options the issue asks for."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics.freshness import scheduler_status
from ingest import scheduler
from models import SchedulerHeartbeat, SchedulerJobRun


def test_only_one_holder_of_a_job_lock(engine: Engine) -> None:
    settings = get_settings()
    inside = threading.Event()
    release = threading.Event()
    results: list[bool] = []

    def holder() -> None:
        with scheduler.job_lock("scan_folders", settings) as taken:
            results.append(taken)
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=holder)
    thread.start()
    assert inside.wait(10)
    with scheduler.job_lock("scan_folders", settings) as second:
        assert second is False  # another holder: skip, never wait
    with scheduler.job_lock("other_job", settings) as other:
        assert other is True  # locks are per job
    release.set()
    thread.join()
    assert results == [True]
    with scheduler.job_lock("scan_folders", settings) as again:
        assert again is True  # released after the holder finished


def test_locked_job_is_skipped_while_another_runs(engine: Engine) -> None:
    settings = get_settings()
    calls: list[str] = []
    job = scheduler.locked("simulator", lambda: calls.append("ran") or "ran", settings)
    with scheduler.job_lock("simulator", settings):
        assert job() is None
    assert job() == "ran"
    assert calls == ["ran"]


def test_heartbeat_written_and_read(session: Session, engine: Engine) -> None:
    scheduler.beat()
    scheduler.beat()  # updates, not a second row
    beats = session.scalars(select(SchedulerHeartbeat)).all()
    assert len(beats) == 1
    assert scheduler_status(session)[0].state == "running"
    later = datetime.now(UTC) + timedelta(minutes=20)
    assert scheduler_status(session, later)[0].state == "stopped"


def test_failed_and_missed_runs_are_recorded(session: Session, engine: Engine) -> None:
    when = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    settings = get_settings()

    def broken() -> None:
        raise OSError("disk full at /secret/row-value")

    job = scheduler.locked("scan_folders", broken, settings, seconds=60, clock=lambda: when)
    assert job() is None  # recorded, not raised to APScheduler (whose log quotes the text)
    scheduler._record(JobExecutionEvent(EVENT_JOB_MISSED, "pull_x", "default", when))
    runs = session.scalars(select(SchedulerJobRun).order_by(SchedulerJobRun.id)).all()
    assert [(r.job_id, r.status, r.scheduled_at) for r in runs] == [
        ("scan_folders", "failed", when),
        ("pull_x", "missed", when),
    ]
    # the class only: an exception's text may quote a row
    assert (runs[0].message or "").startswith("OSError: an unexpected error stopped the load")
    assert "missed its run time 2026-11-20 09:00:00" in (runs[1].message or "")


def test_jobs_have_safe_options(engine: Engine, tmp_path: Path) -> None:
    sched = BackgroundScheduler(timezone=UTC)
    leadership = scheduler.Leadership(engine, tmp_path / "locks")
    try:
        scheduler.configure(sched, get_settings(), leadership=leadership)
    finally:
        leadership.release()
    jobs = {job.id: job for job in sched.get_jobs()}
    assert {"heartbeat", "scan_folders", "prune_job_runs"} <= set(jobs)
    for job in jobs.values():
        assert job.max_instances == 1
        assert job.coalesce is True
        assert job.misfire_grace_time and job.misfire_grace_time >= 20
    # every scheduler's ticks fall on one grid: 10:00:07 → the heartbeat's next at 10:00:20
    at = datetime(2026, 12, 4, 10, 0, 7, tzinfo=UTC)
    trigger = jobs["heartbeat"].trigger
    assert trigger.get_next_fire_time(None, at) == datetime(2026, 12, 4, 10, 0, 20, tzinfo=UTC)


def test_tick_of_a_grid_anchored_at_new_year() -> None:
    # 2026-12-04 10:00:07 is 337 days, 10 h and 7 s after 2026-01-01 00:00 UTC: its 20 s tick
    # starts at 10:00:00; its daily tick at midnight
    at = datetime(2026, 12, 4, 10, 0, 7, tzinfo=UTC)
    assert scheduler.tick_of(at, 20) == datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
    assert scheduler.tick_of(at, 86_400) == datetime(2026, 12, 4, tzinfo=UTC)
    assert scheduler.tick_of(at, 15) == datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)
