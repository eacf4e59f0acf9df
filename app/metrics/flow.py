"""Flow metrics: occupancy, patients with no criteria to reside, delayed days, discharge delays
and Red2Green (DESIGN.md §4.1–§4.6), now and over periods, and their weekly series.

Point-in-time figures take the latest census state of each spell at or before ``at``; period
figures count bed days (``spell_days``: one row per spell per day whose end finds the patient
in hospital, carrying what was in force that day, late DRDs included). They read those counts
from ``spell_day_counts``, the same rows rolled up per day, site and attribute by ingest
(``ingest/day_counts.py``), or from ``spell_day_ward_totals`` (per day and ward) when they need
no attribute but the ward: a year of a system is one row per ward per day, not one per bed day.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, select
from sqlalchemy.orm import Session

from app.domain.days import days_between
from app.domain.delay_bands import DELAY_BANDS
from app.domain.reason_catalogue import category_label
from app.metrics import capacity, ratios
from app.metrics.errors import InvalidParameter
from app.metrics.escalation import escalate
from app.metrics.freshness import as_of as feed_as_of
from app.metrics.freshness import feed_status
from app.metrics.in_hospital import InHospital, in_hospital_at, total
from app.metrics.occupancy import BedsKey, combined, occupancy_at
from app.metrics.organisations import check_level, org_units
from app.metrics.queries import (
    AGENCY_LABELS,
    GENERAL_ACUTE,
    council_names,
    inpatients,
    reason_labels,
    require_site,
    site_list,
    ward_names,
)
from app.metrics.ratios import pct
from app.metrics.rollups import (
    DAY_COUNTS,
    DISCHARGE_COUNTS,
    WARD_TOTALS,
    SiteScope,
    bed_days,
    day_counts,
    day_totals,
    discharge_counts,
    in_site,
)
from app.metrics.schemas import (
    AreaFlow,
    DelayBand,
    DelayedDays,
    DelayedDaysByCategory,
    DelayedDaysGroup,
    DischargeDelays,
    Escalation,
    FlowBreakdown,
    FlowBreakdownRow,
    FlowSummary,
    NctrDay,
    Occupancy,
    OrganisationFlow,
    OrganisationFlowSummary,
    ReasonCategoryGroup,
    Red2Green,
    Red2GreenCounts,
    Red2GreenGroup,
    WaitingByPathway,
)
from app.metrics.timebase import (
    check_range,
    days,
    local_date,
    resolve_at,
)
from models import DelayReason, Site, SpellDay, SpellDayDelayCount, Ward

DELAYED_DAYS_GROUPS = (
    "reason",
    "dtoc_code",
    "agency",
    "local_authority",
    "site",
    "ward",
    "pathway",
)
RED2GREEN_GROUPS = ("site", "ward", "reason")
NOT_RECORDED = "Not recorded"
STALE_STATES = ("stale", "failing")


def pathway_label(pathway: int | str | None) -> str:
    return NOT_RECORDED if pathway is None else f"Pathway {pathway}"


# --- the summary at a moment ----------------------------------------------------------------


def _area(
    *,
    site: Site | None,
    census: InHospital,
    occupancy: Occupancy,
    waiting: WaitingByPathway,
    escalation: Escalation,
) -> AreaFlow:
    return AreaFlow(
        site_code=site.site_code if site else None,
        name=site.name if site else "Whole system",
        kind=site.kind if site else "system",
        occupancy=occupancy,
        in_hospital=census.in_hospital,
        nctr_in_hospital=census.nctr,
        long_stays=census.long_stays(),
        delay_bands=census.bands,
        waiting_by_pathway=waiting,
        escalation=escalation,
    )


def _escalation_values(
    occupancy: Occupancy, census: InHospital, waiting: WaitingByPathway | None, stale: int | None
) -> dict[str, float | None]:
    return {
        "occupancy_pct": occupancy.pct,
        "nctr_pct_of_occupied": ratios.nctr_pct_of_occupied(census.nctr, occupancy.occupied),
        "super_stranded_pct_of_occupied": ratios.super_stranded_pct_of_occupied(
            census.super_stranded, occupancy.occupied
        ),
        "p1_gap_pct_of_demand": (
            ratios.gap_pct_of_demand(waiting.p1.gap, waiting.p1.demand) if waiting else None
        ),
        "p3_gap_pct_of_demand": (
            ratios.gap_pct_of_demand(waiting.p3.gap, waiting.p3.demand) if waiting else None
        ),
        "stale_feeds": stale,
    }


def summary(
    session: Session, *, at: datetime | None = None, site: str | None = None
) -> FlowSummary:
    """The system and each site at ``at``: occupancy, NCtR, long stays, waits and escalation."""
    at = resolve_at(at)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None

    by_site = in_hospital_at(session, at, code)
    everyone = total(by_site.values())
    occupancy = {
        key[0]: value for key, value in occupancy_at(session, [at], site=code).get(at, {}).items()
    }
    total_occupancy = combined(occupancy.values())

    def site_area(site_: Site) -> AreaFlow:
        census = by_site.get(site_.site_code, InHospital())
        site_occupancy = occupancy.get(site_.site_code, Occupancy())
        waiting = capacity.waiting(
            census.demand, p1_packages=None, p1_hours=None, p2_beds=None, p3_by_care_type=None
        )
        values = _escalation_values(site_occupancy, census, None, None)
        return _area(
            site=site_,
            census=census,
            occupancy=site_occupancy,
            waiting=waiting,
            escalation=escalate(values, scope="site"),
        )

    sites = [site_area(s) for s in site_list(session, site_row)]
    if site_row is not None:
        total_area = sites[0]
    else:
        waiting = capacity.system_waiting(everyone.demand, capacity.supply(session, at))
        stale = sum(s.state in STALE_STATES for s in feed_status(session, at))
        values = _escalation_values(total_occupancy, everyone, waiting, stale)
        total_area = _area(
            site=None,
            census=everyone,
            occupancy=total_occupancy,
            waiting=waiting,
            escalation=escalate(values, scope="system"),
        )
    return FlowSummary(
        at=at, site=code, total=total_area, sites=sites, as_of=feed_as_of(session, at)
    )


def by_organisation(
    session: Session, *, level: str, at: datetime | None = None
) -> OrganisationFlowSummary:
    """The summary's picture of each organisation of ``level`` (site, trust, system, region)
    at ``at``: its sites' patients and G&A beds together, escalation scored on them; the
    waiting by pathway has its demand only (care capacity is by council, not organisation)."""
    at = resolve_at(at)
    units = org_units(session, check_level(level), on=local_date(at))
    by_site = in_hospital_at(session, at, None)
    occupancy = {
        key[0]: value for key, value in occupancy_at(session, [at], site=None).get(at, {}).items()
    }
    scope: Literal["site", "system"] = "site" if level in ("site", "trust") else "system"
    organisations = []
    for unit in units:
        census = total(by_site.get(code, InHospital()) for code in unit.sites)
        unit_occupancy = combined(occupancy.get(code, Occupancy()) for code in unit.sites)
        waiting = capacity.waiting(
            census.demand, p1_packages=None, p1_hours=None, p2_beds=None, p3_by_care_type=None
        )
        values = _escalation_values(unit_occupancy, census, None, None)
        area = AreaFlow(
            site_code=unit.sites[0] if level == "site" else None,
            name=unit.name,
            kind=level,
            occupancy=unit_occupancy,
            in_hospital=census.in_hospital,
            nctr_in_hospital=census.nctr,
            long_stays=census.long_stays(),
            delay_bands=census.bands,
            waiting_by_pathway=waiting,
            escalation=escalate(values, scope=scope),
        )
        organisations.append(
            OrganisationFlow(
                level=level,
                org_code=unit.code,
                org_name=unit.name,
                icb_code=unit.icb_code,
                icb_name=unit.icb_name,
                region_code=unit.region_code,
                region_name=unit.region_name,
                site_codes=list(unit.sites),
                area=area,
            )
        )
    return OrganisationFlowSummary(
        at=at, level=level, organisations=organisations, as_of=feed_as_of(session, at)
    )


# --- the acute discharge sitrep, day by day -------------------------------------------------


def nctr_daily(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    at: datetime | None = None,
    sites: Sequence[str] | None = None,
) -> list[NctrDay]:
    """Per day: NCtR patients discharged (by/after 17:00) and remaining at midnight (§4.2a);
    a day not over at ``at`` (default now) is marked ``partial``: its counts are so far.
    ``sites`` (an organisation's, ``app.metrics.organisations``) counts those sites together."""
    check_range(start, end)
    today = local_date(resolve_at(at))
    code = _scope(session, site, sites)
    remaining = day_counts(session, start, end, code)["nctr"].tolist()
    discharged = discharge_counts(session, start, end, code, split_1700=True)
    return [
        NctrDay(
            date=day,
            nctr=gone + left,
            discharged=gone,
            discharged_by_1700=by_1700,
            discharged_after_1700=gone - by_1700,
            remaining=left,
            partial=day >= today,
        )
        for day, gone, by_1700, left in zip(
            days(start, end),
            discharged["nctr_discharged"].tolist(),
            discharged["nctr_by_1700"].tolist(),
            remaining,
            strict=True,
        )
    ]


def _site_code(session: Session, site: str | None) -> str | None:
    site_row = require_site(session, site)
    return site_row.site_code if site_row else None


def _scope(session: Session, site: str | None, sites: Sequence[str] | None) -> SiteScope:
    """What a figure covers: the ``sites`` of an organisation when given, else ``site``."""
    return tuple(sites) if sites is not None else _site_code(session, site)


def _one_site(code: SiteScope) -> str | None:
    """The ``site`` a response names: the site code, or None for several or every site."""
    return code if isinstance(code, str) else None


# --- delayed days ---------------------------------------------------------------------------


#: a group key to the words a person reads
Labeller = Callable[[Any], str | None]


def _labeller(session: Session, group_by: str) -> Labeller:
    """A function from a group key to the words a person reads."""
    if group_by in ("reason", "dtoc_code"):
        reasons = reason_labels(session)
        return lambda key: reasons[key][0] if key in reasons else (key or NOT_RECORDED)
    if group_by == "agency":
        return lambda key: AGENCY_LABELS.get(key, key or NOT_RECORDED)
    if group_by == "local_authority":
        councils = council_names(session)
        return lambda key: councils.get(key, key) if key else NOT_RECORDED
    if group_by == "site":
        names = {code: name for code, name in session.execute(select(Site.site_code, Site.name))}
        return lambda key: names.get(key, key)
    if group_by == "ward":
        wards = ward_names(session)
        return lambda key: wards.get(tuple(key.split("/", 1)), key)
    return pathway_label


def _group_columns(group_by: str) -> list[SQLColumnExpression[str | None]]:
    """The Red2Green group columns of ``DAY_COUNTS``."""
    columns: dict[str, list[SQLColumnExpression[str | None]]] = {
        "site": [DAY_COUNTS.site_code],
        "ward": [DAY_COUNTS.site_code, DAY_COUNTS.ward_code],
        # the reason a red day was red
        "r2g_reason": [DAY_COUNTS.r2g_reason_code],
    }
    return columns[group_by]


def _group_key(values: Sequence[Any]) -> str | None:
    """One key per group: a ward is ``SITE/WARD``; a missing attribute is None."""
    if len(values) == 2:
        return f"{values[0]}/{values[1]}"
    return None if values[0] is None else str(values[0])


def delayed_days(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    group_by: str | None = None,
    ward: str | None = None,
    local_authority: str | None = None,
    pathway: int | None = None,
    reason: str | None = None,
    agency: str | None = None,
    min_days: int | None = None,
    sites: Sequence[str] | None = None,
) -> DelayedDays:
    """Delayed days (bed days lost) in ``start``–``end``, optionally by one attribute (§4.3).

    The filters keep the delayed days whose ward (of ``site``), council, pathway, reason or
    agency *in force on that day* is the one given — each day is attributed as §4.3 says — and,
    with ``min_days``, only the days on which the patient had been at least that many days
    beyond the DRD in force (``day − DRD``, §4.4). ``sites`` (an organisation's) counts those
    sites together.
    """
    check_range(start, end)
    code = _scope(session, site, sites)
    if group_by is not None and group_by not in DELAYED_DAYS_GROUPS:
        raise InvalidParameter("group_by", f"must be one of {', '.join(DELAYED_DAYS_GROUPS)}")
    if min_days is not None and min_days < 0:
        raise InvalidParameter("min_days", "must be 0 or more")
    narrowing = DelayedDaysFilters(
        ward=ward,
        local_authority=local_authority.upper() if local_authority else None,
        pathway=pathway,
        reason=reason.upper() if reason else None,
        agency=agency,
        min_days=min_days,
    )
    if narrowing.any():
        return _filtered_delayed_days(
            session, start=start, end=end, code=code, group_by=group_by, narrowing=narrowing
        )
    if group_by is None:
        total = int(
            session.scalar(
                select(func.coalesce(func.sum(WARD_TOTALS.nctr_days), 0)).where(
                    WARD_TOTALS.day.between(start, end), in_site(WARD_TOTALS.site_code, code)
                )
            )
            or 0
        )
        return DelayedDays(
            start=start, end=end, site=_one_site(code), group_by=None, total=total, groups=[]
        )
    query: Select[*tuple[Any, ...]]
    if group_by == "site":
        delayed = func.sum(WARD_TOTALS.nctr_days)
        query = (
            select(WARD_TOTALS.site_code, delayed)
            .where(WARD_TOTALS.day.between(start, end), in_site(WARD_TOTALS.site_code, code))
            .group_by(WARD_TOTALS.site_code)
            .having(delayed > 0)
        )
    else:
        split = SpellDayDelayCount
        dimension = "reason" if group_by == "dtoc_code" else group_by
        keys: list[SQLColumnExpression[str | None]] = [split.value]
        if group_by == "ward":
            keys = [split.site_code, split.value]
        elif group_by == "dtoc_code":
            keys = [DelayReason.dtoc_code]
        query = (
            select(*keys, func.sum(split.n))
            .select_from(split)
            .where(
                split.dimension == dimension,
                split.day.between(start, end),
                in_site(split.site_code, code),
            )
            .group_by(*keys)
        )
        if group_by == "dtoc_code":
            query = query.outerjoin(DelayReason, DelayReason.code == split.value)
    counts: dict[str | None, int] = defaultdict(int)
    for *values, n in session.execute(query):
        counts[_group_key(values)] += int(n)
    total = sum(counts.values())
    label = _labeller(session, group_by)
    groups = [
        DelayedDaysGroup(key=key, label=label(key), delayed_days=n, share=n / total)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    ]
    return DelayedDays(
        start=start, end=end, site=_one_site(code), group_by=group_by, total=total, groups=groups
    )


@dataclass(frozen=True)
class DelayedDaysFilters:
    """What narrows the delayed days beyond the site: each matched against the day's own
    attribution (codes upper-case, as the catalogue and ONS write them)."""

    ward: str | None = None
    local_authority: str | None = None
    pathway: int | None = None
    reason: str | None = None
    agency: str | None = None
    min_days: int | None = None

    def any(self) -> bool:
        return any(value is not None for value in self.__dict__.values())


def _filtered_delayed_days(
    session: Session,
    *,
    start: date,
    end: date,
    code: SiteScope,
    group_by: str | None,
    narrowing: DelayedDaysFilters,
) -> DelayedDays:
    """Delayed days narrowed by :class:`DelayedDaysFilters`, grouped by one attribute.

    Without ``min_days`` the roll-up ``spell_day_counts`` has every attribute a filter needs;
    ``min_days`` needs each day's DRD, so it reads ``spell_days`` itself.
    """
    table: Any = SpellDay if narrowing.min_days is not None else DAY_COUNTS
    measure: ColumnElement[int] = (
        func.count() if narrowing.min_days is not None else func.sum(DAY_COUNTS.n)
    )
    conditions: list[ColumnElement[bool]] = [
        table.nctr.is_(True),
        table.day.between(start, end),
        in_site(table.site_code, code),
    ]
    for value, column in (
        (narrowing.ward, table.ward_code),
        (narrowing.local_authority, table.local_authority_code),
        (narrowing.pathway, table.pathway),
        (narrowing.reason, table.delay_reason_code),
        (narrowing.agency, table.delay_attributable_to),
    ):
        if value is not None:
            conditions.append(column == value)
    if narrowing.min_days is not None:
        conditions.append(
            days_between(SpellDay.day, SpellDay.discharge_ready_date) >= narrowing.min_days
        )
    keys: list[SQLColumnExpression[Any]] = []
    if group_by is not None:
        keys = {
            "reason": [table.delay_reason_code],
            "dtoc_code": [DelayReason.dtoc_code],
            "agency": [table.delay_attributable_to],
            "local_authority": [table.local_authority_code],
            "site": [table.site_code],
            "ward": [table.site_code, table.ward_code],
            "pathway": [table.pathway],
        }[group_by]
    query = select(*keys, measure).select_from(table).where(*conditions)
    if group_by == "dtoc_code":
        query = query.outerjoin(DelayReason, DelayReason.code == table.delay_reason_code)
    if keys:
        query = query.group_by(*keys)
    counts: dict[str | None, int] = defaultdict(int)
    for *values, n in session.execute(query):
        if n:
            counts[_group_key(values) if values else None] += int(n)
    total = sum(counts.values())
    if group_by is None:
        return DelayedDays(
            start=start, end=end, site=_one_site(code), group_by=None, total=total, groups=[]
        )
    label = _labeller(session, group_by)
    groups = [
        DelayedDaysGroup(key=key, label=label(key), delayed_days=n, share=n / total)
        for key, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    ]
    return DelayedDays(
        start=start, end=end, site=_one_site(code), group_by=group_by, total=total, groups=groups
    )


def delayed_days_by_category(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    ward: str | None = None,
    local_authority: str | None = None,
    pathway: int | None = None,
    reason: str | None = None,
    agency: str | None = None,
    min_days: int | None = None,
) -> DelayedDaysByCategory:
    """Delayed days by reason category of the catalogue (§5), each with its codes beneath:
    a current code and the historic DTOC code for the same thing (``P3_NURSING``, ``DII``)
    roll up into one category. The filters are those of :func:`delayed_days`."""
    by_reason = delayed_days(
        session,
        start=start,
        end=end,
        site=site,
        group_by="reason",
        ward=ward,
        local_authority=local_authority,
        pathway=pathway,
        reason=reason,
        agency=agency,
        min_days=min_days,
    )
    category_of = dict(session.execute(select(DelayReason.code, DelayReason.category)).all())
    codes: dict[str | None, list[DelayedDaysGroup]] = defaultdict(list)
    for group in by_reason.groups:
        codes[category_of.get(group.key) if group.key else None].append(group)
    total = by_reason.total
    categories = [
        ReasonCategoryGroup(
            key=category,
            label=category_label(category),
            delayed_days=sum(g.delayed_days for g in parts),
            share=sum(g.delayed_days for g in parts) / total if total else None,
            codes=parts,
        )
        for category, parts in codes.items()
    ]
    categories.sort(key=lambda c: (-c.delayed_days, c.label))
    return DelayedDaysByCategory(
        start=start, end=end, site=by_reason.site, total=total, categories=categories
    )


# --- time from DRD to discharge -------------------------------------------------------------


def discharge_delays(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    sites: Sequence[str] | None = None,
) -> DischargeDelays:
    """Discharges in ``start``–``end`` by days from the DRD in force at discharge (§4.4);
    ``sites`` (an organisation's) counts those sites together."""
    check_range(start, end)
    code = _scope(session, site, sites)
    counts: dict[str, tuple[int, int]] = {}
    for band_name, n, days_lost in session.execute(
        select(
            DISCHARGE_COUNTS.band,
            func.sum(DISCHARGE_COUNTS.n),
            func.sum(DISCHARGE_COUNTS.delay_days),
        )
        .where(
            DISCHARGE_COUNTS.discharge_date.between(start, end),
            in_site(DISCHARGE_COUNTS.site_code, code),
        )
        .group_by(DISCHARGE_COUNTS.band)
    ):
        counts[band_name] = (int(n), int(days_lost or 0))
    discharges = sum(n for n, _ in counts.values())
    delayed = discharges - counts.get("0", (0, 0))[0]
    lost = sum(days_lost for _, days_lost in counts.values())
    return DischargeDelays(
        start=start,
        end=end,
        site=_one_site(code),
        discharges=discharges,
        bands=[
            DelayBand(
                band=name,
                count=counts.get(name, (0, 0))[0],
                share=counts.get(name, (0, 0))[0] / discharges if discharges else None,
                bed_days=counts.get(name, (0, 0))[1],
            )
            for name in DELAY_BANDS
        ],
        bed_days_lost=lost,
        mean_delay_incl_zero=lost / discharges if discharges else None,
        mean_delay_excl_zero=lost / delayed if delayed else None,
        pct_same_day=pct(counts.get("0", (0, 0))[0], discharges),
        pct_within_1_day=pct(counts.get("0", (0, 0))[0] + counts.get("1", (0, 0))[0], discharges),
    )


# --- Red2Green ------------------------------------------------------------------------------


def _red2green_counts(red: int, green: int, not_recorded: int) -> dict[str, Any]:
    """The fields of a Red2Green count (splatted into the response models)."""
    return {
        "red": red,
        "green": green,
        "not_recorded": not_recorded,
        "red_pct": pct(red, red + green),
    }


def red2green(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    group_by: Literal["site", "ward", "reason"] | str = "site",
) -> Red2Green:
    """Red, green and not-recorded patient-days in ``start``–``end`` by site, ward or reason."""
    check_range(start, end)
    code = _site_code(session, site)
    if group_by not in RED2GREEN_GROUPS:
        raise InvalidParameter("group_by", f"must be one of {', '.join(RED2GREEN_GROUPS)}")
    keys = _group_columns("r2g_reason" if group_by == "reason" else group_by)
    counts: dict[str | None, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for *values, status, n in session.execute(
        select(*keys, DAY_COUNTS.r2g_status, bed_days())
        .where(DAY_COUNTS.day.between(start, end), in_site(DAY_COUNTS.site_code, code))
        .group_by(*keys, DAY_COUNTS.r2g_status)
    ):
        counts[_group_key(values)][status] += int(n)
    label = _labeller(session, group_by)
    groups = [
        Red2GreenGroup(
            key=key,
            label=label(key) if key is not None or group_by != "reason" else "No red reason",
            **_red2green_counts(c["red"], c["green"], c["not_recorded"]),
        )
        for key, c in sorted(counts.items(), key=lambda kv: (-kv[1]["red"], kv[0] or ""))
    ]
    totals = Red2GreenCounts(
        **_red2green_counts(
            sum(g.red for g in groups),
            sum(g.green for g in groups),
            sum(g.not_recorded for g in groups),
        )
    )
    return Red2Green(
        start=start, end=end, site=code, group_by=group_by, totals=totals, groups=groups
    )


# --- by site and by ward --------------------------------------------------------------------


def _breakdown(
    session: Session,
    *,
    level: Literal["site", "ward"],
    site: Site | None,
    start: date,
    end: date,
    at: datetime,
) -> list[FlowBreakdownRow]:
    code = site.site_code if site else None
    patients = inpatients(at, code)
    patient_columns: list[ColumnElement[str]]
    day_columns: list[ColumnElement[str]]
    if level == "site":
        patient_columns = [patients.c.site_code]
        day_columns = [WARD_TOTALS.site_code.expression]
    else:
        patient_columns = [patients.c.site_code, patients.c.ward_code]
        day_columns = [WARD_TOTALS.site_code.expression, WARD_TOTALS.ward_code.expression]
    # a site's occupancy is its G&A wards'; a ward's is its own, whatever its bed base
    bed_base = GENERAL_ACUTE if level == "site" else None
    occupancy = occupancy_at(session, [at], site=code, level=level, bed_base=bed_base).get(at, {})
    nctr = {
        tuple(key): int(n)
        for *key, n in session.execute(
            select(*patient_columns, func.count())
            .where(patients.c.nctr.is_(True))
            .group_by(*patient_columns)
        )
    }
    period = {
        tuple(key): (int(delayed), int(red), int(green), int(nr))
        for *key, delayed, red, green, nr in session.execute(
            select(*day_columns, *day_totals())
            .where(WARD_TOTALS.day.between(start, end), in_site(WARD_TOTALS.site_code, code))
            .group_by(*day_columns)
        )
    }

    entities: Iterable[tuple[BedsKey, str, str]]
    if level == "site":
        entities = [((s.site_code,), s.name, s.kind) for s in site_list(session, site)]
    else:
        wards = session.execute(
            select(Ward.site_code, Ward.ward_code, Ward.ward_name, Ward.bed_base)
            .where(Ward.site_code == code)
            .order_by(Ward.ward_code)
        ).all()
        entities = [((s, w), name, base) for s, w, name, base in wards]
    rows = []
    for entity_key, name, kind in entities:
        delayed, red, green, not_recorded = period.get(entity_key, (0, 0, 0, 0))
        rows.append(
            FlowBreakdownRow(
                site_code=entity_key[0],
                ward_code=entity_key[1] if level == "ward" else None,
                name=name,
                kind=kind,
                occupancy=occupancy.get(entity_key, Occupancy()),
                nctr_in_hospital=nctr.get(entity_key, 0),
                delayed_days=delayed,
                **_red2green_counts(red, green, not_recorded),
            )
        )
    return rows


def by_site(
    session: Session, *, start: date, end: date, at: datetime | None = None
) -> FlowBreakdown:
    """Each site: G&A occupancy and NCtR at ``at``; delayed days and Red2Green in the period."""
    check_range(start, end)
    at = resolve_at(at)
    rows = _breakdown(session, level="site", site=None, start=start, end=end, at=at)
    return FlowBreakdown(at=at, start=start, end=end, site=None, rows=rows)


def by_ward(
    session: Session, *, site: str, start: date, end: date, at: datetime | None = None
) -> FlowBreakdown:
    """Each ward of a site: occupancy and NCtR at ``at``; delayed days and Red2Green."""
    check_range(start, end)
    at = resolve_at(at)
    site_row = require_site(session, site)
    rows = _breakdown(session, level="ward", site=site_row, start=start, end=end, at=at)
    return FlowBreakdown(at=at, start=start, end=end, site=site, rows=rows)
