"""The High Impact Change Model tied to the data: each change's evidence, its self-assessed
maturity history and the actions raised against it; recording a self-assessment.

Everyone who reads aggregates reads it (the wall included: it holds no patient identifiers);
analysts and coordinators record assessments. Routes are plain ``def``: they run in a worker
thread."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError

from app.api.deps import SessionDep
from app.api.metrics_params import MetricsRoute
from app.api.security_deps import get_clock, require_roles
from app.domain.days import local_date
from app.hicm import service, store
from app.hicm.schemas import AssessmentCreate, AssessmentList, AssessmentOut
from app.security.principal import Principal
from app.security.roles import AGGREGATES, HICM_WRITERS

router = APIRouter(prefix="/hicm", tags=["hicm"], route_class=MetricsRoute)
#: the days the evidence may end on: the feeds' plausible dates (DESIGN §3)
EARLIEST, LATEST = date(1990, 1, 1), date(2999, 12, 31)

ReaderDep = Annotated[Principal, Depends(require_roles(*AGGREGATES))]
WriterDep = Annotated[Principal, Depends(require_roles(*HICM_WRITERS))]
EndQuery = Annotated[
    date | None,
    Query(
        ge=EARLIEST,
        le=LATEST,
        description="the evidence's latest week is the one ending on the Sunday on or before "
        "this day (YYYY-MM-DD); default: the last complete week",
    ),
]


@router.get("", response_model=service.HicmOverview, operation_id="hicm_overview")
def read_overview(
    request: Request, db: SessionDep, _who: ReaderDep, end: EndQuery = None
) -> service.HicmOverview:
    """All nine changes, each with its measures' latest weekly values and SPC icons, its
    self-assessed maturity history and the actions raised against it."""
    return service.overview(db, end=end, today=local_date(get_clock(request)()))


@router.get("/assessments", response_model=AssessmentList, operation_id="hicm_assessments")
def list_assessments(
    db: SessionDep,
    _who: ReaderDep,
    change: Annotated[int | None, Query(ge=1, le=9, description="one change only")] = None,
    limit: Annotated[int, Query(ge=1, le=store.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AssessmentList:
    """The self-assessments, newest first, each with the evidence shown when it was made."""
    return store.list_assessments(db, change=change, limit=limit, offset=offset)


@router.post(
    "/assessments",
    response_model=AssessmentOut,
    status_code=201,
    operation_id="hicm_record_assessment",
    responses={422: {"description": "a field cannot be stored (the reason says why)"}},
)
def create_assessment(
    body: AssessmentCreate,
    request: Request,
    db: SessionDep,
    who: WriterDep,
    end: EndQuery = None,
) -> AssessmentOut:
    """Record a self-assessment of one change (level 1–5, who assessed it, notes); the evidence
    Homeward shows for the change now is kept with it."""
    try:
        return service.record(
            db,
            body,
            recorded_by=who.name,
            recorded_role=who.role.value,
            now=get_clock(request)(),
            end=end,
        )
    except store.AssessmentRefused as exc:
        raise RequestValidationError(
            [
                {"loc": ("body", field), "msg": message, "type": "value_error"}
                for field, message in exc.problems
            ]
        ) from None
