"""Organisations as configuration: sites roll up to their trust (ODS code on the site), trusts
to a system (ICB) and region by the mapping in force on a day (``organisation_mappings``, from
the reference ``organisations.csv``; ICBs merge, so a past period keeps the mapping of its day).

A *level* is ``site``, ``trust``, ``system`` or ``region``; :func:`org_units` turns one into the
organisations of that level, each with the site codes it covers, which the metrics take as their
``sites`` scope — so a figure for a trust or a system is the same function over more sites, never
a second count.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.metrics.errors import InvalidParameter
from models import OrganisationMapping, Site

LEVELS = ("site", "trust", "system", "region")
#: how the long-format returns name each level (NHS England's words)
LEVEL_NAMES = {"site": "Site", "trust": "Trust", "system": "ICB", "region": "Region"}
#: a trust or council with no mapping in force on the day
NOT_MAPPED = ("", "Not mapped")


@dataclass(frozen=True)
class Parent:
    """The system (ICB) and region an organisation belongs to on a day."""

    icb_code: str
    icb_name: str
    region_code: str
    region_name: str


UNMAPPED = Parent(NOT_MAPPED[0], NOT_MAPPED[1], NOT_MAPPED[0], NOT_MAPPED[1])


@dataclass(frozen=True)
class OrgUnit:
    """One organisation of a level, the system and region above it, and the sites it covers."""

    level: str
    code: str
    name: str
    icb_code: str
    icb_name: str
    region_code: str
    region_name: str
    sites: tuple[str, ...]


def check_level(level: str) -> str:
    """A ``level`` parameter, refused (422) unless one of :data:`LEVELS`."""
    if level not in LEVELS:
        raise InvalidParameter("level", f"must be one of {', '.join(LEVELS)}")
    return level


def parents_on(session: Session, on: date) -> dict[str, Parent]:
    """``{trust or council code: Parent}`` by the mapping in force on ``on``: for each
    organisation, its row with the latest ``effective_from`` on or before that day."""
    in_force: dict[str, tuple[date, Parent]] = {}
    for row in session.scalars(
        select(OrganisationMapping).where(OrganisationMapping.effective_from <= on)
    ):
        known = in_force.get(row.org_code)
        if known is None or row.effective_from > known[0]:
            in_force[row.org_code] = (
                row.effective_from,
                Parent(row.icb_code, row.icb_name, row.region_code, row.region_name),
            )
    return {code: parent for code, (_, parent) in in_force.items()}


def org_units(
    session: Session, level: str, *, on: date, kinds: Sequence[str] | None = None
) -> list[OrgUnit]:
    """The organisations of ``level`` on ``on`` (sites of ``kinds``, default every site), in
    region, system, code order; an organisation with no mapping falls under "Not mapped"."""
    check_level(level)
    parents = parents_on(session, on)
    query = select(Site).order_by(Site.site_code)
    if kinds is not None:
        query = query.where(Site.kind.in_(list(kinds)))
    groups: dict[tuple[str, str, Parent], list[str]] = defaultdict(list)
    for site in session.scalars(query):
        parent = parents.get(site.trust_code, UNMAPPED)
        if level == "site":
            key = (site.site_code, site.name, parent)
        elif level == "trust":
            key = (site.trust_code, site.trust_name or site.trust_code, parent)
        elif level == "system":
            key = (parent.icb_code, parent.icb_name, parent)
        else:
            region = Parent(NOT_MAPPED[0], "", parent.region_code, parent.region_name)
            key = (parent.region_code, parent.region_name, region)
        groups[key].append(site.site_code)
    units = [
        OrgUnit(
            level=level,
            code=code,
            name=name,
            icb_code=parent.icb_code,
            icb_name=parent.icb_name,
            region_code=parent.region_code,
            region_name=parent.region_name,
            sites=tuple(sites),
        )
        for (code, name, parent), sites in groups.items()
    ]
    units.sort(key=lambda u: (u.region_name, u.icb_name, u.code))
    return units
