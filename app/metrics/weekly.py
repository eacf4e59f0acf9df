"""The weekly series of the registry's metrics (weeks end on Sunday), built on the flow
metrics' daily counts so that a weekly point is the sum of the same days' figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.metrics.flow import day_counts, discharge_counts, in_site, pct
from app.metrics.queries import GENERAL_ACUTE, latest_bed_snapshots
from app.metrics.timebase import day_end, local_date, local_instant_case
from models import BedSnapshot, Spell, SpellDay
from models.patients import PatientCensus

WeeklyValues = list[float | None]


def _first_day(session: Session, feed: Literal["patients", "beds"]) -> date | None:
    """The day of a feed's first data (first census, first bed snapshot): weeks before it
    have no value, rather than a misleading zero."""
    column = PatientCensus.snapshot_at if feed == "patients" else BedSnapshot.snapshot_at
    first = session.scalar(select(func.min(column)))
    return local_date(first) if first else None


def _mask_before_data(
    values: Iterable[float | None], week_ends: Sequence[date], first: date | None, *, whole: bool
) -> WeeklyValues:
    """None for weeks before the feed's first data (``whole``: the whole week must be covered)."""
    out: WeeklyValues = []
    for value, sunday in zip(values, week_ends, strict=True):
        covered_from = sunday - timedelta(days=6) if whole else sunday
        out.append(value if first is not None and covered_from >= first else None)
    return out


def _weekly_sums(frame: pd.DataFrame, week_ends: Sequence[date]) -> pd.DataFrame:
    """Daily rows summed into the weeks ending on ``week_ends``."""
    sundays = [d + timedelta(days=6 - d.weekday()) for d in frame.index]
    return frame.groupby(sundays).sum().reindex(list(week_ends), fill_value=0)


def _weekly_days(session: Session, week_ends: Sequence[date], site: str | None) -> pd.DataFrame:
    return _weekly_sums(
        day_counts(session, week_ends[0] - timedelta(days=6), week_ends[-1], site), week_ends
    )


def weekly_nctr_remaining(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Mean over the week's days of the NCtR patients remaining at midnight."""
    weekly = _weekly_days(session, week_ends, site)
    values = (weekly["nctr"] / 7).tolist()
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_delayed_days(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Delayed days in the week."""
    values = _weekly_days(session, week_ends, site)["nctr"].astype(float).tolist()
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_red_pct(session: Session, week_ends: Sequence[date], site: str | None) -> WeeklyValues:
    """Red days as % of red and green days in the week."""
    weekly = _weekly_days(session, week_ends, site)
    values = [pct(r, r + g) for r, g in zip(weekly["red"], weekly["green"], strict=True)]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def _weekly_discharges(
    session: Session, week_ends: Sequence[date], site: str | None
) -> pd.DataFrame:
    frame = discharge_counts(session, week_ends[0] - timedelta(days=6), week_ends[-1], site)
    return _weekly_sums(frame, week_ends)


def weekly_discharges(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Discharges in the week."""
    values = _weekly_discharges(session, week_ends, site)["discharges"].astype(float).tolist()
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_pct_within_1_day(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """% of the week's discharges within one day of the DRD in force at discharge."""
    weekly = _weekly_discharges(session, week_ends, site)
    values = [pct(w, n) for w, n in zip(weekly["within_1_day"], weekly["discharges"], strict=True)]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def _week_end_census(
    session: Session, week_ends: Sequence[date], site: str | None, condition: Any, *join: Any
) -> WeeklyValues:
    """Patients in hospital at the end of each week's Sunday meeting ``condition``."""
    query = select(SpellDay.day, func.count()).select_from(SpellDay)
    for target, on in join:
        query = query.join(target, on)
    rows = session.execute(
        query.where(
            SpellDay.day.in_(week_ends), in_site(SpellDay.site_code, site), condition
        ).group_by(SpellDay.day)
    )
    found = {day: n for day, n in rows}
    values = [float(found.get(sunday, 0)) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=False)


def weekly_super_stranded(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients in hospital at the end of Sunday with a length of stay of 21 days or more."""
    # LOS ≥ 21 on day D ⇔ admitted before the start of day D − 20
    threshold = local_instant_case(SpellDay.day, week_ends, shift_days=-20)
    return _week_end_census(
        session,
        week_ends,
        site,
        Spell.admitted_at < threshold,
        (Spell, Spell.id == SpellDay.spell_pk),
    )


def weekly_waiting(pathway: int) -> Callable[[Session, Sequence[date], str | None], WeeklyValues]:
    def series(session: Session, week_ends: Sequence[date], site: str | None) -> WeeklyValues:
        condition = and_(SpellDay.nctr.is_(True), SpellDay.pathway == pathway)
        return _week_end_census(session, week_ends, site, condition)

    series.__doc__ = f"NCtR patients on pathway {pathway} in hospital at the end of Sunday."
    return series


def weekly_ga_occupancy(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """G&A occupancy % at the end of each week's Sunday (each ward's latest snapshot)."""
    instants = {day_end(sunday) - timedelta(microseconds=1): sunday for sunday in week_ends}
    beds = latest_bed_snapshots(list(instants), site)
    found = {
        instants.get(instant): pct(float(occ), float(open_))
        for instant, occ, open_ in session.execute(
            select(
                beds.c.instant,
                func.sum(beds.c.beds_occupied),
                func.sum(beds.c.core_beds_open + beds.c.escalation_beds_open),
            )
            .where(beds.c.bed_base == GENERAL_ACUTE)
            .group_by(beds.c.instant)
        )
    }
    values = [found.get(sunday) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "beds"), whole=False)
