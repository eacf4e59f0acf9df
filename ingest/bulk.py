"""Bulk reads and writes for both stores: the one place that knows how each dialect moves rows.

Every ingest writer goes through here: :func:`upsert` (rows as dicts, the registers and the
capacity snapshots) and, for the census's thousands of rows, :func:`write_rows`,
:func:`update_rows`, :func:`delete_from_day` and :func:`read_rows`. On SQLite the rows go as
executemany through the driver; on PostgreSQL as one array per column in one statement per
chunk (``unnest``). Values go through SQLAlchemy's own bind and result conversion for each
type (so SQLite dates and UTC timestamps are stored and read exactly as the ORM does) without
its per-row bookkeeping, which otherwise dominates the cost of a census; each distinct value is
converted once per statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import String, Table, bindparam, delete, insert, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import NullType

T = TypeVar("T")

CHUNK_ROWS = 5_000  # rows per executemany
BULK_CHUNK = 20_000  # rows per PostgreSQL unnest statement
CONVERTED_LIMIT = 10_000  # distinct values remembered per column and statement

#: what a driver is given: SQL and its parameters (a list of rows, or one tuple of arrays)
Statements = list[tuple[str, Any]]


def table_of(model: type[DeclarativeBase]) -> Table:
    """The Core table of a mapped class (Core executemany is much faster than ORM bulk)."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


def in_chunk_size(session: Session) -> int:
    """How many values an ``IN (...)`` may carry (SQLite before 3.32 allows 999 in all)."""
    if session.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 32):
        return 900
    return 5_000


