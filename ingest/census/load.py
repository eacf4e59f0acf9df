"""Apply a batch of the patients feed to the store: its censuses, oldest first, each spell
brought up to date by the quickest path that is still exact.

**Censuses.** A batch may hold several censuses (rows grouped by ``snapshot_at``) of several
sites; they are applied oldest first, each completely before the next. A row without
``discharged_at`` is the spell's state at ``snapshot_at``; a row with one is a discharge. The
census of site S at T exists when at least one inpatient row names S at T (discharge rows
alone do not make a census: a census only speaks for the sites it names).

**Incremental.** A spell whose state did not change gets only its new day rows (from the day
after its previous census to this census's day, or a rewrite of today's row when today's
status changed) — its history is not read. A state change, a late DRD, a discharge, an
inference or an out-of-order census re-derives that spell's days from the earliest day the
change can affect (the change's own day, or its DRD if earlier; the admission day when an
older census becomes the first one). All reads and writes are batched — one chunked ``IN``
per table, set-based updates, and executemany through the driver (``ingest.bulk``) for the
rows — never a query per row.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.domain.spell_day_rules import (
    ONE_DAY,
    RecordedStatus,
    day_facts,
    derive_spell_days,
    discharge_facts,
    last_bed_day,
    local_date,
)
from ingest.bulk import in_chunk_size, run_statements
from ingest.census import checks, discharges, reads
from ingest.census.batch import Batch, PatientBatchResult
from ingest.census.history import (
    StateChanges,
    appended_from_day,
    history_events,
    later,
    observe,
)
from ingest.census.records import Event, SpellRecord, StateRecord, Work, state_of
from ingest.census.writes import CensusWrites, flush, prepare_days, prepare_touch
from ingest.contracts import PatientRecord
from ingest.day_counts import refresh as refresh_day_counts
from ingest.notices import NoticeSink
from ingest.registry import ensure_councils, ensure_wards


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
    batch = Batch(
        session=session,
        run_id=run_id,
        notices=notices,
        tz=settings.tz,
        pseudonym_key=settings.pseudonym_key,
        protected=frozenset(quarantined_spell_ids),
        chunk=in_chunk_size(session),
        result=PatientBatchResult(),
    )
    censuses: dict[datetime, list[tuple[int, PatientRecord]]] = defaultdict(list)
    for line, row in rows:
        censuses[row.snapshot_at.astimezone(UTC)].append((line, row))
    for snapshot_at in sorted(censuses):
        Census(batch, snapshot_at, censuses[snapshot_at]).apply()
    refresh_day_counts(session, batch.touches)
    batch.result.loaded = len(rows) - len(batch.result.quarantined)
    return batch.result


def _line_of(lined: tuple[int, PatientRecord]) -> int:
    line, _ = lined
    return line


class Census:
    """One ``snapshot_at`` of the batch, for every site it names."""

    def __init__(self, batch: Batch, snapshot_at: datetime, rows: list[tuple[int, PatientRecord]]):
        self.batch = batch
        self.tz = batch.tz
        self.at = snapshot_at
        self.day = local_date(snapshot_at, batch.tz)
        self.rows = sorted(rows, key=_line_of)
        self.writes = CensusWrites()
        self.touched: set[str] = set()
        self.previous: dict[str, datetime] = {}
        self.next: dict[str, datetime] = {}

    def apply(self) -> None:
        batch = self.batch
        kept = checks.one_row_per_spell(batch, self.at, self.rows)
        present = {row.spell_id for _, row in self.rows} | batch.protected
        sites = sorted({row.site_code for _, row in self.rows if row.discharged_at is None})
        known, in_hospital = reads.load_spells(batch, sites, [row.spell_id for _, row in kept])
        kept = checks.check_against_store(batch, self.at, kept, known)
        self.previous, self.next = reads.neighbour_censuses(batch, self.at, sites)

        fast: list[tuple[SpellRecord, PatientRecord]] = []
        slow: list[Work] = []
        for line, row in kept:
            spell = known.get(row.spell_id)
            if spell is None:
                spell = self._new_spell(row)
                slow.append(Work(spell, line, row, is_new=True))
            elif self._unchanged(spell, row):
                fast.append((spell, row))
            else:
                slow.append(Work(spell, line, row))
        slow.extend(
            discharges.absent_spells(
                batch, self.at, sites, in_hospital, present, self.previous, self.next
            )
        )

        self._apply_unchanged(fast)
        # what the confirmed spells need written (their new day rows and census time), now:
        # their lists are released before the changed spells are worked on
        run_statements(
            batch.session,
            [*prepare_days(batch, self.writes), *prepare_touch(batch, self.writes, self.at)],
        )
        self._apply_changed(slow)
        flush(batch, self.writes, self.at, sites)
        batch.result.spells_touched += len(self.touched)

    # -- the rows of the census -------------------------------------------------------

    def _new_spell(self, row: PatientRecord) -> SpellRecord:
        return SpellRecord(
            pk=None,
            spell_id=row.spell_id,
            site_code=row.site_code,
            local_patient_id=row.local_patient_id,
            nhs_number_pseudonym=self.batch.pseudonym(row.nhs_number),
            age=row.age,
            admitted_at=row.admitted_at,
            admission_method=row.admission_method,
            state=state_of(row),
            last_census_at=self.at,
        )

    def _unchanged(self, spell: SpellRecord, row: PatientRecord) -> bool:
        """True when the row only confirms the spell's current state (the fast path)."""
        return (
            row.discharged_at is None
            and spell.discharged_at is None
            and self.at >= spell.last_census_at
            and self.next.get(spell.site_code) is None
            and row.admitted_at == spell.admitted_at
            and state_of(row) == spell.state
        )

    def _take_attributes(self, spell: SpellRecord, row: PatientRecord) -> bool:
        """Copy what the newest row says about the patient; True when anything changed."""
        pseudonym = self.batch.pseudonym(row.nhs_number) or spell.nhs_number_pseudonym
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

    # -- spells whose state did not change ---------------------------------------------

    def _apply_unchanged(self, fast: list[tuple[SpellRecord, PatientRecord]]) -> None:
        """Only the new day rows (and today's status) of spells the census just confirms."""
        same_day = [
            s.pk
            for s, row in fast
            if row.day_status is not None and local_date(s.last_census_at, self.tz) == self.day
        ]
        today = reads.statuses_of_day(
            self.batch, self.day, [pk for pk in same_day if pk is not None]
        )
        for spell, row in fast:
            assert spell.pk is not None
            previous_day = local_date(spell.last_census_at, self.tz)
            statuses: dict[date, RecordedStatus] = {}
            status_changed = False
            if row.day_status is not None:
                current = today.get(spell.pk) if previous_day == self.day else None
                new = RecordedStatus(row.day_status, row.red_reason_code, self.at)
                if later(new, current) and new != current:
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
                states = (StateRecord(None, spell.last_census_at, spell.state).observed(),)
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

    def _apply_changed(self, slow: list[Work]) -> None:
        pks = [w.spell.pk for w in slow if w.spell.pk is not None]
        states, statuses, parked = reads.load_history(self.batch, pks)
        for work in slow:
            pk = work.spell.pk
            self._apply_one(
                work,
                states[pk] if pk is not None else [],
                statuses[pk] if pk is not None else {},
                parked[pk] if pk is not None else {},
            )

    def _apply_one(
        self,
        work: Work,
        states: list[StateRecord],
        statuses: dict[date, RecordedStatus],
        parked: dict[date, RecordedStatus],
    ) -> None:
        spell, batch, writes = work.spell, self.batch, self.writes
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
            writes.new_spells.append(spell)
            detail = f"{spell.admission_method} admission, site {spell.site_code}"
            writes.event(
                spell, Event(spell.admitted_at, "admitted", None, spell.state.ward_code, detail)
            )
        if work.row is not None:
            self._observe_row(work, states, statuses, from_days)
        if work.infer_at is not None:
            discharges.infer(batch, writes, work, work.infer_at, work.infer_reason, from_days)
        if work.row is not None and work.row.discharged_at is None:
            following = self.next.get(spell.site_code)
            discharges.infer_at_following(batch, writes, work, self.at, following, from_days)

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
                writes.day_deletes_from.append((spell, min(from_days)))
            days = derive_spell_days(
                admitted_at=spell.admitted_at,
                states=observed,
                day_statuses=statuses,
                discharged_at=spell.discharged_at,
                last_census_at=spell.last_census_at,
                tz=self.tz,
                from_day=from_day,
            )
            writes.days.extend((spell, f) for f in days)
            self.touched.add(spell.spell_id)
            # a status whose day is no bed day (any more) is kept aside, not lost
            bed_days = {f.day for f in days}
            for day, status in statuses.items():
                if day >= min(from_days) and day not in bed_days and parked.get(day) != status:
                    writes.parked.append((spell, day, status))
        if before is not None and spell.values() != before:
            writes.spell_updates.append(spell)
            self.touched.add(spell.spell_id)
        if work.is_new:
            self.touched.add(spell.spell_id)

    def _observe_row(
        self,
        work: Work,
        states: list[StateRecord],
        statuses: dict[date, RecordedStatus],
        from_days: list[date],
    ) -> None:
        spell, row, batch = work.spell, work.row, self.batch
        assert row is not None
        values = state_of(row)
        if row.discharged_at is not None:
            values = discharges.filled_discharge_state(values, states, self.at)
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
                appended_from_day(before, values, self.day)
                if appended
                else changes.earliest_day(self.tz)
            )
            self._write_state_changes(spell, states, changes, appended=appended)
        if row.day_status is not None:
            current = statuses.get(self.day)
            new = RecordedStatus(row.day_status, row.red_reason_code, self.at)
            if later(new, current) and new != current:
                statuses[self.day] = new
                from_days.append(self.day)
        old_last = spell.last_census_at
        if self.at >= spell.last_census_at:
            self._take_attributes(spell, row)
            if row.admitted_at != spell.admitted_at:
                batch.notices.warning(
                    work.line,
                    f"spell {spell.spell_id}: admitted_at changed from "
                    f"{batch.when(spell.admitted_at)} to {batch.when(row.admitted_at)}",
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
            discharges.discharge(batch, self.writes, work, row, old_last)
        elif (
            spell.discharged_at is not None
            and spell.discharge_inferred
            and spell.discharged_at <= self.at
        ):
            discharges.withdraw_inferred_discharge(batch, self.writes, work, self.at)

    def _write_state_changes(
        self,
        spell: SpellRecord,
        states: list[StateRecord],
        changes: StateChanges,
        *,
        appended: bool,
    ) -> None:
        w = self.writes
        w.state_inserts.extend((spell, s) for s in changes.inserted)
        w.state_updates.extend(s for s, _ in changes.updated)
        w.state_deletes.extend(s.pk for s in changes.deleted if s.pk is not None)
        since, events = history_events(states, changes, appended=appended, tz=self.tz)
        if since is not None and spell.pk is not None:
            w.event_deletes_from.append((spell, since))
        w.events.extend((spell, e) for e in events)
