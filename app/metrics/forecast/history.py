"""What the forecast reads from the store — its history only, never the generator's settings:
the daily NCtR in hospital per council and pathway (the ``spell_day_counts`` roll-up), the
NCtR discharges per day (``spells``), today's census (``spell_days`` of the origin day) and
the capacity feeds at each day's end (``app.metrics.capacity``, ``occupancy``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import String, case, func, select, type_coerce
from sqlalchemy.orm import Session

from app.metrics.forecast.model import Array
from app.metrics.occupancy import beds_free, occupancy_at
from app.metrics.queries import COMMUNITY
from app.metrics.rollups import DAY_COUNTS, in_site
from app.metrics.timebase import day_end, days
from models import CareHomeSnapshot, DomiciliarySnapshot, Spell, SpellDay
from models.spells import PatientCensus

#: the discharge pathways (DESIGN.md §2)
PATHWAYS = (0, 1, 2, 3)
#: the council of a capacity that serves the whole system (P2 community beds)
SYSTEM = "*"
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


def first_census(session: Session, site: str | None) -> datetime | None:
    """The oldest patients census (of the site, or of any site)."""
    return session.scalar(
        select(func.min(PatientCensus.snapshot_at)).where(in_site(PatientCensus.site_code, site))
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


#: how far before the first day a capacity snapshot is looked for (a provider or home silent
#: for longer is left out of that day's capacity)
CAPACITY_LOOKBACK = timedelta(days=7)


def _as_of_each(
    rows: Iterable[Sequence[Any]], instants: list[datetime], by: list[str], value: str
) -> pd.DataFrame:
    """Per instant, the latest row of each ``by`` key at or before it (one ``merge_asof``
    instead of a query per instant): columns ``instant``, ``council`` and ``value``."""
    names = [*by, "council", "snapshot_at", value]
    columns = list(zip(*rows, strict=True))  # column by column: no per-row objects in pandas
    if not columns:
        return pd.DataFrame(columns=["instant", "council", value])
    frame = pd.DataFrame(dict(zip(names, columns, strict=True)))
    frame["snapshot_at"] = pd.to_datetime(frame["snapshot_at"], utc=True)
    keys = frame[by].drop_duplicates()
    grid = keys.merge(pd.DataFrame({"instant": pd.to_datetime(instants, utc=True)}), how="cross")
    merged = pd.merge_asof(
        grid.sort_values("instant"),
        frame.sort_values("snapshot_at"),
        left_on="instant",
        right_on="snapshot_at",
        by=by,
        direction="backward",
    )
    return merged.dropna(subset=["snapshot_at"])


def read_capacity(session: Session, history_days: list[date], as_of: datetime) -> dict[Key, Array]:
    """The capacity feeds at the end of each of ``history_days`` (at ``as_of`` for a day not
    over), each provider's and home's latest snapshot as §4.7 reads them: per council, P1
    packages startable in the next 7 days and P3 vacancies accepting admissions of homes
    accepting admissions; community beds free (P2) for the whole system (council ``"*"``)."""
    instants = [min(day_end(d) - timedelta(microseconds=1), as_of) for d in history_days]
    n = len(instants)
    since = instants[0] - CAPACITY_LOOKBACK
    series: dict[Key, Array] = {}
    position = {pd.Timestamp(at): i for i, at in enumerate(instants)}

    def put_all(frame: pd.DataFrame, pathway: int, value: str) -> None:
        if frame.empty:
            return
        totals = frame.groupby(["instant", "council"], as_index=False)[value].sum()
        for instant, council, total in totals.itertuples(index=False):
            key = (str(council), pathway)
            series.setdefault(key, np.zeros(n))[position[pd.Timestamp(instant)]] = float(total)

    dom = DomiciliarySnapshot
    connection = session.connection()  # Core rows: no ORM result processing for ~10⁴ rows
    p1_rows = connection.execute(
        select(
            dom.provider_id,
            dom.zone,
            dom.local_authority_code,
            type_coerce(dom.snapshot_at, String()),  # as stored (naive UTC): parsed in bulk below
            dom.packages_startable_next_7_days,
        ).where(dom.snapshot_at.between(since, instants[-1]))
    )
    put_all(_as_of_each(p1_rows, instants, ["provider_id", "zone"], "packages"), 1, "packages")
    home = CareHomeSnapshot
    accepting = case(
        (home.accepting_admissions.is_(True), home.vacant_accepting_admissions), else_=0
    )
    p3_rows = connection.execute(
        select(
            home.cqc_location_id,
            home.care_type,
            home.local_authority_code,
            type_coerce(home.snapshot_at, String()),
            accepting,
        ).where(home.snapshot_at.between(since, instants[-1]))
    )
    put_all(_as_of_each(p3_rows, instants, ["cqc_location_id", "care_type"], "vacant"), 3, "vacant")
    wards = occupancy_at(session, instants, level="ward", bed_base=COMMUNITY)
    for column, at in enumerate(instants):
        free = sum(beds_free(ward) for ward in wards.get(at, {}).values())
        series.setdefault((SYSTEM, 2), np.zeros(n))[column] = float(free)
    return series
