"""Loaded stores: a sample's history loaded through ``load_batch`` into SQLite or PostgreSQL.

Loading a year takes minutes, so each loaded store is kept: a SQLite file under
``bench/cache/stores/`` or a PostgreSQL template database ``hwbench_…``, keyed by the sample
and the source of the ingest path, models and migrations (change any and it is loaded again).
A measurement works on a copy (``restore``), so the fresh censuses it loads never leak into
the next one.

``python -m bench.stores`` is the loading worker: one process per database, so SQLite and
PostgreSQL load side by side. It saves a store at each checkpoint (N days of history) and
writes each census's load time as JSON lines.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from bench.samples import CACHE, HISTORY_END, ROOT, ManifestEntry, Sample, source_hash

PG_BASE = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# BENCH_POSTGRES_PREFIX=hwbench_NAME_ keeps a run's databases apart from another's on a shared
# server; it must start with hwbench_, the only databases the harness ever drops
PG_PREFIX = os.environ.get("BENCH_POSTGRES_PREFIX", "hwbench_")
if not PG_PREFIX.startswith("hwbench_"):
    raise SystemExit(f"BENCH_POSTGRES_PREFIX={PG_PREFIX!r}: it must start with hwbench_")
STORES = CACHE / "stores"
RUNS = CACHE / "run"


@dataclass(frozen=True)
class Store:
    """A saved store: ``history_days`` of ``sample`` ending at ``cut`` on database ``db``."""

    sample: Sample
    db: str  # sqlite | postgresql
    history_days: int
    name: str  # the cached file stem or template database name

    @property
    def start(self) -> datetime:
        return HISTORY_END - timedelta(days=self.sample.spec.history_days)

    @property
    def cut(self) -> datetime:
        """The moment of the last history file the store holds."""
        return self.start + timedelta(days=self.history_days)

    @property
    def cached_url(self) -> str:
        if self.db == "sqlite":
            return f"sqlite:///{STORES / (self.name + '.db')}"
        return f"{PG_BASE}/{self.name}"

    def fresh(self, feed: str = "patients") -> list[ManifestEntry]:
        """The files of ``feed`` after the store's cut, oldest first."""
        return [e for e in self.sample.manifest.of_feed(feed) if e.snapshot_at > self.cut]

    def history(self, feed: str = "patients") -> list[ManifestEntry]:
        """The files of ``feed`` the store holds."""
        return [
            e for e in self.sample.manifest.of_feed(feed) if self.start < e.snapshot_at <= self.cut
        ]


STORE_FORMAT = 1


def schema_hash() -> str:
    """The source of the schema and of the ingest path, recorded with each saved store."""
    return source_hash("models", "alembic/versions")


def ingest_hash() -> str:
    return source_hash("ingest")


def store_name(sample: Sample, db: str, days: int) -> str:
    """A saved store's name: its sample, database and history. Not the code's version: a
    year takes long to load while the schema is still changing, so a store loaded under an
    older schema is kept, brought up to the current one by ``align_schema`` and reported as
    such; ``--reload`` loads it again."""
    key = hashlib.sha256(f"{sample.key}-{db}-{days}-{STORE_FORMAT}".encode()).hexdigest()[:10]
    return f"{PG_PREFIX}{sample.spec.name.replace('-', '_')}_h{days}_{key}"


def provenance(name: str) -> dict[str, str]:
    """What a saved store was loaded with (empty when not recorded)."""
    path = STORES / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else {}


def staleness(name: str) -> list[str]:
    """How the code has changed since the store was loaded, in words."""
    made = provenance(name)
    changed = []
    if made.get("schema") != schema_hash():
        changed.append("the schema")
    if made.get("ingest") != ingest_hash():
        changed.append("the ingest code")
    return changed


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        with _admin() as conn:
            conn.execute("SELECT 1")
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


def _admin():  # type: ignore[no-untyped-def]
    import psycopg

    url = PG_BASE.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    return psycopg.connect(url, autocommit=True)


def _pg_databases() -> set[str]:
    with _admin() as conn:
        rows = conn.execute("SELECT datname FROM pg_database").fetchall()
    return {r[0] for r in rows}


