"""Ingest runs, quarantined rows, notices, and scheduler bookkeeping."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

FEEDS = ("beds", "care_homes", "domiciliary", "patients")
#: made by migration 0004 (so the script that regenerates 0001 leaves them out)
REVISION_0004 = {"revision": "0004"}


class IngestRun(Base):
    """One batch of one feed: where it came from, what happened, and the counts."""

    __tablename__ = "ingest_runs"
    __table_args__ = (
        Index("ix_ingest_runs_feed_hash", "feed", "content_hash"),
        Index("ix_ingest_runs_feed_started", "feed", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    feed: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(16))  # folder | http | api | cli | simulator
    source_name: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(400))
    content_hash: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | succeeded | failed | duplicate
    status: Mapped[str] = mapped_column(String(12))
    rows_in: Mapped[int] = mapped_column(default=0)
    rows_loaded: Mapped[int] = mapped_column(default=0)
    rows_quarantined: Mapped[int] = mapped_column(default=0)
    warnings: Mapped[int] = mapped_column(default=0)
    snapshot_at: Mapped[datetime | None]  # latest snapshot_at in the batch
    duplicate_of_run_id: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)  # Homeward's words, never a row value
    # the loading process renews this while it works; past it, the run was abandoned
    lease_expires_at: Mapped[datetime | None] = mapped_column(info=REVISION_0004)
    lease_holder: Mapped[str | None] = mapped_column(String(200), info=REVISION_0004)  # host:pid
    # when a sweeper found the lease expired
    abandoned_at: Mapped[datetime | None] = mapped_column(info=REVISION_0004)


class QuarantinedRow(Base):
    """A row that broke the contract, with where and why, so a person can fix it."""

    __tablename__ = "quarantined_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    ingest_run_id: Mapped[int] = mapped_column(
        ForeignKey("ingest_runs.id", ondelete="CASCADE"), index=True
    )
    line_number: Mapped[int | None]
    column: Mapped[str | None] = mapped_column(String(80))
    value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)  # the row as received, JSON


class IngestNotice(Base):
    """A warning or notice of a run: data quality, new ward registered, discharge inferred."""

    __tablename__ = "ingest_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    ingest_run_id: Mapped[int] = mapped_column(
        ForeignKey("ingest_runs.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))  # warning | notice | inference
    line_number: Mapped[int | None]
    message: Mapped[str] = mapped_column(Text)


class HttpSourceState(Base):
    """Conditional-request validators of an HTTP pull source."""

    __tablename__ = "http_source_states"

    source_name: Mapped[str] = mapped_column(String(200), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(400))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    last_checked_at: Mapped[datetime | None]


class SchedulerHeartbeat(Base):
    """The scheduler's last sign of life."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(80), primary_key=True)
    beat_at: Mapped[datetime]
    hostname: Mapped[str | None] = mapped_column(String(200))
    pid: Mapped[int | None]


class SchedulerJobRun(Base):
    """A scheduled job's run, including the missed and the failed."""

    __tablename__ = "scheduler_job_runs"
    __table_args__ = (
        Index("ix_scheduler_job_runs_job_started", "job_id", "started_at"),
        # one row per job and scheduled tick: a tick already claimed is never run again
        Index(
            "uq_scheduler_job_runs_job_tick",
            "job_id",
            "scheduled_at",
            unique=True,
            info=REVISION_0004,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[str] = mapped_column(String(80))
    scheduled_at: Mapped[datetime | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    # running | succeeded | idle (nothing to do) | failed | missed
    status: Mapped[str] = mapped_column(String(12))
    message: Mapped[str | None] = mapped_column(Text)
