"""Faults: a batch that fails half-way, a process killed mid-batch, the database unavailable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from app.core.db import make_engine
from ingest import capacity, loader
from ingest.loader import DatabaseUnavailable, load_batch, mark_abandoned_runs
from models import BedSnapshot, IngestNotice, IngestRun, QuarantinedRow, Site, Ward

ROOT = Path(__file__).resolve().parent.parent
HEADER = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,"
    "escalation_beds_open,beds_occupied,beds_closed\n"
)


def beds_file(rows: int) -> bytes:
    lines = [
        f"2025-01-15T08:00,RXA01,W{i:05d},Ward {i},general_acute,20,2,18,0\n" for i in range(rows)
    ]
    lines.append("2025-01-15T08:00,RXA01,BAD,Ward,general_acute,x,2,18,0\n")  # quarantined
    return (HEADER + "".join(lines)).encode()


def counts(session: Session) -> dict[str, int]:
    session.expire_all()
    return {
        model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (BedSnapshot, Ward, Site, QuarantinedRow, IngestNotice)
    }


NOTHING = {"bed_snapshots": 0, "wards": 0, "sites": 0, "quarantined_rows": 0, "ingest_notices": 0}


def test_a_failure_half_way_leaves_nothing_and_a_rerun_loads_everything(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = beds_file(10)
    monkeypatch.setattr(loader, "CHUNK_ROWS", 4)
    real_writer = capacity.WRITERS["beds"]
    calls = []

    def failing_writer(*args: Any) -> int:
        calls.append(1)
        if len(calls) == 2:  # the first chunk is written, then the disk "breaks"
            raise RuntimeError("disk full")
        return real_writer(*args)

    monkeypatch.setitem(capacity.WRITERS, "beds", failing_writer)
    with pytest.raises(RuntimeError, match="RuntimeError: an unexpected error stopped the load"):
        load_batch("beds", body, engine=engine)
    assert counts(session) == NOTHING
    [run] = session.scalars(select(IngestRun)).all()
    assert run.status == "failed"
    assert (run.error or "").startswith("RuntimeError: an unexpected error stopped the load")
    assert "disk full" not in (run.error or "")  # the text of an exception is never stored
    # the rows it held as far as read (of 11): a full chunk is written when the next row
    # arrives, so rows 5-8 were being written, and broke, once row 9 had been read
    assert run.rows_in == 9

    monkeypatch.setitem(capacity.WRITERS, "beds", real_writer)
    again = load_batch("beds", body, engine=engine)  # the same bytes: not a duplicate
    assert (again.status, again.rows_in, again.rows_loaded, again.rows_quarantined) == (
        "succeeded",
        11,
        10,
        1,
    )
    assert counts(session)["bed_snapshots"] == 10


def test_the_database_going_away_mid_batch_raises_database_unavailable(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_writer(*args: Any) -> int:
        raise OperationalError("INSERT ...", {}, Exception("server closed the connection"))

    monkeypatch.setitem(capacity.WRITERS, "beds", broken_writer)
    with pytest.raises(DatabaseUnavailable, match="Exception: the database is unavailable"):
        load_batch("beds", beds_file(3), engine=engine)
    assert counts(session) == NOTHING
    run = session.scalars(select(IngestRun)).one()
    assert run.status == "failed" and "the database is unavailable" in (run.error or "")


_KILLED_LOADER = """
import sys, time
from pathlib import Path
from ingest import loader

loader.CHUNK_ROWS = 500

def progress(done: int) -> None:
    print("chunk written", flush=True)
    time.sleep(60)  # killed here, mid-transaction

loader.load_batch("beds", Path(sys.argv[1]), progress=progress)
"""


def test_a_process_killed_mid_batch_leaves_nothing_and_a_rerun_loads_everything(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    path = tmp_path / "beds_big.csv"
    path.write_bytes(beds_file(2_000))
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_LOADER, str(path)],
        cwd=ROOT,
        env=os.environ.copy(),  # the engine fixture made the test database the app's
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "chunk written"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert counts(session) == NOTHING
    [run] = session.scalars(select(IngestRun)).all()
    assert run.status == "running"  # the run row was committed first; the batch never was
    expires = run.lease_expires_at  # as the killed process last renewed it
    assert expires is not None and expires >= run.started_at + timedelta(seconds=40)

    # the next sweeper (its clock injected): within the lease nothing; just past it, marked
    assert mark_abandoned_runs(engine, now=expires - timedelta(seconds=1)) == 0
    assert mark_abandoned_runs(engine, now=expires + timedelta(seconds=1)) == 1
    session.expire_all()
    killed = session.get(IngestRun, run.id)
    assert killed is not None and killed.status == "failed"
    assert killed.abandoned_at == expires + timedelta(seconds=1)
    assert (killed.error or "").startswith("abandoned")

    again = load_batch("beds", path, engine=engine)
    assert (again.status, again.rows_loaded, again.rows_quarantined) == ("succeeded", 2_000, 1)
    assert counts(session)["bed_snapshots"] == 2_000


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://postgres@127.0.0.1:1/nothing_listens_here",
        "sqlite:////nonexistent-directory/for/homeward.db",
    ],
)
def test_the_database_unavailable_raises_database_unavailable(url: str) -> None:
    engine = make_engine(url)
    try:
        with pytest.raises(DatabaseUnavailable, match="the database is unavailable"):
            load_batch("beds", beds_file(2), engine=engine)
    finally:
        engine.dispose()
