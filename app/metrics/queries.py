"""The SQL building blocks the metrics share: who is in hospital at a moment and in what state,
each ward's latest bed snapshot, and the reference lookups.

Point-in-time figures ("at" a moment) read the latest census state of each spell at or before
that moment (``spell_states``); period figures read ``spell_days``. Each building block is one
statement: the latest row per spell or ward is found by a correlated ``ORDER BY … LIMIT 1``
sub-select that walks the (spell_pk, observed_at) or (ward_id, snapshot_at) index.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, literal, or_, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Subquery

from app.metrics.errors import InvalidParameter
from app.metrics.timebase import band_of, day_start, days_between, local_date
from models import BedSnapshot, Council, DelayReason, Site, Spell, SpellState, Ward
from models.base import UTCDateTime

GENERAL_ACUTE = "general_acute"
COMMUNITY = "community"
AGENCY_LABELS = {"nhs": "NHS", "social_care": "Social care", "both": "NHS and social care"}


def require_site(session: Session, site: str | None) -> Site | None:
    """The site of a ``site`` parameter; an unknown code is refused (422)."""
    if site is None:
        return None
    found = session.get(Site, site)
    if found is None:
        found = session.get(Site, site.strip().upper())
    if found is None:
        raise InvalidParameter("site", f"unknown site code '{site}'")
    return found


def site_list(session: Session, site: Site | None) -> list[Site]:
    """The sites of a scope, acute first, each in code order."""
    if site is not None:
        return [site]
    return list(session.scalars(select(Site).order_by(Site.kind, Site.site_code)))


def reason_labels(session: Session) -> dict[str, tuple[str, str]]:
    """``{code: (label, dtoc_code)}`` of the reason catalogue."""
    rows = session.execute(select(DelayReason.code, DelayReason.label, DelayReason.dtoc_code))
    return {code: (label, dtoc) for code, label, dtoc in rows}


def council_names(session: Session) -> dict[str, str]:
    rows = session.execute(select(Council.local_authority_code, Council.name))
    return {code: name for code, name in rows}


def ward_names(session: Session, site: str | None = None) -> dict[tuple[str, str], str]:
    query = select(Ward.site_code, Ward.ward_code, Ward.ward_name)
    if site is not None:
        query = query.where(Ward.site_code == site)
    return {(s, w): name for s, w, name in session.execute(query)}


def inpatients(at: datetime, site: str | None = None) -> Subquery:
    """Spells in hospital at ``at``, with the state of their latest census at or before it.

    In hospital: admitted at or before ``at`` and not discharged by then. ``nctr`` is true when
    that census carried a DRD on or before the day of ``at``; ``los_from`` is the number of days
    from the admission day to the day of ``at`` (length of stay) bucketed 0/7/14/21;
    ``delay_band`` is the §4.4 band of the days since the DRD for NCtR patients.
    """
    at_day = local_date(at)
    latest_state = (
        select(SpellState.id)
        .where(SpellState.spell_pk == Spell.id, SpellState.observed_at <= at)
        .order_by(SpellState.observed_at.desc(), SpellState.id.desc())
        .limit(1)
        .correlate(Spell)
        .scalar_subquery()
    )
    drd = SpellState.discharge_ready_date
    nctr = and_(drd.is_not(None), drd <= at_day)
    los_from = case(
        (Spell.admitted_at < _los_threshold(at_day, 21), 21),
        (Spell.admitted_at < _los_threshold(at_day, 14), 14),
        (Spell.admitted_at < _los_threshold(at_day, 7), 7),
        else_=0,
    )
    days_beyond = days_between(literal(at_day, Date()), drd)
    query = (
        select(
            Spell.id.label("spell_pk"),
            Spell.spell_id,
            Spell.site_code,
            Spell.local_patient_id,
            Spell.age,
            Spell.admitted_at,
            SpellState.ward_code,
            SpellState.expected_discharge_date,
            drd.label("discharge_ready_date"),
            SpellState.pathway,
            SpellState.delay_reason_code,
            SpellState.delay_attributable_to,
            SpellState.local_authority_code,
            case((nctr, True), else_=False).label("nctr"),
            los_from.label("los_from"),
            case((nctr, days_beyond), else_=None).label("days_beyond_drd"),
            case((nctr, band_of(days_beyond)), else_=None).label("delay_band"),
        )
        .join(SpellState, SpellState.id == latest_state)
        .where(
            Spell.admitted_at <= at,
            # the discharge_date test lets the (discharge_date) index find the few candidates
            or_(Spell.discharge_date.is_(None), Spell.discharge_date >= at_day),
            or_(Spell.discharged_at.is_(None), Spell.discharged_at > at),
        )
    )
    if site is not None:
        query = query.where(Spell.site_code == site)
    return query.subquery("inpatients")


def _los_threshold(at_day: date, los: int) -> Any:
    """Admitted before this instant ⇔ length of stay on ``at_day`` is at least ``los`` days."""
    return literal(day_start(at_day - timedelta(days=los - 1)), UTCDateTime())


def latest_bed_snapshots(instants: Sequence[datetime], site: str | None = None) -> Subquery:
    """Each ward's latest bed snapshot at or before each of ``instants`` (column ``instant``),
    with the ward's site and bed base."""
    points = union_all(
        *(select(literal(instant, UTCDateTime()).label("instant")) for instant in instants)
    ).cte("instants")
    latest = (
        select(BedSnapshot.id)
        .where(BedSnapshot.ward_id == Ward.id, BedSnapshot.snapshot_at <= points.c.instant)
        .order_by(BedSnapshot.snapshot_at.desc())
        .limit(1)
        .correlate(Ward, points)
        .scalar_subquery()
    )
    query = (
        select(
            points.c.instant,
            Ward.site_code,
            Ward.ward_code,
            Ward.bed_base,
            BedSnapshot.snapshot_at,
            BedSnapshot.core_beds_open,
            BedSnapshot.escalation_beds_open,
            BedSnapshot.beds_occupied,
        )
        .select_from(Ward)
        .join(points, true())
        .join(BedSnapshot, BedSnapshot.id == latest)
    )
    if site is not None:
        query = query.where(Ward.site_code == site)
    return query.subquery("beds")
