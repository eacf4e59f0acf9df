"""What a census reads from the store: the spells it names or may discharge, the censuses
beside it, and the history of the spells it changes. Each is one chunked ``IN`` per table,
never a query per row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime

from sqlalchemy import func, select

from app.domain.spell_day_rules import RecordedStatus
from ingest.bulk import read_rows
from ingest.census.batch import Batch
from ingest.census.history import later
from ingest.census.records import (
    CENSUSES,
    SPELL_DAYS,
    SPELL_SELECT,
    SPELLS,
    STATE_COLUMNS,
    STATES,
    STATUSES,
    SpellRecord,
    SpellRow,
    StateRecord,
    StateValues,
)

Statuses = dict[int, dict[date, RecordedStatus]]


def _spells(batch: Batch, *where: object) -> Iterator[SpellRecord]:
    for row in read_rows(batch.session, SPELL_SELECT, *where):
        yield SpellRecord.from_row(SpellRow._make(row))


def load_spells(
    batch: Batch, sites: Sequence[str], spell_ids: Sequence[str]
) -> tuple[dict[str, SpellRecord], dict[str, list[SpellRecord]]]:
    """The spells a census names, and the spells in hospital at each site it names."""
    known: dict[str, SpellRecord] = {}
    in_hospital: dict[str, list[SpellRecord]] = defaultdict(list)
    for chunk in batch.chunks(sites):
        for spell in _spells(
            batch, SPELLS.c.site_code.in_(chunk), SPELLS.c.discharged_at.is_(None)
        ):
            known[spell.spell_id] = spell
            in_hospital[spell.site_code].append(spell)
    missing = [s for s in dict.fromkeys(spell_ids) if s not in known]
    for chunk in batch.chunks(missing):
        for spell in _spells(batch, SPELLS.c.spell_id.in_(chunk)):
            known[spell.spell_id] = spell
    return known, in_hospital


def inferred_after(batch: Batch, site: str, at: datetime, previous: datetime) -> list[SpellRecord]:
    """The spells of ``site`` in hospital as of its census ``previous``, last seen before
    ``at`` and inferred discharged after it (an older census arriving late)."""
    return list(
        _spells(
            batch,
            SPELLS.c.site_code == site,
            SPELLS.c.discharge_inferred.is_(True),
            SPELLS.c.discharged_at > at,
            SPELLS.c.last_census_at < at,
            SPELLS.c.admitted_at <= previous,
        )
    )


def neighbour_censuses(
    batch: Batch, at: datetime, sites: Sequence[str]
) -> tuple[dict[str, datetime], dict[str, datetime]]:
    """Each named site's census before ``at``, and after it (an older census arriving)."""
    previous: dict[str, datetime] = {}
    following: dict[str, datetime] = {}
    for chunk in batch.chunks(sites):
        for target, aggregate, condition in (
            (previous, func.max, CENSUSES.c.snapshot_at < at),
            (following, func.min, CENSUSES.c.snapshot_at > at),
        ):
            query = (
                select(CENSUSES.c.site_code, aggregate(CENSUSES.c.snapshot_at))
                .where(CENSUSES.c.site_code.in_(chunk), condition)
                .group_by(CENSUSES.c.site_code)
            )
            target.update({site: moment for site, moment in batch.session.execute(query)})
    return previous, following


def load_history(
    batch: Batch, pks: Sequence[int]
) -> tuple[dict[int, list[StateRecord]], Statuses, Statuses]:
    """The states of the spells, their recorded statuses (from their day rows and parked),
    and the parked ones alone."""
    session = batch.session
    states: dict[int, list[StateRecord]] = defaultdict(list)
    statuses: Statuses = defaultdict(dict)
    parked: Statuses = defaultdict(dict)
    state_columns = [STATES.c.id, STATES.c.spell_pk, STATES.c.observed_at]
    state_columns += [STATES.c[c] for c in STATE_COLUMNS]
    day_columns = [
        SPELL_DAYS.c.spell_pk,
        SPELL_DAYS.c.day,
        SPELL_DAYS.c.day_status_recorded,
        SPELL_DAYS.c.red_reason_recorded,
        SPELL_DAYS.c.day_status_recorded_at,
    ]
    parked_columns = [
        STATUSES.c.spell_pk,
        STATUSES.c.day,
        STATUSES.c.day_status,
        STATUSES.c.red_reason_code,
        STATUSES.c.recorded_at,
    ]
    for chunk in batch.chunks(pks):
        for pk, spell_pk, observed_at, *values in read_rows(
            session,
            state_columns,
            STATES.c.spell_pk.in_(chunk),
            order_by=(STATES.c.spell_pk, STATES.c.observed_at),
        ):
            states[spell_pk].append(StateRecord(pk, observed_at, StateValues._make(values)))
        recorded = SPELL_DAYS.c.day_status_recorded.is_not(None)
        for spell_pk, day, status, reason, recorded_at in read_rows(
            session, day_columns, SPELL_DAYS.c.spell_pk.in_(chunk), recorded
        ):
            statuses[spell_pk][day] = RecordedStatus(status, reason, recorded_at)
        for spell_pk, day, status, reason, recorded_at in read_rows(
            session, parked_columns, STATUSES.c.spell_pk.in_(chunk)
        ):
            kept = RecordedStatus(status, reason, recorded_at)
            parked[spell_pk][day] = kept
            if later(kept, statuses[spell_pk].get(day)):
                statuses[spell_pk][day] = kept
    return states, statuses, parked


def statuses_of_day(batch: Batch, day: date, pks: Sequence[int]) -> dict[int, RecordedStatus]:
    """The status recorded on ``day``'s row of each spell that has one."""
    today: dict[int, RecordedStatus] = {}
    for chunk in batch.chunks(pks):
        query = select(
            SPELL_DAYS.c.spell_pk,
            SPELL_DAYS.c.day_status_recorded,
            SPELL_DAYS.c.red_reason_recorded,
            SPELL_DAYS.c.day_status_recorded_at,
        ).where(
            SPELL_DAYS.c.day == day,
            SPELL_DAYS.c.spell_pk.in_(chunk),
            SPELL_DAYS.c.day_status_recorded.is_not(None),
        )
        for spell_pk, status, reason, recorded_at in batch.session.execute(query).all():
            today[spell_pk] = RecordedStatus(status, reason, recorded_at)
    return today


def stored_discharge_days(batch: Batch, pks: Sequence[int]) -> list[tuple[str, date]]:
    """The (site, discharge day) the store holds for the spells ``pks`` (before a write)."""
    days: list[tuple[str, date]] = []
    for chunk in batch.chunks(pks):
        query = select(SPELLS.c.site_code, SPELLS.c.discharge_date).where(
            SPELLS.c.id.in_(chunk), SPELLS.c.discharge_date.is_not(None)
        )
        days.extend((site_code, day) for site_code, day in batch.session.execute(query))
    return days
