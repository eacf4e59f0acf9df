"""Discharges: the ones a census infers by leaving a spell out, and the ones discharge rows
report.

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
"""

from __future__ import annotations

from datetime import date, datetime

from app.domain.spell_day_rules import local_date
from ingest.census.batch import Batch
from ingest.census.history import in_force_before
from ingest.census.reads import inferred_after
from ingest.census.records import Event, SpellRecord, StateRecord, StateValues, Work, values_text
from ingest.census.writes import CensusWrites
from ingest.contracts import PatientRecord


def absent_spells(
    batch: Batch,
    at: datetime,
    sites: list[str],
    in_hospital: dict[str, list[SpellRecord]],
    present: set[str],
    previous: dict[str, datetime],
    following: dict[str, datetime],
) -> list[Work]:
    """The spells the census at ``at`` discharges by leaving them out (§3)."""
    work: list[Work] = []
    when = batch.when(at)
    for site in sites:
        before = previous.get(site)
        if before is None:
            continue  # the first census of a site: nothing to compare with
        reason = (
            f"absent from the census of site {site} at {when} (and in hospital as of its "
            f"census of {batch.when(before)}), with no discharge row"
        )
        for spell in in_hospital.get(site, []):
            if (
                spell.spell_id not in present
                and spell.last_census_at < at
                and spell.admitted_at <= before
            ):
                work.append(Work(spell, infer_at=at, infer_reason=reason))
        if following.get(site) is not None:
            # an older census arriving late: bring forward discharges inferred later
            for spell in inferred_after(batch, site, at, before):
                if spell.spell_id not in present:
                    work.append(Work(spell, infer_at=at, infer_reason=reason))
    return work


def filled_discharge_state(
    values: StateValues, states: list[StateRecord], at: datetime
) -> StateValues:
    """A discharge row's values, its empty fields taken from the state in force before it."""
    before = in_force_before(states, at)
    if before is None:
        return values
    return StateValues._make(v if v is not None else b for v, b in zip(values, before, strict=True))


def infer(
    batch: Batch,
    writes: CensusWrites,
    work: Work,
    at: datetime,
    reason: str,
    from_days: list[date],
) -> None:
    """Record the spell as discharged at ``at`` (it was absent from that census), unless it
    has a reported discharge or an inferred one no later."""
    spell = work.spell
    previous = spell.discharged_at
    if previous is not None and not (spell.discharge_inferred and previous > at):
        return
    if previous is not None:
        writes.event_deletes_exact.append((spell, "discharge_inferred", previous))
        from_days.append(local_date(previous, batch.tz))
    spell.discharged_at = at
    spell.discharge_date = local_date(at, batch.tz)
    spell.discharge_destination = None
    spell.discharge_inferred = True
    message = f"spell {spell.spell_id} recorded as discharged at {batch.when(at)}: {reason}"
    batch.notices.inference(work.line, message)
    writes.event(spell, Event(at, "discharge_inferred", None, None, reason))
    batch.result.discharges_inferred += 1


def infer_at_following(
    batch: Batch,
    writes: CensusWrites,
    work: Work,
    at: datetime,
    following: datetime | None,
    from_days: list[date],
) -> None:
    """A spell in a census that arrived late but absent from the census after it (already
    stored) is discharged at that next census."""
    spell = work.spell
    if following is None or spell.discharged_at is not None or spell.last_census_at >= following:
        return
    reason = (
        f"absent from the census of site {spell.site_code} at "
        f"{batch.when(following)} (the census after {batch.when(at)},"
        " which arrived late), with no discharge row"
    )
    infer(batch, writes, work, following, reason, from_days)


def discharge(
    batch: Batch, writes: CensusWrites, work: Work, row: PatientRecord, old_last: datetime
) -> None:
    """Apply a discharge row: it discharges the spell, replaces an inferred discharge or
    corrects an earlier reported one."""
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
        detail = f"replaces the discharge inferred at {batch.when(previous)}"
    elif previous is not None:
        detail = f"corrects the discharge reported at {batch.when(previous)}"
    elif not work.is_new and old_last > at:
        batch.notices.warning(
            work.line,
            f"spell {spell.spell_id} is reported discharged at {batch.when(at)}, but "
            f"the census of {batch.when(old_last)} listed it in hospital",
        )
    spell.discharged_at = at
    spell.discharge_date = local_date(at, batch.tz)
    spell.discharge_destination = row.discharge_destination
    spell.discharge_inferred = False
    writes.event(spell, Event(at, "discharged", None, row.discharge_destination, detail))


def withdraw_inferred_discharge(
    batch: Batch, writes: CensusWrites, work: Work, at: datetime
) -> None:
    """A spell in the census at ``at`` after its inferred discharge is in hospital again."""
    spell = work.spell
    assert spell.discharged_at is not None
    inferred_at = batch.when(spell.discharged_at)
    message = (
        f"spell {spell.spell_id} was recorded as discharged at {inferred_at} (absent from "
        f"a census) and is in the census of {batch.when(at)}: the inferred "
        "discharge is withdrawn"
    )
    batch.notices.notice(work.line, message)
    writes.event(
        spell,
        Event(at, "discharge_withdrawn", values_text(spell.discharge_date), None, message),
    )
    spell.discharged_at = None
    spell.discharge_date = None
    spell.discharge_destination = None
    spell.discharge_inferred = False
