"""Apply a batch of the patients feed to the store: spells, their history, their bed days.

``apply_patient_batch`` is called by the loader inside the batch's one transaction, with the
rows that passed the contract. It registers the sites, wards and councils the rows name
(``ingest.registry``) and keeps ``spells``, ``spell_states``, ``spell_events``,
``spell_day_statuses``, ``spell_days`` and ``patient_censuses`` (see ``models/patients.py``)
in step. It never commits. How DESIGN.md §3 and §4 are read here (the per-day rules
themselves are in ``app/domain/spell_day_rules.py``):

**Censuses.** A batch may hold several censuses (rows grouped by ``snapshot_at``) of several
sites; they are applied oldest first, each completely before the next. A row without
``discharged_at`` is the spell's state at ``snapshot_at``; a row with one is a discharge. The
census of site S at T exists when at least one inpatient row names S at T (discharge rows
alone do not make a census: a census only speaks for the sites it names).

**Inferred discharges.** The previous census of S is the latest census of S before T. A spell
of S that was in hospital as of that census (admitted by then, not discharged), is absent
from this census (no row at all for its spell_id — not even a quarantined one), and was last
seen before T is recorded as discharged at T: ``discharge_inferred``, a ``discharge_inferred``
event and an ``inference`` notice. The first census of a site infers nothing. When an older
census arrives late (a later census of S is already stored), a spell absent from it whose
discharge was inferred at a later census has that discharge brought forward to T, and a spell
present at T but absent from the next census (and not discharged) is discharged at that next
census. A spell in a later census after an inferred discharge is un-discharged
(``discharge_withdrawn`` event, notice). A spell in a census after a *reported* discharge
(a discharge row) is quarantined: a readmission needs a new spell_id.

**Discharge rows.** A discharge row for an unknown spell creates the spell (admitted_at from
the row) and discharges it. A discharge row replaces an inferred discharge, and a later one
corrects an earlier one. Its empty DRD, pathway, reason, agency, council and EDD mean "not
given", not "cleared": they are taken from the state in force before it, so the discharge
row never ends an NCtR period itself (the discharge does).

**History.** ``spell_states`` gets a row whenever the observed state (ward, EDD, DRD, pathway,
reason, agency, council) differs from the state in force just before it, wherever in time it
falls: a census older than the spell's ``last_census_at`` is slotted into the history (and a
later row made redundant by it is removed) but never overwrites the current state on
``spells``; re-sending a census changes nothing. ``spell_events`` holds the same changes as
readable events, regenerated from the history when an old census changes it.

**Recorded day statuses.** A row's ``day_status`` is the board round's status for the local
date of its ``snapshot_at``; the latest non-empty one of that day wins (an empty status never
clears one; an older census arriving late does not override a later one). It is stored on
the day's ``spell_days`` row with the census time; a status for a day that is not (or no
longer) a bed day is kept in ``spell_day_statuses`` so it returns if the day does.

**Incremental.** A spell whose state did not change gets only its new day rows (from the day
after its previous census to this census's day, or a rewrite of today's row when today's
status changed) — its history is not read. A state change, a late DRD, a discharge, an
inference or an out-of-order census re-derives that spell's days from the earliest day the
change can affect (the change's own day, or its DRD if earlier; the admission day when an
older census becomes the first one). All reads and writes are batched — one chunked ``IN``
per table, set-based updates, and executemany through the driver (:func:`execute_many`) for
the rows — never a query per row.

**Cross-row problems** are quarantined with a reason: the same spell twice in one census with
different values (the first is kept; an identical repeat is ignored with a warning), a spell
whose site_code differs from its known site, a spell listed after its reported discharge.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime, tzinfo
from operator import attrgetter, itemgetter
from typing import Any, NamedTuple, TypeVar

from sqlalchemy import (
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert
from sqlalchemy.types import NullType

from app.core.config import get_settings
from app.domain.nhs_number import pseudonymise
from app.domain.spell_day_rules import (
    ONE_DAY,
    ObservedState,
    RecordedStatus,
    SpellDayFacts,
    day_facts,
    derive_spell_days,
    discharge_facts,
    last_bed_day,
    local_date,
)
from ingest.contracts import PatientRecord
from ingest.day_counts import DayTouches
from ingest.day_counts import refresh as refresh_day_counts
from ingest.notices import NoticeSink
from ingest.registry import ensure_councils, ensure_wards
from ingest.upsert import table_of, upsert
from models.patients import (
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
DAYS = table_of(SpellDay)
STATUSES = table_of(SpellDayStatus)
CENSUSES = table_of(PatientCensus)

# the events that restate the history of states (regenerated when an old census changes it)
STATE_EVENT_TYPES = (
    "ward_changed",
    "edd_set",
    "drd_set",
    "drd_cleared",
    "pathway_changed",
    "reason_changed",
    "agency_changed",
    "council_changed",
)
T = TypeVar("T")

Quarantine = tuple[int, str | None, str | None, str]


@dataclass
class PatientBatchResult:
    """What a batch did: rows in = ``loaded`` + ``len(quarantined)``."""

    loaded: int = 0
    quarantined: list[Quarantine] = field(default_factory=list)
    spells_touched: int = 0
    days_written: int = 0
    discharges_inferred: int = 0


def apply_patient_batch(
    session: Session,
    run_id: int,
    rows: list[tuple[int, PatientRecord]],
    notices: NoticeSink,
    *,
    quarantined_spell_ids: Collection[str] = (),
) -> PatientBatchResult:
    """Apply validated patients rows ``(line, row)`` in the caller's transaction.

    ``quarantined_spell_ids``: spell ids of rows the contract rejected in this batch; such a
    spell is never inferred discharged by the batch (its row was sent, just not usable).
    """
    settings = get_settings()
    session.flush()
    ensure_wards(
        session, {(r.site_code, r.ward_code, None, None) for _, r in rows}, run_id, notices
    )
    ensure_councils(session, {r.local_authority_code or "" for _, r in rows}, run_id, notices)
    batch = _Batch(
        session=session,
        run_id=run_id,
        notices=notices,
        tz=settings.tz,
        pseudonym_key=settings.pseudonym_key,
        protected=frozenset(quarantined_spell_ids),
        chunk=_in_chunk_size(session),
        result=PatientBatchResult(),
    )
    censuses: dict[datetime, list[tuple[int, PatientRecord]]] = defaultdict(list)
    for line, row in rows:
        censuses[row.snapshot_at.astimezone(UTC)].append((line, row))
    for snapshot_at in sorted(censuses):
        _Census(batch, snapshot_at, censuses[snapshot_at]).apply()
    refresh_day_counts(session, batch.touches)
    batch.result.loaded = len(rows) - len(batch.result.quarantined)
    return batch.result


# --- in-memory records -----------------------------------------------------------------


class StateValues(NamedTuple):
    """The state a census gives a spell; a new ``spell_states`` row when it changes."""

    ward_code: str
    expected_discharge_date: date | None
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason_code: str | None
    delay_attributable_to: str | None
    local_authority_code: str | None


STATE_COLUMNS = StateValues._fields


def _row_values(row: PatientRecord) -> StateValues:
    return StateValues(
        row.ward_code,
        row.expected_discharge_date,
        row.discharge_ready_date,
        row.pathway,
        row.delay_reason_code,
        row.delay_attributable_to,
        row.local_authority_code,
    )


def _fill_from(values: StateValues, before: StateValues | None) -> StateValues:
    """A discharge row's values, its empty fields taken from the state in force before it."""
    if before is None:
        return values
    return StateValues._make(v if v is not None else b for v, b in zip(values, before, strict=True))