def chunked(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """``items`` in consecutive slices of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


# --- upserts ------------------------------------------------------------------------------


def upsert_statement(
    session: Session, table: Table, *, key: Sequence[str], update: Sequence[str]
) -> Insert:
    """INSERT … ON CONFLICT (key) DO UPDATE of the ``update`` columns (the key's own left out)
    for the session's dialect; DO NOTHING when no column is left to update."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt: Any = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:  # pragma: no cover - only the two supported stores
        raise NotImplementedError(f"upsert is not implemented for {dialect}")
    columns = [c for c in update if c not in key]
    if not columns:
        return stmt.on_conflict_do_nothing(index_elements=list(key))
    return stmt.on_conflict_do_update(
        index_elements=list(key), set_={c: stmt.excluded[c] for c in columns}
    )


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
    columns = update if update is not None else list(rows[0])
    stmt = upsert_statement(session, table_of(model), key=key, update=columns)
    for chunk in chunked(rows, CHUNK_ROWS):
        session.execute(stmt, list(chunk))
    return len(rows)


# --- executemany through the driver (SQLite, and any statement) ---------------------------


def run_statements(session: Session, statements: Statements) -> None:
    """Hand prepared statements to the driver on the session's connection."""
    connection = session.connection()
    for sql, params in statements:
        connection.exec_driver_sql(sql, params)


def execute_many(
    session: Session, stmt: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Execute ``stmt`` once per row (values in the order of ``names``) via the driver.

    ``names`` are the columns of an INSERT, or the bind parameter names of any other
    statement.
    """
    run_statements(session, prepare_many(session, stmt, names, rows))


def prepare_many(
    session: Session, stmt: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> Statements:
    """The driver calls of :func:`execute_many`, every value converted (no database work)."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if isinstance(stmt, Insert):
        compiled = stmt.compile(dialect=dialect, column_keys=list(names))
    else:
        compiled = stmt.compile(dialect=dialect)
    position = {name: i for i, name in enumerate(names)}
    order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    taken = [position[name] for name in order]
    # (index in the statement's parameter order, conversion) for the types that need one
    converting = [
        (k, convert)
        for k, name in enumerate(order)
        if (convert := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    in_order = taken == list(range(len(names)))
    sql = str(compiled)
    statements: Statements = []
    # a census repeats its dates and times (the day, the census time, DRDs): each distinct
    # value is converted once per statement
    converted: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = [
        (k, process, {}) for k, process in converting
    ]
    for chunk in chunked(rows, CHUNK_ROWS):
        values: list[list[Any]] = []
        for row in chunk:
            value = list(row) if in_order else [row[at] for at in taken]
            for k, process, seen in converted:
                given = value[k]
                done = seen.get(given, seen)
                if done is seen:
                    done = process(given)
                    if len(seen) < CONVERTED_LIMIT:
                        seen[given] = done
                value[k] = done
            values.append(value)
        if compiled.positional:
            params: Any = [tuple(v) for v in values]
        else:
            params = [dict(zip(order, v, strict=True)) for v in values]
        statements.append((sql, params))
    return statements


# --- PostgreSQL: one statement per chunk of rows, one array per column ---------------------


def _pg_array_type(table: Table, name: str, dialect: Any) -> str:
    """The array type a column's values are sent as (text without a length: the column's
    own type still checks the length when the values are stored)."""
    column_type = table.c[name].type
    if isinstance(column_type, String):
        return "VARCHAR[]"
    return f"{column_type.compile(dialect=dialect)}[]"


def _arrays(table: Table, names: Sequence[str], dialect: Any) -> str:
    return ", ".join(f"%s::{_pg_array_type(table, n, dialect)}" for n in names)


def _columns_of(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]], dialect: Any
) -> tuple[list[Any], ...]:
    """The rows' values column by column, through each column type's bind conversion."""
    columns: list[list[Any]] = [list(values) for values in zip(*rows, strict=True)]
    for k, name in enumerate(names):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            seen: dict[Any, Any] = {}  # each distinct value converted once
            columns[k] = [
                seen[v] if v in seen else seen.setdefault(v, process(v)) for v in columns[k]
            ]
    return tuple(columns)


def _last_per_key(
    rows: Sequence[Sequence[Any]], names: Sequence[str], key: Sequence[str]
) -> Sequence[Sequence[Any]]:
    """The last row of each key, in the order of those last rows: what running the rows one
    after another would leave (one statement may not touch a row twice)."""
    at = [names.index(k) for k in key]
    last: dict[tuple[Any, ...], int] = {}
    for index, row in enumerate(rows):
        last[tuple(row[k] for k in at)] = index
    if len(last) == len(rows):
        return rows
    return [rows[i] for i in sorted(last.values())]


def _unnest_insert(table: Table, names: Sequence[str], key: Sequence[str], dialect: Any) -> str:
    """PostgreSQL: INSERT the rows of one array per column of ``names``; with ``key``, a row
    whose key exists updates the other columns."""
    sql = (
        f"INSERT INTO {table.name} ({', '.join(names)}) "
        f"SELECT * FROM unnest({_arrays(table, names, dialect)})"
    )
    if key:
        updated = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in key)
        sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updated}"
    return sql


# --- the census's writes ------------------------------------------------------------------


def write_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: Sequence[str] = (),
    returning: Sequence[str] = (),
) -> list[Any]:
    """INSERT ``rows`` (values in the order of ``names``) into ``table``; with ``key``, a row
    whose key exists updates the other columns (the last row of a key wins). Returns the
    ``returning`` columns of the rows written (PostgreSQL only, else empty).

    On PostgreSQL the rows go as one array per column in one ``INSERT … SELECT FROM unnest``
    per chunk (a round trip and one statement for thousands of rows); elsewhere through
    :func:`execute_many`.
    """
    if not rows:
        return []
    if not returning:
        run_statements(session, prepare_rows(session, table, names, rows, key=key))
        return []
    assert _is_postgresql(session), "RETURNING: PostgreSQL only"
    connection = session.connection()
    dialect = connection.dialect
    if key:
        rows = _last_per_key(rows, names, key)
    sql = _unnest_insert(table, names, key, dialect) + f" RETURNING {', '.join(returning)}"
    returned: list[Any] = []
    for chunk in chunked(rows, BULK_CHUNK):
        result = connection.exec_driver_sql(sql, _columns_of(table, names, chunk, dialect))
        returned.extend(result.all())
    return returned


