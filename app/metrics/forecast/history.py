"""What the forecast reads from the store — its history only, never the generator's settings:
the daily NCtR in hospital per council and pathway (the ``spell_day_counts`` roll-up), the
NCtR discharges per day (``spells``), today's census (``spell_days`` of the origin day) and
the capacity feeds at each day's end (``app.metrics.capacity``, ``occupancy``)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics.capacity import p1_supply_at, p3_supply_at
from app.metrics.forecast.model import Array
from app.metrics.occupancy import beds_free, occupancy_at
from app.metrics.queries import COMMUNITY
from app.metrics.rollups import DAY_COUNTS, in_site
from app.metrics.timebase import day_end, days
from models import Spell, SpellDay
from models.spells import PatientCensus

#: the discharge pathways (DESIGN.md §2)
PATHWAYS = (0, 1, 2, 3)
#: (council code or None when not recorded, pathway)
Key = tuple[str | None, int]


@dataclass
class History:
    """``K`` daily series (one per council and pathway) over ``T`` consecutive days."""

    days: list[date]
    keys: list[Key]
    remaining: Array  # (K, T) NCtR patients in hospital at the end of each day
    discharged: Array  # (K, T) NCtR patients discharged on each day

    def arrivals(self) -> Array:
        """(K, T-1) new NCtR patients on each day but the first, net of DRDs cleared: what
        the day added to the queue besides its discharges (``remaining`` is yesterday's
        plus today's new NCtR minus today's NCtR discharges)."""
        return np.diff(self.remaining, axis=1) + self.discharged[:, 1:]

    def upto(self, last: date) -> History:
        """The days up to ``last`` (included)."""
        n = (last - self.days[0]).days + 1 if self.days else 0
        n = max(0, min(n, len(self.days)))
        return History(self.days[:n], self.keys, self.remaining[:, :n], self.discharged[:, :n])

    def index(self, day: date) -> int:
        return (day - self.days[0]).days


def read_history(session: Session, start: date, end: date, site: str | None) -> History:
    """Per council and pathway, each day of ``start``–``end``: NCtR in hospital at the day's
    end and NCtR discharges (a council or pathway never seen is absent)."""
    all_days = days(start, end)
    position = {d: i for i, d in enumerate(all_days)}
    remaining: dict[Key, dict[int, float]] = defaultdict(dict)
    for day, council, pathway, n in session.execute(
        select(
            DAY_COUNTS.day,
            DAY_COUNTS.local_authority_code,
            DAY_COUNTS.pathway,
            func.sum(DAY_COUNTS.n),
        )
        .where(
            DAY_COUNTS.day.between(start, end),
            DAY_COUNTS.nctr.is_(True),
            DAY_COUNTS.pathway.in_(PATHWAYS),
            in_site(DAY_COUNTS.site_code, site),
        )
        .group_by(DAY_COUNTS.day, DAY_COUNTS.local_authority_code, DAY_COUNTS.pathway)
    ):
        remaining[(council, int(pathway or 0))][position[day]] = float(n)
    discharged: dict[Key, dict[int, float]] = defaultdict(dict)
    for discharge_day, council, pathway, n in session.execute(
        select(
            Spell.discharge_date,
            Spell.local_authority_code,
            Spell.pathway_at_discharge,
            func.count(),
        )
        .where(
            Spell.discharge_date.between(start, end),
            Spell.drd_at_discharge.is_not(None),
            Spell.pathway_at_discharge.in_(PATHWAYS),
            in_site(Spell.site_code, site),
        )
        .group_by(Spell.discharge_date, Spell.local_authority_code, Spell.pathway_at_discharge)
    ):
        assert discharge_day is not None
        discharged[(council, int(pathway or 0))][position[discharge_day]] = float(n)
    keys = sorted(set(remaining) | set(discharged), key=lambda k: (k[0] is None, k[0] or "", k[1]))
    shape = (len(keys), len(all_days))
    out_remaining, out_discharged = np.zeros(shape), np.zeros(shape)
    for row, key in enumerate(keys):
        for column, count in remaining.get(key, {}).items():
            out_remaining[row, column] = count
        for column, count in discharged.get(key, {}).items():
            out_discharged[row, column] = count
    return History(all_days, keys, out_remaining, out_discharged)


def latest_census(session: Session, at: datetime, site: str | None) -> datetime | None:
    """The newest patients census at or before ``at`` (of the site, or of any site)."""
    return session.scalar(
        select(func.max(PatientCensus.snapshot_at)).where(
            PatientCensus.snapshot_at <= at, in_site(PatientCensus.site_code, site)
        )
    )


@dataclass
class Census:
    """One council's and pathway's patients at the end of the origin day."""

    waiting_days: dict[int, int] = field(default_factory=dict)  # days beyond DRD → patients
    not_yet_ready: int = 0
    expected_discharge: dict[date, int] = field(default_factory=dict)

    @property
    def waiting(self) -> int:
        return sum(self.waiting_days.values())

    @property
    def days_sum(self) -> int:
        return sum(d * n for d, n in self.waiting_days.items())


def read_census(session: Session, origin: date, site: str | None) -> dict[Key, Census]:
    """The patients in hospital at the end of ``origin`` (as the day's bed days hold them): the
    NCtR ones by days beyond DRD, the others by expected discharge date."""
    found: dict[Key, Census] = defaultdict(Census)
    for council, pathway, drd, n in session.execute(
        select(
            SpellDay.local_authority_code,
            SpellDay.pathway,
            SpellDay.discharge_ready_date,
            func.count(),
        )
        .where(
            SpellDay.day == origin,
            SpellDay.nctr.is_(True),
            SpellDay.pathway.in_(PATHWAYS),
            in_site(SpellDay.site_code, site),
        )
        .group_by(SpellDay.local_authority_code, SpellDay.pathway, SpellDay.discharge_ready_date)
    ):
        waited = max(0, (origin - drd).days) if drd is not None else 0
        census = found[(council, int(pathway or 0))]
        census.waiting_days[waited] = census.waiting_days.get(waited, 0) + int(n)
    for council, pathway, edd, n in session.execute(
        select(
            SpellDay.local_authority_code,
            SpellDay.pathway,
            Spell.expected_discharge_date,
            func.count(),
        )
        .join(Spell, Spell.id == SpellDay.spell_pk)
        .where(
            SpellDay.day == origin,
            SpellDay.nctr.is_(False),
            SpellDay.pathway.in_(PATHWAYS),
            in_site(SpellDay.site_code, site),
        )
        .group_by(SpellDay.local_authority_code, SpellDay.pathway, Spell.expected_discharge_date)
    ):
        census = found[(council, int(pathway or 0))]
        census.not_yet_ready += int(n)
        if edd is not None:
            on = max(edd, origin)
            census.expected_discharge[on] = census.expected_discharge.get(on, 0) + int(n)
    return dict(found)


def read_capacity(session: Session, history_days: list[date], as_of: datetime) -> dict[Key, Array]:
    """The capacity feeds at the end of each of ``history_days`` (at ``as_of`` for a day not
    over): per council, P1 packages startable in the next 7 days and P3 care-home vacancies
    accepting admissions; community beds free (P2) for the whole system (council None)."""
    instants = [min(day_end(d) - timedelta(microseconds=1), as_of) for d in history_days]
    n = len(instants)
    series: dict[Key, Array] = {}

    def put(key: Key, column: int, value: float) -> None:
        series.setdefault(key, np.zeros(n))[column] += value

    p1 = p1_supply_at(session, instants)
    for column, at in enumerate(instants):
        for council, packages in p1[at].items():
            put((council, 1), column, packages)
    for column, at in enumerate(instants):
        for council, by_type in p3_supply_at(session, [at])[at].items():
            put((council, 3), column, sum(by_type.values()))
    wards = occupancy_at(session, instants, level="ward", bed_base=COMMUNITY)
    for column, at in enumerate(instants):
        put((None, 2), column, sum(beds_free(ward) for ward in wards.get(at, {}).values()))
    return series