@dataclass(slots=True)
class _Spell:
    """A ``spells`` row being worked on."""

    pk: int | None
    spell_id: str
    site_code: str
    local_patient_id: str
    nhs_number_pseudonym: str | None
    age: int
    admitted_at: datetime
    admission_method: str
    last_census_at: datetime
    state: StateValues
    discharged_at: datetime | None = None
    discharge_date: date | None = None
    discharge_destination: str | None = None
    discharge_inferred: bool = False
    drd_at_discharge: date | None = None
    pathway_at_discharge: int | None = None
    delay_reason_at_discharge: str | None = None

    def as_row(self) -> dict[str, Any]:
        """The ``spells`` columns (without ``id``)."""
        return dict(zip(_SPELL_COLUMNS, (*_GET_ATTRIBUTES(self), *self.state), strict=True))

    def values(self) -> tuple[Any, ...]:
        """The ``spells`` columns' values in the order of ``_SPELL_COLUMNS``."""
        return (*_GET_ATTRIBUTES(self), *self.state)


_NOT_COLUMNS = {"pk", "state"}
_ATTRIBUTES = [f.name for f in fields(_Spell) if f.name not in _NOT_COLUMNS]
_SPELL_COLUMNS = _ATTRIBUTES + list(STATE_COLUMNS)
_GET_ATTRIBUTES = attrgetter(*_ATTRIBUTES)
# the values an UPDATE of a spell sets: every column but spell_id (the key it was found by)
_UPDATED = itemgetter(*(i for i, c in enumerate(_SPELL_COLUMNS) if c != "spell_id"))
# the columns read, in the order of _Spell's fields (``state`` comes after last_census_at)
_BEFORE_STATE = _ATTRIBUTES.index("last_census_at") + 1
_SPELL_SELECT = [
    SPELLS.c.id,
    *(SPELLS.c[c] for c in _ATTRIBUTES[:_BEFORE_STATE]),
    *(SPELLS.c[c] for c in STATE_COLUMNS),
    *(SPELLS.c[c] for c in _ATTRIBUTES[_BEFORE_STATE:]),
]
_STATE_SLICE = slice(1 + _BEFORE_STATE, 1 + _BEFORE_STATE + len(STATE_COLUMNS))


def _spell_from_db(row: Sequence[Any]) -> _Spell:
    # positional: this runs for every inpatient of every census
    return _Spell(  # type: ignore[call-arg]
        *row[: _STATE_SLICE.start],
        StateValues._make(row[_STATE_SLICE]),
        *row[_STATE_SLICE.stop :],
    )


@dataclass(slots=True)
class _State:
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
        )


@dataclass
class _StateChanges:
    inserted: list[_State] = field(default_factory=list)
    updated: list[tuple[_State, StateValues]] = field(default_factory=list)  # (state, old)
    deleted: list[_State] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def _touched(self) -> list[tuple[_State, StateValues | None]]:
        return [(s, None) for s in [*self.inserted, *self.deleted]] + list(self.updated)

    def earliest_day(self, tz: tzinfo) -> date:
        """The first day these changes can alter: a change's own day, or its DRD if earlier."""
        days: list[date] = []
        for state, old in self._touched():
            days.append(local_date(state.observed_at, tz))
            days.extend(
                v.discharge_ready_date
                for v in (state.values, old)
                if v is not None and v.discharge_ready_date is not None
            )
        return min(days)

    def earliest_moment(self) -> datetime:
        return min(state.observed_at for state, _ in self._touched())


def observe(states: list[_State], at: datetime, values: StateValues) -> _StateChanges:
    """Slot what a census at ``at`` said into the ordered history ``states`` (in place).

    A row is kept only where the state differs from the one in force just before it; a later
    row that the new one makes redundant is removed.
    """
    changes = _StateChanges()
    times = [s.observed_at for s in states]
    index = bisect_left(times, at)
    before = states[index - 1] if index > 0 else None
    existing = states[index] if index < len(states) and states[index].observed_at == at else None
    if existing is not None:
        if existing.values == values:
            return changes
        if before is not None and before.values == values:
            del states[index]
            changes.deleted.append(existing)
        else:
            changes.updated.append((existing, existing.values))
            existing.values = values
            index += 1
    elif before is not None and before.values == values:
        return changes
    else:
        new = _State(None, at, values)
        states.insert(index, new)
        changes.inserted.append(new)
        index += 1
    in_force = states[index - 1] if index > 0 else None
    if index < len(states) and in_force is not None and states[index].values == in_force.values:
        changes.deleted.append(states.pop(index))
    return changes


def _values_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def state_events(
    before: StateValues | None, after: StateValues, at: datetime, tz: tzinfo
) -> list[dict[str, Any]]:
    """The readable events of one change of state (``before`` None: the first census)."""
    events: list[dict[str, Any]] = []

    def add(kind: str, old: object, new: object, detail: str | None = None) -> None:
        events.append(
            {
                "event_at": at,
                "event_type": kind,
                "old_value": _values_text(old),
                "new_value": _values_text(new),
                "detail": detail,
            }
        )

    old = before or StateValues(after.ward_code, None, None, None, None, None, None)
    if old.ward_code != after.ward_code:
        add("ward_changed", old.ward_code, after.ward_code)
    if old.expected_discharge_date != after.expected_discharge_date:
        add("edd_set", old.expected_discharge_date, after.expected_discharge_date)
    if old.discharge_ready_date != after.discharge_ready_date:
        drd = after.discharge_ready_date
        if drd is None:
            add("drd_cleared", old.discharge_ready_date, None, "meets the criteria to reside again")
        else:
            late = (local_date(at, tz) - drd).days
            detail = (
                f"recorded {late} day{'s' if late != 1 else ''} after the DRD" if late > 0 else None
            )
            add("drd_set", old.discharge_ready_date, drd, detail)
    if old.pathway != after.pathway:
        add("pathway_changed", old.pathway, after.pathway)
    if old.delay_reason_code != after.delay_reason_code:
        add("reason_changed", old.delay_reason_code, after.delay_reason_code)
    if old.delay_attributable_to != after.delay_attributable_to:
        add("agency_changed", old.delay_attributable_to, after.delay_attributable_to)
    if old.local_authority_code != after.local_authority_code:
        add("council_changed", old.local_authority_code, after.local_authority_code)
    return events


