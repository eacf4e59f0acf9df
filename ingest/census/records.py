"""The rows a census works on, by name: a spell, the state a census gives it, a state of its
history, an event, and the tables they come from.

A spell is read as a :class:`SpellRow` (every ``spells`` column, by name) and worked on as a
:class:`SpellRecord`; the column lists are built once from the field names, so no code here or
in the writers counts positions in a row.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from operator import attrgetter
from typing import Any, NamedTuple

from app.domain.spell_day_rules import ObservedState
from ingest.bulk import table_of
from ingest.contracts import PatientRecord
from models.spells import (
    PatientCensus,
    Spell,
    SpellDay,
    SpellDayStatus,
    SpellEvent,
    SpellState,
)

SPELLS = table_of(Spell)
STATES = table_of(SpellState)
EVENTS = table_of(SpellEvent)
SPELL_DAYS = table_of(SpellDay)
STATUSES = table_of(SpellDayStatus)
CENSUSES = table_of(PatientCensus)


class StateValues(NamedTuple):
    """The state a census gives a spell; a new ``spell_states`` row when it changes."""

    ward_code: str
    expected_discharge_date: date | None
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason_code: str | None
    delay_attributable_to: str | None
    local_authority_code: str | None
    contributing_reason_codes: str | None


STATE_COLUMNS = StateValues._fields
_state_of = attrgetter(*STATE_COLUMNS)


def state_of(row: PatientRecord) -> StateValues:
    """The state a feed row gives its spell."""
    return StateValues._make(_state_of(row))


class SpellRow(NamedTuple):
    """A ``spells`` row as a census reads it."""

    id: int
    spell_id: str
    site_code: str
    local_patient_id: str
    nhs_number_pseudonym: str | None
    age: int
    admitted_at: datetime
    admission_method: str
    last_census_at: datetime
    discharged_at: datetime | None
    discharge_date: date | None
    discharge_destination: str | None
    discharge_inferred: bool
    drd_at_discharge: date | None
    pathway_at_discharge: int | None
    delay_reason_at_discharge: str | None
    ward_code: str
    expected_discharge_date: date | None
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason_code: str | None
    delay_attributable_to: str | None
    local_authority_code: str | None
    contributing_reason_codes: str | None


@dataclass(slots=True)
class SpellRecord:
    """A ``spells`` row being worked on: its own columns, and its current state as one value."""

    pk: int | None
    state: StateValues
    spell_id: str
    site_code: str
    local_patient_id: str
    nhs_number_pseudonym: str | None
    age: int
    admitted_at: datetime
    admission_method: str
    last_census_at: datetime
    discharged_at: datetime | None = None
    discharge_date: date | None = None
    discharge_destination: str | None = None
    discharge_inferred: bool = False
    drd_at_discharge: date | None = None
    pathway_at_discharge: int | None = None
    delay_reason_at_discharge: str | None = None

    @classmethod
    def from_row(cls, row: SpellRow) -> SpellRecord:
        """The record of a row read with :data:`SPELL_SELECT`."""
        return cls(row.id, StateValues._make(_state_of(row)), *_attributes_of(row))

    def values(self) -> tuple[Any, ...]:
        """The ``spells`` columns' values in the order of :data:`SPELL_COLUMNS`."""
        return (*_attributes_of(self), *self.state)

    def updated_values(self) -> tuple[Any, ...]:
        """``id`` and the values an UPDATE sets, in the order of :data:`SPELL_UPDATE`."""
        return (self.pk, *_updated_of(self), *self.state)


#: the columns kept on a SpellRecord's own fields (the others are its ``state``)
SPELL_ATTRIBUTES = tuple(f.name for f in fields(SpellRecord) if f.name not in ("pk", "state"))
#: every ``spells`` column but ``id``: what an INSERT writes
SPELL_COLUMNS = (*SPELL_ATTRIBUTES, *STATE_COLUMNS)
#: ``id`` and what an UPDATE sets: every column but ``spell_id`` (the key it was found by)
SPELL_UPDATE = ("id", *(c for c in SPELL_COLUMNS if c != "spell_id"))
_attributes_of = attrgetter(*SPELL_ATTRIBUTES)
_updated_of = attrgetter(*(c for c in SPELL_ATTRIBUTES if c != "spell_id"))
#: what a spell is read with, in the order of SpellRow's fields
SPELL_SELECT = [SPELLS.c[name] for name in SpellRow._fields]
assert set(SpellRow._fields) == {"id", *SPELL_COLUMNS}, "SpellRow names every spells column"


@dataclass(slots=True)
class StateRecord:
    """A ``spell_states`` row (``pk`` None until inserted)."""

    pk: int | None
    observed_at: datetime
    values: StateValues

    def observed(self) -> ObservedState:
        v = self.values
        return ObservedState(
            observed_at=self.observed_at,
            ward_code=v.ward_code,
            discharge_ready_date=v.discharge_ready_date,
            pathway=v.pathway,
            delay_reason_code=v.delay_reason_code,
            delay_attributable_to=v.delay_attributable_to,
            local_authority_code=v.local_authority_code,
            contributing_reason_codes=v.contributing_reason_codes,
        )


class Event(NamedTuple):
    """A ``spell_events`` row of a spell, as readable text."""

    event_at: datetime
    event_type: str
    old_value: str | None
    new_value: str | None
    detail: str | None


EVENT_COLUMNS = Event._fields


def values_text(value: object) -> str | None:
    """A value as an event shows it."""
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass
class Work:
    """One spell to bring up to date in the slow (history-reading) path."""

    spell: SpellRecord
    line: int | None = None
    row: PatientRecord | None = None
    infer_at: datetime | None = None
    infer_reason: str = ""
    is_new: bool = False
