"""Weekly trends as Making Data Count SPC charts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Response

from app.api.metrics_params import MetricsRoute, SiteCode, cached_response
from app.metrics import pathway_targets, trends
from app.metrics.registry import METRICS
from app.metrics.schemas import WeeklyTrend

router = APIRouter(prefix="/trends", tags=["trends"], route_class=MetricsRoute)


@router.get("/weekly", response_model=WeeklyTrend, operation_id="trends_weekly")
def weekly(
    metric: Annotated[str, Query(description="a metric slug: " + ", ".join(METRICS))],
    weeks: Annotated[int, Query(ge=1, le=trends.MAX_WEEKS, description="how many weeks")] = 26,
    site: SiteCode = None,
    end: Annotated[
        date | None,
        Query(
            description="the latest week is the one ending on the Sunday on or before this "
            "day (YYYY-MM-DD); default: the last complete week"
        ),
    ] = None,
) -> Response:
    """A metric's weekly points (weeks end on Sunday) with its XmR chart and icons."""
    return cached_response(
        trends.weekly,
        WeeklyTrend,
        now_bound=end is None,  # the default end is the last complete week: the clock's
        metric=metric,
        weeks=weeks,
        site=site,
        end=end,
    )


@router.get(
    "/pathway-targets", response_model=list[WeeklyTrend], operation_id="trends_pathway_targets"
)
def pathway_target_trends(
    weeks: Annotated[int, Query(ge=1, le=trends.MAX_WEEKS, description="how many weeks")] = 26,
    site: SiteCode = None,
    end: Annotated[
        date | None,
        Query(description="the latest week ends on the Sunday on or before this day"),
    ] = None,
) -> Response:
    """Each local target by pathway as a weekly XmR chart with its assurance icon."""
    return cached_response(
        pathway_targets.weekly,
        list[WeeklyTrend],
        now_bound=end is None,
        weeks=weeks,
        site=site,
        end=end,
    )
