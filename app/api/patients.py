"""Patient level: the delayed patients in hospital and a spell's journey (coordinators).

Each answer is limited to the caller's scope (a council's residents, a trust's or some sites'
patients, or the whole system), which the audit row records beside the filters.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from app.api.deps import read_session
from app.api.metrics_params import At, Council, MetricsRoute, SiteCode, json_response
from app.api.security_deps import PatientAuditDep
from app.domain.scopes import Scope
from app.metrics import discharge_asks, patient_level
from app.metrics.cache import cached_json
from app.metrics.errors import NotFound
from app.metrics.schemas import DelayedPatients, InternalDelays, Journey

router = APIRouter(prefix="/patients", tags=["patients"], route_class=MetricsRoute)


@router.get("/delayed", response_model=DelayedPatients, operation_id="patients_delayed")
def delayed(
    record: PatientAuditDep,
    at: At = None,
    site: SiteCode = None,
    ward: Annotated[str | None, Query(description="a ward code", max_length=32)] = None,
    pathway: Annotated[int | None, Query(ge=0, le=3, description="discharge pathway")] = None,
    reason: Annotated[str | None, Query(description="a delay reason code", max_length=32)] = None,
    local_authority: Council = None,
    agency: Annotated[
        Literal["nhs", "social_care", "both"] | None,
        Query(description="the agency responsible for the delay"),
    ] = None,
    min_days: Annotated[int | None, Query(ge=0, description="at least this many days")] = None,
    internal_over_48h: Annotated[
        bool, Query(description="only internal delays over 48 hours (DESIGN §4.11)")
    ] = False,
) -> Response:
    """Every patient in hospital with no criteria to reside, longest past their DRD first."""
    filters = {
        "at": at,
        "site": site,
        "ward": ward,
        "pathway": pathway,
        "reason": reason,
        "local_authority": local_authority,
        "agency": agency,
        "min_days": min_days,
        "internal_over_48h": True if internal_over_48h else None,  # audited only when asked
    }
    scope = record.principal.scope
    # The computation may come from the metrics cache; the read is audited every time.
    with read_session() as session:
        body, count = cached_json(
            session,
            patient_level.delayed,
            DelayedPatients,
            now_bound=at is None,
            keep=lambda result: result.count,
            scope=scope,
            **filters,
        )
    record("patients.delayed", filters, patients=count)  # the audit adds the scope
    return json_response(body)


@router.get(
    "/internal-delays", response_model=InternalDelays, operation_id="patients_internal_delays"
)
def internal_delays(
    record: PatientAuditDep,
    at: At = None,
    site: SiteCode = None,
    ward: Annotated[str | None, Query(description="a ward code", max_length=32)] = None,
    local_authority: Council = None,
    agency: Annotated[
        Literal["nhs", "social_care", "both"] | None,
        Query(description="the agency responsible for the delay"),
    ] = None,
) -> Response:
    """Every patient in hospital whose delay has been internal for more than 48 hours, with the
    reason in force, the internal delayed days and who must act; longest internal run first."""
    filters = {
        "at": at,
        "site": site,
        "ward": ward,
        "local_authority": local_authority,
        "agency": agency,
    }
    scope = record.principal.scope
    with read_session() as session:
        body, count = cached_json(
            session,
            discharge_asks.internal_delays,
            InternalDelays,
            now_bound=at is None,
            keep=lambda result: result.count,
            scope=scope,
            **filters,
        )
    record("patients.internal_delays", filters, patients=count)  # the audit adds the scope
    return json_response(body)


@router.get("/{spell_id}/journey", response_model=Journey, operation_id="patients_journey")
def journey(record: PatientAuditDep, spell_id: Annotated[str, Path(max_length=64)]) -> Response:
    """A spell's events in time order, with each day's red or green status (404 outside the
    caller's scope, as for a spell that does not exist)."""
    scope = record.principal.scope
    filters = {"spell_id": spell_id}  # the audit adds the scope
    try:
        with read_session() as session:
            body, _result = cached_json(
                session, _journey, Journey, now_bound=False, spell_id=spell_id, scope=scope
            )
    except NotFound:
        record("patients.journey", filters, patients=0)  # a look outside the scope is kept
        raise
    record("patients.journey", filters, patients=1)
    return json_response(body)


def _journey(session: Session, *, spell_id: str, scope: Scope) -> Journey:
    return patient_level.journey(session, spell_id, scope=scope)
