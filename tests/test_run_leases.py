"""Runs that cannot be left ``running`` (issue 16, part B): a lease renewed while a load works,
any sweeper marks a run whose lease expired abandoned, the read model shows it; and run errors
stored, shown and logged without row values or SQL parameters."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, insert, select
from sqlalchemy.orm import Session

from app.main import create_app
from app.metrics import feed_runs
from ingest import capacity, loader, run_records, scheduler
from ingest.loader import BatchFailed, load_batch
from ingest.run_records import mark_abandoned_runs, renew_lease
from models import IngestRun, Spell
from tests.security_helpers import sign_in

BEDS = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,"
    "escalation_beds_open,beds_occupied,beds_closed\n"
    + "".join(
        f"2025-01-15T08:00,RXA01,W{i:03d},Ward {i},general_acute,20,2,18,0\n" for i in range(6)
    )
).encode()
T0 = datetime(2026, 12, 4, 10, 0, tzinfo=UTC)


def add_run(session: Session, **values: Any) -> int:
    run = IngestRun(feed="beds", source="cli", status="running", **values)
    session.add(run)
    session.commit()
    return run.id


def fresh(session: Session, run_id: int) -> IngestRun:
    session.expire_all()
    run = session.get(IngestRun, run_id)
    assert run is not None
    return run


def test_a_new_run_holds_a_lease_of_forty_seconds(engine: Engine, session: Session) -> None:
    before = datetime.now(UTC)
    run_id = run_records.start_run(engine, "beds", "cli", None, "beds.csv")
    run = fresh(session, run_id)
    assert run.lease_expires_at is not None and run.started_at >= before
    # 40 s after it started, by hand: LEASE_SECONDS
    assert run.lease_expires_at - run.started_at == timedelta(seconds=40)
    assert run.lease_holder and run.lease_holder.endswith(":" + str(__import__("os").getpid()))


def test_an_expired_lease_is_marked_abandoned_by_the_next_sweeper(
    engine: Engine, session: Session
) -> None:
    # leased until 10:00:40; an older run without a lease (before migration 0004), started 09:30
    leased = add_run(session, started_at=T0, lease_expires_at=T0 + timedelta(seconds=40))
    unleased = add_run(session, started_at=T0 - timedelta(minutes=30))
    done = add_run(session, started_at=T0, lease_expires_at=T0 - timedelta(hours=1))
    session.get(IngestRun, done).status = "succeeded"  # type: ignore[union-attr]
    session.commit()

    assert mark_abandoned_runs(engine, now=T0 + timedelta(seconds=39)) == 0  # lease still held
    shown = {r.id: r for r in feed_runs.list_runs(session, now=T0 + timedelta(seconds=39))}
    assert shown[leased].abandoned is False and shown[leased].status == "running"
    # read before any sweeper writes: running past its lease is shown abandoned already
    shown = {r.id: r for r in feed_runs.list_runs(session, now=T0 + timedelta(seconds=41))}
    assert shown[leased].abandoned is True and "abandoned" in (shown[leased].error or "")

    assert mark_abandoned_runs(engine, now=T0 + timedelta(seconds=41)) == 1  # the leased one
    run = fresh(session, leased)
    assert (run.status, run.abandoned_at, run.finished_at) == (
        "failed",
        T0 + timedelta(seconds=41),
        T0 + timedelta(seconds=41),
    )
    assert run.error is not None
    assert "its lease expired at 2026-12-04 10:00:40 UTC" in run.error
    assert run.error.endswith("send the file again")
    assert fresh(session, unleased).status == "running"  # 30 min old: under the hour
    # 10:30:01: the unleased run started 09:30:00, more than an hour ago
    assert mark_abandoned_runs(engine, now=T0 + timedelta(minutes=30, seconds=1)) == 1
    assert fresh(session, unleased).status == "failed"
    assert fresh(session, done).status == "succeeded"  # finished runs are never touched
    detail = feed_runs.get_run(session, leased)
    assert detail is not None and detail.abandoned is True and detail.status == "failed"


def test_the_next_load_and_the_heartbeat_sweep(engine: Engine, session: Session) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    first = add_run(session, started_at=past, lease_expires_at=past + timedelta(seconds=40))
    summary = load_batch("beds", BEDS, engine=engine)
    assert summary.status == "succeeded"
    assert fresh(session, first).abandoned_at is not None  # the next load swept it

    second = add_run(session, started_at=past, lease_expires_at=past + timedelta(seconds=40))
    assert scheduler.heartbeat() == "1 ingest runs abandoned by a stopped process marked failed"
    assert fresh(session, second).status == "failed"


def test_the_lease_is_renewed_on_a_connection_of_its_own_mid_batch(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader, "CHUNK_ROWS", 2)
    seen: list[tuple[bool, datetime | None]] = []

    def progress(_done: int) -> None:
        if seen:
            return
        [run_id] = session.scalars(select(IngestRun.id).where(IngestRun.status == "running"))
        renewed = renew_lease(engine, run_id, now=T0)
        with Session(engine) as other:  # what any other process sees
            seen.append((renewed, other.get(IngestRun, run_id).lease_expires_at))  # type: ignore[union-attr]

    summary = load_batch("beds", BEDS, engine=engine, progress=progress)
    assert summary.status == "succeeded" and summary.rows_loaded == 6
    if engine.dialect.name == "postgresql":
        # committed beside the open batch: 10:00:00 + 40 s, seen by another session
        assert seen == [(True, T0 + timedelta(seconds=40))]
    else:
        # SQLite's one writer is the batch itself: the renewal gives up at once, and no
        # sweeper can write either until the batch ends
        assert seen[0][0] is False
    assert renew_lease(engine, summary.run_id, now=T0) is False  # finished: nothing to renew


def test_a_renewer_thread_renews_until_stopped(engine: Engine, session: Session) -> None:
    run_id = add_run(session, started_at=T0, lease_expires_at=T0 + timedelta(seconds=40))
    ticks = iter([T0 + timedelta(seconds=10), T0 + timedelta(seconds=20)])
    renewed = []

    def clock() -> datetime:
        now = next(ticks, None)
        if now is None:
            renewer._stop.set()  # two renewals, then stop
            return T0 + timedelta(seconds=20)
        renewed.append(now)
        return now

    renewer = run_records.LeaseRenewer(engine, run_id, every=0, clock=clock)
    with renewer:
        renewer._thread.join(timeout=30)
    # renewed at 10:00:10 and 10:00:20: the lease ends 40 s after the last, 10:01:00
    assert fresh(session, run_id).lease_expires_at == T0 + timedelta(minutes=1)
    assert renewer.renewals >= 2


LOCAL_ID = "LP-KNOWN-4242"
SPELL_ID = "SP-KNOWN-777"


def test_a_refused_batch_stores_shows_and_logs_no_parameters(
    engine: Engine,
    session: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def writer(db: Session, *_args: Any) -> int:
        # a spell of a site that does not exist: the foreign key refuses the whole statement,
        # whose parameters carry another row's local patient id and spell id
        db.execute(
            insert(Spell),
            [
                {
                    "spell_id": SPELL_ID,
                    "site_code": "ZZZ99",
                    "local_patient_id": LOCAL_ID,
                    "age": 81,
                    "admitted_at": T0,
                    "admission_method": "emergency",
                    "ward_code": "W1",
                    "last_census_at": T0,
                }
            ],
        )
        return 0

    monkeypatch.setitem(capacity.WRITERS, "beds", writer)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(BatchFailed) as caught:
        load_batch("beds", BEDS, engine=engine)
    [run] = session.scalars(select(IngestRun)).all()
    assert run.status == "failed"
    if engine.dialect.name == "postgresql":
        expected = (
            "ForeignKeyViolation: the database refused the batch: foreign key violation "
            "(table spells, constraint fk_spells_site_code_sites, SQLSTATE 23503)"
        )
    else:
        expected = "IntegrityError: the database refused the batch: foreign key constraint failed"
    assert (run.error or "").startswith(expected + " — nothing of it was kept")
    assert str(caught.value) == run.error
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    client = TestClient(create_app(with_dashboard=False))
    sign_in(client, "admin")
    answer = client.get(f"/api/v1/feeds/runs/{run.id}")
    listed = client.get("/api/v1/feeds/runs")
    assert answer.status_code == 200 and answer.json()["error"] == run.error
    for text in (run.error, answer.text, listed.text, caplog.text, str(caught.value)):
        for secret in (LOCAL_ID, SPELL_ID, "ZZZ99"):
            assert secret not in text


def test_an_unexpected_error_is_named_by_class_only(engine: Engine, session: Session) -> None:
    class Oops(Exception):
        pass

    assert run_records.describe_error(Oops(f"row {LOCAL_ID} broke")) == (
        "Oops: an unexpected error stopped the load — nothing of the batch was kept; "
        "the log of the loading process says where (no values are logged)"
    )
