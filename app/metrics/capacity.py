"""Capacity out of hospital — care homes, home care, community beds — and the gap between the
patients waiting on each discharge pathway and the capacity to meet them (DESIGN.md §4.7)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from sqlalchemy import and_, func, literal, select, true, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from app.domain.vocabularies import CARE_TYPES
from app.metrics.freshness import as_of as feed_as_of
from app.metrics.in_hospital import in_hospital_at, total
from app.metrics.occupancy import beds_free, occupancy_at
from app.metrics.queries import COMMUNITY, council_names, fenced
from app.metrics.schemas import (
    CapacityGaps,
    CareHomeCapacity,
    CareHomeGroup,
    CareHomeRow,
    CareHomeTotals,
    CouncilWaiting,
    DomiciliaryCapacity,
    DomiciliaryGroup,
    DomiciliaryRow,
    DomiciliaryTotals,
    P1Wait,
    P3Wait,
    PathwayWait,
    WaitingByPathway,
)
from app.metrics.timebase import resolve_at
from models import CareHome, CareHomeSnapshot, DomiciliarySnapshot, HomeCareProvider

CARE_TYPE_LABELS = {
    "residential": "Residential",
    "nursing": "Nursing",
    "residential_dementia": "Residential (dementia)",
    "nursing_dementia": "Nursing (dementia)",
}
NO_COUNCIL = "Council not recorded"
#: the discharge pathways with capacity out of hospital to meet them
PATHWAYS_WITH_SUPPLY = (1, 2, 3)


# --- the latest snapshots -------------------------------------------------------------------


def _latest_care_homes(
    at: datetime, local_authority: str | None = None
) -> Select[str, CareHomeSnapshot]:
    """Each home's latest snapshot of each care type at or before ``at``.

    One index seek per home and care type on the (cqc_location_id, care_type, snapshot_at)
    unique index, then one primary-key read per snapshot.
    """
    care_types = union_all(
        *(select(literal(care_type).label("care_type")) for care_type in CARE_TYPES)
    ).cte("care_types")
    latest_id = (
        select(CareHomeSnapshot.id)
        .where(
            CareHomeSnapshot.cqc_location_id == CareHome.cqc_location_id,
            CareHomeSnapshot.care_type == care_types.c.care_type,
            CareHomeSnapshot.snapshot_at <= at,
        )
        .order_by(CareHomeSnapshot.snapshot_at.desc())
        .limit(1)
        .correlate(CareHome, care_types)
        .scalar_subquery()
    )
    homes = (
        select(CareHome.home_name, latest_id.label("snapshot_id"))
        .select_from(CareHome)
        .join(care_types, true())
    )
    latest = fenced(homes, "latest_homes")
    query = (
        select(latest.c.home_name, CareHomeSnapshot)
        .select_from(latest)
        .join(CareHomeSnapshot, CareHomeSnapshot.id == latest.c.snapshot_id)
    )
    if local_authority is not None:
        query = query.where(CareHomeSnapshot.local_authority_code == local_authority)
    return query


def _latest_domiciliary(
    at: datetime, local_authority: str | None = None
) -> Select[str, DomiciliarySnapshot]:
    """Each provider's latest snapshot of each zone at or before ``at``."""
    latest = (
        select(
            DomiciliarySnapshot.provider_id,
            DomiciliarySnapshot.zone,
            func.max(DomiciliarySnapshot.snapshot_at).label("snapshot_at"),
        )
        .where(DomiciliarySnapshot.snapshot_at <= at)
        .group_by(DomiciliarySnapshot.provider_id, DomiciliarySnapshot.zone)
        .subquery()
    )
    query = (
        select(HomeCareProvider.provider_name, DomiciliarySnapshot)
        .join(
            latest,
            and_(
                DomiciliarySnapshot.provider_id == latest.c.provider_id,
                DomiciliarySnapshot.zone == latest.c.zone,
                DomiciliarySnapshot.snapshot_at == latest.c.snapshot_at,
            ),
        )
        .join(HomeCareProvider, HomeCareProvider.provider_id == DomiciliarySnapshot.provider_id)
    )
    if local_authority is not None:
        query = query.where(DomiciliarySnapshot.local_authority_code == local_authority)
    return query


# --- the rows and their groups -------------------------------------------------------------

Row = TypeVar("Row", CareHomeRow, DomiciliaryRow)


def _rows(
    model: type[Row],
    name_field: str,
    rows: Iterable[tuple[str, CareHomeSnapshot | DomiciliarySnapshot]],
) -> list[Row]:
    """Each (name, snapshot) as a response row: the name, and the snapshot's value of each of
    the row's other fields."""
    fields = [f for f in model.model_fields if f != name_field]
    return [model(**{name_field: name}, **{f: getattr(s, f) for f in fields}) for name, s in rows]