# --- the batch and its censuses --------------------------------------------------------


@dataclass
class _Batch:
    session: Session
    run_id: int
    notices: NoticeSink
    tz: tzinfo
    pseudonym_key: str
    protected: frozenset[str]
    chunk: int
    result: PatientBatchResult
    # the (site, day) pairs of spell_days written, recounted into spell_day_counts at the end
    touches: DayTouches = field(default_factory=DayTouches)
    # NHS number → pseudonym: the HMAC once per number and batch
    pseudonyms: dict[str, str] = field(default_factory=dict)

    def chunks(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        for start in range(0, len(items), self.chunk):
            yield items[start : start + self.chunk]

    def when(self, moment: datetime) -> str:
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")


def _in_chunk_size(session: Session) -> int:
    """How many values an ``IN (...)`` may carry (SQLite before 3.32 allows 999 in all)."""
    if session.get_bind().dialect.name == "sqlite" and sqlite3.sqlite_version_info < (3, 32):
        return 900
    return 5_000


@dataclass
class _Work:
    """One spell to bring up to date in the slow (history-reading) path."""

    spell: _Spell
    line: int | None = None
    row: PatientRecord | None = None
    infer_at: datetime | None = None
    infer_reason: str = ""
    is_new: bool = False


@dataclass
class _Writes:
    """Everything a census writes, flushed in dependency order at its end."""

    new_spells: list[_Spell] = field(default_factory=list)
    spell_updates: list[_Spell] = field(default_factory=list)
    census_touch: list[int] = field(default_factory=list)  # pks whose last_census_at = T
    state_inserts: list[tuple[_Spell, _State]] = field(default_factory=list)
    state_updates: list[_State] = field(default_factory=list)
    state_deletes: list[int] = field(default_factory=list)
    event_deletes_from: list[tuple[_Spell, datetime]] = field(default_factory=list)
    event_deletes_exact: list[tuple[_Spell, str, datetime]] = field(default_factory=list)
    events: list[tuple[_Spell, dict[str, Any]]] = field(default_factory=list)
    day_deletes_from: list[tuple[_Spell, date]] = field(default_factory=list)
    days: list[tuple[_Spell, SpellDayFacts]] = field(default_factory=list)
    # statuses of days that are not bed days (see models.patients.SpellDayStatus)
    parked: list[tuple[_Spell, date, RecordedStatus]] = field(default_factory=list)


class _Census:
    """One ``snapshot_at`` of the batch, for every site it names."""

    def __init__(self, batch: _Batch, snapshot_at: datetime, rows: list[tuple[int, PatientRecord]]):
        self.batch = batch
        self.session = batch.session
        self.tz = batch.tz
        self.at = snapshot_at
        self.day = local_date(snapshot_at, batch.tz)
        self.rows = sorted(rows, key=lambda r: r[0])
        self.writes = _Writes()
        self.touched: set[str] = set()

    # -- orchestration ----------------------------------------------------------------

    def apply(self) -> None:
        kept = self._one_row_per_spell()
        present = {row.spell_id for _, row in self.rows} | self.batch.protected
        sites = sorted({row.site_code for _, row in self.rows if row.discharged_at is None})
        known, in_hospital = self._load_spells(sites, [row.spell_id for _, row in kept])
        kept = self._check_against_store(kept, known)
        self.previous, self.next = self._neighbour_censuses(sites)

        fast: list[tuple[_Spell, PatientRecord]] = []
        slow: list[_Work] = []
        for line, row in kept:
            spell = known.get(row.spell_id)
            if spell is None:
                spell = self._new_spell(row)
                slow.append(_Work(spell, line, row, is_new=True))
            elif self._unchanged(spell, row):
                fast.append((spell, row))
            else:
                slow.append(_Work(spell, line, row))
        slow.extend(self._absent_spells(sites, in_hospital, present))

        self._apply_unchanged(fast)
        # what the confirmed spells need written (their new day rows and census time), now:
        # their lists are released before the changed spells are worked on
        run_statements(self.session, [*self._prepare_days(), *self._prepare_touch()])
        self._apply_changed(slow)
        self._flush(sites)
        self.batch.result.spells_touched += len(self.touched)

    # -- the rows of the census -------------------------------------------------------

    def _quarantine(self, line: int, column: str | None, value: str | None, reason: str) -> None:
        self.batch.result.quarantined.append((line, column, value, reason))

    def _one_row_per_spell(self) -> list[tuple[int, PatientRecord]]:
        first: dict[str, tuple[int, PatientRecord]] = {}
        kept: list[tuple[int, PatientRecord]] = []
        when = self.batch.when(self.at)
        for line, row in self.rows:
            seen = first.get(row.spell_id)
            if seen is None:
                first[row.spell_id] = (line, row)
                kept.append((line, row))
            elif seen[1] == row:
                self.batch.notices.warning(
                    line,
                    f"spell {row.spell_id} appears twice in the census of {when} with the same "
                    f"values (first on line {seen[0]}); the repeat was ignored",
                )
            else:
                self._quarantine(
                    line,
                    "spell_id",
                    row.spell_id,
                    f"spell {row.spell_id} appears twice in the census of {when} (first on line "
                    f"{seen[0]}) — send one row per spell per census",
                )
        return kept

    def _check_against_store(
        self, kept: list[tuple[int, PatientRecord]], known: dict[str, _Spell]
    ) -> list[tuple[int, PatientRecord]]:
        valid: list[tuple[int, PatientRecord]] = []
        for line, row in kept:
            spell = known.get(row.spell_id)
            if spell is not None and spell.site_code != row.site_code:
                self._quarantine(
                    line,
                    "site_code",
                    row.site_code,
                    f"spell {row.spell_id} is a spell of site {spell.site_code}, not "
                    f"{row.site_code} — a spell stays at its site: send a transfer as a "
                    "discharge and a new spell_id, or correct site_code",
                )
            elif (
                spell is not None
                and row.discharged_at is None
                and spell.discharged_at is not None
                and not spell.discharge_inferred
                and spell.discharged_at <= self.at
            ):
                self._quarantine(
                    line,
                    "spell_id",
                    row.spell_id,
                    f"spell {row.spell_id} was discharged at {self.batch.when(spell.discharged_at)}"
                    f" (a discharge row said so) but the census of {self.batch.when(self.at)} "
                    "lists it in hospital — a readmission needs a new spell_id",
                )
            else:
                valid.append((line, row))
        return valid

    def _pseudonym(self, row: PatientRecord) -> str | None:
        number = row.nhs_number
        if number is None:
            return None
        pseudonyms = self.batch.pseudonyms
        pseudonym = pseudonyms.get(number)
        if pseudonym is None:
            pseudonym = pseudonyms[number] = pseudonymise(number, self.batch.pseudonym_key)
        return pseudonym

    def _new_spell(self, row: PatientRecord) -> _Spell:
        return _Spell(
            pk=None,
            spell_id=row.spell_id,
            site_code=row.site_code,
            local_patient_id=row.local_patient_id,
            nhs_number_pseudonym=self._pseudonym(row),
            age=row.age,
            admitted_at=row.admitted_at,
            admission_method=row.admission_method,
            state=_row_values(row),
            last_census_at=self.at,
        )

    def _unchanged(self, spell: _Spell, row: PatientRecord) -> bool:
        """True when the row only confirms the spell's current state (the fast path)."""
        return (
            row.discharged_at is None
            and spell.discharged_at is None
            and self.at >= spell.last_census_at
            and self.next.get(spell.site_code) is None
            and row.admitted_at == spell.admitted_at
            and _row_values(row) == spell.state
        )

    def _take_attributes(self, spell: _Spell, row: PatientRecord) -> bool:
        """Copy what the newest row says about the patient; True when anything changed."""
        pseudonym = self._pseudonym(row) or spell.nhs_number_pseudonym
        new = (row.local_patient_id, pseudonym, row.age, row.admission_method)
        old = (
            spell.local_patient_id,
            spell.nhs_number_pseudonym,
            spell.age,
            spell.admission_method,
        )
        if new == old:
            return False
        (
            spell.local_patient_id,
            spell.nhs_number_pseudonym,
            spell.age,
            spell.admission_method,
        ) = new
        return True

    # -- reading the store ------------------------------------------------------------

    def _load_spells(
        self, sites: list[str], spell_ids: list[str]
    ) -> tuple[dict[str, _Spell], dict[str, list[_Spell]]]:
        """The spells the census names, and the spells in hospital at each site it names."""
        known: dict[str, _Spell] = {}
        in_hospital: dict[str, list[_Spell]] = defaultdict(list)
        for chunk in self.batch.chunks(sites):
            for db_row in read_rows(
                self.session,
                _SPELL_SELECT,
                SPELLS.c.site_code.in_(chunk),
                SPELLS.c.discharged_at.is_(None),
            ):
                spell = _spell_from_db(db_row)
                known[spell.spell_id] = spell
                in_hospital[spell.site_code].append(spell)
        missing = [s for s in dict.fromkeys(spell_ids) if s not in known]
        for chunk in self.batch.chunks(missing):
            for db_row in read_rows(self.session, _SPELL_SELECT, SPELLS.c.spell_id.in_(chunk)):
                spell = _spell_from_db(db_row)
                known[spell.spell_id] = spell
        return known, in_hospital

    def _neighbour_censuses(
        self, sites: list[str]
    ) -> tuple[dict[str, datetime], dict[str, datetime]]:
        """Each named site's census before this one, and after it (an older census arriving)."""
        previous: dict[str, datetime] = {}
        following: dict[str, datetime] = {}
        for chunk in self.batch.chunks(sites):
            for target, aggregate, condition in (
                (previous, func.max, CENSUSES.c.snapshot_at < self.at),
                (following, func.min, CENSUSES.c.snapshot_at > self.at),
            ):
                query = (
                    select(CENSUSES.c.site_code, aggregate(CENSUSES.c.snapshot_at))
                    .where(CENSUSES.c.site_code.in_(chunk), condition)
                    .group_by(CENSUSES.c.site_code)
                )
                target.update({site: at for site, at in self.session.execute(query)})
        return previous, following

    def _absent_spells(
        self, sites: list[str], in_hospital: dict[str, list[_Spell]], present: set[str]
    ) -> list[_Work]:
        """The spells this census discharges by leaving them out (§3)."""
        work: list[_Work] = []
        when = self.batch.when(self.at)
        for site in sites:
            previous = self.previous.get(site)
            if previous is None:
                continue  # the first census of a site: nothing to compare with
            reason = (
                f"absent from the census of site {site} at {when} (and in hospital as of its "
                f"census of {self.batch.when(previous)}), with no discharge row"
            )
            for spell in in_hospital.get(site, []):
                if (
                    spell.spell_id not in present
                    and spell.last_census_at < self.at
                    and spell.admitted_at <= previous
                ):
                    work.append(_Work(spell, infer_at=self.at, infer_reason=reason))
            if self.next.get(site) is not None:
                # an older census arriving late: bring forward discharges inferred later
                query = select(*_SPELL_SELECT).where(
                    SPELLS.c.site_code == site,
                    SPELLS.c.discharge_inferred.is_(True),
                    SPELLS.c.discharged_at > self.at,
                    SPELLS.c.last_census_at < self.at,
                    SPELLS.c.admitted_at <= previous,
                )
                for db_row in self.session.execute(query).all():
                    spell = _spell_from_db(db_row)
                    if spell.spell_id not in present:
                        work.append(_Work(spell, infer_at=self.at, infer_reason=reason))
        return work

    def _load_history(
        self, pks: list[int]
    ) -> tuple[
        dict[int, list[_State]],
        dict[int, dict[date, RecordedStatus]],
        dict[int, dict[date, RecordedStatus]],
    ]:
        """The states of the spells, their recorded statuses (from their day rows and parked),
        and the parked ones alone."""
        states: dict[int, list[_State]] = defaultdict(list)
        statuses: dict[int, dict[date, RecordedStatus]] = defaultdict(dict)
        parked: dict[int, dict[date, RecordedStatus]] = defaultdict(dict)
        for chunk in self.batch.chunks(pks):
            for pk, spell_pk, observed_at, *values in read_rows(
                self.session,
                [STATES.c.id, STATES.c.spell_pk, STATES.c.observed_at, *_state_cols()],
                STATES.c.spell_pk.in_(chunk),
                order_by=(STATES.c.spell_pk, STATES.c.observed_at),
            ):
                states[spell_pk].append(_State(pk, observed_at, StateValues._make(values)))
            days = [
                DAYS.c.spell_pk,
                DAYS.c.day,
                DAYS.c.day_status_recorded,
                DAYS.c.red_reason_recorded,
                DAYS.c.day_status_recorded_at,
            ]
            recorded = DAYS.c.day_status_recorded.is_not(None)
            for spell_pk, day, status, reason, recorded_at in read_rows(
                self.session, days, DAYS.c.spell_pk.in_(chunk), recorded
            ):
                statuses[spell_pk][day] = RecordedStatus(status, reason, recorded_at)
            kept_statuses = [
                STATUSES.c.spell_pk,
                STATUSES.c.day,
                STATUSES.c.day_status,
                STATUSES.c.red_reason_code,
                STATUSES.c.recorded_at,
            ]
            for spell_pk, day, status, reason, recorded_at in read_rows(
                self.session, kept_statuses, STATUSES.c.spell_pk.in_(chunk)
            ):
                kept = RecordedStatus(status, reason, recorded_at)
                parked[spell_pk][day] = kept
                if _later(kept, statuses[spell_pk].get(day)):
                    statuses[spell_pk][day] = kept
        return states, statuses, parked

    # -- spells whose state did not change ---------------------------------------------

    def _apply_unchanged(self, fast: list[tuple[_Spell, PatientRecord]]) -> None:
        """Only the new day rows (and today's status) of spells the census just confirms."""
        same_day = [
            s.pk
            for s, row in fast
            if row.day_status is not None and local_date(s.last_census_at, self.tz) == self.day
        ]
        today: dict[int, RecordedStatus] = {}
        for chunk in self.batch.chunks([pk for pk in same_day if pk is not None]):
            query = select(
                DAYS.c.spell_pk,
                DAYS.c.day_status_recorded,
                DAYS.c.red_reason_recorded,
                DAYS.c.day_status_recorded_at,
            ).where(
                DAYS.c.day == self.day,
                DAYS.c.spell_pk.in_(chunk),
                DAYS.c.day_status_recorded.is_not(None),
            )
            for spell_pk, status, reason, recorded_at in self.session.execute(query).all():
                today[spell_pk] = RecordedStatus(status, reason, recorded_at)

        for spell, row in fast:
            assert spell.pk is not None
            previous_day = local_date(spell.last_census_at, self.tz)
            statuses: dict[date, RecordedStatus] = {}
            status_changed = False
            if row.day_status is not None:
                current = today.get(spell.pk) if previous_day == self.day else None
                new = RecordedStatus(row.day_status, row.red_reason_code, self.at)
                if _later(new, current) and new != current:
                    status_changed = True
                    current = new
                if current is not None:
                    statuses[self.day] = current
            if self.day > previous_day:
                from_day: date | None = previous_day + ONE_DAY
            else:
                from_day = self.day if status_changed else None
            if from_day is not None:
                # the state in force since the previous census governs every new day
                states = (_State(None, spell.last_census_at, spell.state).observed(),)
                day = max(from_day, local_date(spell.admitted_at, self.tz))
                while day <= self.day:
                    facts = day_facts(day, states, (previous_day,), statuses.get(day))
                    self.writes.days.append((spell, facts))
                    day += ONE_DAY
                self.touched.add(spell.spell_id)
            attributes_changed = self._take_attributes(spell, row)
            census_moved = self.at > spell.last_census_at
            spell.last_census_at = max(spell.last_census_at, self.at)
            if attributes_changed:
                self.writes.spell_updates.append(spell)
                self.touched.add(spell.spell_id)
            elif census_moved:
                self.writes.census_touch.append(spell.pk)
                self.touched.add(spell.spell_id)

    # -- spells whose history changes ---------------------------------------------------

    def _apply_changed(self, slow: list[_Work]) -> None:
        pks = [w.spell.pk for w in slow if w.spell.pk is not None]
        states, statuses, parked = self._load_history(pks)
        for work in slow:
            pk = work.spell.pk
            self._apply_one(
                work,
                states[pk] if pk is not None else [],
                statuses[pk] if pk is not None else {},
                parked[pk] if pk is not None else {},
            )

    def _prepare_touch(self) -> Statements:
        """``last_census_at = T`` for the spells listed so far (taken off the list): one
        set-based UPDATE per chunk of ids (on PostgreSQL one array, joined), no bind per id.
        On PostgreSQL this UPDATE of every confirmed spell (~80,000 nationally) costs ~1 s of
        server time whatever its form: each row is rewritten with its index entries."""
        pks, self.writes.census_touch = self.writes.census_touch, []
        if not pks:
            return []
        dialect = self.session.get_bind().dialect
        at = SPELLS.c.last_census_at.type.dialect_impl(dialect).bind_processor(dialect)
        moment = at(self.at) if at is not None else self.at
        if dialect.name == "postgresql":
            sql = (
                "UPDATE spells SET last_census_at = %s FROM unnest(%s::INTEGER[]) AS v(id) "
                "WHERE spells.id = v.id"
            )
            return [(sql, (moment, list(pks)))]
        statements: Statements = []
        for chunk in self.batch.chunks(pks):
            ids = ", ".join(str(int(pk)) for pk in chunk)
            statements.append(
                (f"UPDATE spells SET last_census_at = ? WHERE id IN ({ids})", (moment,))
            )
        return statements

    def _prepare_days(self) -> Statements:
        """The day rows written so far (those of the spells the census confirms, which all
        exist) as driver statements, taken off the census's write list and counted."""
        days, self.writes.days = self.writes.days, []
        touches = self.batch.touches
        for spell, facts in days:
            touches.add(spell.site_code, facts.day)
        self.batch.result.days_written += len(days)
        return prepare_rows(
            self.session,
            DAYS,
            DAY_COLUMNS,
            [_day_row(spell, facts) for spell, facts in days],
            key=("spell_pk", "day"),
        )

    def _apply_one(
        self,
        work: _Work,
        states: list[_State],
        statuses: dict[date, RecordedStatus],
        parked: dict[date, RecordedStatus],
    ) -> None:
        spell = work.spell
        before = None if work.is_new else spell.values()
        old_end = (
            None
            if work.is_new
            else last_bed_day(
                discharged_at=spell.discharged_at,
                last_census_at=spell.last_census_at,
                tz=self.tz,
            )
        )
        from_days: list[date] = []
        if work.is_new:
            from_days.append(local_date(spell.admitted_at, self.tz))
            self.writes.new_spells.append(spell)
            self.writes.events.append(
                (
                    spell,
                    {
                        "event_at": spell.admitted_at,
                        "event_type": "admitted",
                        "old_value": None,
                        "new_value": spell.state.ward_code,
                        "detail": f"{spell.admission_method} admission, site {spell.site_code}",
                    },
                )
            )
        if work.row is not None:
            self._observe_row(work, states, statuses, from_days)
        if work.infer_at is not None:
            self._infer(work, work.infer_at, work.infer_reason, from_days)
        if work.row is not None and work.row.discharged_at is None:
            following = self.next.get(spell.site_code)
            if (
                following is not None
                and spell.discharged_at is None
                and spell.last_census_at < following
            ):
                reason = (
                    f"absent from the census of site {spell.site_code} at "
                    f"{self.batch.when(following)} (the census after {self.batch.when(self.at)},"
                    " which arrived late), with no discharge row"
                )
                self._infer(work, following, reason, from_days)

        new_end = last_bed_day(
            discharged_at=spell.discharged_at, last_census_at=spell.last_census_at, tz=self.tz
        )
        if old_end is not None and new_end != old_end:
            from_days.append(min(old_end, new_end) + ONE_DAY)
        observed = [s.observed() for s in states]
        if spell.discharged_at is not None:
            facts = discharge_facts(states=observed, discharged_at=spell.discharged_at, tz=self.tz)
            spell.drd_at_discharge = facts.drd_at_discharge
            spell.pathway_at_discharge = facts.pathway_at_discharge
            spell.delay_reason_at_discharge = facts.delay_reason_at_discharge
        else:
            spell.drd_at_discharge = None
            spell.pathway_at_discharge = None
            spell.delay_reason_at_discharge = None
        if from_days:
            from_day = max(min(from_days), local_date(spell.admitted_at, self.tz))
            if not work.is_new:
                self.writes.day_deletes_from.append((spell, min(from_days)))
            days = derive_spell_days(
                admitted_at=spell.admitted_at,
                states=observed,
                day_statuses=statuses,
                discharged_at=spell.discharged_at,
                last_census_at=spell.last_census_at,
                tz=self.tz,
                from_day=from_day,
            )
            self.writes.days.extend((spell, f) for f in days)
            self.touched.add(spell.spell_id)
            # a status whose day is no bed day (any more) is kept aside, not lost
            bed_days = {f.day for f in days}
            for day, status in statuses.items():
                if day >= min(from_days) and day not in bed_days and parked.get(day) != status:
                    self.writes.parked.append((spell, day, status))
        if before is not None and spell.values() != before:
            self.writes.spell_updates.append(spell)
            self.touched.add(spell.spell_id)
        if work.is_new:
            self.touched.add(spell.spell_id)

    def _observe_row(
        self,
        work: _Work,
        states: list[_State],
        statuses: dict[date, RecordedStatus],
        from_days: list[date],
    ) -> None:
        spell, row = work.spell, work.row
        assert row is not None
        values = _row_values(row)
        if row.discharged_at is not None:
            times = [s.observed_at for s in states]
            index = bisect_left(times, self.at)
            values = _fill_from(values, states[index - 1].values if index > 0 else None)
        appending = not states or self.at > states[-1].observed_at
        before = states[-1].values if states else None
        first_at = states[0].observed_at if states else None
        changes = observe(states, self.at, values)
        if changes and first_at is not None and changes.earliest_moment() <= first_at:
            # a new first census: the days before it take its ward (§4.2)
            from_days.append(local_date(spell.admitted_at, self.tz))
        if changes:
            appended = appending and not (changes.updated or changes.deleted)
            from_days.append(
                self._appended_from_day(before, values)
                if appended
                else changes.earliest_day(self.tz)
            )
            self._write_state_changes(spell, states, changes, appended=appended)
        if row.day_status is not None:
            current = statuses.get(self.day)
            new = RecordedStatus(row.day_status, row.red_reason_code, self.at)
            if _later(new, current) and new != current:
                statuses[self.day] = new
                from_days.append(self.day)
        old_last = spell.last_census_at
        if self.at >= spell.last_census_at:
            self._take_attributes(spell, row)
            if row.admitted_at != spell.admitted_at:
                self.batch.notices.warning(
                    work.line,
                    f"spell {spell.spell_id}: admitted_at changed from "
                    f"{self.batch.when(spell.admitted_at)} to {self.batch.when(row.admitted_at)}",
                )
                from_days.append(
                    min(
                        local_date(spell.admitted_at, self.tz), local_date(row.admitted_at, self.tz)
                    )
                )
                spell.admitted_at = row.admitted_at
            spell.last_census_at = self.at
            spell.state = states[-1].values
        if row.discharged_at is not None:
            self._discharge(work, row, old_last)
        elif (
            spell.discharged_at is not None
            and spell.discharge_inferred
            and spell.discharged_at <= self.at
        ):
            self._withdraw_inferred_discharge(work)

    def _appended_from_day(self, before: StateValues | None, values: StateValues) -> date:
        """The first day a new latest state can alter: its own day, or its DRD when that is
        earlier and no earlier state already covers it (a DRD recorded late)."""
        drd = values.discharge_ready_date
        if drd is None or drd >= self.day:
            return self.day
        earlier = before.discharge_ready_date if before is not None else None
        if earlier is not None and earlier <= drd:
            return self.day  # the earlier state already makes the days from its DRD delayed
        return drd

    def _write_state_changes(
        self, spell: _Spell, states: list[_State], changes: _StateChanges, *, appended: bool
    ) -> None:
        w = self.writes
        w.state_inserts.extend((spell, s) for s in changes.inserted)
        w.state_updates.extend(s for s, _ in changes.updated)
        w.state_deletes.extend(s.pk for s in changes.deleted if s.pk is not None)
        if appended:
            before = states[-2].values if len(states) > 1 else None
            new = states[-1]
            events = state_events(before, new.values, new.observed_at, self.tz)
        else:
            since = changes.earliest_moment()
            if spell.pk is not None:
                w.event_deletes_from.append((spell, since))
            events = []
            for index, state in enumerate(states):
                if state.observed_at >= since:
                    before = states[index - 1].values if index > 0 else None
                    events.extend(state_events(before, state.values, state.observed_at, self.tz))
        w.events.extend((spell, e) for e in events)

    def _discharge(self, work: _Work, row: PatientRecord, old_last: datetime) -> None:
        spell = work.spell
        at = row.discharged_at
        assert at is not None
        if (
            spell.discharged_at == at
            and not spell.discharge_inferred
            and spell.discharge_destination == row.discharge_destination
        ):
            return  # the same discharge again
        previous = spell.discharged_at
        detail = None
        if previous is not None and spell.discharge_inferred:
            detail = f"replaces the discharge inferred at {self.batch.when(previous)}"
        elif previous is not None:
            detail = f"corrects the discharge reported at {self.batch.when(previous)}"
        elif not work.is_new and old_last > at:
            self.batch.notices.warning(
                work.line,
                f"spell {spell.spell_id} is reported discharged at {self.batch.when(at)}, but "
                f"the census of {self.batch.when(old_last)} listed it in hospital",
            )
        spell.discharged_at = at
        spell.discharge_date = local_date(at, self.tz)
        spell.discharge_destination = row.discharge_destination
        spell.discharge_inferred = False
        self.writes.events.append(
            (
                spell,
                {
                    "event_at": at,
                    "event_type": "discharged",
                    "old_value": None,
                    "new_value": row.discharge_destination,
                    "detail": detail,
                },
            )
        )

    def _withdraw_inferred_discharge(self, work: _Work) -> None:
        spell = work.spell
        assert spell.discharged_at is not None
        inferred_at = self.batch.when(spell.discharged_at)
        message = (
            f"spell {spell.spell_id} was recorded as discharged at {inferred_at} (absent from "
            f"a census) and is in the census of {self.batch.when(self.at)}: the inferred "
            "discharge is withdrawn"
        )
        self.batch.notices.notice(work.line, message)
        self.writes.events.append(
            (
                spell,
                {
                    "event_at": self.at,
                    "event_type": "discharge_withdrawn",
                    "old_value": _values_text(spell.discharge_date),
                    "new_value": None,
                    "detail": message,
                },
            )
        )
        spell.discharged_at = None
        spell.discharge_date = None
        spell.discharge_destination = None
        spell.discharge_inferred = False

    def _infer(self, work: _Work, at: datetime, reason: str, from_days: list[date]) -> None:
        spell = work.spell
        previous = spell.discharged_at
        if previous is not None and not (spell.discharge_inferred and previous > at):
            return
        if previous is not None:
            self.writes.event_deletes_exact.append((spell, "discharge_inferred", previous))
            from_days.append(local_date(previous, self.tz))
        spell.discharged_at = at
        spell.discharge_date = local_date(at, self.tz)
        spell.discharge_destination = None
        spell.discharge_inferred = True
        message = (
            f"spell {spell.spell_id} recorded as discharged at {self.batch.when(at)}: {reason}"
        )
        self.batch.notices.inference(work.line, message)
        self.writes.events.append(
            (
                spell,
                {
                    "event_at": at,
                    "event_type": "discharge_inferred",
                    "old_value": None,
                    "new_value": None,
                    "detail": reason,
                },
            )
        )
        self.batch.result.discharges_inferred += 1

    # -- writing ----------------------------------------------------------------------

    def _flush(self, sites: list[str]) -> None:
        """Write the census: spells first (new ones need their ids), then what hangs off them."""
        self._write_spells()
        self._write_states()
        self._write_events()
        self._write_days()
        if sites:
            upsert(
                self.session,
                PatientCensus,
                [
                    {"site_code": site, "snapshot_at": self.at, "ingest_run_id": self.batch.run_id}
                    for site in sites
                ],
                key=["site_code", "snapshot_at"],
                update=[],
            )

    def _write_spells(self) -> None:
        s, w = self.session, self.writes
        self._touch_discharges()
        if w.new_spells:
            by_id = {spell.spell_id: spell for spell in w.new_spells}
            if s.get_bind().dialect.name == "postgresql":
                returned: Iterable[Any] = write_rows(
                    s,
                    SPELLS,
                    _SPELL_COLUMNS,
                    [spell.values() for spell in w.new_spells],
                    returning=("id", "spell_id"),
                )
            else:
                # executemany through the driver, then the ids by the unique spell_id
                execute_many(
                    s, insert(SPELLS), _SPELL_COLUMNS, [spell.values() for spell in w.new_spells]
                )
                returned = [
                    r
                    for ids in self.batch.chunks(list(by_id))
                    for r in s.execute(
                        select(SPELLS.c.id, SPELLS.c.spell_id).where(SPELLS.c.spell_id.in_(ids))
                    )
                ]
            for pk, spell_id in returned:
                by_id[spell_id].pk = pk
        if w.spell_updates:
            columns = [c for c in _SPELL_COLUMNS if c != "spell_id"]
            update_rows(
                s,
                SPELLS,
                ["id", *columns],
                [(spell.pk, *_UPDATED(spell.values())) for spell in w.spell_updates],
            )
        run_statements(s, self._prepare_touch())

    def _touch_discharges(self) -> None:
        """Record the discharge days of the spells about to be written: each one's new day and,
        read from the store before the write, the day it had (spell_discharge_counts)."""
        touches, w = self.batch.touches, self.writes
        for spell in (*w.new_spells, *w.spell_updates):
            if spell.discharge_date is not None:
                touches.add_discharge(spell.site_code, spell.discharge_date)
        updated = [spell.pk for spell in w.spell_updates if spell.pk is not None]
        for pks in self.batch.chunks(updated):
            for site_code, day in self.session.execute(
                select(SPELLS.c.site_code, SPELLS.c.discharge_date).where(
                    SPELLS.c.id.in_(pks), SPELLS.c.discharge_date.is_not(None)
                )
            ):
                touches.add_discharge(site_code, day)

    def _write_states(self) -> None:
        s, w, run_id = self.session, self.writes, self.batch.run_id
        for pks in self.batch.chunks(w.state_deletes):
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
            columns = ("spell_pk", "observed_at", "ingest_run_id", *STATE_COLUMNS)
            write_rows(
                s,
                STATES,
                columns,
                [(spell.pk, st.observed_at, run_id, *st.values) for spell, st in w.state_inserts],
            )

    def _write_events(self) -> None:
        s, w = self.session, self.writes
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
                ("spell_pk", "ingest_run_id", *EVENT_COLUMNS),
                [
                    (spell.pk, self.batch.run_id, *(event[c] for c in EVENT_COLUMNS))
                    for spell, event in w.events
                ],
            )

    def _write_days(self) -> None:
        s, w = self.session, self.writes
        touches = self.batch.touches
        for spell, day in w.day_deletes_from:
            touches.add_from(spell.site_code, day)
        for spell, facts in w.days:
            touches.add(spell.site_code, facts.day)
        delete_days_from(s, [(spell.pk, day) for spell, day in w.day_deletes_from])
        if w.days:
            write_rows(
                s,
                DAYS,
                DAY_COLUMNS,
                [_day_row(spell, facts) for spell, facts in w.days],
                key=("spell_pk", "day"),
            )
            self.batch.result.days_written += len(w.days)
        if w.parked:
            columns = (
                "spell_pk",
                "day",
                "day_status",
                "red_reason_code",
                "recorded_at",
                "ingest_run_id",
            )
            write_rows(
                s,
                STATUSES,
                columns,
                [
                    (
                        spell.pk,
                        day,
                        st.day_status,
                        st.red_reason_code,
                        st.recorded_at,
                        self.batch.run_id,
                    )
                    for spell, day, st in w.parked
                ],
                key=("spell_pk", "day"),
            )


