"""Patient-level views: every delayed patient in hospital, and one spell's journey.

Patient-level: the API serves these to coordinators only (DESIGN.md §7), each within the
coordinator's ``scope`` (a council's residents, a trust's or some sites' patients, or the whole
system): a patient outside it is not listed, and their journey is "not found", as if absent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, false, func, select, true
from sqlalchemy.orm import Session

from app.domain.discharge_asks import internal_over_48h as over_48h
from app.domain.scopes import SYSTEM, Scope
from app.metrics.errors import NotFound
from app.metrics.freshness import as_of as feed_as_of
from app.metrics.queries import (
    AGENCY_LABELS,
    council_names,
    inpatients,
    reason_labels,
    require_site,
    ward_names,
)
from app.metrics.schemas import (
    DelayedPatient,
    DelayedPatients,
    Journey,
    JourneyEvent,
    JourneySpell,
    ReasonRef,
)
from app.metrics.timebase import day_end, local_date, resolve_at
from models import Site, Spell, SpellDay, SpellEvent


def _contributing(codes: str | None, reasons: dict[str, tuple[str, str]]) -> list[ReasonRef]:
    """The contributing reasons of a ``;``-separated list, in the order listed."""
    return [
        ReasonRef(code=c, label=reasons[c][0] if c in reasons else c)
        for c in (codes or "").split(";")
        if c
    ]


def _reason(code: str | None, reasons: dict[str, tuple[str, str]]) -> ReasonRef | None:
    if code is None:
        return None
    return ReasonRef(code=code, label=reasons[code][0] if code in reasons else code)


def in_scope(
    scope: Scope, site_code: SQLColumnExpression[Any], council_code: SQLColumnExpression[Any]
) -> ColumnElement[bool]:
    """The SQL test that a patient at ``site_code``, resident of ``council_code``, is in scope."""
    if scope.kind == "system":
        return true()
    if not scope.codes:
        return false()
    if scope.kind == "council":
        return council_code.in_(scope.codes)
    if scope.kind == "sites":
        return site_code.in_(scope.codes)
    trust_sites = select(Site.site_code).where(Site.trust_code.in_(scope.codes))
    return site_code.in_(trust_sites.scalar_subquery())


def delayed(
    session: Session,
    *,
    scope: Scope = SYSTEM,
    at: datetime | None = None,
    site: str | None = None,
    ward: str | None = None,
    pathway: int | None = None,
    reason: str | None = None,
    local_authority: str | None = None,
    agency: str | None = None,
    min_days: int | None = None,
    internal_over_48h: bool | None = None,
) -> DelayedPatients:
    """Every patient in hospital at ``at`` with no criteria to reside, longest past DRD first
    (only those within ``scope``); ``internal_over_48h``: only those whose delay has been
    internal for more than 48 hours (DESIGN §4.11, :mod:`app.metrics.discharge_asks`)."""
    at = resolve_at(at)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    at_day = local_date(at)
    patients = inpatients(at, code)
    red_days = (
        select(func.count())
        .select_from(SpellDay)
        .where(
            SpellDay.spell_pk == patients.c.spell_pk,
            SpellDay.r2g_status == "red",
            SpellDay.day <= at_day,
        )
        .scalar_subquery()
    )
    query = select(patients, red_days.label("red_days")).where(
        patients.c.nctr.is_(True),
        in_scope(scope, patients.c.site_code, patients.c.local_authority_code),
    )
    filters: list[tuple[str | int | None, SQLColumnExpression[Any]]] = [
        (ward, patients.c.ward_code),
        (pathway, patients.c.pathway),
        # reason and council codes are stored upper-case, as the catalogue and ONS write them
        (reason.upper() if reason else None, patients.c.delay_reason_code),
        (local_authority.upper() if local_authority else None, patients.c.local_authority_code),
        (agency, patients.c.delay_attributable_to),
    ]
    for value, column in filters:
        if value is not None:
            query = query.where(column == value)
    if min_days is not None:
        query = query.where(patients.c.days_beyond_drd >= min_days)
    # the internal run of §4.11, by the module that owns the rule (imported here: it builds on
    # this module's scope test)
    from app.metrics.discharge_asks import internal_runs_now

    runs = internal_runs_now(session, at, code, scope)
    if internal_over_48h:
        held = sorted(pk for pk, run in runs.items() if over_48h(internal_now=True, run=run))
        query = query.where(patients.c.spell_pk.in_(held) if held else false())
    query = query.order_by(patients.c.days_beyond_drd.desc(), patients.c.spell_id)

    reasons = reason_labels(session)
    wards = ward_names(session, code)
    councils = council_names(session)
    site_names = dict(session.execute(select(Site.site_code, Site.name)).all())
    rows = [
        DelayedPatient(
            spell_id=row.spell_id,
            local_patient_id=row.local_patient_id,
            site=row.site_code,
            ward=row.ward_code,
            ward_name=wards.get((row.site_code, row.ward_code), row.ward_code),
            age=row.age,
            admitted_at=row.admitted_at,
            length_of_stay=(at_day - local_date(row.admitted_at)).days,
            expected_discharge_date=row.expected_discharge_date,
            discharge_ready_date=row.discharge_ready_date,
            days_beyond_drd=row.days_beyond_drd,
            pathway=row.pathway,
            delay_reason=_reason(row.delay_reason_code, reasons),
            contributing_reasons=_contributing(row.contributing_reason_codes, reasons),
            agency=row.delay_attributable_to,
            local_authority=row.local_authority_code,
            local_authority_name=councils.get(row.local_authority_code or ""),
            red_days=row.red_days,
            site_name=site_names.get(row.site_code),
            internal_days=runs.get(row.spell_pk),
        )
        for row in session.execute(query)
    ]
    return DelayedPatients(
        at=at, as_of=feed_as_of(session, at)["patients"], count=len(rows), patients=rows
    )


# --- the journey ----------------------------------------------------------------------------

_EVENT_WORDS = {
    "admitted": "Admitted to ward",
    "edd_set": "Expected discharge date",
    "drd_set": "Discharge ready date set",
    "drd_cleared": "Discharge ready date cleared: meets the criteria to reside again",
    "reason_changed": "Delay reason",
    "pathway_changed": "Discharge pathway",
    "agency_changed": "Agency responsible",
    "ward_changed": "Moved ward",
    "council_changed": "Council",
    "discharged": "Discharged",
    "discharge_inferred": "Discharge inferred: missing from the census",
    "discharge_withdrawn": "Inferred discharge withdrawn: back in the census",
}
_DAY_WORDS = {"red": "Red day", "green": "Green day", "not_recorded": "Day status not recorded"}


def _event_label(
    event: SpellEvent,
    reasons: dict[str, tuple[str, str]],
    councils: dict[str, str],
    wards: dict[str, str] | None = None,
) -> str:
    """The event in words: what changed, from what to what."""
    words = _EVENT_WORDS.get(event.event_type, event.event_type.replace("_", " ").capitalize())
    if event.event_type in ("drd_cleared", "discharge_inferred", "discharge_withdrawn"):
        return words

    def shown(value: str | None) -> str | None:
        if value is None:
            return None
        if event.event_type == "reason_changed":
            return reasons[value][0] if value in reasons else value
        if event.event_type == "agency_changed":
            return AGENCY_LABELS.get(value, value)
        if event.event_type == "council_changed":
            return councils.get(value, value)
        if event.event_type in ("admitted", "ward_changed") and wards:
            return wards.get(value, value)
        if event.event_type == "discharged":
            return value.replace("_", " ")
        return value

    old, new = shown(event.old_value), shown(event.new_value)
    if old is not None:
        return f"{words}: {old} → {new or 'none'}"
    return f"{words}: {new}" if new is not None else words


def _day_label(day: SpellDay, reasons: dict[str, tuple[str, str]]) -> tuple[str, str | None]:
    words = _DAY_WORDS.get(day.r2g_status, day.r2g_status)
    reason = day.r2g_reason_code
    if reason:
        words = f"{words}: {reasons[reason][0] if reason in reasons else reason}"
    detail = None
    if day.r2g_status == "red" and day.day_status_recorded is None:
        detail = "no board-round status; counted red because the patient was NCtR"
    return words, detail


def _days_beyond_drd(spell: Spell, at: datetime | None) -> int | None:
    """§4.4: ``date(at) − DRD`` in hospital; ``discharge date − DRD in force at discharge``
    (0 when there is none) once discharged; None while the patient meets the criteria."""
    if spell.discharge_date is not None:
        drd = spell.drd_at_discharge
        return max(0, (spell.discharge_date - drd).days) if drd is not None else 0
    today = local_date(resolve_at(at))
    drd = spell.discharge_ready_date
    if drd is None or drd > today:
        return None
    return (today - drd).days


def journey(
    session: Session, spell_id: str, *, scope: Scope = SYSTEM, at: datetime | None = None
) -> Journey:
    """A spell's events in time order, with each day's red/green status (days beyond the DRD
    at ``at``, now by default).

    A spell outside ``scope`` is "not found", like one that does not exist: a coordinator
    learns nothing, not even that it exists, about a patient outside their scope.
    """
    spell = session.scalar(
        select(Spell).where(
            Spell.spell_id == spell_id,
            in_scope(scope, Spell.site_code, Spell.local_authority_code),
        )
    )
    if spell is None:
        raise NotFound(f"no spell '{spell_id}'")
    reasons = reason_labels(session)
    councils = council_names(session)
    # ward codes repeat across sites: the spell's own site's wards name them
    wards = {w: name for (_, w), name in ward_names(session, spell.site_code).items()}
    events: list[tuple[datetime, int, JourneyEvent]] = []
    for event in session.scalars(
        select(SpellEvent).where(SpellEvent.spell_pk == spell.id).order_by(SpellEvent.id)
    ):
        events.append(
            (
                event.event_at,
                0,
                JourneyEvent(
                    at=event.event_at,
                    date=local_date(event.event_at),
                    type=event.event_type,
                    old_value=event.old_value,
                    new_value=event.new_value,
                    label=_event_label(event, reasons, councils, wards),
                    detail=event.detail,
                ),
            )
        )
    bed_days = list(
        session.scalars(
            select(SpellDay).where(SpellDay.spell_pk == spell.id).order_by(SpellDay.day)
        )
    )
    for day in bed_days:
        # a day's status belongs to its end: the midnight census that counts the bed day
        at = day_end(day.day) - timedelta(seconds=1)
        label, detail = _day_label(day, reasons)
        events.append(
            (
                at,
                1,
                JourneyEvent(
                    at=at,
                    date=day.day,
                    type=f"day_{day.r2g_status}",
                    new_value=day.r2g_reason_code,
                    label=label,
                    detail=detail,
                ),
            )
        )
    events.sort(key=lambda item: (item[0], item[1]))
    return Journey(
        spell=JourneySpell(
            spell_id=spell.spell_id,
            local_patient_id=spell.local_patient_id,
            site=spell.site_code,
            ward=spell.ward_code,
            age=spell.age,
            admission_method=spell.admission_method,
            admitted_at=spell.admitted_at,
            expected_discharge_date=spell.expected_discharge_date,
            discharge_ready_date=spell.discharge_ready_date,
            pathway=spell.pathway,
            delay_reason=_reason(spell.delay_reason_code, reasons),
            contributing_reasons=_contributing(spell.contributing_reason_codes, reasons),
            local_authority=spell.local_authority_code,
            discharged_at=spell.discharged_at,
            discharge_date=spell.discharge_date,
            discharge_destination=spell.discharge_destination,
            discharge_inferred=spell.discharge_inferred,
            drd_at_discharge=spell.drd_at_discharge,
            red_days=sum(d.r2g_status == "red" for d in bed_days),
            green_days=sum(d.r2g_status == "green" for d in bed_days),
            delayed_days=sum(d.nctr for d in bed_days),
            site_name=session.scalar(select(Site.name).where(Site.site_code == spell.site_code)),
            ward_name=wards.get(spell.ward_code),
            local_authority_name=councils.get(spell.local_authority_code or ""),
            days_beyond_drd=_days_beyond_drd(spell, at),
        ),
        events=[event for _, _, event in events],
    )
