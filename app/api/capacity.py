"""Capacity out of hospital: care homes, home care, and the gaps by pathway and council."""

from __future__ import annotations

from fastapi import APIRouter, Response

from app.api.metrics_params import At, Council, MetricsRoute, cached_response
from app.metrics import capacity
from app.metrics.schemas import CapacityGaps, CareHomeCapacity, DomiciliaryCapacity

router = APIRouter(prefix="/capacity", tags=["capacity"], route_class=MetricsRoute)


@router.get("/care-homes", response_model=CareHomeCapacity, operation_id="capacity_care_homes")
def care_homes(at: At = None, local_authority: Council = None) -> Response:
    """Care-home beds from each home's latest snapshot, by care type and council."""
    return cached_response(
        capacity.care_homes,
        CareHomeCapacity,
        now_bound=at is None,
        at=at,
        local_authority=local_authority,
    )


@router.get("/domiciliary", response_model=DomiciliaryCapacity, operation_id="capacity_domiciliary")
def domiciliary(at: At = None, local_authority: Council = None) -> Response:
    """Home-care hours and packages from each provider's latest snapshot, by council."""
    return cached_response(
        capacity.domiciliary,
        DomiciliaryCapacity,
        now_bound=at is None,
        at=at,
        local_authority=local_authority,
    )


@router.get("/gaps", response_model=CapacityGaps, operation_id="capacity_gaps")
def gaps(at: At = None) -> Response:
    """Patients waiting on pathways 1–3 against the capacity to meet them, by council."""
    return cached_response(capacity.gaps, CapacityGaps, now_bound=at is None, at=at)
