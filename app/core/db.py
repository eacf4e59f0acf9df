"""Engine and session factory, shared by the API, the pages, ingest and the scheduler."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from app.core import events
from app.core.config import get_settings


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured the same way for production and tests."""
    if url.startswith("sqlite"):
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA cache_size=-65536")  # 64 MB page cache for census loads
            cursor.close()

        return engine
    engine = create_engine(url, pool_size=10, max_overflow=20, **kwargs)
    _ping_when_idle(engine)
    return engine


PING_IDLE_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """A pool pre-ping for connections idle over ``PING_IDLE_SECONDS`` only.

    ``pool_pre_ping`` costs a round trip on every checkout — two per request on the hot read
    path. A connection that was in use a moment ago is not pinged; one that sat idle (long
    enough for a database restart or a firewall to drop it) is, and a failed ping invalidates
    the pool as ``pool_pre_ping`` would. A connection dropped within the last few seconds
    answers that request with the 503 of a database error, and the pool is invalidated then.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["homeward_checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("homeward_checked_in")
        if since is None or time.monotonic() - since < PING_IDLE_SECONDS:
            return  # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_connection, None):
                raise exc.InvalidatePoolError() from error
            raise


@lru_cache
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().database_url)


@lru_cache
def get_sessionmaker() -> sessionmaker[Session]:
    return sessionmaker(bind=get_engine(), expire_on_commit=False)


@lru_cache
def get_read_sessionmaker() -> sessionmaker[Session]:
    """Sessions for the per-request reads (who is signing in; the metrics routes) that need no
    transaction on PostgreSQL: each statement commits on its own (it sees the same data as in
    a READ COMMITTED transaction), which saves the BEGIN and ROLLBACK round trips of every
    request; a write made through one (a session's last-seen time) commits at once. SQLite's
    driver opens no transaction for a read anyway: there they are ordinary sessions."""
    engine = get_engine()
    if engine.dialect.name != "sqlite":  # switching pysqlite's mode per checkout costs more
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    session = get_sessionmaker()()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def reset_caches() -> None:
    """Forget the cached engine, settings and whatever listens on :func:`events.on_reset` (the
    metric results); tests switch databases with this."""
    events.announce_reset()
    if get_engine.cache_info().currsize:
        get_engine().dispose()
    get_engine.cache_clear()
    get_sessionmaker.cache_clear()
    get_read_sessionmaker.cache_clear()
    get_settings.cache_clear()
