"""The returns Homeward fills in, in NHS England's long format (``Period, Level, Region, ICB,
Org Code, Org Name, Metric, Metric Type, Metric Group, Value``; docs/returns.md):

- the daily acute discharge sitrep per organisation and day, from :func:`flow.nctr_daily` and
  the day's delayed days by pathway and reason (:func:`flow.delayed_days`, DESIGN §4.2a, §4.3);
- the monthly discharge-delay measures per organisation and month, from
  :func:`flow.discharge_delays` (§4.4).

A return reshapes what those metrics return for each organisation's sites; it counts nothing
itself, so its totals are the other endpoints' totals. Organisations are those of the acute
sites (the returns are acute returns) at the level asked, by the mapping in force on the first
day of the period (``app.metrics.organisations``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from app.metrics import flow
from app.metrics.errors import InvalidParameter
from app.metrics.organisations import LEVEL_NAMES, OrgUnit, check_level, org_units
from app.metrics.schemas import DischargeDelays, NctrDay, ReturnFile, ReturnRow
from app.metrics.timebase import local_date, resolve_at

#: the header of every return's CSV, exactly as NHS England's files write it
HEADER = (
    "Period",
    "Level",
    "Region",
    "ICB",
    "Org Code",
    "Org Name",
    "Metric",
    "Metric Type",
    "Metric Group",
    "Value",
)
COUNT = "Count"
PERCENTAGE = "Percentage"
#: the sites a return covers
RETURN_SITE_KINDS = ("acute",)

# the sitrep's metric groups and metrics
SITREP_TOTALS = "Criteria to reside"
SITREP_PATHWAY = "Remaining by pathway"
SITREP_REASON = "Remaining by delay reason"
NCTR = "Patients no longer meeting the criteria to reside"
DISCHARGED = "Discharged"
DISCHARGED_BY_1700 = "Discharged by 17:00"
DISCHARGED_AFTER_1700 = "Discharged 17:01-23:59"
REMAINING = "Remaining in hospital"
PATHWAYS = ("0", "1", "2", "3")

# the discharge-delay measures' metric groups and metrics
DELAYS_TOTALS = "Discharges"
DELAYS_BANDS = "Days from discharge ready date to discharge"
DISCHARGES = "Discharges"
ON_DRD = "Discharged on the discharge ready date"
BED_DAYS_LOST = "Bed days lost"
BAND_NAMES = {
    "0": "0 days",
    "1": "1 day",
    "2-3": "2-3 days",
    "4-6": "4-6 days",
    "7-13": "7-13 days",
    "14-20": "14-20 days",
    "21+": "21+ days",
}


def _percentage(value: float | None) -> float | None:
    """A percentage as the returns write it: one decimal, empty when there is no denominator."""
    return None if value is None else round(value, 1)


def _row(
    unit: OrgUnit,
    period: str,
    metric_group: str,
    metric: str,
    metric_type: str,
    value: float | None,
) -> ReturnRow:
    return ReturnRow(
        period=period,
        level=LEVEL_NAMES[unit.level],
        region=unit.region_name,
        icb=unit.icb_name,
        org_code=unit.code,
        org_name=unit.name,
        metric=metric,
        metric_type=metric_type,
        metric_group=metric_group,
        value=value,
    )


def _units(session: Session, level: str, on: date) -> list[OrgUnit]:
    return org_units(session, check_level(level), on=on, kinds=RETURN_SITE_KINDS)


# --- the daily acute discharge sitrep -------------------------------------------------------


def sitrep_rows(session: Session, unit: OrgUnit, day: date, at: datetime) -> list[ReturnRow]:
    """The sitrep lines of one organisation and day."""
    period = day.isoformat()
    (counts,) = flow.nctr_daily(session, start=day, end=day, at=at, sites=unit.sites)
    rows = [
        _row(unit, period, SITREP_TOTALS, metric, COUNT, value)
        for metric, value in _sitrep_totals(counts)
    ]
    by_pathway = flow.delayed_days(
        session, start=day, end=day, group_by="pathway", sites=unit.sites
    )
    remaining = {group.key: group.delayed_days for group in by_pathway.groups}
    rows += [
        _row(unit, period, SITREP_PATHWAY, flow.pathway_label(p), COUNT, remaining.get(p, 0))
        for p in PATHWAYS
    ]
    if remaining.get(None):
        rows.append(_row(unit, period, SITREP_PATHWAY, flow.NOT_RECORDED, COUNT, remaining[None]))
    by_reason = flow.delayed_days(session, start=day, end=day, group_by="reason", sites=unit.sites)
    rows += [
        _row(
            unit,
            period,
            SITREP_REASON,
            f"{group.key}: {group.label}" if group.key else flow.NOT_RECORDED,
            COUNT,
            group.delayed_days,
        )
        for group in sorted(by_reason.groups, key=lambda g: g.key or "~")
    ]
    return rows


def _sitrep_totals(counts: NctrDay) -> list[tuple[str, int]]:
    return [
        (NCTR, counts.nctr),
        (DISCHARGED, counts.discharged),
        (DISCHARGED_BY_1700, counts.discharged_by_1700),
        (DISCHARGED_AFTER_1700, counts.discharged_after_1700),
        (REMAINING, counts.remaining),
    ]


def sitrep(
    session: Session, *, day: date, level: str = "trust", at: datetime | None = None
) -> ReturnFile:
    """The daily acute discharge sitrep of ``day`` for each organisation of ``level``."""
    at = resolve_at(at)
    rows = [
        row for unit in _units(session, level, day) for row in sitrep_rows(session, unit, day, at)
    ]
    return ReturnFile(
        name="sitrep",
        period=day.isoformat(),
        start=day,
        end=day,
        level=level,
        partial=day >= local_date(at),
        rows=rows,
    )


# --- the monthly discharge-delay measures ---------------------------------------------------


def parse_month(month: str) -> date:
    """The first day of a ``YYYY-MM`` month parameter; anything else is refused (422)."""
    try:
        first = datetime.strptime(month.strip(), "%Y-%m").date()
    except ValueError:
        raise InvalidParameter("month", f"'{month}' is not a month (YYYY-MM)") from None
    return first


def month_end(first: date) -> date:
    """The last day of the month that starts on ``first``."""
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def discharge_delay_rows(
    session: Session, unit: OrgUnit, first: date, last: date
) -> list[ReturnRow]:
    """The discharge-delay lines of one organisation and month."""
    period = first.strftime("%Y-%m")
    delays: DischargeDelays = flow.discharge_delays(
        session, start=first, end=last, sites=unit.sites
    )
    rows = [
        _row(unit, period, DELAYS_TOTALS, DISCHARGES, COUNT, delays.discharges),
        _row(unit, period, DELAYS_TOTALS, ON_DRD, PERCENTAGE, _percentage(delays.pct_same_day)),
        _row(unit, period, DELAYS_TOTALS, BED_DAYS_LOST, COUNT, delays.bed_days_lost),
    ]
    for band in delays.bands:
        name = BAND_NAMES[band.band]
        share = None if band.share is None else band.share * 100
        rows.append(_row(unit, period, DELAYS_BANDS, name, COUNT, band.count))
        rows.append(_row(unit, period, DELAYS_BANDS, name, PERCENTAGE, _percentage(share)))
    return rows


def discharge_delay_measures(
    session: Session, *, month: str, level: str = "trust", at: datetime | None = None
) -> ReturnFile:
    """The monthly discharge-delay measures of ``month`` (YYYY-MM) for each organisation."""
    first = parse_month(month)
    last = month_end(first)
    at = resolve_at(at)
    rows = [
        row
        for unit in _units(session, level, first)
        for row in discharge_delay_rows(session, unit, first, last)
    ]
    return ReturnFile(
        name="discharge-delays",
        period=first.strftime("%Y-%m"),
        start=first,
        end=last,
        level=level,
        partial=last >= local_date(at),
        rows=rows,
    )


# --- as a file ------------------------------------------------------------------------------


def csv_cells(rows: Iterable[ReturnRow]) -> list[list[str | int | float | None]]:
    """The rows as the cells of NHS England's long-format CSV, in :data:`HEADER` order (the
    faces write them with ``app.security.csv_safety.to_csv``, which neutralises formulas)."""
    return [
        [
            r.period,
            r.level,
            r.region,
            r.icb,
            r.org_code,
            r.org_name,
            r.metric,
            r.metric_type,
            r.metric_group,
            r.value,
        ]
        for r in rows
    ]