def _by_council(rows: list[Row]) -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        groups[row.local_authority_code].append(row)
    return dict(sorted(groups.items()))


# --- care homes -----------------------------------------------------------------------------


def p3_supply(homes: Iterable[tuple[str, str, int, bool]]) -> dict[str, dict[str, int]]:
    """P3 supply (§4.7) by council and care type, from (council, care type, vacancies
    accepting admissions, accepting admissions) of each home's latest snapshot per care type:
    the vacancies of homes accepting admissions — the one rule for "P3 beds available"."""
    supply: dict[str, dict[str, int]] = {}
    for council, care_type, vacant, accepting in homes:
        if accepting:
            by_type = supply.setdefault(council, {})
            by_type[care_type] = by_type.get(care_type, 0) + int(vacant or 0)
    return supply


def p3_supply_at(
    session: Session, instants: Sequence[datetime]
) -> dict[datetime, dict[str, dict[str, int]]]:
    """P3 supply by council and care type at each of ``instants``."""
    found = {}
    for at in instants:
        homes = _latest_care_homes(at).subquery()
        rows = session.execute(
            select(
                homes.c.local_authority_code,
                homes.c.care_type,
                homes.c.vacant_accepting_admissions,
                homes.c.accepting_admissions,
            )
        )
        found[at] = p3_supply(rows)
    return found


def _care_home_totals(rows: list[CareHomeRow]) -> CareHomeTotals:
    available = p3_supply(
        (r.local_authority_code, r.care_type, r.vacant_accepting_admissions, r.accepting_admissions)
        for r in rows
    )
    return CareHomeTotals(
        homes=len({r.cqc_location_id for r in rows}),
        homes_accepting_admissions=len({r.cqc_location_id for r in rows if r.accepting_admissions}),
        max_capacity=sum(r.max_capacity for r in rows),
        occupied=sum(r.occupied for r in rows),
        vacant_reserved=sum(r.vacant_reserved for r in rows),
        vacant_accepting_admissions=sum(r.vacant_accepting_admissions for r in rows),
        beds_available=sum(sum(by_type.values()) for by_type in available.values()),
    )


def care_homes(
    session: Session, *, at: datetime | None = None, local_authority: str | None = None
) -> CareHomeCapacity:
    """Care-home capacity at ``at`` from each home's latest snapshot, by care type and council."""
    at = resolve_at(at)
    query = _latest_care_homes(at, local_authority)
    rows = _rows(CareHomeRow, "home_name", session.execute(query))
    rows.sort(key=lambda r: (r.local_authority_code, r.home_name, r.cqc_location_id, r.care_type))
    names = council_names(session)
    by_type: dict[str, list[CareHomeRow]] = defaultdict(list)
    for row in rows:
        by_type[row.care_type].append(row)
    return CareHomeCapacity(
        at=at,
        local_authority=local_authority,
        as_of=max((r.snapshot_at for r in rows), default=None),
        totals=_care_home_totals(rows),
        by_care_type=[
            CareHomeGroup(
                key=care_type,
                label=CARE_TYPE_LABELS[care_type],
                **_care_home_totals(by_type[care_type]).model_dump(),
            )
            for care_type in CARE_TYPES
            if care_type in by_type
        ],
        by_council=[
            CareHomeGroup(
                key=code, label=names.get(code, code), **_care_home_totals(group).model_dump()
            )
            for code, group in _by_council(rows).items()
        ],
        homes=rows,
    )


# --- home care ------------------------------------------------------------------------------


def _domiciliary_totals(rows: list[DomiciliaryRow]) -> DomiciliaryTotals:
    return DomiciliaryTotals(
        providers=len({r.provider_id for r in rows}),
        hours_available_per_week=sum(r.hours_available_per_week for r in rows),
        packages_startable_next_7_days=sum(r.packages_startable_next_7_days for r in rows),
    )


def domiciliary(
    session: Session, *, at: datetime | None = None, local_authority: str | None = None
) -> DomiciliaryCapacity:
    """Home-care capacity at ``at`` from each provider's latest snapshot per zone, by council."""
    at = resolve_at(at)
    query = _latest_domiciliary(at, local_authority)
    rows = _rows(DomiciliaryRow, "provider_name", session.execute(query))
    rows.sort(key=lambda r: (r.local_authority_code, r.provider_name, r.provider_id, r.zone))
    names = council_names(session)
    return DomiciliaryCapacity(
        at=at,
        local_authority=local_authority,
        as_of=max((r.snapshot_at for r in rows), default=None),
        totals=_domiciliary_totals(rows),
        by_council=[
            DomiciliaryGroup(
                key=code, label=names.get(code, code), **_domiciliary_totals(group).model_dump()
            )
            for code, group in _by_council(rows).items()
        ],
        providers=rows,
    )


