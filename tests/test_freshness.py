"""Feed freshness (DESIGN.md §4.9) and the scheduler heartbeat, on hand-made runs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from app.metrics.freshness import as_of, classify, feed_status, scheduler_status
from models import IngestRun, SchedulerHeartbeat

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def _run(
    session: Session, feed: str, status: str, snapshot_at: datetime | None, **kw: object
) -> None:
    session.add(
        IngestRun(
            feed=feed,
            source=kw.get("source", "folder"),
            source_name=kw.get("source_name", "inbox"),
            started_at=snapshot_at or NOW,
            finished_at=(snapshot_at or NOW) + timedelta(minutes=1),
            status=status,
            snapshot_at=snapshot_at,
        )
    )
    session.flush()


def test_classify_boundaries() -> None:
    # interval 1 h: 2 h old is still fresh, just over is stale; 4 h stale, just over failing
    assert classify(2 * HOUR, HOUR, False)[0] == "fresh"
    assert classify(2 * HOUR + timedelta(seconds=1), HOUR, False)[0] == "stale"
    assert classify(4 * HOUR, HOUR, False)[0] == "stale"
    assert classify(4 * HOUR + timedelta(seconds=1), HOUR, False)[0] == "failing"
    assert classify(timedelta(0), HOUR, True)[0] == "failing"
    assert classify(None, HOUR, False)[0] == "never"


def test_feed_status_per_feed(session: Session) -> None:
    # beds every 60 min: newest data 30 min old → fresh
    _run(session, "beds", "succeeded", NOW - 3 * HOUR)
    _run(session, "beds", "succeeded", NOW - timedelta(minutes=30))
    # patients every 360 min: newest 13 h old (> 2×6 h) → stale
    _run(session, "patients", "succeeded", NOW - 13 * HOUR)
    # care homes every 1440 min: loaded 1 h ago, but the latest run failed → failing
    _run(session, "care_homes", "succeeded", NOW - HOUR)
    _run(session, "care_homes", "failed", None)
    session.commit()
    status = {s.feed: s for s in feed_status(session, NOW)}
    assert status["beds"].state == "fresh"
    assert status["beds"].age_minutes == 30.0
    assert status["patients"].state == "stale"
    assert status["patients"].age_minutes == 13 * 60
    assert status["care_homes"].state == "failing"
    assert status["care_homes"].last_run_status == "failed"
    assert status["domiciliary"].state == "never"  # nothing ever arrived


def test_feed_status_by_source(session: Session) -> None:
    _run(session, "beds", "succeeded", NOW - timedelta(minutes=20), source="folder")
    _run(session, "beds", "failed", None, source="http", source_name="trust-a")
    session.commit()
    by_source = {(s.feed, s.source): s for s in feed_status(session, NOW, by_source=True)}
    assert by_source[("beds", "folder")].state == "fresh"
    assert by_source[("beds", "http")].state == "failing"
    # over all sources the feed is fresh only if its latest run did not fail: the http failure
    # is the newest run, so the feed shows failing with its last good data 20 minutes old
    overall = {s.feed: s for s in feed_status(session, NOW)}["beds"]
    assert overall.age_minutes == 20.0


def test_as_of_respects_at(session: Session) -> None:
    _run(session, "beds", "succeeded", NOW - 2 * HOUR)
    _run(session, "beds", "succeeded", NOW - HOUR)
    session.commit()
    assert as_of(session, NOW)["beds"] == NOW - HOUR
    assert as_of(session, NOW - 90 * timedelta(minutes=1))["beds"] == NOW - 2 * HOUR
    assert as_of(session, NOW)["patients"] is None


def test_scheduler_heartbeat_states(session: Session) -> None:
    assert scheduler_status(session, NOW)[0].state == "stopped"
    session.add(SchedulerHeartbeat(name="scheduler", beat_at=NOW - timedelta(seconds=30)))
    session.commit()
    assert scheduler_status(session, NOW)[0].state == "running"
    assert scheduler_status(session, NOW + timedelta(minutes=3))[0].state == "stale"
    assert scheduler_status(session, NOW + timedelta(minutes=30))[0].state == "stopped"
