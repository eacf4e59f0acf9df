"""Bed occupancy (DESIGN.md §4.1) at a list of moments, from each ward's latest bed snapshot:
the one implementation behind the summary, the site and ward breakdowns, the weekly G&A
occupancy series, community bed occupancy and the community beds free (P2 supply)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics.queries import COMMUNITY, GENERAL_ACUTE, latest_bed_snapshots
from app.metrics.ratios import pct
from app.metrics.schemas import CommunityBeds, Occupancy

#: a site is ``(site_code,)``, a ward ``(site_code, ward_code)``
BedsKey = tuple[str, ...]


def occupancy(occupied: int, core: int, escalation_open: int) -> Occupancy:
    """Beds occupied of the core and escalation beds open, and the occupancy %."""
    return Occupancy(
        occupied=occupied,
        core_open=core,
        escalation_open=escalation_open,
        pct=pct(occupied, core + escalation_open),
    )


def combined(parts: Iterable[Occupancy]) -> Occupancy:
    """The occupancy of several sites or wards together (a total, not a mean of percentages)."""
    occupied = core = escalation = 0
    for part in parts:
        occupied += part.occupied
        core += part.core_open
        escalation += part.escalation_open
    return occupancy(occupied, core, escalation)


def occupancy_at(
    session: Session,
    instants: Sequence[datetime],
    *,
    site: str | None = None,
    level: Literal["site", "ward"] = "site",
    bed_base: str | None = GENERAL_ACUTE,
) -> dict[datetime, dict[BedsKey, Occupancy]]:
    """Per instant, the occupancy of each site (or ward) of ``bed_base`` (None: every ward),
    each ward's latest snapshot at or before the instant; an instant with none is absent."""
    beds = latest_bed_snapshots(instants, site)
    keys = [beds.c.site_code] if level == "site" else [beds.c.site_code, beds.c.ward_code]
    query = select(
        beds.c.instant,
        *keys,
        func.sum(beds.c.beds_occupied),
        func.sum(beds.c.core_beds_open),
        func.sum(beds.c.escalation_beds_open),
    ).group_by(beds.c.instant, *keys)
    if bed_base is not None:
        query = query.where(beds.c.bed_base == bed_base)
    found: dict[datetime, dict[BedsKey, Occupancy]] = defaultdict(dict)
    for instant, *key, occupied, core, escalation in session.execute(query):
        found[instant][tuple(key)] = occupancy(int(occupied), int(core), int(escalation))
    return dict(found)


def beds_free(ward: Occupancy) -> int:
    """Open beds not occupied on a ward (none when it is over-full)."""
    return max(0, ward.open_beds - ward.occupied)


def community_beds_at(
    session: Session, instants: Sequence[datetime], *, site: str | None = None
) -> dict[datetime, CommunityBeds]:
    """Per instant, the community wards (of ``site``, or all: they serve the whole system)
    together: their occupancy and their free beds; an instant before any community snapshot
    is absent."""
    found = occupancy_at(session, instants, site=site, level="ward", bed_base=COMMUNITY)
    return {
        instant: CommunityBeds(
            occupancy=combined(wards.values()),
            beds_free=sum(beds_free(ward) for ward in wards.values()),
            wards=len(wards),
        )
        for instant, wards in found.items()
    }


def community_beds(
    session: Session, at: datetime, *, site: str | None = None
) -> CommunityBeds | None:
    """Community bed occupancy and beds free at ``at``; None where there are no community
    wards (an acute site)."""
    return community_beds_at(session, [at], site=site).get(at)
