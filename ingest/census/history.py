"""A spell's history: the states a census observes, where they slot in, and the events that
restate them.

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
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo

from app.domain.spell_day_rules import RecordedStatus, local_date
from ingest.census.records import Event, StateRecord, StateValues, values_text

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


@dataclass
class StateChanges:
    """What slotting one observed state into a history did to its rows."""

    inserted: list[StateRecord] = field(default_factory=list)
    updated: list[tuple[StateRecord, StateValues]] = field(default_factory=list)  # (state, old)
    deleted: list[StateRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted)

    def _touched(self) -> list[tuple[StateRecord, StateValues | None]]:
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


def in_force_before(states: list[StateRecord], at: datetime) -> StateValues | None:
    """The state in force just before ``at`` in the ordered history ``states``."""
    index = bisect_left([s.observed_at for s in states], at)
    return states[index - 1].values if index > 0 else None


def observe(states: list[StateRecord], at: datetime, values: StateValues) -> StateChanges:
    """Slot what a census at ``at`` said into the ordered history ``states`` (in place).

    A row is kept only where the state differs from the one in force just before it; a later
    row that the new one makes redundant is removed.
    """
    changes = StateChanges()
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
        new = StateRecord(None, at, values)
        states.insert(index, new)
        changes.inserted.append(new)
        index += 1
    in_force = states[index - 1] if index > 0 else None
    if index < len(states) and in_force is not None and states[index].values == in_force.values:
        changes.deleted.append(states.pop(index))
    return changes


def appended_from_day(before: StateValues | None, values: StateValues, day: date) -> date:
    """The first day a new latest state (observed on ``day``) can alter: its own day, or its
    DRD when that is earlier and no earlier state already covers it (a DRD recorded late)."""
    drd = values.discharge_ready_date
    if drd is None or drd >= day:
        return day
    earlier = before.discharge_ready_date if before is not None else None
    if earlier is not None and earlier <= drd:
        return day  # the earlier state already makes the days from its DRD delayed
    return drd


def state_events(
    before: StateValues | None, after: StateValues, at: datetime, tz: tzinfo
) -> list[Event]:
    """The readable events of one change of state (``before`` None: the first census)."""
    events: list[Event] = []

    def add(kind: str, old: object, new: object, detail: str | None = None) -> None:
        events.append(Event(at, kind, values_text(old), values_text(new), detail))

    old = before or StateValues(after.ward_code, None, None, None, None, None, None, None)
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


def history_events(
    states: list[StateRecord], changes: StateChanges, *, appended: bool, tz: tzinfo
) -> tuple[datetime | None, list[Event]]:
    """The events a history's changes add, and the moment from which the spell's state events
    are regenerated (None: only a new latest state was appended, its events added)."""
    if appended:
        before = states[-2].values if len(states) > 1 else None
        new = states[-1]
        return None, state_events(before, new.values, new.observed_at, tz)
    since = changes.earliest_moment()
    events: list[Event] = []
    for index, state in enumerate(states):
        if state.observed_at >= since:
            before = states[index - 1].values if index > 0 else None
            events.extend(state_events(before, state.values, state.observed_at, tz))
    return since, events


def later(status: RecordedStatus, than: RecordedStatus | None) -> bool:
    """True when ``status`` was recorded at or after ``than`` (the latest status of a day wins)."""
    if than is None or than.recorded_at is None or status.recorded_at is None:
        return True
    return status.recorded_at >= than.recorded_at