def _pg_drop(name: str) -> None:
    if not name.startswith(PG_PREFIX) or name == "test":
        raise ValueError(f"refusing to drop {name}: not a bench database")
    with _admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_copy(template: str, name: str) -> None:
    _pg_drop(name)
    with _admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def ensure_stores(
    sample: Sample,
    dbs: list[str],
    checkpoints: list[int],
    log: Callable[[str], None] = print,
    fresh: bool = False,
    load: bool = True,
) -> tuple[dict[tuple[str, int], Store], list[dict[str, object]]]:
    """The saved stores of ``sample`` at each checkpoint on each database, loading the missing
    ones (one worker process per database, side by side). Also returns the per-census load
    times the workers recorded (empty when everything came from the cache)."""
    stores = {
        (db, days): Store(sample, db, days, store_name(sample, db, days))
        for db in dbs
        for days in checkpoints
    }
    existing_pg = _pg_databases() if "postgresql" in dbs else set()

    def saved(store: Store) -> bool:
        if fresh:
            return False
        if store.db == "sqlite":
            return (STORES / f"{store.name}.db").exists()
        return store.name in existing_pg

    workers: list[tuple[str, subprocess.Popen[bytes], Path]] = []
    for db in dbs:
        missing = [d for d in checkpoints if not saved(stores[(db, d)])]
        if not missing:
            continue
        if not load:
            for days in missing:
                del stores[(db, days)]
            continue
        _forget_old(sample, db, keep={stores[(db, d)].name for d in checkpoints})
        timings = RUNS / f"load-{sample.spec.name}-{db}.jsonl"
        timings.parent.mkdir(parents=True, exist_ok=True)
        targets = [f"{d}={stores[(db, d)].name}" for d in sorted(checkpoints)]
        command = [
            sys.executable,
            "-m",
            "bench.stores",
            "--db",
            db,
            "--sample",
            str(sample.root),
            "--history-days",
            str(sample.spec.history_days),
            "--timings",
            str(timings),
            *targets,
        ]
        log(f"loading {sample.spec.name} into {db} (checkpoints {sorted(checkpoints)} days)")
        logfile = (RUNS / f"load-{sample.spec.name}-{db}.log").open("wb")
        workers.append(
            (db, subprocess.Popen(command, cwd=ROOT, stdout=logfile, stderr=logfile), timings)
        )
    for db, process, _ in workers:
        if process.wait() != 0:
            raise RuntimeError(
                f"loading {sample.spec.name} into {db} failed: see "
                f"{RUNS / f'load-{sample.spec.name}-{db}.log'}"
            )
    # each census's load time, as recorded by the last load of this sample (now or earlier)
    records: list[dict[str, object]] = []
    for db in dbs:
        timings = RUNS / f"load-{sample.spec.name}-{db}.jsonl"
        if timings.exists():
            for line in timings.read_text().splitlines():
                records.append({"db": db, "sample": sample.spec.name, **json.loads(line)})
    return stores, records


def _forget_old(sample: Sample, db: str, keep: set[str]) -> None:
    """Remove the saved stores of this sample and database made by older code or data."""
    prefix = f"{PG_PREFIX}{sample.spec.name.replace('-', '_')}_h"
    if db == "sqlite":
        for path in STORES.glob(f"{prefix}*.db"):
            if path.stem not in keep:
                path.unlink()
    else:
        for name in _pg_databases():
            if name.startswith(prefix) and name not in keep:
                _pg_drop(name)


def restore(store: Store, label: str) -> str:
    """A working copy of a saved store; returns its database URL."""
    if store.db == "sqlite":
        RUNS.mkdir(parents=True, exist_ok=True)
        target = RUNS / f"{label}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(STORES / f"{store.name}.db", target)
        return f"sqlite:///{target}"
    name = f"{PG_PREFIX}run_{label}".replace("-", "_")
    _pg_copy(store.name, name)
    return f"{PG_BASE}/{name}"


def align_schema(url: str) -> list[str]:
    """Add the tables and (nullable) columns the current models have and a saved store lacks.

    A stopgap for stores loaded before a schema change that was made by editing the initial
    migration (so ``alembic upgrade`` cannot bring them up to date): the columns added are
    empty for the stored history. Returns what was added (reported in the run's notes).
    """
    from sqlalchemy import inspect

    import models
    from app.core.db import make_engine

    engine = make_engine(url)
    added: list[str] = []
    try:
        inspector = inspect(engine)
        tables = set(inspector.get_table_names())
        with engine.begin() as conn:
            for table in models.Base.metadata.sorted_tables:
                if table.name not in tables:
                    table.create(conn)
                    added.append(f"table {table.name}")
                    continue
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present:
                        kind = column.type.compile(engine.dialect)
                        conn.exec_driver_sql(
                            f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'
                        )
                        added.append(f"{table.name}.{column.name}")
    finally:
        engine.dispose()
    return added


