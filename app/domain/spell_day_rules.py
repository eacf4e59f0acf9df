"""One spell's bed days (the ``spell_days`` rows), derived from its state history — pure.

Everything here is a plain function of a spell's admission, its ordered census states, the
Red2Green statuses recorded for its days, its discharge and its latest census: no database.
``ingest.census`` feeds it and writes what it returns. The rules (DESIGN.md §4.2, §4.3,
§4.6), applied to the end of each Europe/London day D (a census belongs to day D when its
local date is D):

* **Bed days.** D is a bed day when its end finds the patient in hospital: from the local
  date of admission to the day before the local date of discharge; for a spell still in
  hospital, to the local date of its latest census (that row is provisional — it assumes the
  patient is still in at midnight). Admitted and discharged on the same day: no bed day. A
  23- or 25-hour day (the clock change) is one day like any other.
* **Ward in force** at the end of D: that of the latest census on or before D; before the
  first census, the first census's ward. The council is taken the same way, except on
  delayed days (below).
* **NCtR at the end of D** when either

  1. the latest census on or before D carries a DRD on or before D — a census with a DRD
     says the patient has been NCtR since the start of that day, and the period runs on until
     a later census carries no DRD, so the days between censuses stay in it; or
  2. a later census (of a later day) carries a DRD on or before D — a DRD recorded late
     reaches back over the days before it was recorded, even days an earlier census said
     were not NCtR. The first such census counts (the one that first recorded the DRD
     covering D).

  The census so found *governs* the day: its DRD is the day's ``discharge_ready_date`` (the
  start of the NCtR period in force), and its pathway, delay reason and agency responsible —
  and its council, when it gives one — are those the delayed day is attributed to. A DRD
  after D does not make D a delayed day. Each census's own statement stands: a DRD later
  revised to a later date does not take back the days an earlier census counted.
* **Days not NCtR** store ``nctr = False`` with no DRD, no delay reason and no agency (so a
  sum by reason can never pick up a day that was not delayed), and the pathway of the ward's
  census (the planned pathway).
* **Red2Green (§4.6).** A status recorded for D wins: a red day's reason is its red reason,
  or the delay reason when that is empty and D is NCtR; a green day has no reason. With no
  recorded status, an NCtR day is red with the delay reason and any other day is
  ``not_recorded``.
* **At discharge** (:func:`discharge_facts`): the census in force at the discharge moment is
  the latest one at or before it. A row observed at or after the discharge (the discharge row
  itself) counts as of the discharge when it carries a DRD and is ignored when it does not:
  the discharge, not that row, ends the period. ``drd_at_discharge`` is its DRD when on or
  before the discharge date (else NULL: not NCtR when discharged, §4.4); the pathway is its
  pathway; the delay reason is its reason when NCtR at discharge.

So a finished spell whose DRD was never cleared has exactly ``discharge date − DRD`` delayed
days (every day from the DRD to the day before discharge), as §4.3 requires.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ObservedState:
    """What one census said about a spell (the columns that matter for its days)."""

    observed_at: datetime
    ward_code: str
    discharge_ready_date: date | None = None
    pathway: int | None = None
    delay_reason_code: str | None = None
    delay_attributable_to: str | None = None
    local_authority_code: str | None = None
    contributing_reason_codes: str | None = None  # ";"-separated catalogue codes


@dataclass(frozen=True, slots=True)
class RecordedStatus:
    """The Red2Green status a board round recorded for a day, and the census that sent it."""

    day_status: str  # red | green
    red_reason_code: str | None = None
    recorded_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class SpellDayFacts:
    """One bed day of a spell with what was in force at its end (a ``spell_days`` row)."""

    day: date
    ward_code: str
    local_authority_code: str | None
    nctr: bool
    discharge_ready_date: date | None
    pathway: int | None
    delay_reason_code: str | None
    delay_attributable_to: str | None
    day_status_recorded: str | None
    red_reason_recorded: str | None
    day_status_recorded_at: datetime | None
    r2g_status: str  # red | green | not_recorded
    r2g_reason_code: str | None
    # the contributing reasons of the census row in force on a delayed day (None otherwise)
    contributing_reason_codes: str | None = None


@dataclass(frozen=True, slots=True)
class DischargeFacts:
    """What was in force when the patient left (the ``*_at_discharge`` columns of spells)."""

    drd_at_discharge: date | None
    pathway_at_discharge: int | None
    delay_reason_at_discharge: str | None


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The calendar date of an aware moment in ``tz``."""
    return moment.astimezone(tz).date()


def last_bed_day(*, discharged_at: datetime | None, last_census_at: datetime, tz: tzinfo) -> date:
    """The last day whose end finds the patient in hospital (provisional if not discharged)."""
    if discharged_at is not None:
        return local_date(discharged_at, tz) - ONE_DAY
    return local_date(last_census_at, tz)


