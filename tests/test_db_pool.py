"""The PostgreSQL pool pings a connection that sat idle before handing it out (app/core/db.py):
a connection the server dropped meanwhile is replaced, not handed to a request."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.core import db


def test_a_dropped_idle_connection_is_replaced(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite has no server to drop a connection")
    monkeypatch.setattr(db, "PING_IDLE_SECONDS", 0.0)  # every reused connection counts as idle
    engine, admin = db.make_engine(database_url), db.make_engine(database_url)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with admin.connect() as conn:  # the server drops the pooled connection
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
            conn.commit()
        with engine.connect() as conn:  # pinged on checkout, found dead, replaced
            second = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()
