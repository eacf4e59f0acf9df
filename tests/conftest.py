"""Shared fixtures: every database test runs on SQLite, and on PostgreSQL when
``TEST_DATABASE_URL`` is set (``.ci/run`` sets it).

The test databases are built by running the Alembic migrations once per session; each test
starts from empty tables (plus the reason catalogue).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

import models
from app.core import migrations
from app.core.db import make_engine, reset_caches
from ingest.reference import sync_reason_catalogue
from tests.security_helpers import fast_password_hashing  # noqa: F401  (autouse)

BACKENDS = ["sqlite", "postgresql"]


def _postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database of each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'homeward-test.db'}"
    else:
        pg = _postgres_url()
        if not pg:
            pytest.skip("PostgreSQL: TEST_DATABASE_URL is not set")
        url = pg
        engine = make_engine(url)
        with engine.begin() as conn:  # start from a clean slate, whatever a previous run left
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    migrations.upgrade(url)
    return url


@pytest.fixture(scope="session")
def _engines() -> Iterator[dict[str, Engine]]:
    cache: dict[str, Engine] = {}
    yield cache
    for engine in cache.values():
        engine.dispose()


def wipe(engine: Engine) -> None:
    """Delete every row of every table, children first."""
    tables = list(reversed(models.Base.metadata.sorted_tables))
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join(t.name for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def engine(
    database_url: str,
    _engines: dict[str, Engine],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Iterator[Engine]:
    """An empty migrated database with the reason catalogue, also made the app's database."""
    if database_url not in _engines:
        _engines[database_url] = make_engine(database_url)
    eng = _engines[database_url]
    wipe(eng)
    with Session(eng) as session:
        sync_reason_catalogue(session)
        session.commit()
    monkeypatch.setenv("HOMEWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("HOMEWARD_FEEDS_DIR", str(tmp_path / "feeds"))
    monkeypatch.setenv("HOMEWARD_SCHEDULER_LOCK_DIR", str(tmp_path / "locks"))
    monkeypatch.setenv("HOMEWARD_RUN_SCHEDULER", "false")
    reset_caches()
    yield eng
    reset_caches()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the test database (tests commit as the code under test does)."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
