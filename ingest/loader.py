"""The batch loader: the one entry every source (folder, HTTP pull, API, CLI) calls.

``load_batch`` records an ingest run (committed on its own, status ``running``), then reads,
checks and writes the whole batch in ONE transaction: snapshot rows, registrations,
quarantined rows, notices, patient changes and the run's final counts commit together, or
not at all. While it works, a thread renews the run's lease on a connection of its own; a
process killed mid-batch leaves no row of the batch and a run still ``running`` whose lease
runs out, which the next sweeper marks abandoned (:func:`mark_abandoned_runs`); sending the
file again loads it whole. The run's own row is written by :mod:`ingest.run_records`.

Outcomes:

* ``succeeded`` — rows in = loaded + quarantined; warnings and notices recorded.
* ``duplicate`` — a succeeded run of the feed had the same content (sha256): nothing changes.
* ``failed`` — the file as a whole is unusable (not UTF-8, empty, a required column missing,
  malformed JSON): returned with ``error`` set, every row counted as quarantined and one
  quarantine entry holding the file-level reason. Unexpected errors mark the run failed and
  raise :class:`BatchFailed`, whose words (and the stored error) name the kind of error and
  the table, never a value or an SQL parameter.
* the database unavailable — :class:`DatabaseUnavailable` is raised (the source keeps the
  file, the API answers 503).
"""

from __future__ import annotations

import gc
import io
import json
import logging
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Literal

from sqlalchemy import Engine, insert
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import get_engine
from app.core.events import announce_data_changed
from app.domain import nhs_number
from ingest.bulk import table_of
from ingest.capacity import NATURAL_KEYS, WRITERS
from ingest.contracts import (
    PatientValues,
    Problem,
    ValidationContext,
    mask_nhs_number,
    validate_row,
)
from ingest.mapping import HeaderBinding, bind_header, load_layouts, required_value_columns
from ingest.notices import NoticeSink
from ingest.readers import CsvTable, FileProblem, HashingStream, JsonTable, open_table, sniff_format
from ingest.reasons import reason_message
from ingest.run_records import (
    BatchFailed,
    DatabaseUnavailable,
    LeaseRenewer,
    describe_error,
    earlier_success,
    finish_duplicate,
    finish_failed,
    finish_file_problem,
    finish_succeeded,
    mark_abandoned_runs,
    start_run,
)
from models import FEEDS, IngestNotice, QuarantinedRow

__all__ = [
    "BatchFailed",
    "DatabaseUnavailable",
    "RunSummary",
    "load_batch",
    "mark_abandoned_runs",
]

log = logging.getLogger(__name__)

CHUNK_ROWS = 2_000
SQLITE_CACHE_KIB = 64 * 1024
SUMMARY_NOTICES = 50  # the summary lists this many notices; the run keeps them all
_MASK64 = (1 << 64) - 1
_NHS_LIKE = re.compile(r"(?<!\d)(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d)")


@dataclass
class RunSummary:
    run_id: int
    feed: str
    status: str  # succeeded | failed | duplicate
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    warnings: int = 0
    notices: list[str] = field(default_factory=list)
    error: str | None = None
    duplicate_of_run_id: int | None = None
    snapshot_at: datetime | None = None


class _Duplicate(Exception):
    def __init__(self, of_run_id: int) -> None:
        self.of_run_id = of_run_id


Source = BinaryIO | bytes | Path


def load_batch(
    feed: str,
    source: Source,
    *,
    source_kind: str = "cli",
    source_name: str | None = None,
    file_name: str | None = None,
    fmt: Literal["csv", "json"] | None = None,
    layout: str | None = None,
    engine: Engine | None = None,
    progress: Callable[[int], None] | None = None,
) -> RunSummary:
    """Load one batch of ``feed`` from ``source`` as one ingest run (see the module doc).

    ``progress`` is called after each chunk of rows with the number of bytes read so far.
    """
    if feed not in FEEDS:
        raise ValueError(reason_message("unknown_feed", feed=feed, feeds=", ".join(FEEDS)))
    engine = engine or get_engine()
    if file_name is None and isinstance(source, Path):
        file_name = source.name
    run_id = start_run(engine, feed, source_kind, source_name, file_name)
    try:
        with _binary(source) as raw, LeaseRenewer(engine, run_id):
            stream = HashingStream(raw)
            load: _Load | None = None
            try:
                chosen = fmt or sniff_format(file_name, stream.peek(512))
                load = _Load(engine, run_id, feed, stream, chosen, layout, progress)
                return load.run()
            except (OperationalError, InterfaceError) as exc:
                error = _failed(engine, run_id, feed, exc, load.rows_in if load else 0)
                raise DatabaseUnavailable(error) from None
            except DatabaseUnavailable:
                raise
            except Exception as exc:
                # re-raised without the driver's text or the chain: it carries parameters
                error = _failed(engine, run_id, feed, exc, load.rows_in if load else 0)
                raise BatchFailed(error) from None
    finally:
        announce_data_changed()  # this process's metrics cache sees the run at once


