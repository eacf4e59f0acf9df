"""The one dialect-aware upsert (INSERT … ON CONFLICT DO UPDATE) for SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session

CHUNK_ROWS = 5_000


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core table of a mapped class (Core executemany is much faster than ORM bulk)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def upsert(
    session: Session,
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    key: Sequence[str],
    update: Sequence[str] | None = None,
) -> int:
    """Insert ``rows``; a row whose ``key`` exists already updates the ``update`` columns.

    ``update`` defaults to every column given except the key; an empty ``update`` means
    "insert if missing, leave existing rows alone". Executed as executemany in chunks.
    """
    if not rows:
        return 0
    table = table_of(model)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported stores
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    columns = update if update is not None else [c for c in rows[0] if c not in key]
    if columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(key), set_={c: stmt.excluded[c] for c in columns}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    for start in range(0, len(rows), CHUNK_ROWS):
        session.execute(stmt, list(rows[start : start + CHUNK_ROWS]))
    return len(rows)
