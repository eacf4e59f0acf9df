"""NHS England's 2025/26 discharge asks as named measures (DESIGN.md §4.11): internal delays
over 48 hours and delays of 21+ days beyond the discharge ready date.

* **Internal delay over 48 hours** at a moment T: a patient in hospital at T whose reason in
  force at T is internal (the store's copy of the catalogue, ``delay_reasons.internal``) and
  whose internal run (:func:`app.domain.discharge_asks.internal_run`, counted back from the day
  before date(T) over the spell's ``spell_days``) is 2 days or more. :func:`internal_delays`
  lists them for the coordinator (within the coordinator's scope); :func:`discharge_asks`
  counts them for the whole system or a site; the weekly value is the count at the end of each
  Sunday (:func:`internal_over_48h_at_day_ends`, the same rule read from that day's rows).
* **21+ days beyond DRD**: patients in hospital at T whose time beyond DRD (§4.4) is 21 days or
  more — the "21+" band of :func:`app.metrics.in_hospital.in_hospital_at` — and, among the
  period's discharges (:func:`app.metrics.flow.discharge_delays`, §4.4), those whose delay was
  21+ days, their share of all discharges and their bed days lost.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import SQLColumnExpression, select
from sqlalchemy.orm import Session

from app.domain.discharge_asks import INTERNAL_RUN_DAYS, internal_over_48h, internal_run
from app.domain.scopes import SYSTEM, Scope
from app.metrics import flow
from app.metrics.freshness import as_of as feed_as_of
from app.metrics.in_hospital import in_hospital_at, total
from app.metrics.patient_level import in_scope
from app.metrics.queries import inpatients, reason_labels, require_site, ward_names
from app.metrics.schemas import (
    BeyondDrd21,
    DischargeAsks,
    InternalDelayPatient,
    InternalDelays,
    ReasonRef,
)
from app.metrics.timebase import local_date, resolve_at
from app.metrics.windows import days_ending
from models import DelayReason, SpellDay

#: the delay band of 21 days or more beyond the DRD (§4.4)
BAND_21_PLUS = "21+"
_CHUNK = 500


def stored_internal_codes(session: Session) -> frozenset[str]:
    """The codes the store's catalogue flags internal."""
    return frozenset(session.scalars(select(DelayReason.code).where(DelayReason.internal)))


def _internal_days(
    session: Session, spell_pks: Sequence[int], before: date, codes: frozenset[str]
) -> dict[int, set[date]]:
    """Each spell's delayed days before ``before`` that ended under an internal reason."""
    found: dict[int, set[date]] = defaultdict(set)
    for i in range(0, len(spell_pks), _CHUNK):
        chunk = spell_pks[i : i + _CHUNK]
        for spell_pk, day in session.execute(
            select(SpellDay.spell_pk, SpellDay.day).where(
                SpellDay.spell_pk.in_(chunk),
                SpellDay.day < before,
                SpellDay.nctr.is_(True),
                SpellDay.delay_reason_code.in_(codes),
            )
        ):
            found[spell_pk].add(day)
    return found


def _internal_runs_now(
    session: Session,
    at: datetime,
    site: str | None,
    scope: Scope,
    filters: Sequence[tuple[str | None, str]] = (),
) -> list[tuple[Any, int]]:
    """The patients in hospital at ``at`` whose reason in force is internal, with their run."""
    codes = stored_internal_codes(session)
    if not codes:
        return []
    at_day = local_date(at)
    patients = inpatients(at, site)
    query = select(patients).where(
        patients.c.nctr.is_(True),
        patients.c.delay_reason_code.in_(codes),
        in_scope(scope, patients.c.site_code, patients.c.local_authority_code),
    )
    for value, name in filters:
        if value is not None:
            column: SQLColumnExpression[Any] = patients.c[name]
            query = query.where(column == value)
    rows = list(session.execute(query))
    days = _internal_days(session, [row.spell_pk for row in rows], at_day, codes)
    return [(row, internal_run(days.get(row.spell_pk, set()), at_day)) for row in rows]


def _over_48h_now(
    session: Session,
    at: datetime,
    site: str | None,
    scope: Scope,
    filters: Sequence[tuple[str | None, str]] = (),
) -> list[tuple[Any, int]]:
    """The patients in hospital at ``at`` with an internal delay over 48 hours, with their run,
    longest run first."""
    out = [
        (row, run)
        for row, run in _internal_runs_now(session, at, site, scope, filters)
        if internal_over_48h(internal_now=True, run=run)
    ]
    out.sort(key=lambda item: (-item[1], item[0].spell_id))
    return out


