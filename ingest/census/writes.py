"""What a census writes: its spells, their states, events, bed days and parked statuses, and
the census itself — gathered while the census is worked out, written at its end in
dependency order (spells first: new ones need their ids). All writes are batched: set-based
updates and the bulk helpers of ``ingest.bulk``, never a statement per row."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import bindparam, delete, insert, literal_column, select, update

from app.domain.spell_day_rules import RecordedStatus, SpellDayFacts
from ingest.bulk import (
    Statements,
    delete_from_day,
    execute_many,
    prepare_rows,
    run_statements,
    update_rows,
    upsert,
    write_rows,
)
from ingest.census.batch import Batch
from ingest.census.history import STATE_EVENT_TYPES
from ingest.census.reads import stored_discharge_days
from ingest.census.records import (
    EVENT_COLUMNS,
    EVENTS,
    SPELL_COLUMNS,
    SPELL_DAYS,
    SPELL_UPDATE,
    SPELLS,
    STATE_COLUMNS,
    STATES,
    STATUSES,
    Event,
    SpellRecord,
    StateRecord,
)
from models.spells import PatientCensus

#: the columns of a ``spell_days`` row: its spell, day and site, then the rest of the day's
#: facts — in the table's order, so the driver is given each row as it is (no reordering)
FACT_COLUMNS = tuple(f.name for f in fields(SpellDayFacts) if f.name != "day")
DAY_COLUMNS = ("spell_pk", "day", "site_code", *FACT_COLUMNS)
_facts_of = attrgetter(*FACT_COLUMNS)
#: the columns of a ``spell_day_statuses`` row (a status whose day is no bed day)
STATUS_FIELDS = tuple(f.name for f in fields(RecordedStatus))
PARKED_COLUMNS = ("spell_pk", "day", *STATUS_FIELDS, "ingest_run_id")
_status_of = attrgetter(*STATUS_FIELDS)
STATE_INSERT = ("spell_pk", "observed_at", *STATE_COLUMNS, "ingest_run_id")
EVENT_INSERT = ("spell_pk", *EVENT_COLUMNS, "ingest_run_id")


def day_row(spell: SpellRecord, facts: SpellDayFacts) -> tuple[Any, ...]:
    """A ``spell_days`` row in the order of :data:`DAY_COLUMNS`."""
    return (spell.pk, facts.day, spell.site_code, *_facts_of(facts))


@dataclass
class CensusWrites:
    """Everything a census writes, flushed in dependency order at its end."""

    new_spells: list[SpellRecord] = field(default_factory=list)
    spell_updates: list[SpellRecord] = field(default_factory=list)
    census_touch: list[int] = field(default_factory=list)  # pks whose last_census_at = T
    state_inserts: list[tuple[SpellRecord, StateRecord]] = field(default_factory=list)
    state_updates: list[StateRecord] = field(default_factory=list)
    state_deletes: list[int] = field(default_factory=list)
    event_deletes_from: list[tuple[SpellRecord, datetime]] = field(default_factory=list)
    event_deletes_exact: list[tuple[SpellRecord, str, datetime]] = field(default_factory=list)
    events: list[tuple[SpellRecord, Event]] = field(default_factory=list)
    day_deletes_from: list[tuple[SpellRecord, date]] = field(default_factory=list)
    days: list[tuple[SpellRecord, SpellDayFacts]] = field(default_factory=list)
    # statuses of days that are not bed days (see models.spells.SpellDayStatus)
    parked: list[tuple[SpellRecord, date, RecordedStatus]] = field(default_factory=list)

    def event(self, spell: SpellRecord, event: Event) -> None:
        self.events.append((spell, event))


def prepare_touch(batch: Batch, writes: CensusWrites, at: datetime) -> Statements:
    """``last_census_at = at`` for the spells listed so far (taken off the list): one
    set-based UPDATE per chunk of ids (on PostgreSQL one array, joined), no bind per id.
    On PostgreSQL this UPDATE of every confirmed spell (~80,000 nationally) costs ~1 s of
    server time whatever its form: each row is rewritten with its index entries."""
    pks, writes.census_touch = writes.census_touch, []
    if not pks:
        return []
    dialect = batch.session.get_bind().dialect
    convert = SPELLS.c.last_census_at.type.dialect_impl(dialect).bind_processor(dialect)
    moment = convert(at) if convert is not None else at
    if dialect.name == "postgresql":
        sql = (
            "UPDATE spells SET last_census_at = %s FROM unnest(%s::INTEGER[]) AS v(id) "
            "WHERE spells.id = v.id"
        )
        return [(sql, (moment, list(pks)))]
    statements: Statements = []
    for chunk in batch.chunks(pks):
        ids = ", ".join(str(int(pk)) for pk in chunk)
        statements.append((f"UPDATE spells SET last_census_at = ? WHERE id IN ({ids})", (moment,)))
    return statements


def prepare_days(batch: Batch, writes: CensusWrites) -> Statements:
    """The day rows listed so far (those of the spells the census confirms, which all exist)
    as driver statements, taken off the write list and counted."""
    days, writes.days = writes.days, []
    touches = batch.touches
    for spell, facts in days:
        touches.add(spell.site_code, facts.day)
    batch.result.days_written += len(days)
    return prepare_rows(
        batch.session,
        SPELL_DAYS,
        DAY_COLUMNS,
        [day_row(spell, facts) for spell, facts in days],
        key=("spell_pk", "day"),
    )


def flush(batch: Batch, writes: CensusWrites, at: datetime, sites: list[str]) -> None:
    """Write the census: spells first (new ones need their ids), then what hangs off them."""
    _write_spells(batch, writes, at)
    _write_states(batch, writes)
    _write_events(batch, writes)
    _write_days(batch, writes)
    if sites:
        upsert(
            batch.session,
            PatientCensus,
            [
                {"site_code": site, "snapshot_at": at, "ingest_run_id": batch.run_id}
                for site in sites
            ],
            key=["site_code", "snapshot_at"],
            update=[],
        )


def _write_spells(batch: Batch, w: CensusWrites, at: datetime) -> None:
    s = batch.session
    _touch_discharges(batch, w)
    if w.new_spells:
        by_id = {spell.spell_id: spell for spell in w.new_spells}
        values = [spell.values() for spell in w.new_spells]
        if s.get_bind().dialect.name == "postgresql":
            returned: Iterable[Any] = write_rows(
                s, SPELLS, SPELL_COLUMNS, values, returning=("id", "spell_id")
            )
        else:
            # executemany through the driver, then the ids by the unique spell_id
            execute_many(s, insert(SPELLS), SPELL_COLUMNS, values)
            returned = [
                r
                for ids in batch.chunks(list(by_id))
                for r in s.execute(
                    select(SPELLS.c.id, SPELLS.c.spell_id).where(SPELLS.c.spell_id.in_(ids))
                )
            ]
        for pk, spell_id in returned:
            by_id[spell_id].pk = pk
    if w.spell_updates:
        update_rows(s, SPELLS, SPELL_UPDATE, [spell.updated_values() for spell in w.spell_updates])
    run_statements(s, prepare_touch(batch, w, at))


def _touch_discharges(batch: Batch, w: CensusWrites) -> None:
    """Record the discharge days of the spells about to be written: each one's new day and,
    read from the store before the write, the day it had (spell_discharge_counts)."""
    touches = batch.touches
    for spell in (*w.new_spells, *w.spell_updates):
        if spell.discharge_date is not None:
            touches.add_discharge(spell.site_code, spell.discharge_date)
    updated = [spell.pk for spell in w.spell_updates if spell.pk is not None]
    for site_code, day in stored_discharge_days(batch, updated):
        touches.add_discharge(site_code, day)


def _write_states(batch: Batch, w: CensusWrites) -> None:
    s, run_id = batch.session, batch.run_id
    for pks in batch.chunks(w.state_deletes):
        s.execute(delete(STATES).where(STATES.c.id.in_(pks)))
    updates = [state for state in w.state_updates if state.pk is not None]
    if updates:
        s.execute(
            update(STATES)
            .where(STATES.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in STATE_COLUMNS}, ingest_run_id=run_id),
            [
                {"b_id": st.pk, **{f"b_{c}": v for c, v in st.values._asdict().items()}}
                for st in updates
            ],
        )
    if w.state_inserts:
        write_rows(
            s,
            STATES,
            STATE_INSERT,
            [(spell.pk, st.observed_at, *st.values, run_id) for spell, st in w.state_inserts],
        )


def _write_events(batch: Batch, w: CensusWrites) -> None:
    s = batch.session
    if w.event_deletes_from:
        s.execute(
            delete(EVENTS).where(
                EVENTS.c.spell_pk == bindparam("b_pk"),
                EVENTS.c.event_at >= bindparam("b_at"),
                # the types inline: an expanding IN cannot go through executemany
                EVENTS.c.event_type.in_([literal_column(f"'{t}'") for t in STATE_EVENT_TYPES]),
            ),
            [{"b_pk": spell.pk, "b_at": at} for spell, at in w.event_deletes_from],
        )
    if w.event_deletes_exact:
        s.execute(
            delete(EVENTS).where(
                EVENTS.c.spell_pk == bindparam("b_pk"),
                EVENTS.c.event_type == bindparam("b_type"),
                EVENTS.c.event_at == bindparam("b_at"),
            ),
            [
                {"b_pk": spell.pk, "b_type": kind, "b_at": at}
                for spell, kind, at in w.event_deletes_exact
            ],
        )
    if w.events:
        write_rows(
            s,
            EVENTS,
            EVENT_INSERT,
            [(spell.pk, *event, batch.run_id) for spell, event in w.events],
        )


def _write_days(batch: Batch, w: CensusWrites) -> None:
    s, touches = batch.session, batch.touches
    for spell, day in w.day_deletes_from:
        touches.add_from(spell.site_code, day)
    for spell, facts in w.days:
        touches.add(spell.site_code, facts.day)
    delete_from_day(s, SPELL_DAYS, [(spell.pk, day) for spell, day in w.day_deletes_from])
    if w.days:
        write_rows(
            s,
            SPELL_DAYS,
            DAY_COLUMNS,
            [day_row(spell, facts) for spell, facts in w.days],
            key=("spell_pk", "day"),
        )
        batch.result.days_written += len(w.days)
    if w.parked:
        write_rows(
            s,
            STATUSES,
            PARKED_COLUMNS,
            [(spell.pk, day, *_status_of(status), batch.run_id) for spell, day, status in w.parked],
            key=("spell_pk", "day"),
        )