def _later(status: RecordedStatus, than: RecordedStatus | None) -> bool:
    """True when ``status`` was recorded at or after ``than`` (the latest status of a day wins)."""
    if than is None or than.recorded_at is None or status.recorded_at is None:
        return True
    return status.recorded_at >= than.recorded_at


def _state_cols() -> Iterable[Any]:
    return [STATES.c[c] for c in STATE_COLUMNS]


DAY_COLUMNS = (
    "spell_pk",
    "day",
    "site_code",
    "ward_code",
    "local_authority_code",
    "nctr",
    "discharge_ready_date",
    "pathway",
    "delay_reason_code",
    "delay_attributable_to",
    "day_status_recorded",
    "red_reason_recorded",
    "day_status_recorded_at",
    "r2g_status",
    "r2g_reason_code",
)
EVENT_COLUMNS = ("event_at", "event_type", "old_value", "new_value", "detail")


def _day_row(spell: _Spell, f: SpellDayFacts) -> tuple[Any, ...]:
    return (
        spell.pk,
        f.day,
        spell.site_code,
        f.ward_code,
        f.local_authority_code,
        f.nctr,
        f.discharge_ready_date,
        f.pathway,
        f.delay_reason_code,
        f.delay_attributable_to,
        f.day_status_recorded,
        f.red_reason_recorded,
        f.day_status_recorded_at,
        f.r2g_status,
        f.r2g_reason_code,
    )