def discard(url: str) -> None:
    """Delete a working copy made by ``restore``."""
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        _pg_drop(url.rsplit("/", 1)[1])


# --- the loading worker -----------------------------------------------------------------------


def _load(args: argparse.Namespace) -> None:
    from bench.samples import Manifest

    targets = sorted((int(d), name) for d, name in (t.split("=", 1) for t in args.targets))
    work = f"{PG_PREFIX}load_{Path(args.sample).name}".replace("-", "_")[:60]
    if args.db == "sqlite":
        STORES.mkdir(parents=True, exist_ok=True)
        path = RUNS / f"{work}.db"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{path}"
    else:
        _pg_drop(work)
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{work}"')
        url = f"{PG_BASE}/{work}"
    os.environ["HOMEWARD_DATABASE_URL"] = url
    os.environ["HOMEWARD_RUN_SCHEDULER"] = "false"

    from sqlalchemy.orm import Session

    from app.core import migrations
    from app.core.db import make_engine, reset_caches
    from ingest.reference import sync_reason_catalogue
    from ingest.registry import load_reference_dir

    reset_caches()
    migrations.upgrade(url)
    engine = make_engine(url)
    manifest = Manifest.read(Path(args.sample))
    with Session(engine) as session:
        sync_reason_catalogue(session)
        load_reference_dir(session, manifest.root / "reference")
        session.commit()
    start = HISTORY_END - timedelta(days=args.history_days)
    with Path(args.timings).open("w") as timings:
        engine = _load_files(manifest, start, targets, engine, url, args.db, timings)
    engine.dispose()
    if args.db == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{RUNS / work}.db{suffix}").unlink(missing_ok=True)
    else:
        _pg_drop(work)


def _load_files(manifest, start, targets, engine, url, db, timings):  # type: ignore[no-untyped-def]
    """Load the history in order, saving a store at each checkpoint; returns the engine."""
    from ingest.loader import load_batch

    pending = list(targets)
    for entry in manifest:
        while pending and entry.snapshot_at > start + timedelta(days=pending[0][0]):
            engine = _save(engine, url, pending.pop(0)[1], db)
        if entry.snapshot_at <= start:
            continue
        if not pending:
            break
        wall, cpu = time.perf_counter(), time.process_time()
        summary = load_batch(entry.feed, entry.path, fmt="csv", engine=engine)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if summary.status != "succeeded":
            raise RuntimeError(f"{entry.path.name}: {summary.status} {summary.error}")
        if entry.feed == "patients":
            day = (entry.snapshot_at - start).total_seconds() / 86400
            record = {
                "history_days": round(day, 2),
                "rows": summary.rows_in,
                "quarantined": summary.rows_quarantined,
                "seconds": wall,
                "cpu_seconds": cpu,
            }
            timings.write(json.dumps(record) + "\n")
            timings.flush()
    while pending:
        engine = _save(engine, url, pending.pop(0)[1], db)
    return engine


def _save(engine, url: str, name: str, db: str):  # type: ignore[no-untyped-def]
    """Save the working store as ``name`` and return a new engine on the working store."""
    from app.core.db import make_engine

    engine.dispose()
    if db == "sqlite":
        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            # no ANALYZE: Homeward does not run it, so the planner works without statistics
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        target = STORES / f"{name}.db"
        shutil.copyfile(path, f"{target}.part")
        os.replace(f"{target}.part", target)
    else:
        _pg_drop(name)
        _vacuum_analyze(url)
        with _admin() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{url.rsplit("/", 1)[1]}"')
    record = {"schema": schema_hash(), "ingest": ingest_hash(), "saved_at": time.ctime()}
    (STORES / f"{name}.json").write_text(json.dumps(record))
    print(f"saved {name}", flush=True)
    return make_engine(url)


def _vacuum_analyze(url: str) -> None:
    import psycopg

    with psycopg.connect(
        url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
    ) as c:
        c.execute("VACUUM ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description="load a bench sample into a store")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], required=True)
    parser.add_argument("--sample", required=True)
    parser.add_argument("--history-days", type=int, required=True)
    parser.add_argument("--timings", required=True)
    parser.add_argument("targets", nargs="+", help="DAYS=NAME: save the store after DAYS days")
    _load(parser.parse_args())


if __name__ == "__main__":
    main()
