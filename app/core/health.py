"""Whether the database answers, and at which schema revision (the kernel's own check)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import get_engine


@dataclass(frozen=True)
class DatabaseStatus:
    backend: str  # sqlite | postgresql
    revision: str | None  # the Alembic revision the store is at
    error: str | None = None  # the exception's class name when it does not answer; never its text


def database_status() -> DatabaseStatus:
    """One round trip: the schema revision, or why the database did not answer."""
    engine = get_engine()
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        return DatabaseStatus(engine.dialect.name, None, type(exc).__name__)
    return DatabaseStatus(engine.dialect.name, revision)
