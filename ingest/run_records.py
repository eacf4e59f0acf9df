"""An ingest run's own row (``ingest_runs``): started, then succeeded, duplicate or failed.

The loader (:mod:`ingest.loader`) starts a run in a transaction of its own, so the run is
seen (``running``) while its batch is read; a run succeeds inside the batch's transaction,
with its counts; a duplicate, a file-level problem or an error ends the run in a transaction
of its own, since the batch's was rolled back.

A run holds a **lease** (``lease_expires_at``, :data:`LEASE_SECONDS` ahead), renewed every
:data:`RENEW_SECONDS` by a :class:`LeaseRenewer` thread on a connection of its own — never in
the batch's transaction. A run still ``running`` past its lease was stopped mid-batch (the
process killed, the machine or the database restarted under it): any sweeper —
:func:`mark_abandoned_runs`, called by the scheduler's heartbeat and by the next load — marks
it failed and abandoned, with words that say what to do.

A stored error is made of an exception's class and words Homeward wrote
(:func:`describe_error`), never ``str(exc)``: a driver's message carries the SQL parameters
(other rows' local ids, spell ids) and a row's values.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType

from sqlalchemy import Engine, and_, or_, select, update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.db import get_engine
from ingest.readers import FileProblem
from models import IngestRun, QuarantinedRow

log = logging.getLogger(__name__)


#: a run's lease lasts this long unless renewed; a sweeper marks it abandoned after that
LEASE_SECONDS = 40
#: the loading process renews its lease this often (four renewals fit in one lease)
RENEW_SECONDS = 10
#: runs from before leases existed (no lease recorded) count as abandoned after this long
UNLEASED_AFTER = timedelta(hours=1)
_SQLITE_RENEW_BUSY_MS = 200  # a renewal never waits long for SQLite's one writer
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]{0,120}")
_SQLITE_CONSTRAINT = re.compile(
    r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: (.*))?$"
)

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


def lease_holder() -> str:
    """Who holds a lease: this host and process."""
    return f"{socket.gethostname()[:180]}:{os.getpid()}"


class DatabaseUnavailable(Exception):
    """The store cannot be reached: nothing was loaded; keep the batch and try again later."""


class BatchFailed(RuntimeError):
    """A batch failed for an unexpected reason; the message is :func:`describe_error`'s."""


def describe_error(exc: BaseException) -> str:
    """An exception as stored and shown: its class and Homeward's words, no values.

    A database error names its kind, table and constraint (identifiers only, read from the
    driver's diagnostics on PostgreSQL, from the fixed wording of SQLite's constraint
    message); any other error names its class only, since its text may quote a row.
    """
    name = type(exc).__name__
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        kind = type(orig).__name__ if orig is not None else name
        words = _database_words(orig)
        if isinstance(exc, OperationalError | InterfaceError):
            return (
                f"{kind}: the database is unavailable{words} — nothing of the batch was kept; "
                "send it again when the database is back"
            )
        return (
            f"{kind}: the database refused the batch{words} — nothing of it was kept; "
            "the log of the loading process says where (no values are logged)"
        )
    if isinstance(exc, SQLAlchemyError):
        return f"{name}: the database layer failed — nothing of the batch was kept"
    return (
        f"{name}: an unexpected error stopped the load — nothing of the batch was kept; "
        "the log of the loading process says where (no values are logged)"
    )


def _database_words(orig: BaseException | None) -> str:
    """``: unique violation on table spells (constraint uq_…)`` — identifiers only."""
    if orig is None:
        return ""
    kind = re.sub(r"(?<!^)(?=[A-Z])", " ", type(orig).__name__).lower()
    where: list[str] = []
    diag = getattr(orig, "diag", None)
    if diag is not None:  # psycopg: the server's diagnostics, field by field
        for label, value in (
            ("table", diag.table_name),
            ("column", diag.column_name),
            ("constraint", diag.constraint_name),
        ):
            if value and _NAME.fullmatch(value):
                where.append(f"{label} {value}")
        sqlstate = getattr(orig, "sqlstate", None) or diag.sqlstate
        if sqlstate and re.fullmatch(r"[0-9A-Z]{5}", str(sqlstate)):
            where.append(f"SQLSTATE {sqlstate}")
    else:  # sqlite3: "UNIQUE constraint failed: spells.spell_id" names columns, never values
        match = _SQLITE_CONSTRAINT.match(str(orig).strip())
        if match:
            kind = f"{match.group(1).lower()} constraint failed"
            names = [n.strip() for n in (match.group(2) or "").split(",")]
            where += [f"column {n}" for n in names if _NAME.fullmatch(n)]
    return f": {kind}" + (f" ({', '.join(where)})" if where else "")


