"""Who is in hospital at a moment, counted: in hospital, NCtR, length of stay (stranded 7+,
14+, super-stranded 21+), the delay bands and the NCtR patients waiting on each discharge
pathway (DESIGN.md §4.5, §4.7) — the one implementation behind the summary, the capacity gaps
and the weekly "end of Sunday" series.

Two sources give the same columns and are counted the same way: a moment ``at`` reads the
state of each spell's latest census at or before it (what the feeds had said by then,
:func:`app.metrics.queries.inpatients`); the end of a past day reads that day's ``spell_days``
rows, as in force (a DRD recorded later for an earlier day included,
:func:`app.metrics.queries.patients_at_day_ends`). The two agree except where a DRD was
recorded late (docs/metrics.md, "Conventions").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from app.domain.delay_bands import DELAY_BANDS
from app.metrics.queries import inpatients, patients_at_day_ends
from app.metrics.schemas import LongStays


@dataclass
class InHospital:
    """Patients in hospital at one moment, in one scope (a site, a council, the system)."""

    in_hospital: int = 0
    nctr: int = 0
    los: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    bands: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DELAY_BANDS, 0))
    #: NCtR patients by discharge pathway: the demand on each pathway
    demand: dict[int, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, nctr: bool, los_from: int, band: str | None, pathway: int | None, n: int) -> None:
        self.in_hospital += n
        self.los[los_from] += n
        if nctr:
            self.nctr += n
            if band is not None:
                self.bands[band] += n
            if pathway is not None:
                self.demand[pathway] += n

    def long_stays(self) -> LongStays:
        return LongStays(
            los_7=sum(n for los, n in self.los.items() if los >= 7),
            los_14=sum(n for los, n in self.los.items() if los >= 14),
            los_21=self.los.get(21, 0),
        )

    @property
    def super_stranded(self) -> int:
        """In hospital with a length of stay of 21 days or more."""
        return self.los.get(21, 0)

    def waiting(self, pathway: int) -> int:
        """NCtR patients waiting on ``pathway``."""
        return self.demand.get(pathway, 0)


def total(parts: Iterable[InHospital]) -> InHospital:
    """Several scopes together (the system of its sites)."""
    out = InHospital()
    for part in parts:
        out.in_hospital += part.in_hospital
        out.nctr += part.nctr
        for los, n in part.los.items():
            out.los[los] += n
        for band, n in part.bands.items():
            out.bands[band] += n
        for pathway, n in part.demand.items():
            out.demand[pathway] += n
    return out


def _tally(
    session: Session, patients: Subquery, keys: Sequence[ColumnElement[Any]]
) -> dict[tuple[Any, ...], InHospital]:
    """``patients`` (either source) counted per value of ``keys``."""
    columns = [
        patients.c.nctr,
        patients.c.los_from,
        patients.c.delay_band,
        patients.c.pathway,
    ]
    counts: dict[tuple[Any, ...], InHospital] = defaultdict(InHospital)
    for *key, nctr, los_from, band, pathway, n in session.execute(
        select(*keys, *columns, func.count()).group_by(*keys, *columns)
    ):
        counts[tuple(key)].add(bool(nctr), int(los_from), band, pathway, int(n))
    return dict(counts)


def in_hospital_at(
    session: Session,
    at: datetime,
    site: str | None = None,
    *,
    by: Literal["site_code", "local_authority_code"] = "site_code",
) -> dict[str | None, InHospital]:
    """Patients in hospital at ``at`` (their latest census at or before it), per site or per
    council (None: not recorded)."""
    patients = inpatients(at, site)
    return {key: counts for (key,), counts in _tally(session, patients, [patients.c[by]]).items()}


def in_hospital_at_day_ends(
    session: Session, days: Sequence[date], site: str | None = None
) -> dict[date, InHospital]:
    """Patients in hospital at the end of each of ``days`` (as in force that day), for the
    site or the system; a day with nobody in hospital is absent."""
    patients = patients_at_day_ends(days, site)
    return {day: counts for (day,), counts in _tally(session, patients, [patients.c.day]).items()}