# --- supply and demand by pathway -----------------------------------------------------------


@dataclass
class Supply:
    """Capacity to meet each pathway, by council (P2: community beds, system only)."""

    p1_packages: dict[str, int] = field(default_factory=dict)
    p1_hours: dict[str, float] = field(default_factory=dict)
    p2_beds: int = 0
    p3_by_care_type: dict[str, dict[str, int]] = field(default_factory=dict)

    def p1_total(self) -> int:
        return sum(self.p1_packages.values())

    def p3_total_by_type(self) -> dict[str, int]:
        totals: dict[str, int] = defaultdict(int)
        for by_type in self.p3_by_care_type.values():
            for care_type, beds in by_type.items():
                totals[care_type] += beds
        return {t: totals[t] for t in CARE_TYPES if t in totals}


def supply(session: Session, at: datetime) -> Supply:
    """P1 packages and hours, P2 community beds free and P3 care-home beds available at ``at``."""
    result = Supply()
    dom = _latest_domiciliary(at).subquery()
    for code, packages, hours in session.execute(
        select(
            dom.c.local_authority_code,
            func.sum(dom.c.packages_startable_next_7_days),
            func.sum(dom.c.hours_available_per_week),
        ).group_by(dom.c.local_authority_code)
    ):
        result.p1_packages[code] = int(packages or 0)
        result.p1_hours[code] = float(hours or 0)
    result.p3_by_care_type = p3_supply_at(session, [at])[at]
    # community beds serve the whole system (§4.7): each community ward's free beds
    wards = occupancy_at(session, [at], level="ward", bed_base=COMMUNITY).get(at, {})
    result.p2_beds = sum(beds_free(ward) for ward in wards.values())
    return result


def waiting(
    demand: dict[int, int],
    *,
    p1_packages: int | None,
    p1_hours: float | None,
    p2_beds: int | None,
    p3_by_care_type: dict[str, int] | None,
) -> WaitingByPathway:
    """Demand, supply and gap per pathway; a supply of None (not known at this level) has no gap."""

    def gap(pathway: int, supply_value: int | None) -> int | None:
        return None if supply_value is None else demand.get(pathway, 0) - supply_value

    p3_given = p3_by_care_type or {}
    p3_supply = None if p3_by_care_type is None else sum(p3_given.values())
    by_care_type = {t: p3_given[t] for t in CARE_TYPES if t in p3_given}
    return WaitingByPathway(
        p1=P1Wait(
            demand=demand.get(1, 0),
            supply=p1_packages,
            gap=gap(1, p1_packages),
            hours_available_per_week=p1_hours,
        ),
        p2=PathwayWait(demand=demand.get(2, 0), supply=p2_beds, gap=gap(2, p2_beds)),
        p3=P3Wait(
            demand=demand.get(3, 0),
            supply=p3_supply,
            gap=gap(3, p3_supply),
            supply_by_care_type=by_care_type,
        ),
    )


def system_waiting(demand: dict[int, int], available: Supply) -> WaitingByPathway:
    """The whole system's waiting by pathway against all the capacity there is."""
    return waiting(
        demand,
        p1_packages=available.p1_total(),
        p1_hours=sum(available.p1_hours.values()),
        p2_beds=available.p2_beds,
        p3_by_care_type=available.p3_total_by_type(),
    )


def gaps(session: Session, *, at: datetime | None = None) -> CapacityGaps:
    """NCtR patients waiting on pathways 1–3 against the capacity to meet them, by council."""
    at = resolve_at(at)
    by_council = in_hospital_at(session, at, by="local_authority_code")
    demand = {
        code: waits
        for code, census in by_council.items()
        if (waits := {p: n for p, n in census.demand.items() if p in PATHWAYS_WITH_SUPPLY})
    }
    available = supply(session, at)
    names = council_names(session)
    codes = set(demand) | set(available.p1_packages) | set(available.p3_by_care_type)
    councils = [
        CouncilWaiting(
            local_authority_code=code,
            name=names.get(code, code) if code else NO_COUNCIL,
            # community beds serve the whole system: no P2 supply by council
            **waiting(
                demand.get(code, {}),
                p1_packages=available.p1_packages.get(code, 0) if code else None,
                p1_hours=available.p1_hours.get(code, 0.0) if code else None,
                p2_beds=None,
                p3_by_care_type=available.p3_by_care_type.get(code, {}) if code else None,
            ).model_dump(),
        )
        for code in sorted(codes, key=lambda c: (c is None, c or ""))
    ]
    return CapacityGaps(
        at=at,
        as_of=feed_as_of(session, at),
        system=system_waiting(total(by_council.values()).demand, available),
        councils=councils,
    )