def start_run(
    engine: Engine, feed: str, source_kind: str, source_name: str | None, file_name: str | None
) -> int:
    """A new run of ``feed``, ``running`` with a fresh lease, committed at once; its id.

    Runs whose lease expired (their process stopped) are marked abandoned first.
    """
    try:
        mark_abandoned_runs(engine)
        now = datetime.now(UTC)
        with Session(engine) as session:
            run = IngestRun(
                feed=feed,
                source=source_kind[:16],
                source_name=source_name[:200] if source_name else None,
                file_name=file_name[-400:] if file_name else None,
                started_at=now,
                status="running",
                lease_expires_at=now + timedelta(seconds=LEASE_SECONDS),
                lease_holder=lease_holder(),
            )
            session.add(run)
            session.commit()
            return run.id
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnavailable(describe_error(exc)) from None


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
            error=None,  # a sweeper may have given up on a run that then committed
            abandoned_at=None,
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


def finish_failed(engine: Engine, run_id: int, error: str, *, rows_in: int = 0) -> None:
    """Mark a run failed in its own transaction (best effort: the database may be down);
    ``rows_in``: the rows the batch held as far as it was read (nothing of it was kept)."""
    try:
        with Session(engine) as session:
            session.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id, IngestRun.status == "running")
                .values(
                    status="failed", error=error, rows_in=rows_in, finished_at=datetime.now(UTC)
                )
            )
            session.commit()
    except (OperationalError, InterfaceError):
        log.warning("could not mark ingest run %s failed: the database is unavailable", run_id)


def abandoned_message(expired_at: datetime) -> str:
    """The error of an abandoned run: what happened and what to do."""
    return (
        "abandoned: the process loading this batch stopped mid-batch (its lease expired at "
        f"{expired_at:%Y-%m-%d %H:%M:%S} UTC without renewal: killed, or the machine or the "
        "database restarted under it); nothing of the batch was kept — send the file again"
    )


def mark_abandoned_runs(engine: Engine | None = None, now: datetime | None = None) -> int:
    """Mark runs still ``running`` past their lease failed and abandoned; how many.

    A run from before leases (none recorded) is abandoned :data:`UNLEASED_AFTER` after it
    started. On SQLite a load in progress holds the one write lock, so the sweep waits for it
    (or gives up: the database is busy), and never marks a load that is still working.
    """
    engine = engine or get_engine()
    now = now or datetime.now(UTC)
    expired = or_(
        IngestRun.lease_expires_at < now,
        and_(IngestRun.lease_expires_at.is_(None), IngestRun.started_at < now - UNLEASED_AFTER),
    )
    with Session(engine) as session:
        found = session.execute(
            select(IngestRun.id, IngestRun.lease_expires_at, IngestRun.started_at).where(
                IngestRun.status == "running", expired
            )
        ).all()
        marked = 0
        for run_id, lease_expires_at, started_at in found:
            result = session.execute(
                update(IngestRun)
                .where(IngestRun.id == run_id, IngestRun.status == "running", expired)
                .values(
                    status="failed",
                    error=abandoned_message(lease_expires_at or started_at + UNLEASED_AFTER),
                    finished_at=now,
                    abandoned_at=now,
                )
            )
            marked += int(getattr(result, "rowcount", 0) or 0)
        session.commit()
    if marked:
        log.warning("%d ingest runs whose loading process stopped marked abandoned", marked)
    return marked


def renew_lease(engine: Engine, run_id: int, now: datetime | None = None) -> bool:
    """Move the run's lease :data:`LEASE_SECONDS` past ``now``, on a connection of its own.

    False when the run is no longer ``running`` or the database is busy or away (on SQLite
    the batch's own transaction holds the one write lock: nobody else can sweep meanwhile).
    """
    now = now or datetime.now(UTC)
    try:
        with engine.connect() as conn:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                conn.exec_driver_sql(f"PRAGMA busy_timeout = {_SQLITE_RENEW_BUSY_MS}")
            try:
                result = conn.execute(
                    update(IngestRun)
                    .where(IngestRun.id == run_id, IngestRun.status == "running")
                    .values(lease_expires_at=now + timedelta(seconds=LEASE_SECONDS))
                )
                conn.commit()
            finally:
                if sqlite:
                    conn.exec_driver_sql("PRAGMA busy_timeout = 30000")
            return bool(getattr(result, "rowcount", 0))
    except (OperationalError, InterfaceError) as exc:
        log.info("ingest run %s: lease not renewed (%s)", run_id, type(exc.orig or exc).__name__)
        return False


class LeaseRenewer:
    """A daemon thread renewing a run's lease every ``every`` seconds while a load works."""

    def __init__(
        self, engine: Engine, run_id: int, every: float = RENEW_SECONDS, clock: Clock = _utc_now
    ) -> None:
        self.engine, self.run_id, self.every, self.clock = engine, run_id, every, clock
        self.renewals = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"lease-run-{run_id}", daemon=True)

    def _loop(self) -> None:
        while not self._stop.wait(self.every):
            if renew_lease(self.engine, self.run_id, self.clock()):
                self.renewals += 1

    def __enter__(self) -> LeaseRenewer:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()
