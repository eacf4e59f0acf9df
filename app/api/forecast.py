"""The next ten days (DESIGN.md §4.12): the forecast per pathway and council, and the what-if.

Both answer with the "Forecast" label, the method and P10 / P50 / P90 bands: a forecast is
never a fact. Plain ``def`` routes: the simulation runs in FastAPI's worker threads, never on
the event loop, and its answer is cached until the next ingest run (``app.metrics.cache``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Response

from app.api.metrics_params import At, Council, MetricsRoute, SiteCode, cached_response
from app.metrics import forecast
from app.metrics.forecast.schemas import MAX_DAYS, Forecast, WhatIfRequest, WhatIfResult

router = APIRouter(prefix="/forecast", tags=["forecast"], route_class=MetricsRoute)

Days = Annotated[int, Query(ge=1, le=MAX_DAYS, description="days ahead, 1–10 (D+1 is tomorrow)")]


@router.get("/pathways", response_model=Forecast, operation_id="forecast_pathways")
def pathways(
    days: Days = MAX_DAYS,
    local_authority: Council = None,
    site: SiteCode = None,
    at: At = None,
) -> Response:
    """The next days per discharge pathway (0–3) and council, with P10 / P50 / P90 bands.

    For each day D+1…D+``days``: new NCtR patients, discharges, NCtR patients in hospital at
    the day's end (the queue), the capacity expected from the capacity feeds' history, the
    gap, days beyond DRD and bed days lost — from the store's own history and today's census
    only. ``at``: forecast from the census in force then (default: now)."""
    return cached_response(
        forecast.pathway_forecast,
        Forecast,
        now_bound=at is None,
        days=days,
        site=site,
        local_authority=local_authority,
        as_of=at,
    )


WHAT_IF_EXAMPLE = {
    "days": 10,
    "changes": [{"kind": "home_care_starts", "amount": 5, "from_date": "2026-12-07"}],
}


@router.post("/what-if", response_model=WhatIfResult, operation_id="forecast_what_if")
def what_if(
    request: Annotated[
        WhatIfRequest, Body(openapi_examples={"home care": {"value": WHAT_IF_EXAMPLE}})
    ],
) -> Response:
    """A capacity change beside the baseline: "+N home-care starts a day from date X",
    "+N community beds", "N more care-home vacancies" → the queue and bed days lost, with
    bands. The scenario reuses the baseline's random draws: a change of 0 is the baseline."""
    return cached_response(
        forecast.what_if,
        WhatIfResult,
        now_bound=request.as_of is None,
        request=request.model_dump(mode="json"),
    )