# --- bulk writes -----------------------------------------------------------------------

INSERT_CHUNK = 5_000
CONVERTED_LIMIT = 10_000  # distinct values remembered per column and statement


def upsert_statement(
    session: Session, table: Table, *, key: Sequence[str], columns: Sequence[str]
) -> Any:
    """INSERT … ON CONFLICT (key) DO UPDATE of the other ``columns``, for the session's dialect."""
    dialect = session.get_bind().dialect.name
    stmt: Any = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=list(key),
        set_={c: stmt.excluded[c] for c in columns if c not in key},
    )


def execute_many(
    session: Session, stmt: Any, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Execute ``stmt`` once per row (values in the order of ``names``) via the driver.

    ``names`` are the columns of an INSERT, or the bind parameter names of any other
    statement. Values go through SQLAlchemy's own bind conversion for each type (so SQLite
    dates and UTC timestamps are stored exactly as the ORM stores them) without its per-row
    parameter bookkeeping, which otherwise dominates the cost of a census.
    """
    run_statements(session, prepare_many(session, stmt, names, rows))


#: what a driver is given: SQL and its parameters (a list of rows, or one tuple of arrays)
Statements = list[tuple[str, Any]]


def run_statements(session: Session, statements: Statements) -> None:
    connection = session.connection()
    for sql, params in statements:
        connection.exec_driver_sql(sql, params)


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
    for start in range(0, len(rows), INSERT_CHUNK):
        values: list[list[Any]] = []
        for row in rows[start : start + INSERT_CHUNK]:
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


# --- PostgreSQL: one statement per batch of rows ------------------------------------------------

BULK_CHUNK = 20_000


def _pg_array_type(table: Table, name: str, dialect: Any) -> str:
    """The array type a column's values are sent as (text without a length: the column's
    own type still checks the length when the values are stored)."""
    column_type = table.c[name].type
    if isinstance(column_type, String):
        return "VARCHAR[]"
    return f"{column_type.compile(dialect=dialect)}[]"


def _columns_of(
    table: Table, names: Sequence[str], rows: Sequence[Sequence[Any]], dialect: Any
) -> list[list[Any]]:
    """The rows' values column by column, through each column type's bind conversion."""
    columns: list[list[Any]] = [list(values) for values in zip(*rows, strict=True)]
    for k, name in enumerate(names):
        process = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            seen: dict[Any, Any] = {}  # each distinct value converted once
            columns[k] = [
                seen[v] if v in seen else seen.setdefault(v, process(v)) for v in columns[k]
            ]
    return columns


def _last_per_key(rows: Sequence[Sequence[Any]], key: Sequence[int]) -> Sequence[Sequence[Any]]:
    """The last row of each key, in the order of those last rows: what running the rows one
    after another would leave (one statement may not touch a row twice)."""
    last: dict[tuple[Any, ...], int] = {}
    for index, row in enumerate(rows):
        last[tuple(row[k] for k in key)] = index
    if len(last) == len(rows):
        return rows
    return [rows[i] for i in sorted(last.values())]


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
    assert session.get_bind().dialect.name == "postgresql", "RETURNING: PostgreSQL only"
    connection = session.connection()
    dialect = connection.dialect
    if key:
        rows = _last_per_key(rows, [names.index(k) for k in key])
    sql = _unnest_insert(table, names, key, dialect) + f" RETURNING {', '.join(returning)}"
    returned: list[Any] = []
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        result = connection.exec_driver_sql(sql, tuple(_columns_of(table, names, chunk, dialect)))
        returned.extend(result.all())
    return returned


def _unnest_insert(table: Table, names: Sequence[str], key: Sequence[str], dialect: Any) -> str:
    """PostgreSQL: INSERT the rows of one array per column of ``names``; with ``key``, a row
    whose key exists updates the other columns."""
    arrays = ", ".join(f"%s::{_pg_array_type(table, n, dialect)}" for n in names)
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) SELECT * FROM unnest({arrays})"
    if key:
        updated = ", ".join(f"{n} = EXCLUDED.{n}" for n in names if n not in key)
        sql += f" ON CONFLICT ({', '.join(key)}) DO UPDATE SET {updated}"
    return sql


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
        stmt = upsert_statement(session, table, key=key, columns=names) if key else insert(table)
        return prepare_many(session, stmt, names, rows)
    if key:
        rows = _last_per_key(rows, [names.index(k) for k in key])
    sql = _unnest_insert(table, names, key, dialect)
    return [
        (sql, tuple(_columns_of(table, names, rows[start : start + BULK_CHUNK], dialect)))
        for start in range(0, len(rows), BULK_CHUNK)
    ]


def update_rows(
    session: Session,
    table: Table,
    names: Sequence[str],
    rows: Sequence[Sequence[Any]],
) -> None:
    """UPDATE the rows of ``table`` whose ``id`` is each row's first value, setting the
    columns ``names[1:]`` to the rest (the last row of an id wins)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values({c: bindparam(f"b_{c}") for c in names[1:]})
        )
        execute_many(session, stmt, [f"b_{c}" for c in names], rows)
        return
    connection = session.connection()
    dialect = connection.dialect
    rows = _last_per_key(rows, [0])
    arrays = ", ".join(f"%s::{_pg_array_type(table, n, dialect)}" for n in names)
    sql = (
        f"UPDATE {table.name} SET {', '.join(f'{n} = v.{n}' for n in names[1:])} "
        f"FROM unnest({arrays}) AS v({', '.join(names)}) WHERE {table.name}.id = v.id"
    )
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        connection.exec_driver_sql(sql, tuple(_columns_of(table, names, chunk, dialect)))


def delete_days_from(session: Session, rows: Sequence[tuple[int | None, date]]) -> None:
    """DELETE each spell's ``spell_days`` from a day on: ``rows`` of (spell pk, first day)."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(
            delete(DAYS).where(
                DAYS.c.spell_pk == bindparam("b_pk"), DAYS.c.day >= bindparam("b_day")
            ),
            [{"b_pk": pk, "b_day": day} for pk, day in rows],
        )
        return
    connection = session.connection()
    sql = (
        "DELETE FROM spell_days USING unnest(%s::INTEGER[], %s::DATE[]) AS v(pk, day) "
        "WHERE spell_days.spell_pk = v.pk AND spell_days.day >= v.day"
    )
    for start in range(0, len(rows), BULK_CHUNK):
        chunk = rows[start : start + BULK_CHUNK]
        connection.exec_driver_sql(sql, ([pk for pk, _ in chunk], [day for _, day in chunk]))


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