def red_green_status(
    recorded: RecordedStatus | None, *, nctr: bool, delay_reason_code: str | None
) -> tuple[str, str | None]:
    """The Red2Green status a day counts as, and its reason (§4.6)."""
    if recorded is not None:
        if recorded.day_status == "green":
            return "green", None
        return "red", recorded.red_reason_code or (delay_reason_code if nctr else None)
    if nctr:
        return "red", delay_reason_code
    return "not_recorded", None


def _delayed_on(state: ObservedState, day: date) -> bool:
    drd = state.discharge_ready_date
    return drd is not None and drd <= day


def day_facts(
    day: date,
    states: Sequence[ObservedState],
    observed_days: Sequence[date],
    recorded: RecordedStatus | None,
) -> SpellDayFacts:
    """What was in force at the end of ``day``; ``states`` ordered, ``observed_days`` their
    local dates."""
    latest_index = bisect_right(observed_days, day) - 1
    latest = states[latest_index] if latest_index >= 0 else None
    governing = latest if latest is not None and _delayed_on(latest, day) else None
    if governing is None:
        for index in range(latest_index + 1, len(states)):
            if _delayed_on(states[index], day):
                governing = states[index]
                break
    in_ward = latest if latest is not None else states[0]
    if governing is None:
        status, reason = red_green_status(recorded, nctr=False, delay_reason_code=None)
        return SpellDayFacts(
            day=day,
            ward_code=in_ward.ward_code,
            local_authority_code=in_ward.local_authority_code,
            nctr=False,
            discharge_ready_date=None,
            pathway=in_ward.pathway,
            delay_reason_code=None,
            delay_attributable_to=None,
            day_status_recorded=recorded.day_status if recorded else None,
            red_reason_recorded=recorded.red_reason_code if recorded else None,
            day_status_recorded_at=recorded.recorded_at if recorded else None,
            r2g_status=status,
            r2g_reason_code=reason,
        )
    status, reason = red_green_status(
        recorded, nctr=True, delay_reason_code=governing.delay_reason_code
    )
    return SpellDayFacts(
        day=day,
        ward_code=in_ward.ward_code,
        local_authority_code=governing.local_authority_code or in_ward.local_authority_code,
        nctr=True,
        discharge_ready_date=governing.discharge_ready_date,
        pathway=governing.pathway,
        delay_reason_code=governing.delay_reason_code,
        delay_attributable_to=governing.delay_attributable_to,
        day_status_recorded=recorded.day_status if recorded else None,
        red_reason_recorded=recorded.red_reason_code if recorded else None,
        day_status_recorded_at=recorded.recorded_at if recorded else None,
        r2g_status=status,
        r2g_reason_code=reason,
        contributing_reason_codes=governing.contributing_reason_codes,
    )


def derive_spell_days(
    *,
    admitted_at: datetime,
    states: Sequence[ObservedState],
    day_statuses: Mapping[date, RecordedStatus],
    discharged_at: datetime | None,
    last_census_at: datetime,
    tz: tzinfo,
    from_day: date | None = None,
    to_day: date | None = None,
) -> list[SpellDayFacts]:
    """The spell's bed days (optionally only those from ``from_day`` to ``to_day``)."""
    if not states:
        return []
    ordered = sorted(states, key=lambda s: s.observed_at)
    observed_days = [local_date(s.observed_at, tz) for s in ordered]
    first = local_date(admitted_at, tz)
    if from_day is not None and from_day > first:
        first = from_day
    last = last_bed_day(discharged_at=discharged_at, last_census_at=last_census_at, tz=tz)
    if to_day is not None and to_day < last:
        last = to_day
    days: list[SpellDayFacts] = []
    day = first
    while day <= last:
        days.append(day_facts(day, ordered, observed_days, day_statuses.get(day)))
        day += ONE_DAY
    return days


def discharge_facts(
    *, states: Sequence[ObservedState], discharged_at: datetime, tz: tzinfo
) -> DischargeFacts:
    """The DRD, pathway and delay reason in force when the patient was discharged (§4.4)."""
    considered = [
        s for s in states if s.observed_at < discharged_at or s.discharge_ready_date is not None
    ]
    if not considered:
        return DischargeFacts(None, None, None)
    # rows observed at or after the discharge count as of the discharge; the latest wins
    in_force = max(considered, key=lambda s: s.observed_at)
    if _delayed_on(in_force, local_date(discharged_at, tz)):
        return DischargeFacts(
            in_force.discharge_ready_date, in_force.pathway, in_force.delay_reason_code
        )
    return DischargeFacts(None, in_force.pathway, None)
