"""The weekly series of the measures that evidence the High Impact Change Model and that no other
metric already counts (weeks end on Sunday; each is a registry entry). The others the model
reads — red days, the waiting lists, discharges within a day of the DRD — are the registry's
existing metrics (``app.metrics.hicm`` maps which evidences which change)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date, timedelta

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from app.domain.reason_catalogue import reason_catalogue
from app.metrics.ratios import pct
from app.metrics.rollups import DAY_COUNTS, bed_days, discharge_counts, in_site
from app.metrics.timebase import day_start, local_date
from app.metrics.weekly import WeeklyValues, _first_day, _mask_before_data
from models.spells import Spell, SpellState

WeeklySeries = Callable[[Session, Sequence[date], str | None], WeeklyValues]

#: an emergency admission's expected discharge date should be set within two days (change 1's
#: tip for success: "within two days of an emergency admission")
EDD_WITHIN_DAYS = 2
WEEKEND = (5, 6)  # Saturday, Sunday (date.weekday())


def _sunday_of(day: date) -> date:
    return day + timedelta(days=6 - day.weekday())


def weekly_edd_within_2_days(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Of the emergency admissions of the week (by the Europe/London admission day), the % whose
    expected discharge date was first recorded by a census on or before the second day after
    the admission day."""
    start = day_start(week_ends[0] - timedelta(days=6))
    end = day_start(week_ends[-1] + timedelta(days=1))
    first_edd = (
        select(SpellState.spell_pk, func.min(SpellState.observed_at).label("first_edd_at"))
        .where(SpellState.expected_discharge_date.is_not(None))
        .group_by(SpellState.spell_pk)
        .subquery()
    )
    rows = session.execute(
        select(Spell.admitted_at, first_edd.c.first_edd_at)
        .outerjoin(first_edd, first_edd.c.spell_pk == Spell.id)
        .where(
            Spell.admission_method == "emergency",
            Spell.admitted_at >= start,
            Spell.admitted_at < end,
            in_site(Spell.site_code, site),
        )
    ).all()
    admitted: dict[date, int] = defaultdict(int)
    on_time: dict[date, int] = defaultdict(int)
    for admitted_at, first_edd_at in rows:
        day = local_date(admitted_at)
        admitted[_sunday_of(day)] += 1
        if first_edd_at is not None and local_date(first_edd_at) <= day + timedelta(
            days=EDD_WITHIN_DAYS
        ):
            on_time[_sunday_of(day)] += 1
    values = [pct(on_time[sunday], admitted[sunday]) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_pathway_0_1_pct(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Of the week's discharges with a pathway in force at discharge, the % on pathway 0 or 1
    (home, with or without new support: Home First)."""
    rows = session.execute(
        select(Spell.discharge_date, Spell.pathway_at_discharge, func.count())
        .where(
            Spell.discharge_date.between(week_ends[0] - timedelta(days=6), week_ends[-1]),
            Spell.pathway_at_discharge.is_not(None),
            in_site(Spell.site_code, site),
        )
        .group_by(Spell.discharge_date, Spell.pathway_at_discharge)
    ).all()
    home: dict[date, int] = defaultdict(int)
    every: dict[date, int] = defaultdict(int)
    for day, pathway, n in rows:
        if day is None:  # not possible under the filter; keeps the type checker sure
            continue
        every[_sunday_of(day)] += n
        if pathway in (0, 1):
            home[_sunday_of(day)] += n
    values = [pct(home[sunday], every[sunday]) for sunday in week_ends]
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def weekly_weekend_discharge_rate(
    session: Session, week_ends: Sequence[date], site: str | None
) -> WeeklyValues:
    """Discharges per weekend day (Saturday, Sunday) as a % of discharges per weekday (Monday to
    Friday) in the same week: 100 means a weekend day discharges as many as a weekday."""
    frame = discharge_counts(session, week_ends[0] - timedelta(days=6), week_ends[-1], site)
    weekend: dict[date, int] = defaultdict(int)
    weekday: dict[date, int] = defaultdict(int)
    for day, n in zip(frame.index, frame["discharges"], strict=True):
        (weekend if day.weekday() in WEEKEND else weekday)[_sunday_of(day)] += int(n)
    values: WeeklyValues = []
    for sunday in week_ends:
        weekday_rate = weekday[sunday] / 5
        values.append(None if weekday_rate == 0 else 100.0 * (weekend[sunday] / 2) / weekday_rate)
    return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)


def reason_codes(category: str) -> list[str]:
    """The reason catalogue's codes of ``category`` (current and historic DTOC codes alike)."""
    return sorted(code for code, r in reason_catalogue().items() if r.category == category)


def weekly_delayed_days_of(category: str) -> WeeklySeries:
    """The series of the week's delayed days whose reason in force is of ``category``."""
    codes = reason_codes(category)

    def series(session: Session, week_ends: Sequence[date], site: str | None) -> WeeklyValues:
        first, last = week_ends[0] - timedelta(days=6), week_ends[-1]
        rows = session.execute(
            select(DAY_COUNTS.day, bed_days())
            .where(
                and_(
                    DAY_COUNTS.day.between(first, last),
                    DAY_COUNTS.nctr.is_(True),
                    DAY_COUNTS.delay_reason_code.in_(codes),
                    in_site(DAY_COUNTS.site_code, site),
                )
            )
            .group_by(DAY_COUNTS.day)
        ).all()
        by_week: dict[date, int] = defaultdict(int)
        for day, n in rows:
            by_week[_sunday_of(day)] += int(n)
        values = [float(by_week[sunday]) for sunday in week_ends]
        return _mask_before_data(values, week_ends, _first_day(session, "patients"), whole=True)

    series.__doc__ = f"Delayed days in the week whose reason in force is of category {category}."
    return series
