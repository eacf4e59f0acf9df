"""Flow: the summary now, the daily sitrep, delayed days, discharge delays, Red2Green."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.metrics_params import At, End, MetricsRoute, SiteCode, Start, cached_response
from app.metrics import contributing, flow, timebase
from app.metrics.schemas import (
    ContributingReasons,
    DelayedDays,
    DischargeDelays,
    FlowBreakdown,
    FlowSummary,
    NctrDay,
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
