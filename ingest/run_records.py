"""An ingest run's own row (``ingest_runs``): started, then succeeded, duplicate or failed.

The loader (:mod:`ingest.loader`) starts a run in a transaction of its own, so the run is
seen (``running``) while its batch is read; a run succeeds inside the batch's transaction,
with its counts; a duplicate, a file-level problem or an error ends the run in a transaction
of its own, since the batch's was rolled back. A run still ``running`` long after it
started was stopped mid-batch: :func:`mark_abandoned_runs` says so.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from app.core.db import get_engine
from ingest.readers import FileProblem
from models import IngestRun, QuarantinedRow

log = logging.getLogger(__name__)


class DatabaseUnavailable(Exception):
    """The store cannot be reached: nothing was loaded; keep the batch and try again later."""


def start_run(
    engine: Engine, feed: str, source_kind: str, source_name: str | None, file_name: str | None
) -> int:
    """A new run of ``feed``, ``running``, committed at once; its id."""
    try:
        with Session(engine) as session:
            run = IngestRun(
                feed=feed,
                source=source_kind[:16],
                source_name=source_name[:200] if source_name else None,
                file_name=file_name[-400:] if file_name else None,
                started_at=datetime.now(UTC),
                status="running",
            )
            session.add(run)
            session.commit()
            return run.id
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnavailable(f"the database is unavailable: {exc.orig or exc}") from exc


def earlier_success(session: Session, run_id: int, feed: str, content_hash: str) -> int | None:
    """The first succeeded run of ``feed`` (not ``run_id``) with the same content, if any."""
    return session.scalar(
        select(IngestRun.id)
        .where(
            IngestRun.feed == feed,
            IngestRun.content_hash == content_hash,
            IngestRun.status == "succeeded",
            IngestRun.id != run_id,
        )
        .order_by(IngestRun.id)
        .limit(1)
    )


def finish_succeeded(
    session: Session,
    run_id: int,
    *,
    content_hash: str,
    rows_in: int,
    rows_loaded: int,
    rows_quarantined: int,
    warnings: int,
    snapshot_at: datetime | None,
) -> None:
    """Mark the run succeeded with its counts, in the batch's own transaction."""
    session.execute(
        update(IngestRun)
        .where(IngestRun.id == run_id)
        .values(
            status="succeeded",
            finished_at=datetime.now(UTC),
            content_hash=content_hash,
            rows_in=rows_in,
            rows_loaded=rows_loaded,
            rows_quarantined=rows_quarantined,
            warnings=warnings,
            snapshot_at=snapshot_at,
        )
    )


def finish_duplicate(engine: Engine, run_id: int, of_run_id: int, content_hash: str) -> None:
    """Mark the run a duplicate of ``of_run_id`` (its batch was rolled back)."""
    with Session(engine) as session, session.begin():
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == run_id)
            .values(
                status="duplicate",
                duplicate_of_run_id=of_run_id,
                content_hash=content_hash,
                finished_at=datetime.now(UTC),
            )
        )


def finish_file_problem(
    engine: Engine, run_id: int, problem: FileProblem, *, content_hash: str | None, rows_in: int
) -> None:
    """Mark the run failed for a problem of the whole file: its ``rows_in`` rows all
    rejected, and one quarantine entry holding the file-level reason."""
    with Session(engine) as session, session.begin():
        session.add(
            QuarantinedRow(
                ingest_run_id=run_id,
                line_number=problem.line_number,
                column=problem.column,
                value=problem.value,
                reason=problem.message,
                raw=None,
            )
        )
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == run_id)
            .values(
                status="failed",
                error=problem.message,
                content_hash=content_hash,
                finished_at=datetime.now(UTC),
                rows_in=rows_in,
                rows_loaded=0,
                rows_quarantined=rows_in,
                warnings=0,
            )
        )


def finish_failed(engine: Engine, run_id: int, error: str) -> None:
    """Mark a run failed in its own transaction (best effort: the database may be down)."""
    try:
        with Session(engine) as session:
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id, IngestRun.status == "running")
                .values(status="failed", error=error, finished_at=datetime.now(UTC))
            )
            session.commit()
    except (OperationalError, InterfaceError):
        log.warning("could not mark ingest run %s failed: the database is unavailable", run_id)


def mark_abandoned_runs(
    engine: Engine | None = None, older_than: timedelta = timedelta(hours=1)
) -> int:
    """Mark runs still ``running`` after ``older_than`` as failed (the process stopped)."""
    engine = engine or get_engine()
    cutoff = datetime.now(UTC) - older_than
    with Session(engine) as session:
        result = session.execute(
            update(IngestRun)
            .where(IngestRun.status == "running", IngestRun.started_at < cutoff)
            .values(
                status="failed",
                error="abandoned: the loading process stopped mid-batch; nothing of it was "
                "kept — send the batch again",
                finished_at=datetime.now(UTC),
            )
        )
        session.commit()
        return int(getattr(result, "rowcount", 0) or 0)
