"""Capacity out of hospital: care homes, home care, and the gaps by pathway and council."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.deps import SessionDep
from app.api.metrics_params import At, Council, MetricsRoute
from app.metrics import capacity
from app.metrics.schemas import CapacityGaps, CareHomeCapacity, DomiciliaryCapacity

router = APIRouter(prefix="/capacity", tags=["capacity"], route_class=MetricsRoute)


@router.get("/care-homes", response_model=CareHomeCapacity, operation_id="capacity_care_homes")
def care_homes(
    session: SessionDep, at: At = None, local_authority: Council = None
) -> CareHomeCapacity:
    """Care-home beds from each home's latest snapshot, by care type and council."""
    return capacity.care_homes(session, at=at, local_authority=local_authority)


@router.get("/domiciliary", response_model=DomiciliaryCapacity, operation_id="capacity_domiciliary")
def domiciliary(
    session: SessionDep, at: At = None, local_authority: Council = None
) -> DomiciliaryCapacity:
    """Home-care hours and packages from each provider's latest snapshot, by council."""
    return capacity.domiciliary(session, at=at, local_authority=local_authority)


@router.get("/gaps", response_model=CapacityGaps, operation_id="capacity_gaps")
def gaps(session: SessionDep, at: At = None) -> CapacityGaps:
    """Patients waiting on pathways 1–3 against the capacity to meet them, by council."""
    return capacity.gaps(session, at=at)
