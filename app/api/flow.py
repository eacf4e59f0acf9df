"""Flow: the summary now, the daily sitrep, delayed days, discharge delays, Red2Green."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.metrics_params import At, End, MetricsRoute, SiteCode, Start, cached_response
from app.metrics import contributing, discharge_asks, flow, timebase
from app.metrics.schemas import (
    ContributingReasons,
    DelayedDays,
    DischargeAsks,
    DischargeDelays,
    FlowBreakdown,
    FlowSummary,
    NctrDay,
    OrganisationFlowSummary,
    Red2Green,
)

router = APIRouter(prefix="/flow", tags=["flow"], route_class=MetricsRoute)

DelayedDaysGroupBy = Literal[
    "reason", "dtoc_code", "agency", "local_authority", "site", "ward", "pathway"
]


@router.get("/summary", response_model=FlowSummary, operation_id="flow_summary")
def summary(at: At = None, site: SiteCode = None) -> Response:
    """The system and each site at a moment: occupancy, NCtR, long stays, waits, escalation."""
    return cached_response(flow.summary, FlowSummary, now_bound=at is None, at=at, site=site)


@router.get(
    "/by-organisation",
    response_model=OrganisationFlowSummary,
    operation_id="flow_by_organisation",
)
def by_organisation(
    level: Annotated[
        Literal["site", "trust", "system", "region"],
        Query(description="sites, trusts, systems (ICBs) or regions (docs/returns.md)"),
    ],
    at: At = None,
) -> Response:
    """The summary at a moment for each organisation of a level: sites roll up to trusts,
    trusts to systems and regions by the organisations reference in force that day."""
    return cached_response(
        flow.by_organisation,
        OrganisationFlowSummary,
        now_bound=at is None,
        level=level,
        at=at,
    )


@router.get("/nctr-daily", response_model=list[NctrDay], operation_id="flow_nctr_daily")
def nctr_daily(start: Start, end: End, site: SiteCode = None) -> Response:
    """Per day: NCtR patients discharged (by and after 17:00) and remaining at midnight."""
    today = timebase.local_date(timebase.resolve_at(None))  # today's day is partial: clock-bound
    return cached_response(
        flow.nctr_daily, list[NctrDay], now_bound=end >= today, start=start, end=end, site=site
    )


@router.get("/delayed-days", response_model=DelayedDays, operation_id="flow_delayed_days")
def delayed_days(
    start: Start,
    end: End,
    site: SiteCode = None,
    group_by: Annotated[
        DelayedDaysGroupBy | None, Query(description="split the total by this attribute")
    ] = None,
) -> Response:
    """Delayed days (bed days lost) in a period, optionally by reason, agency, council, …"""
    return cached_response(
        flow.delayed_days,
        DelayedDays,
        now_bound=False,
        start=start,
        end=end,
        site=site,
        group_by=group_by,
    )


@router.get(
    "/contributing-reasons",
    response_model=ContributingReasons,
    operation_id="flow_contributing_reasons",
)
def contributing_reasons(start: Start, end: End, site: SiteCode = None) -> Response:
    """Delayed days where each reason contributed, beside its delayed days as primary reason."""
    return cached_response(
        contributing.contributing_reasons,
        ContributingReasons,
        now_bound=False,
        start=start,
        end=end,
        site=site,
    )


@router.get(
    "/discharge-delays", response_model=DischargeDelays, operation_id="flow_discharge_delays"
)
def discharge_delays(start: Start, end: End, site: SiteCode = None) -> Response:
    """Discharges in a period by days from discharge ready date to discharge."""
    return cached_response(
        flow.discharge_delays,
        DischargeDelays,
        now_bound=False,
        start=start,
        end=end,
        site=site,
    )


@router.get("/red2green", response_model=Red2Green, operation_id="flow_red2green")
def red2green(
    start: Start,
    end: End,
    site: SiteCode = None,
    group_by: Annotated[
        Literal["site", "ward", "reason"], Query(description="one row per site, ward or reason")
    ] = "site",
) -> Response:
    """Red, green and not-recorded patient-days in a period, with red %."""
    return cached_response(
        flow.red2green,
        Red2Green,
        now_bound=False,
        start=start,
        end=end,
        site=site,
        group_by=group_by,
    )


@router.get("/by-site", response_model=FlowBreakdown, operation_id="flow_by_site")
def by_site(start: Start, end: End, at: At = None) -> Response:
    """Each site: occupancy and NCtR at a moment, delayed days and red % in a period."""
    return cached_response(
        flow.by_site, FlowBreakdown, now_bound=at is None, start=start, end=end, at=at
    )


@router.get("/by-ward", response_model=FlowBreakdown, operation_id="flow_by_ward")
def by_ward(
    site: Annotated[str, Query(description="the site's ODS code", max_length=12)],
    start: Start,
    end: End,
    at: At = None,
) -> Response:
    """Each ward of a site: occupancy and NCtR at a moment, delayed days and red % in a period."""
    return cached_response(
        flow.by_ward,
        FlowBreakdown,
        now_bound=at is None,
        site=site,
        start=start,
        end=end,
        at=at,
    )


@router.get("/discharge-asks", response_model=DischargeAsks, operation_id="flow_discharge_asks")
def asks(
    at: At = None,
    site: SiteCode = None,
    start: Annotated[
        date | None, Query(description="first day of the discharges counted; default 7 days")
    ] = None,
    end: Annotated[date | None, Query(description="last day; default yesterday")] = None,
) -> Response:
    """NHS England's 2025/26 asks: internal delays over 48 hours now (target 0); 21+ days
    beyond DRD in hospital now and among the period's discharges (count, share, bed days lost)."""
    return cached_response(
        discharge_asks.discharge_asks,
        DischargeAsks,
        now_bound=at is None or end is None,
        at=at,
        site=site,
        start=start,
        end=end,
    )
