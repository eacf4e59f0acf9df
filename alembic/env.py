"""Alembic environment: one set of migrations for SQLite (batch mode) and PostgreSQL."""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from sqlalchemy import Connection

import models
from alembic import context
from app.core.config import get_settings
from app.core.db import make_engine

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = models.Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or get_settings().database_url


def _include_object(
    obj: Any, _name: str | None, type_: str, _reflected: bool, _compare_to: Any
) -> bool:
    """With ``-x revision=0001`` autogenerate sees only the tables of that migration.

    A table (or an index, or a column) created by a later migration says so in
    ``info={"revision": ...}``;
    the script that regenerates the initial migration passes ``-x revision=0001`` to leave
    those out.
    """
    only = context.get_x_argument(as_dictionary=True).get("revision")
    if only is None:
        return True
    table = obj if type_ == "table" else getattr(obj, "table", None)
    if table is None:
        return True
    # an index or a column added to an older table by a later migration says so in its info
    own = obj.info.get("revision") if type_ in ("index", "column") else None
    return bool((own or table.info.get("revision", "0001")) == only)


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        compare_server_default=False,
        include_object=_include_object,
    )


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=_url().startswith("sqlite"),
        dialect_opts={"paramstyle": "named"},
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
