"""Read-side queries over ingest runs, quarantined rows and scheduler jobs (API and pages).

A run is **abandoned** when a sweeper found its lease expired (``abandoned_at``), or — read
here before any sweeper has written — when it is still ``running`` past its lease: the
process loading it stopped, and nothing of its batch was kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from models import IngestNotice, IngestRun, QuarantinedRow, SchedulerJobRun


class RunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    feed: str
    source: str
    source_name: str | None
    file_name: str | None
    status: str
    started_at: datetime
    finished_at: datetime | None
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    warnings: int
    snapshot_at: datetime | None
    duplicate_of_run_id: int | None
    error: str | None
    lease_expires_at: datetime | None = None
    abandoned: bool = False  # the loading process stopped mid-batch (see the module doc)


ABANDONED_UNSWEPT = (
    "abandoned: the process loading this batch stopped (its lease expired without renewal); "
    "nothing of the batch was kept — send the file again"
)


def _run_out(run: IngestRun, now: datetime) -> RunOut:
    out = RunOut.model_validate(run)
    if run.abandoned_at is not None:
        out.abandoned = True
    elif run.status == "running" and run.lease_expires_at and run.lease_expires_at < now:
        out.abandoned = True
        out.error = ABANDONED_UNSWEPT
    return out


class NoticeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    kind: str
    line_number: int | None
    message: str


class RunDetail(RunOut):
    notices: list[NoticeOut]


class RejectedRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    ingest_run_id: int
    line_number: int | None
    column: str | None
    value: str | None
    reason: str
    raw: str | None
    spell_id: str | None = Field(
        None, description="the spell the row named, as received (withheld when redacted)"
    )


class RejectedPage(BaseModel):
    run_id: int
    total: int
    redacted: bool = True  # value and raw withheld (not the coordinator, nor the sender)
    rows: list[RejectedRow]


class JobRunOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    job_id: str
    scheduled_at: datetime | None
    started_at: datetime
    status: str
    message: str | None


#: what a run's status can be asked for: the stored statuses, and "abandoned" (see the module doc)
RunStatus = Literal["running", "succeeded", "failed", "duplicate", "abandoned"]
RUN_STATUSES: tuple[RunStatus, ...] = ("succeeded", "failed", "abandoned", "duplicate", "running")


def list_runs(
    session: Session,
    *,
    feed: str | None = None,
    status: RunStatus | None = None,
    limit: int = 50,
    offset: int = 0,
    sent_by: str | None = None,
    now: datetime | None = None,
) -> list[RunOut]:
    """Newest runs first (only those one API client delivered, when ``sent_by`` names it)."""
    now = now or datetime.now(UTC)
    query = select(IngestRun).order_by(IngestRun.id.desc()).limit(limit).offset(offset)
    if sent_by is not None:
        query = query.where(IngestRun.source == "api", IngestRun.source_name == sent_by)
    if feed:
        query = query.where(IngestRun.feed == feed)
    unswept = and_(IngestRun.status == "running", IngestRun.lease_expires_at < now)
    if status == "abandoned":
        query = query.where(or_(IngestRun.abandoned_at.is_not(None), unswept))
    elif status == "running":
        query = query.where(IngestRun.status == "running", ~unswept)
    elif status == "failed":
        query = query.where(IngestRun.status == "failed", IngestRun.abandoned_at.is_(None))
    elif status:
        query = query.where(IngestRun.status == status)
    return [_run_out(r, now) for r in session.scalars(query)]


def get_run(session: Session, run_id: int, now: datetime | None = None) -> RunDetail | None:
    run = session.get(IngestRun, run_id)
    if run is None:
        return None
    notices = session.scalars(
        select(IngestNotice).where(IngestNotice.ingest_run_id == run_id).order_by(IngestNotice.id)
    )
    return RunDetail(
        **_run_out(run, now or datetime.now(UTC)).model_dump(),
        notices=[NoticeOut.model_validate(n) for n in notices],
    )


def rejected_rows(
    session: Session,
    *,
    run_id: int | None = None,
    limit: int = 200,
    offset: int = 0,
    redacted: bool = True,
    spell_ids: bool | None = None,
) -> tuple[int, list[RejectedRow]]:
    """Quarantined rows (of one run, or the newest over all runs).

    Redacted unless asked otherwise: line, column and reason, but not the value or the raw row
    received, which may be patient data (DESIGN §7: only the coordinator, audited, and the feed
    client that sent the batch see those). ``spell_ids`` (default: when not redacted) gives the
    spell id a patients row named, read from the row received, without the rest of it.
    """
    with_spell_ids = not redacted if spell_ids is None else spell_ids
    query = select(QuarantinedRow)
    count = select(func.count()).select_from(QuarantinedRow)
    if run_id is not None:
        query = query.where(QuarantinedRow.ingest_run_id == run_id)
        count = count.where(QuarantinedRow.ingest_run_id == run_id)
        query = query.order_by(QuarantinedRow.line_number, QuarantinedRow.id)
    else:
        query = query.order_by(QuarantinedRow.id.desc())
    rows = session.scalars(query.limit(limit).offset(offset))
    found = [RejectedRow.model_validate(r) for r in rows]
    if with_spell_ids:
        found = [row.model_copy(update={"spell_id": spell_id_of(row.raw)}) for row in found]
    if redacted:
        found = [row.model_copy(update={"value": None, "raw": None}) for row in found]
    return session.scalar(count) or 0, found


def spell_id_of(raw: str | None) -> str | None:
    """The ``spell_id`` of a row as received (JSON), or None when it named none."""
    if not raw:
        return None
    try:
        row = json.loads(raw)
    except ValueError:
        return None
    value = row.get("spell_id") if isinstance(row, dict) else None
    if value is None or not str(value).strip():
        return None
    return str(value).strip()[:64]


def recent_job_runs(session: Session, *, limit: int = 50) -> list[JobRunOut]:
    """The newest job runs that did something, failed or were missed (not the idle ticks)."""
    query = (
        select(SchedulerJobRun)
        .where(SchedulerJobRun.status != "idle")
        .order_by(SchedulerJobRun.id.desc())
        .limit(limit)
    )
    return [JobRunOut.model_validate(r) for r in session.scalars(query)]
