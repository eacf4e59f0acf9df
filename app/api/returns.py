"""Returns: the daily acute discharge sitrep and the monthly discharge-delay measures in NHS
England's long format, as JSON or CSV (``format=csv``), at site, trust, system or region level
(docs/returns.md). The figures are ``app.metrics.returns``'s; this router only writes them."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response

from app.api.deps import read_session
from app.api.metrics_params import MetricsRoute, cached_response
from app.metrics import returns, timebase
from app.metrics.schemas import ReturnFile
from app.security.csv_safety import to_csv

router = APIRouter(prefix="/returns", tags=["returns"], route_class=MetricsRoute)

Level = Annotated[
    Literal["site", "trust", "system", "region"],
    Query(description="the organisations reported: sites, trusts, systems (ICBs) or regions"),
]
Format = Annotated[
    Literal["json", "csv"], Query(description="json (default) or csv, NHS England's long format")
]
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


def csv_response(file: ReturnFile) -> Response:
    """The return as a CSV download named after the return, its period and its level."""
    body = to_csv(returns.HEADER, returns.csv_cells(file.rows))
    name = f"homeward_{file.name}_{file.period}_{file.level}.csv"
    return Response(
        content=body,
        media_type=CSV_MEDIA_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/sitrep", response_model=ReturnFile, operation_id="returns_sitrep")
def sitrep(
    date: Annotated[date, Query(description="the day, YYYY-MM-DD (Europe/London)")],
    level: Level = "trust",
    format: Format = "json",
) -> Response:
    """The daily acute discharge sitrep of a day: NCtR, discharged by 17:00 and 17:01–23:59,
    remaining, remaining by pathway and by delay reason, for each organisation of the level."""
    if format == "csv":
        with read_session() as session:
            return csv_response(returns.sitrep(session, day=date, level=level))
    today = timebase.local_date(timebase.resolve_at(None))
    return cached_response(
        returns.sitrep, ReturnFile, now_bound=date >= today, day=date, level=level
    )


@router.get("/discharge-delays", response_model=ReturnFile, operation_id="returns_discharge_delays")
def discharge_delays(
    month: Annotated[str, Query(description="the month, YYYY-MM", max_length=7)],
    level: Level = "trust",
    format: Format = "json",
) -> Response:
    """The monthly discharge-delay measures of a month: discharges, % on the discharge ready
    date, the delay bands 0/1/2–3/4–6/7–13/14–20/21+ and bed days lost, per organisation."""
    if format == "csv":
        with read_session() as session:
            return csv_response(returns.discharge_delay_measures(session, month=month, level=level))
    return cached_response(
        returns.discharge_delay_measures, ReturnFile, now_bound=True, month=month, level=level
    )
