"""The weekly series of the registry's metrics (weeks end on Sunday). A weekly sum is built on
the flow metrics' daily counts, so it is the sum of the same days' figures; an "end of Sunday"
value is the point-in-time metric's own implementation read at that moment."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Literal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics.capacity import p3_supply_at
from app.metrics.discharge_asks import internal_over_48h_at_day_ends
from app.metrics.in_hospital import InHospital, in_hospital_at_day_ends
from app.metrics.occupancy import combined, community_beds_at, occupancy_at
from app.metrics.ratios import pct
from app.metrics.rollups import day_counts, discharge_counts
from app.metrics.timebase import day_end, local_date
from models import BedSnapshot, CareHomeSnapshot
from models.spells import PatientCensus, Spell

WeeklyValues = list[float | None]


_FIRST_DATA = {
    "patients": PatientCensus.snapshot_at,
    "beds": BedSnapshot.snapshot_at,
    "care_homes": CareHomeSnapshot.snapshot_at,
}


def _first_day(session: Session, feed: Literal["patients", "beds", "care_homes"]) -> date | None:
    """The day of a feed's first data (first census, first snapshot): weeks before it have no
    value, rather than a misleading zero."""
    first = session.scalar(select(func.min(_FIRST_DATA[feed])))
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


def mask_before_patients(
    session: Session, values: Iterable[float | None], week_ends: Sequence[date]
) -> WeeklyValues:
    """None for the weeks not wholly covered by the patients feed's data (a weekly measure of
    the week's discharges outside the registry, e.g. the targets by pathway)."""
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


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


def sunday_ends(week_ends: Sequence[date]) -> list[datetime]:
    """The last instant of each week's Sunday: the moment an "end of Sunday" value is read."""
    return [day_end(sunday) - timedelta(microseconds=1) for sunday in week_ends]


def _week_end_census(
    session: Session,
    week_ends: Sequence[date],
    site: str | None,
    value: Callable[[InHospital], int],
) -> WeeklyValues:
    """A count of the patients in hospital at the end of each week's Sunday."""
    found = in_hospital_at_day_ends(session, week_ends, site)
    values = [float(value(found.get(sunday, InHospital()))) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=False)


def weekly_super_stranded(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients in hospital at the end of Sunday with a length of stay of 21 days or more."""
    return _week_end_census(session, week_ends, site, lambda census: census.super_stranded)


def weekly_waiting(pathway: int) -> Callable[[Session, Sequence[date], str | None], WeeklyValues]:
    def series(session: Session, week_ends: Sequence[date], site: str | None) -> WeeklyValues:
        return _week_end_census(session, week_ends, site, lambda census: census.waiting(pathway))

    series.__doc__ = f"NCtR patients on pathway {pathway} in hospital at the end of Sunday."
    return series


def weekly_ga_occupancy(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """G&A occupancy % at the end of each week's Sunday (each ward's latest snapshot)."""
    instants = sunday_ends(week_ends)
    found = occupancy_at(session, instants, site=site)
    values = [combined(found[i].values()).pct if i in found else None for i in instants]
    return _mask_before_data(values, week_ends, _first_day(session, "beds"), whole=False)


def weekly_p3_supply(session: Session, week_ends: Sequence[date], site: str | None) -> WeeklyValues:
    """P3 supply at the end of each week's Sunday: care-home vacancies accepting admissions in
    homes accepting admissions. Capacity out of hospital is the system's: no value for a site.
    (The registry's care_home_vacancies: the series behind the P3 gap.)"""
    if site is not None:
        return [None for _ in week_ends]
    supply = p3_supply_at(session, sunday_ends(week_ends))
    values = [
        float(sum(sum(by_type.values()) for by_type in supply[instant].values()))
        for instant in sunday_ends(week_ends)
    ]
    return _mask_before_data(values, week_ends, _first_day(session, "care_homes"), whole=False)


# --- the weekly values of the live tiles' measures (each its own registry entry) -------------


def weekly_nctr_in_hospital(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """NCtR patients in hospital at the end of Sunday."""
    return _week_end_census(session, week_ends, site, lambda census: census.nctr)


def weekly_stays_7_plus(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients in hospital at the end of Sunday with a length of stay of 7 days or more."""
    return _week_end_census(session, week_ends, site, lambda census: census.long_stays().los_7)


def weekly_nctr_discharged(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients discharged in the week while they had no criteria to reside."""
    weekly = _weekly_discharges(session, week_ends, site)
    values = weekly["nctr_discharged"].astype(float).tolist()
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_community_occupancy(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Community bed occupancy % at the end of each week's Sunday."""
    instants = sunday_ends(week_ends)
    found = community_beds_at(session, instants, site=site)
    values = [found[i].occupancy.pct if i in found else None for i in instants]
    return _mask_before_data(values, week_ends, _first_day(session, "beds"), whole=False)


def weekly_community_beds_free(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Community beds free (the P2 supply) at the end of each week's Sunday."""
    instants = sunday_ends(week_ends)
    found = community_beds_at(session, instants, site=site)
    values = [float(found[i].beds_free) if i in found else None for i in instants]
    return _mask_before_data(values, week_ends, _first_day(session, "beds"), whole=False)


# --- NHS England's 2025/26 discharge asks (§4.11) ---------------------------------------------


def weekly_internal_over_48h(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients in hospital at the end of Sunday with an internal delay of more than 48 hours."""
    found = internal_over_48h_at_day_ends(session, week_ends, site)
    values = [float(found.get(sunday, 0)) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=False)


def weekly_beyond_drd_21_in_hospital(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Patients in hospital at the end of Sunday 21 days or more beyond their DRD."""
    return _week_end_census(session, week_ends, site, lambda census: census.bands["21+"])


def weekly_beyond_drd_21_discharge_pct(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """% of the week's discharges whose delay from the DRD in force was 21 days or more."""
    weekly = _weekly_discharges(session, week_ends, site)
    values = [pct(b, n) for b, n in zip(weekly["beyond_21"], weekly["discharges"], strict=True)]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


# --- NHS England's 2025/26 asks (DESIGN §4.11) ------------------------------------------------


def emergency_stays(
    session: Session, start: date, end: date, site: str | None
) -> list[tuple[date, int]]:
    """(discharge date, LOS in days) of each emergency admission discharged from ``start`` to
    ``end`` (Europe/London dates; LOS = discharge date − admission date, 0 for a same-day stay)."""
    query = select(Spell.admitted_at, Spell.discharge_date).where(
        Spell.admission_method == "emergency",
        Spell.discharge_date.is_not(None),
        Spell.discharge_date.between(start, end),
    )
    if site is not None:
        query = query.where(Spell.site_code == site)
    return [
        (discharged, (discharged - local_date(admitted)).days)
        for admitted, discharged in session.execute(query)
        if discharged is not None
    ]


def weekly_overnight_emergency_los(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Mean LOS of the week's emergency discharges that stayed at least one night (LOS ≥ 1);
    a week without one has no value."""
    by_week: dict[date, list[int]] = {sunday: [] for sunday in week_ends}
    for discharged, los in emergency_stays(
        session, week_ends[0] - timedelta(days=6), week_ends[-1], site
    ):
        sunday = discharged + timedelta(days=6 - discharged.weekday())
        if los >= 1 and sunday in by_week:
            by_week[sunday].append(los)
    values: WeeklyValues = [
        sum(stays) / len(stays) if stays else None for stays in by_week.values()
    ]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)
