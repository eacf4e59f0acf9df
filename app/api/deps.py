"""Request dependencies shared by the API routers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends
from sqlalchemy.orm import Session

from app.core.db import get_read_sessionmaker, get_sessionmaker


def get_db() -> Iterator[Session]:
    """A read session per request (routers never commit; ingest owns writes)."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(get_db)]


def read_session() -> Session:
    """A read session for a sync route to open and close itself (``with read_session() as
    s:``), in the thread the route already runs in, without a transaction
    (``app.core.db.get_read_sessionmaker``). The metrics routes use it instead of
    ``SessionDep``, whose generator costs two more thread hops per request."""
    return get_read_sessionmaker()()
