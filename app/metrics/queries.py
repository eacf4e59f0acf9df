"""The SQL building blocks the metrics share: who is in hospital at a moment and in what state,
each ward's latest bed snapshot, and the reference lookups.

Point-in-time figures ("at" a moment) read the latest census state of each spell at or before
that moment (``spell_states``); period figures read ``spell_days``. Each building block is one
statement: the latest row per spell or ward is found by a correlated ``ORDER BY … LIMIT 1``
sub-select that walks the (spell_pk, observed_at) or (ward_id, snapshot_at) index.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Label,
    SQLColumnExpression,
    and_,
    case,
    column,
    literal,
    or_,
    select,
    true,
    union_all,
    values,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import CTE, Select, Subquery

from app.domain.delay_bands import band_of
from app.metrics.errors import InvalidParameter
from app.metrics.timebase import day_start, days_between, local_date
from models import BedSnapshot, Council, DelayReason, Site, Spell, SpellDay, SpellState, Ward
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


def fenced(query: Select[Any], name: str) -> CTE:
    """``query`` as a CTE the planner must compute on its own (``AS MATERIALIZED``, PostgreSQL
    12+ and SQLite 3.35+).

    The latest-row pattern below finds, per key, the id of the latest row by a correlated
    ``ORDER BY … LIMIT 1`` that walks an index, then joins the row by primary key. Inlined,
    PostgreSQL turns that join into a hash join over the whole snapshot table (seconds on a
    year of hourly bed snapshots); fenced, it is one index seek per key and one per row.
    """
    return query.cte(name).prefix_with("MATERIALIZED")


def inpatients(at: datetime, site: str | None = None) -> Subquery:
    """Spells in hospital at ``at``, with the state of their latest census at or before it.

    In hospital: admitted at or before ``at`` and not discharged by then. ``nctr`` is true when
    that census carried a DRD on or before the day of ``at``; ``los_from`` is the length of
    stay on the day of ``at`` (days from the admission day) bucketed 0/7/14/21;
    ``days_beyond_drd`` and its §4.4 ``delay_band`` are set for NCtR patients.

    A spell whose latest census is at or before ``at`` (every spell, when ``at`` is now) is in
    the state its ``spells`` row holds; only for an earlier ``at`` is the state looked up in
    ``spell_states``.
    """
    at_day = local_date(at)
    current = Spell.last_census_at <= at
    latest_state = (
        select(SpellState.id)
        .where(SpellState.spell_pk == Spell.id, SpellState.observed_at <= at)
        .order_by(SpellState.observed_at.desc())
        .limit(1)
        .correlate(Spell)
        .scalar_subquery()
    )
    state_columns = (
        "ward_code",
        "expected_discharge_date",
        "discharge_ready_date",
        "pathway",
        "delay_reason_code",
        "delay_attributable_to",
        "local_authority_code",
        "contributing_reason_codes",
    )
    candidates = select(
        Spell.id.label("spell_pk"),
        Spell.spell_id,
        Spell.site_code,
        Spell.local_patient_id,
        Spell.age,
        Spell.admitted_at,
        *(getattr(Spell, column) for column in state_columns),
        case((current, None), else_=latest_state).label("state_id"),
        current.label("current"),
    ).where(
        Spell.admitted_at <= at,
        # the discharge_date test lets the (discharge_date) index find the few candidates
        or_(Spell.discharge_date.is_(None), Spell.discharge_date >= at_day),
        or_(Spell.discharged_at.is_(None), Spell.discharged_at > at),
    )
    if site is not None:
        candidates = candidates.where(Spell.site_code == site)
    found = fenced(candidates, "candidates")

    def in_force(column: str) -> Label[Any]:
        return case(
            (found.c.state_id.is_(None), found.c[column]),
            else_=getattr(SpellState, column),
        ).label(column)

    states = (
        select(
            found.c.spell_pk,
            found.c.spell_id,
            found.c.site_code,
            found.c.local_patient_id,
            found.c.age,
            found.c.admitted_at,
            *(in_force(column) for column in state_columns),
        )
        .select_from(found)
        .outerjoin(SpellState, SpellState.id == found.c.state_id)
        # a spell first seen by a census after `at` has no state yet
        .where(or_(found.c.current.is_(True), found.c.state_id.is_not(None)))
        .subquery("states")
    )
    drd = states.c.discharge_ready_date
    nctr = and_(drd.is_not(None), drd <= at_day)

    def stay_from(los: int) -> ColumnElement[datetime]:
        return literal(stay_threshold(at_day, los), UTCDateTime())

    days_beyond = days_between(literal(at_day, Date()), drd)
    return select(
        *states.c,
        case((nctr, True), else_=False).label("nctr"),
        los_bucket(states.c.admitted_at, stay_from).label("los_from"),
        case((nctr, days_beyond), else_=None).label("days_beyond_drd"),
        case((nctr, band_of(days_beyond)), else_=None).label("delay_band"),
    ).subquery("inpatients")


#: the length-of-stay buckets counted (§4.5): stranded 7+, 14+, super-stranded 21+
LOS_BUCKETS = (21, 14, 7)


def stay_threshold(day: date, los: int) -> datetime:
    """Admitted before this instant ⇔ a length of stay (days from the admission day) of at
    least ``los`` days on ``day``: the start of day ``day − (los − 1)``."""
    return day_start(day - timedelta(days=los - 1))


def los_bucket(
    admitted_at: SQLColumnExpression[datetime],
    stay_from: Callable[[int], SQLColumnExpression[datetime]],
) -> ColumnElement[int]:
    """SQL: the length of stay bucketed 0/7/14/21, ``stay_from(los)`` being the
    :func:`stay_threshold` of the day counted (a literal for one moment, a column per day)."""
    return case(*((admitted_at < stay_from(los), los) for los in LOS_BUCKETS), else_=0)


def patients_at_day_ends(days: Sequence[date], site: str | None = None) -> Subquery:
    """Spells in hospital at the end of each of ``days``, as in force that day: the
    ``spell_days`` rows of those days (a DRD recorded later for an earlier day included), with
    the columns of :func:`inpatients` that the counts read (``nctr``, ``pathway``,
    ``los_from``, ``delay_band``, ``site_code``, ``local_authority_code``) and the ``day``."""
    # each day's stay thresholds, looked up once per row by a join on the day
    thresholds = (
        values(
            column("day", Date()),
            *(column(f"from_{los}", UTCDateTime()) for los in LOS_BUCKETS),
            name="stay_thresholds",
        )
        .data([(day, *(stay_threshold(day, los) for los in LOS_BUCKETS)) for day in days])
        .cte("stay_thresholds")
    )
    delay = days_between(SpellDay.day, SpellDay.discharge_ready_date)
    query = (
        select(
            SpellDay.day,
            SpellDay.site_code,
            SpellDay.ward_code,
            SpellDay.local_authority_code,
            SpellDay.pathway,
            SpellDay.nctr,
            los_bucket(Spell.admitted_at, lambda los: thresholds.c[f"from_{los}"]).label(
                "los_from"
            ),
            case((SpellDay.nctr.is_(True), band_of(delay)), else_=None).label("delay_band"),
        )
        .select_from(SpellDay)
        .join(thresholds, thresholds.c.day == SpellDay.day)
        .join(Spell, Spell.id == SpellDay.spell_pk)
        .where(SpellDay.day.in_(days))
    )
    if site is not None:
        query = query.where(SpellDay.site_code == site)
    return query.subquery("day_ends")


def latest_bed_snapshots(instants: Sequence[datetime], site: str | None = None) -> Subquery:
    """Each ward's latest bed snapshot at or before each of ``instants`` (column ``instant``),
    with the ward's site and bed base."""
    points = union_all(
        *(select(literal(instant, UTCDateTime()).label("instant")) for instant in instants)
    ).cte("instants")
    latest_id = (
        select(BedSnapshot.id)
        .where(BedSnapshot.ward_id == Ward.id, BedSnapshot.snapshot_at <= points.c.instant)
        .order_by(BedSnapshot.snapshot_at.desc())
        .limit(1)
        .correlate(Ward, points)
        .scalar_subquery()
    )
    pairs = (
        select(
            points.c.instant,
            Ward.site_code,
            Ward.ward_code,
            Ward.bed_base,
            latest_id.label("snapshot_id"),
        )
        .select_from(Ward)
        .join(points, true())
    )
    if site is not None:
        pairs = pairs.where(Ward.site_code == site)
    latest = fenced(pairs, "latest_beds")
    return (
        select(
            latest.c.instant,
            latest.c.site_code,
            latest.c.ward_code,
            latest.c.bed_base,
            BedSnapshot.snapshot_at,
            BedSnapshot.core_beds_open,
            BedSnapshot.escalation_beds_open,
            BedSnapshot.beds_occupied,
        )
        .select_from(latest)
        .join(BedSnapshot, BedSnapshot.id == latest.c.snapshot_id)
        .subquery("beds")
    )