def _failed(engine: Engine, run_id: int, feed: str, exc: BaseException, rows_in: int) -> str:
    """Log and store a failed run's error: the class and Homeward's words, never values;
    ``rows_in`` is how many rows the batch held as far as it was read.

    The log keeps where it happened (the stack's frames: file, line, code), not the
    exception's text, which for a database error quotes the SQL parameters.
    """
    error = describe_error(exc)
    where = "".join(traceback.format_tb(exc.__traceback__)[-6:])
    log.error("ingest run %s of %s failed: %s\n%s", run_id, feed, error, where)
    finish_failed(engine, run_id, error, rows_in=rows_in)
    return error


@contextmanager
def _binary(source: Source) -> Iterator[BinaryIO]:
    if isinstance(source, Path):
        with source.open("rb") as fh:
            yield fh
    elif isinstance(source, bytes | bytearray | memoryview):
        yield io.BytesIO(source)
    else:
        yield source


class _Load:
    """One batch being loaded: the counters, the open transaction and the chunk in hand."""

    def __init__(
        self,
        engine: Engine,
        run_id: int,
        feed: str,
        stream: HashingStream,
        fmt: Literal["csv", "json"],
        layout: str | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.engine = engine
        self.run_id = run_id
        self.feed = feed
        self.stream = stream
        self.fmt = fmt
        self.layout = layout
        self.progress = progress
        self.sink = NoticeSink()
        self.notice_lines: list[str] = []
        self.notice_total = 0
        self.warnings = 0
        self.rows_in = 0
        self.rows_loaded = 0
        self.rows_quarantined = 0
        self.snapshot_at: datetime | None = None
        self.pending: list[tuple[int, Any]] = []
        self.quarantine: list[dict[str, Any]] = []
        self.seen: dict[int, int] = {}  # hash(natural key) → line << 64 | hash(row)
        self.header: list[str] = []

    # --- the run ------------------------------------------------------------------------

    def run(self) -> RunSummary:
        try:
            with _gc_paused(), Session(self.engine) as session, session.begin():
                if self.engine.dialect.name == "sqlite":
                    # a big batch is one transaction: keep its pages in memory, not spilled
                    session.connection().exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
                self._read_and_write(session)
                self.stream.drain()
                earlier = earlier_success(session, self.run_id, self.feed, self.stream.sha256)
                if earlier is not None:
                    raise _Duplicate(earlier)
                self._flush_notices(session)
                finish_succeeded(
                    session,
                    self.run_id,
                    content_hash=self.stream.sha256,
                    rows_in=self.rows_in,
                    rows_loaded=self.rows_loaded,
                    rows_quarantined=self.rows_quarantined,
                    warnings=self.warnings,
                    snapshot_at=self.snapshot_at,
                )
            return self._summary("succeeded")
        except _Duplicate as dup:
            return self._record_duplicate(dup.of_run_id)
        except FileProblem as problem:
            return self._record_file_problem(problem)

    def _read_and_write(self, session: Session) -> None:
        table = open_table(self.stream, self.fmt)
        self.header = table.header
        binding = self._bind(table)
        if binding is None:  # an empty JSON list
            self.sink.warning(None, reason_message("no_rows"))
            return
        formats = binding.formats
        context = ValidationContext.from_settings(get_settings(), formats=formats)
        if binding.layout is not None:
            self.sink.notice(None, f"columns read with the '{binding.layout.name}' layout")
        patients = self.feed == "patients"
        valid_patients: list[tuple[int, Any]] = []
        rejected_spells: set[str] = set()
        rows = self._rows(table, binding)
        for line, record, raw in rows:
            if max(len(self.pending), len(self.quarantine), len(self.sink.items)) >= CHUNK_ROWS:
                self._flush(session)  # memory stays bounded whatever the mix of rows
            outcome = validate_row(self.feed, record, context)
            if outcome.row is None:
                self._quarantine_problems(line, outcome.rejections, raw)
                if patients and record.get("spell_id"):
                    # a rejected census row still says the patient is there: no inferred discharge
                    rejected_spells.add(str(record["spell_id"]).strip())
                continue
            if not self._first_of_key(line, outcome.row, record, raw):
                continue
            for warning in outcome.warnings:
                self.sink.warning(line, warning.message)
            snapshot_at = outcome.row.snapshot_at  # type: ignore[attr-defined]
            if self.snapshot_at is None or snapshot_at > self.snapshot_at:
                self.snapshot_at = snapshot_at
            if patients:
                # held until the whole batch is read: the row's values, not the model
                valid_patients.append((line, PatientValues.of(outcome.row)))  # type: ignore[arg-type]
            else:
                self.pending.append((line, outcome.row))
        if binding.unknown:
            self.sink.warning(
                None,
                reason_message(
                    "unknown_columns",
                    columns=", ".join(f"'{u}'" for u in binding.unknown),
                    feed=self.feed,
                ),
            )
        if self.rows_in == 0:
            self.sink.warning(None, reason_message("no_rows"))
        self._flush(session)
        if patients:
            self._apply_patients(session, valid_patients, rejected_spells)

    def _bind(self, table: CsvTable | JsonTable) -> HeaderBinding | None:
        if isinstance(table, JsonTable) and not table.header:
            return None
        required = None if isinstance(table, CsvTable) else required_value_columns(self.feed)
        try:
            return bind_header(
                self.feed,
                table.header,
                layout=self.layout,
                layouts=load_layouts(),
                required=required,
            )
        except FileProblem:
            # count the rows the file holds, so the run says how many were rejected
            try:
                for _ in table:
                    self.rows_in += 1
            except FileProblem:
                pass
            raise

    def _rows(
        self, table: CsvTable | JsonTable, binding: HeaderBinding
    ) -> Iterator[tuple[int, dict[str, Any], Any]]:
        """(line, contract record, raw record) of each row of the right shape."""
        if isinstance(table, JsonTable):
            for position, obj in table:
                self.rows_in += 1
                yield position, binding.from_object(obj), obj
            return
        width = binding.header_fields
        header = table.header
        for line, fields in table:
            self.rows_in += 1
            if len(fields) != width:
                code = "truncated_row" if len(fields) < width else "too_many_fields"
                raw = dict(zip(header, fields, strict=False))
                if len(fields) > width:
                    raw["(extra fields)"] = fields[width:]  # type: ignore[assignment]
                message = reason_message(code, fields=len(fields), header_fields=width)
                self._add_quarantine(line, None, None, message, raw)
                continue
            yield line, binding.from_fields(fields), _LazyRaw(header, fields)

    def _first_of_key(self, line: int, row: Any, record: dict[str, Any], raw: Any) -> bool:
        """True for the first row of its natural key; later ones are quarantined.

        Only hashes are kept (a few dozen bytes a row, however wide the row): the natural
        key's, and the received values' to tell an exact duplicate from a conflicting one.
        """
        natural = NATURAL_KEYS[self.feed]
        key_hash = hash(natural.of(row))
        row_hash = hash(tuple(record.values())) & _MASK64
        earlier = self.seen.get(key_hash)
        if earlier is None:
            self.seen[key_hash] = line << 64 | row_hash
            return True
        first_line = earlier >> 64
        if earlier & _MASK64 == row_hash:
            message = reason_message("duplicate_row", line=first_line)
        else:
            message = reason_message("conflicting_duplicate", line=first_line, key=natural.label)
        self._add_quarantine(line, None, None, message, raw)
        return False

    # --- writing ------------------------------------------------------------------------

    def _flush(self, session: Session) -> None:
        if self.pending:
            self.rows_loaded += WRITERS[self.feed](session, self.run_id, self.pending, self.sink)
            self.pending = []
        if self.quarantine:
            session.execute(insert(table_of(QuarantinedRow)), self.quarantine)
            self.quarantine = []
        self._flush_notices(session)
        if self.progress is not None:
            self.progress(self.stream.bytes_read)

    def _flush_notices(self, session: Session) -> None:
        if not self.sink.items:
            return
        session.execute(
            insert(table_of(IngestNotice)),
            [
                {
                    "ingest_run_id": self.run_id,
                    "kind": n.kind,
                    "line_number": n.line_number,
                    "message": self._scrub(n.message),
                }
                for n in self.sink.items
            ],
        )
        for n in self.sink.items:
            self.notice_total += 1
            if n.kind == "warning":
                self.warnings += 1
            if len(self.notice_lines) < SUMMARY_NOTICES:
                where = f"line {n.line_number}: " if n.line_number is not None else ""
                self.notice_lines.append(f"{n.kind}: {where}{n.message}")
        self.sink.items.clear()

    def _apply_patients(
        self, session: Session, rows: list[tuple[int, Any]], rejected_spells: set[str]
    ) -> None:
        from ingest.census import apply_patient_batch

        result = apply_patient_batch(
            session, self.run_id, rows, self.sink, quarantined_spell_ids=rejected_spells
        )
        quarantined = list(result.quarantined)
        for line, column, value, reason in quarantined:
            self._add_quarantine(line, column, value, reason, None)
        loaded = int(result.loaded)
        if loaded + len(quarantined) != len(rows):
            self.sink.warning(
                None,
                f"the patients loader counted {loaded} loaded and {len(quarantined)} "
                f"quarantined of {len(rows)} valid rows; loaded taken as the difference",
            )
            loaded = len(rows) - len(quarantined)
        self.rows_loaded += loaded
        self._flush(session)

    # --- quarantine ---------------------------------------------------------------------

    def _quarantine_problems(self, line: int, problems: list[Problem], raw: Any) -> None:
        first = problems[0]
        reason = "; ".join(p.message for p in problems)
        self._add_quarantine(line, first.column, first.value, reason, raw)

    def _add_quarantine(
        self, line: int | None, column: str | None, value: str | None, reason: str, raw: Any
    ) -> None:
        self.rows_quarantined += 1
        self.quarantine.append(
            {
                "ingest_run_id": self.run_id,
                "line_number": line,
                "column": column,
                "value": self._scrub(value) if value is not None else None,
                "reason": self._scrub(reason),
                "raw": self._raw_json(raw),
            }
        )

    def _raw_json(self, raw: Any) -> str | None:
        if raw is None:
            return None
        record = dict(raw.items() if isinstance(raw, _LazyRaw) else raw)
        if self.feed == "patients":
            for key in list(record):
                if "nhs" in key.lower() and record[key] not in (None, ""):
                    record[key] = mask_nhs_number(record[key])
        text = json.dumps(record, ensure_ascii=False, default=str)
        return self._scrub(text)

    def _scrub(self, text: str) -> str:
        """Mask anything in a patients row that could be an NHS number."""
        if self.feed != "patients":
            return text
        return _NHS_LIKE.sub(_mask_match, text)

    # --- outcomes -----------------------------------------------------------------------

    def _summary(self, status: str, **extra: Any) -> RunSummary:
        notices = list(self.notice_lines)
        if self.notice_total > len(notices):
            notices.append(f"… and {self.notice_total - len(notices)} more (see the run)")
        return RunSummary(
            run_id=self.run_id,
            feed=self.feed,
            status=status,
            rows_in=self.rows_in,
            rows_loaded=self.rows_loaded,
            rows_quarantined=self.rows_quarantined,
            warnings=self.warnings,
            notices=notices,
            snapshot_at=self.snapshot_at,
            **extra,
        )

    def _record_duplicate(self, of_run_id: int) -> RunSummary:
        finish_duplicate(self.engine, self.run_id, of_run_id, self.stream.sha256)
        return RunSummary(
            run_id=self.run_id,
            feed=self.feed,
            status="duplicate",
            notices=[f"the same content as run {of_run_id}: nothing changed"],
            duplicate_of_run_id=of_run_id,
        )

    def _record_file_problem(self, problem: FileProblem) -> RunSummary:
        """A file-level problem: the run fails, every row of it counted as rejected."""
        try:
            self.stream.drain()
            content_hash: str | None = self.stream.sha256
        except Exception:  # a broken upload stream: the hash is not known
            content_hash = None
        self.rows_loaded = 0
        self.rows_quarantined = self.rows_in
        self.warnings = 0
        self.notice_lines = []
        self.notice_total = 0
        finish_file_problem(
            self.engine, self.run_id, problem, content_hash=content_hash, rows_in=self.rows_in
        )
        return self._summary("failed", error=problem.message)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is read and written.

    A national census builds a few hundred thousand objects that live until the batch ends
    (its rows, spells and write lists) and makes almost no cyclic garbage; the collector
    would walk them again and again as they age (a fifth of the load's CPU, measured).
    Reference counting still frees everything as usual; the collector is switched back on
    when the batch ends (if it was on: another thread's batch may have switched it off).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class _LazyRaw:
    """A CSV row as received, turned into a dict only if it is quarantined."""

    __slots__ = ("fields", "header")

    def __init__(self, header: list[str], fields: list[str]) -> None:
        self.header = header
        self.fields = fields

    def items(self) -> Iterator[tuple[str, str]]:
        return iter(zip(self.header, self.fields, strict=False))


def _mask_match(match: re.Match[str]) -> str:
    digits = "".join(match.groups())
    return mask_nhs_number(digits) if nhs_number.is_valid(digits) else match.group(0)
