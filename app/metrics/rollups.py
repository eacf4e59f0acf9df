"""Reading the roll-ups ingest keeps (``ingest/day_counts.py``): bed days per day, site and
attribute (``spell_day_counts``), per day and ward with the NCtR and Red2Green split
(``spell_day_ward_totals``), and discharges per discharge day (``spell_discharge_counts``) —
and the daily counts built on them, which the daily sitrep and the weekly series sum."""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import ColumnElement, SQLColumnExpression, case, func, select, true
from sqlalchemy.orm import Session

from app.metrics.timebase import days
from models import SpellDayCount, SpellDayWardTotal, SpellDischargeCount

#: bed days, counted from the roll-up of ``spell_days`` (one row per day, site and attributes)
DAY_COUNTS = SpellDayCount
#: the same bed days summed per day, site and ward, with the NCtR and Red2Green split
WARD_TOTALS = SpellDayWardTotal
#: discharges rolled up per discharge day, site, delay band, NCtR and the 17:00 cut-off
DISCHARGE_COUNTS = SpellDischargeCount
#: discharged within one day of the DRD in force: the delay bands "0" and "1"
WITHIN_1_DAY_BANDS = ("0", "1")
#: discharged 21 days or more after the DRD in force (§4.11)
BEYOND_21_BAND = "21+"


#: what a figure covers: one site code, several (an organisation's, ``app.metrics.organisations``)
#: or None for every site
SiteScope = str | tuple[str, ...] | None


def in_site(column: SQLColumnExpression[str], site: SiteScope) -> ColumnElement[bool]:
    """SQL: ``column`` is the site (one of the sites), or no condition for the whole system."""
    if site is None:
        return true()
    if isinstance(site, tuple):
        return column.in_(site)
    return column == site


def bed_days(condition: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """SQL: the number of bed days (meeting ``condition``) in the rows of a ``DAY_COUNTS`` query."""
    if condition is None:
        return func.coalesce(func.sum(DAY_COUNTS.n), 0)
    return func.coalesce(func.sum(case((condition, DAY_COUNTS.n), else_=0)), 0)


def day_totals() -> list[ColumnElement[int]]:
    """SQL: NCtR, red, green and not-recorded bed days, from ``WARD_TOTALS``."""
    return [
        func.coalesce(func.sum(column), 0)
        for column in (
            WARD_TOTALS.nctr_days,
            WARD_TOTALS.red_days,
            WARD_TOTALS.green_days,
            WARD_TOTALS.not_recorded_days,
        )
    ]


def day_counts(session: Session, start: date, end: date, site: SiteScope) -> pd.DataFrame:
    """Per day of ``start``–``end`` (every day, zeros included): bed days whose end found the
    patient NCtR (``nctr``), and red, green and not-recorded days."""
    rows = session.execute(
        select(WARD_TOTALS.day, *day_totals())
        .where(WARD_TOTALS.day.between(start, end), in_site(WARD_TOTALS.site_code, site))
        .group_by(WARD_TOTALS.day)
    ).all()
    frame = pd.DataFrame(rows, columns=["day", "nctr", "red", "green", "not_recorded"])
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame.set_index("day").reindex(days(start, end), fill_value=0).astype(int)


def discharge_sum(condition: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """SQL: the number of discharges (meeting ``condition``) in the rows of a query."""
    if condition is None:
        return func.coalesce(func.sum(DISCHARGE_COUNTS.n), 0)
    return func.coalesce(func.sum(case((condition, DISCHARGE_COUNTS.n), else_=0)), 0)


def discharge_counts(
    session: Session, start: date, end: date, site: SiteScope, *, split_1700: bool = False
) -> pd.DataFrame:
    """Per discharge day of ``start``–``end``: discharges, those while NCtR (and, with
    ``split_1700``, those by 17:00), those within one day of the DRD, and those 21+ days after
    it (``beyond_21``)."""
    columns: list[SQLColumnExpression[object]] = [
        DISCHARGE_COUNTS.discharge_date,
        discharge_sum(),
        discharge_sum(DISCHARGE_COUNTS.nctr.is_(True)),
        discharge_sum(DISCHARGE_COUNTS.band.in_(WITHIN_1_DAY_BANDS)),
        discharge_sum(DISCHARGE_COUNTS.band == BEYOND_21_BAND),
    ]
    if split_1700:
        columns.append(discharge_sum(DISCHARGE_COUNTS.by_cutoff.is_(True)))
    rows = session.execute(
        select(*columns)
        .where(
            DISCHARGE_COUNTS.discharge_date.between(start, end),
            in_site(DISCHARGE_COUNTS.site_code, site),
        )
        .group_by(DISCHARGE_COUNTS.discharge_date)
    ).all()
    names = ["day", "discharges", "nctr_discharged", "within_1_day", "beyond_21"]
    frame = pd.DataFrame(rows, columns=[*names, "nctr_by_1700"] if split_1700 else names)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame.set_index("day").reindex(days(start, end), fill_value=0).astype(int)
