"""Migrations: empty → head → base → head on both databases; no drift; upgrade twice is a no-op."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

import models
from app.core import migrations
from app.core.db import make_engine

ROOT = Path(__file__).resolve().parent.parent


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def scratch_url(database_url: str, tmp_path: Path) -> str:
    """A database of its own: a new SQLite file, or a fresh schema on PostgreSQL."""
    if database_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'scratch.db'}"
    engine = make_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS scratch CASCADE"))
        conn.execute(text("CREATE SCHEMA scratch"))
    engine.dispose()
    sep = "&" if "?" in database_url else "?"
    return f"{database_url}{sep}options=-csearch_path%3Dscratch"


def test_up_down_up_and_no_drift(scratch_url: str) -> None:
    expected = set(models.Base.metadata.tables)
    migrations.upgrade(scratch_url)
    assert _tables(scratch_url) == expected
    migrations.check(scratch_url)  # raises on any difference between models and migrations
    migrations.downgrade(scratch_url, "base")
    assert _tables(scratch_url) == set()
    migrations.upgrade(scratch_url)
    assert _tables(scratch_url) == expected
    migrations.check(scratch_url)


def test_db_upgrade_twice_is_a_no_op(scratch_url: str) -> None:
    env = {**os.environ, "HOMEWARD_DATABASE_URL": scratch_url}
    command = [sys.executable, "-m", "app.cli", "db", "upgrade"]
    first = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert "reason catalogue: 36 rows updated" in first.stderr
    engine = make_engine(scratch_url)
    with engine.connect() as conn:
        revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        reasons = conn.execute(text("SELECT count(*) FROM delay_reasons")).scalar()
    second = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True)
    assert second.returncode == 0, second.stderr
    assert "reason catalogue: 0 rows updated" in second.stderr
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == revision
        assert conn.execute(text("SELECT count(*) FROM delay_reasons")).scalar() == reasons == 36
    engine.dispose()