def internal_runs_now(
    session: Session, at: datetime, site: str | None, scope: Scope = SYSTEM
) -> dict[int, int]:
    """``{spell_pk: internal run}`` of the patients in hospital at ``at`` whose reason in force
    is internal (a run of 0 or 1 included): the coordinator grid's "internal days" column."""
    return {row.spell_pk: run for row, run in _internal_runs_now(session, at, site, scope)}


def internal_delays(
    session: Session,
    *,
    scope: Scope = SYSTEM,
    at: datetime | None = None,
    site: str | None = None,
    ward: str | None = None,
    local_authority: str | None = None,
    agency: str | None = None,
) -> InternalDelays:
    """Every patient in hospital at ``at`` whose delay has been internal for more than 48 hours,
    longest internal run first (only those within ``scope``): the coordinator's list."""
    at = resolve_at(at)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    at_day = local_date(at)
    found = _over_48h_now(
        session,
        at,
        code,
        scope,
        [
            (ward, "ward_code"),
            (local_authority.upper() if local_authority else None, "local_authority_code"),
            (agency, "delay_attributable_to"),
        ],
    )
    reasons = reason_labels(session)
    wards = ward_names(session, code)
    patients = [
        InternalDelayPatient(
            spell_id=row.spell_id,
            local_patient_id=row.local_patient_id,
            site=row.site_code,
            ward=row.ward_code,
            ward_name=wards.get((row.site_code, row.ward_code), row.ward_code),
            discharge_ready_date=row.discharge_ready_date,
            days_beyond_drd=(at_day - row.discharge_ready_date).days,
            pathway=row.pathway,
            delay_reason=ReasonRef(
                code=row.delay_reason_code,
                label=reasons.get(row.delay_reason_code, (row.delay_reason_code, ""))[0],
            ),
            internal_days=run,
            agency=row.delay_attributable_to,
            local_authority=row.local_authority_code,
        )
        for row, run in found
    ]
    return InternalDelays(
        at=at, as_of=feed_as_of(session, at)["patients"], count=len(patients), patients=patients
    )


def internal_over_48h_at_day_ends(
    session: Session, days: Sequence[date], site: str | None = None
) -> dict[date, int]:
    """Patients in hospital at the end of each of ``days`` with an internal delay over 48 hours,
    as in force that day: the day's ``spell_days`` row ends under an internal reason and so do
    the :data:`INTERNAL_RUN_DAYS` delayed days before it."""
    codes = stored_internal_codes(session)
    if not codes or not days:
        return dict.fromkeys(days, 0)
    needed = sorted({day - timedelta(days=k) for day in days for k in range(INTERNAL_RUN_DAYS + 1)})
    by_spell: dict[int, set[date]] = defaultdict(set)
    query = select(SpellDay.spell_pk, SpellDay.day).where(
        SpellDay.day.in_(needed),
        SpellDay.nctr.is_(True),
        SpellDay.delay_reason_code.in_(codes),
    )
    if site is not None:
        query = query.where(SpellDay.site_code == site)
    for spell_pk, day in session.execute(query):
        by_spell[spell_pk].add(day)
    return {
        day: sum(
            internal_over_48h(internal_now=day in internal, run=internal_run(internal, day))
            for internal in by_spell.values()
        )
        for day in days
    }


def beyond_drd_21(
    session: Session, *, at: datetime, start: date, end: date, site: str | None
) -> BeyondDrd21:
    """21+ days beyond DRD: in hospital at ``at``, and among the discharges of ``start``–``end``."""
    now = total(in_hospital_at(session, at, site).values())
    discharged = flow.discharge_delays(session, start=start, end=end, site=site)
    band = next(b for b in discharged.bands if b.band == BAND_21_PLUS)
    return BeyondDrd21(
        in_hospital=now.bands[BAND_21_PLUS],
        discharges=band.count,
        all_discharges=discharged.discharges,
        share=band.share,
        bed_days_lost=band.bed_days,
    )


def discharge_asks(
    session: Session,
    *,
    at: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
    site: str | None = None,
) -> DischargeAsks:
    """The asks at ``at`` (default now) for the system or a site; the discharges of
    ``start``–``end`` (default: the seven days to yesterday). Aggregates only."""
    at = resolve_at(at)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    if start is None or end is None:
        period = days_ending(local_date(at) - timedelta(days=1))
        start, end = start or period.start, end or period.end
    return DischargeAsks(
        at=at,
        start=start,
        end=end,
        site=code,
        as_of=feed_as_of(session, at)["patients"],
        internal_over_48h=len(_over_48h_now(session, at, code, SYSTEM)),
        beyond_drd_21=beyond_drd_21(session, at=at, start=start, end=end, site=code),
    )