def prepare_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    key: Sequence[str] = (),
) -> Statements:
    """The driver calls of :func:`write_rows` (without RETURNING), every value converted."""
    if not rows:
        return []
    dialect = session.get_bind().dialect
    if dialect.name != "postgresql":
        stmt = upsert_statement(session, table, key=key, update=names) if key else insert(table)
        return prepare_many(session, stmt, names, rows)
    if key:
        rows = _last_per_key(rows, names, key)
    sql = _unnest_insert(table, names, key, dialect)
    return [(sql, _columns_of(table, names, chunk, dialect)) for chunk in chunked(rows, BULK_CHUNK)]


def update_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE the rows of ``table`` whose ``id`` is each row's first value (``names[0]`` is
    ``"id"``), setting the columns ``names[1:]`` to the rest (the last row of an id wins)."""
    if not rows:
        return
    assert names[0] == "id", "update_rows finds the rows by their id, the first value"
    if not _is_postgresql(session):
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in names[1:]})
        )
        execute_many(session, stmt, [f"b_{c}" for c in names], rows)
        return
    connection = session.connection()
    dialect = connection.dialect
    rows = _last_per_key(rows, names, ["id"])
    sql = (
        f"UPDATE {table.name} SET {', '.join(f'{n} = v.{n}' for n in names[1:])} "
        f"FROM unnest({_arrays(table, names, dialect)}) AS v({', '.join(names)}) "
        f"WHERE {table.name}.id = v.id"
    )
    for chunk in chunked(rows, BULK_CHUNK):
        connection.exec_driver_sql(sql, _columns_of(table, names, chunk, dialect))


def delete_from_day(
    session: Session,
    table: Table,
    rows: Sequence[tuple[int | None, date]],
    *,
    key: str = "spell_pk",
    day: str = "day",
) -> None:
    """DELETE, for each ``(key value, first day)`` of ``rows``, the rows of ``table`` with that
    ``key`` from that ``day`` on."""
    if not rows:
        return
    if not _is_postgresql(session):
        session.execute(
            delete(table).where(
                table.c[key] == bindparam("b_key"), table.c[day] >= bindparam("b_day")
            ),
            [{"b_key": pk, "b_day": first} for pk, first in rows],
        )
        return
    connection = session.connection()
    name = table.name
    sql = (
        f"DELETE FROM {name} USING unnest({_arrays(table, (key, day), connection.dialect)}) "
        f"AS v(k, d) WHERE {name}.{key} = v.k AND {name}.{day} >= v.d"
    )
    for chunk in chunked(rows, BULK_CHUNK):
        connection.exec_driver_sql(sql, ([pk for pk, _ in chunk], [first for _, first in chunk]))


# --- reads --------------------------------------------------------------------------------


def read_rows(
    session: Session, columns: Sequence[Any], *where: Any, order_by: Sequence[Any] = ()
) -> list[tuple[Any, ...]]:
    """``SELECT columns WHERE where`` as tuples, each value through its type's result
    conversion as SQLAlchemy would, but each distinct value of a column converted once (a
    census reads the same dates and census times for thousands of spells)."""
    dialect = session.get_bind().dialect
    processors: list[tuple[int, Callable[[Any], Any], dict[Any, Any]]] = []
    for k, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if process is not None:
            processors.append((k, process, {}))
    # the values come back as the driver gives them; converted below
    query = select(*(type_coerce(c, NullType()) for c in columns)).where(*where)
    if order_by:
        query = query.order_by(*order_by)
    raw = session.execute(query).all()
    if not processors:
        return [tuple(r) for r in raw]
    rows: list[tuple[Any, ...]] = []
    for r in raw:
        row = list(r)
        for k, process, seen in processors:
            given = row[k]
            if given is None:
                continue
            done = seen.get(given, seen)
            if done is seen:
                done = process(given)
                if len(seen) < CONVERTED_LIMIT:
                    seen[given] = done
            row[k] = done
        rows.append(tuple(row))
    return rows
