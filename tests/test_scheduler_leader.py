"""One scheduler, really (issue 16, part B): two schedulers in one test, each with its own
engine; only the leader runs jobs; the standby takes over when the leader dies; each tick of a
job runs exactly once, across the takeover."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import make_engine
from ingest import scheduler
from models import SchedulerJobRun

T0 = datetime(2026, 12, 4, 10, 0, 0, tzinfo=UTC)  # on the 20 s grid


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def two(engine: Engine, tmp_path: Path) -> Iterator[tuple[scheduler.Leadership, ...]]:
    """Two schedulers' leaderships, each on an engine of its own (two processes' worth)."""
    url = engine.url.render_as_string(hide_password=False)
    engines = [make_engine(url), make_engine(url)]
    lock_dir = tmp_path / "locks"  # on SQLite both look at the same lock file, as on one host
    pair = tuple(scheduler.Leadership(e, lock_dir) for e in engines)
    yield pair
    for leadership, eng in zip(pair, engines, strict=True):
        leadership.release()
        eng.dispose()


def die(leadership: scheduler.Leadership, engine: Engine) -> None:
    """The leader's process dies: its session ends (PostgreSQL) or its file lock goes (SQLite).

    On PostgreSQL the server is asked to end the leader's session and to answer only once it
    has (``pg_terminate_backend`` with a timeout), so the takeover is not a race.
    """
    if leadership._conn is not None:
        pid = leadership._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        leadership._conn.commit()
        with engine.connect() as other:
            ended = other.execute(text("SELECT pg_terminate_backend(:p, 30000)"), {"p": pid})
            assert ended.scalar() is True
        leadership._conn.invalidate()
        leadership._conn = None
    if leadership._file is not None:
        leadership._file.release(force=True)
    leadership.held = False


def test_only_one_leads_and_the_standby_takes_over(
    engine: Engine, two: tuple[scheduler.Leadership, scheduler.Leadership]
) -> None:
    a, b = two
    assert a.acquire() is True
    assert b.acquire() is False  # a standby while a lives
    assert a.acquire() is True  # held for life: asking again keeps it
    assert b.acquire() is False
    die(a, engine)
    assert b.acquire() is True  # the first try after the leader's death takes over
    assert a.acquire() is False  # a restarted a is now the standby


def test_each_tick_runs_once_across_a_takeover(
    engine: Engine, session: Session, two: tuple[scheduler.Leadership, scheduler.Leadership]
) -> None:
    a, b = two
    settings = get_settings()
    ran: list[tuple[str, datetime]] = []
    clock_a, clock_b = Clock(T0 + timedelta(seconds=1)), Clock(T0 + timedelta(seconds=13))

    def job_of(name: str, clock: Clock) -> object:
        def scan() -> str:
            ran.append((name, scheduler.tick_of(clock(), 20)))
            return f"{name} scanned"

        return scheduler.locked(
            "scan_folders",
            scan,
            settings,
            seconds=20,
            leadership=a if name == "a" else b,
            clock=clock,
        )

    job_a, job_b = job_of("a", clock_a), job_of("b", clock_b)
    assert callable(job_a) and callable(job_b)
    job_a()  # 10:00:01, a leads: runs the 10:00:00 tick
    job_b()  # 10:00:13, out of phase: b is a standby and runs nothing
    die(a, engine)
    job_b()  # 10:00:13, b takes over: the 10:00:00 tick already ran, so nothing runs
    clock_b.now = T0 + timedelta(seconds=21)
    job_b()  # 10:00:21: the 10:00:20 tick, run by b
    job_b()  # a second call in the same tick (a misfire, a restart): not run again
    assert ran == [("a", T0), ("b", T0 + timedelta(seconds=20))]
    rows = session.scalars(select(SchedulerJobRun).order_by(SchedulerJobRun.id)).all()
    assert [(r.job_id, r.scheduled_at, r.status, r.message) for r in rows] == [
        ("scan_folders", T0, "succeeded", "a scanned"),
        ("scan_folders", T0 + timedelta(seconds=20), "succeeded", "b scanned"),
    ]


def test_a_tick_with_nothing_to_do_is_idle_and_hidden(engine: Engine, session: Session) -> None:
    from app.metrics.feed_runs import recent_job_runs

    job = scheduler.locked("heartbeat", lambda: None, get_settings(), seconds=20, clock=Clock(T0))
    job()
    [row] = session.scalars(select(SchedulerJobRun)).all()
    assert (row.status, row.scheduled_at) == ("idle", T0)
    assert recent_job_runs(session) == []  # the pages list what did something


def test_the_leader_taken_in_one_thread_leads_in_the_job_threads(
    two: tuple[scheduler.Leadership, ...],
) -> None:
    """The scheduler takes the lock when it starts (main thread) and runs its jobs in worker
    threads: there it must still lead, or the embedded scheduler of `make run` runs nothing."""
    import threading

    leader, standby = two
    assert leader.acquire()
    seen: list[bool] = []
    workers = [threading.Thread(target=lambda: seen.append(leader.acquire())) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)
    assert seen == [True, True, True]
    assert not standby.acquire()  # and it still excludes the other process
