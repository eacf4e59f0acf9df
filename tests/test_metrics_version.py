"""The data version the metrics cache keys on is re-read at most every
``HOMEWARD_METRICS_VERSION_SECONDS``: a run that ends in another process (here: written
straight into ``ingest_runs``, as the scheduler process would) is seen once that second has
passed; a run that ends in this process (``ingest.loader.load_batch``) is seen at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from app.metrics.cache import current_version, data_changed, data_version
from ingest.loader import load_batch
from models.ingest import IngestRun

BEDS = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,escalation_beds_open,"
    "beds_occupied,beds_closed\n"
    "2026-10-30T09:00:00Z,RXA01,A1,Ward A1,general_acute,20,0,18,0\n"
)


class Clock:
    def __init__(self) -> None:
        self.now = 500.0

    def __call__(self) -> float:
        return self.now


def test_another_process_run_is_seen_after_the_second_this_process_run_at_once(
    engine: Engine,
) -> None:
    clock = Clock()
    data_changed()
    with Session(engine) as session:
        before = current_version(session, clock=clock)
        assert before == data_version(session)
        session.commit()
        # another process ends a run: not read again within the second ...
        run = IngestRun(
            feed="beds",
            source="cli",
            started_at=datetime(2026, 10, 30, 9, tzinfo=UTC),
            status="running",
        )
        session.add(run)
        session.commit()
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == run.id)
            .values(status="succeeded", finished_at=datetime(2026, 10, 30, 9, 1, tzinfo=UTC))
        )
        session.commit()
        clock.now += 0.5
        assert current_version(session, clock=clock) == before
        session.commit()
        # ... and seen once it has passed (1 s by default)
        clock.now += 0.6
        seen = current_version(session, clock=clock)
        assert seen != before and seen == data_version(session)
        session.commit()

        # a run of this process is seen at once, whatever the clock says
        assert load_batch("beds", BEDS.encode(), file_name="beds.csv").status == "succeeded"
        session.commit()
        after = current_version(session, clock=clock)
        assert after != seen and after == data_version(session)


def test_zero_seconds_reads_the_version_on_every_call(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_METRICS_VERSION_SECONDS", "0")
    from app.core.config import get_settings

    get_settings.cache_clear()
    clock = Clock()
    with Session(engine) as session:
        before = current_version(session, clock=clock)
        session.add(
            IngestRun(
                feed="beds",
                source="cli",
                started_at=datetime(2026, 10, 30, 9, tzinfo=UTC),
                status="running",
            )
        )
        session.commit()
        assert current_version(session, clock=clock) != before
    get_settings.cache_clear()
