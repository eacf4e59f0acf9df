"""Freshness of each feed and source, and of the scheduler itself (DESIGN.md §4.9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.core.config import HEARTBEAT_INTERVAL_SECONDS
from app.core.feed_config import get_feed_config
from models import FEEDS, IngestRun, SchedulerHeartbeat

FreshnessState = Literal["fresh", "stale", "failing", "never"]
LOADED = ("succeeded", "duplicate")


class FeedStatus(BaseModel):
    feed: str
    label: str
    source: str | None  # None: the feed over all its sources
    source_name: str | None
    last_success_at: datetime | None  # when the newest successful run finished
    last_snapshot_at: datetime | None  # the "as of" time of the newest data
    last_run_at: datetime | None
    last_run_status: str | None
    last_run_id: int | None
    age_minutes: float | None  # now − last_snapshot_at
    expected_interval_minutes: int
    state: FreshnessState
    message: str


class SchedulerStatus(BaseModel):
    name: str
    last_beat_at: datetime | None
    age_seconds: float | None
    state: Literal["running", "stale", "stopped"]
    message: str


def classify(
    age: timedelta | None, interval: timedelta, last_run_failed: bool
) -> tuple[FreshnessState, str]:
    """fresh / stale (older than 2× the interval) / failing (older than 4×, or last run failed)."""
    if age is None:
        return ("failing" if last_run_failed else "never"), (
            "the last run failed and no data has ever loaded"
            if last_run_failed
            else "no data has arrived yet"
        )
    if last_run_failed:
        return "failing", "the last run failed; showing the last good data"
    if age > 4 * interval:
        return "failing", f"no new data for more than 4× the expected interval ({_fmt(interval)})"
    if age > 2 * interval:
        return "stale", f"no new data for more than 2× the expected interval ({_fmt(interval)})"
    return "fresh", f"arriving as expected (every {_fmt(interval)})"


def _fmt(interval: timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes % 1440 == 0:
        days = minutes // 1440
        return "day" if days == 1 else f"{days} days"
    if minutes % 60 == 0:
        hours = minutes // 60
        return "hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} min"


def feed_status(
    session: Session, now: datetime | None = None, *, by_source: bool = False
) -> list[FeedStatus]:
    """Each feed's freshness (or each feed × source with ``by_source``)."""
    now = now or datetime.now(UTC)
    config = get_feed_config()
    keys = [IngestRun.feed] + ([IngestRun.source, IngestRun.source_name] if by_source else [])

    Key = tuple[Any, ...]
    loaded: dict[Key, tuple[datetime | None, datetime | None]] = {
        tuple(row[:-2]): (row[-2], row[-1])  # type: ignore[misc]
        for row in session.execute(
            select(*keys, func.max(IngestRun.snapshot_at), func.max(IngestRun.finished_at))
            .where(IngestRun.status.in_(LOADED), IngestRun.snapshot_at <= now)
            .group_by(*keys)
        )
    }
    latest_ids = select(func.max(IngestRun.id)).where(
        IngestRun.status != "running",
        func.coalesce(IngestRun.snapshot_at, IngestRun.started_at) <= now,
    )
    latest_ids = latest_ids.group_by(*keys)
    latest: dict[Key, IngestRun] = {
        (run.feed, run.source, run.source_name) if by_source else (run.feed,): run
        for run in session.scalars(select(IngestRun).where(IngestRun.id.in_(latest_ids)))
    }
    groups: list[Key] = sorted(set(loaded) | set(latest), key=lambda k: tuple(map(str, k)))
    if not by_source:
        groups = [(feed,) for feed in FEEDS]

    http_intervals = {s.name: s.expected_interval_minutes for s in config.http_sources}
    result = []
    for key in groups:
        feed: str = key[0]
        feed_settings = config.feeds[feed]  # type: ignore[index]
        minutes = feed_settings.expected_interval_minutes
        if by_source and key[1] == "http" and http_intervals.get(key[2]):
            minutes = http_intervals[key[2]] or minutes
        snapshot_at, success_at = loaded.get(key, (None, None))
        run = latest.get(key)
        age = (now - snapshot_at) if snapshot_at else None
        state, message = classify(
            age, timedelta(minutes=minutes), bool(run and run.status == "failed")
        )
        result.append(
            FeedStatus(
                feed=feed,
                label=feed_settings.label,
                source=key[1] if by_source else None,
                source_name=key[2] if by_source else None,
                last_success_at=success_at,
                last_snapshot_at=snapshot_at,
                last_run_at=(run.finished_at or run.started_at) if run else None,
                last_run_status=run.status if run else None,
                last_run_id=run.id if run else None,
                age_minutes=round(age.total_seconds() / 60, 1) if age is not None else None,
                expected_interval_minutes=minutes,
                state=state,
                message=message,
            )
        )
    return result


def as_of(session: Session, at: datetime | None = None) -> dict[str, datetime | None]:
    """The time of the newest loaded data of each feed at or before ``at`` (default now)."""
    query = (
        select(IngestRun.feed, func.max(IngestRun.snapshot_at))
        .where(IngestRun.status.in_(LOADED))
        .group_by(IngestRun.feed)
    )
    if at is not None:
        query = query.where(IngestRun.snapshot_at <= at)
    found = {feed: newest for feed, newest in session.execute(query)}
    return {feed: found.get(feed) for feed in FEEDS}


def newest_data(session: Session, at: datetime | None = None) -> datetime | None:
    """The time of the newest loaded data of any feed at or before ``at`` (None: no data)."""
    return max((t for t in as_of(session, at).values() if t), default=None)


def scheduler_status(session: Session, now: datetime | None = None) -> list[SchedulerStatus]:
    """Whether the scheduler is alive, from its heartbeat."""
    now = now or datetime.now(UTC)
    beats = list(session.scalars(select(SchedulerHeartbeat).order_by(SchedulerHeartbeat.name)))
    if not beats:
        return [
            SchedulerStatus(
                name="scheduler",
                last_beat_at=None,
                age_seconds=None,
                state="stopped",
                message="no scheduler has ever run: feeds are not being collected",
            )
        ]
    result = []
    for beat in beats:
        age = (now - beat.beat_at).total_seconds()
        state: Literal["running", "stale", "stopped"]
        if age <= 3 * HEARTBEAT_INTERVAL_SECONDS:
            state, message = "running", "the scheduler is running"
        elif age <= 15 * HEARTBEAT_INTERVAL_SECONDS:
            state, message = "stale", f"no heartbeat for {int(age)} s"
        else:
            state, message = (
                "stopped",
                f"no heartbeat for {int(age // 60)} min: feeds are not being collected",
            )
        result.append(
            SchedulerStatus(
                name=beat.name,
                last_beat_at=beat.beat_at,
                age_seconds=round(age, 1),
                state=state,
                message=message,
            )
        )
    return result
