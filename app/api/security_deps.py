"""FastAPI dependencies: who is calling, may they, and the audit of a patient-level read.

The middleware (``app.security.access``) has already resolved the principal and applied the
role table; these dependencies give routes the principal, check a route's roles again where a
route wants to say so itself, and let a patient-level route record its read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from app.security import audit
from app.security.access import AUDITED_FLAG, PRINCIPAL_KEY, resolve_credentials
from app.security.principal import Principal, utc_now
from app.security.ratelimit import EXPORTS
from app.security.roles import Role
from app.security.sessions import SessionPolicy


def get_clock(request: Request) -> Callable[[], datetime]:
    """The application's clock (tests inject one to move time on)."""
    clock: Callable[[], datetime] = getattr(request.app.state, "security_clock", utc_now)
    return clock


def get_policy(request: Request) -> SessionPolicy:
    policy = getattr(request.app.state, "session_policy", None)
    if policy is None:
        from app.core.config import get_settings

        policy = SessionPolicy.from_settings(get_settings())
    return policy


def optional_principal(request: Request) -> Principal | None:
    """The caller, or None when anonymous (resolved here if no middleware did it)."""
    state = request.scope.setdefault("state", {})
    if PRINCIPAL_KEY not in state:
        headers = {k.lower(): v for k, v in request.headers.items()}
        resolution = resolve_credentials(
            headers, now=get_clock(request)(), policy=get_policy(request)
        )
        state[PRINCIPAL_KEY] = resolution.principal
    principal: Principal | None = state[PRINCIPAL_KEY]
    return principal


def current_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
) -> Principal:
    """The caller; 401 when anonymous."""
    if principal is None:
        raise HTTPException(
            status_code=401,
            detail="sign in first (a session cookie or an Authorization: Bearer token)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
OptionalPrincipalDep = Annotated[Principal | None, Depends(optional_principal)]


def require_roles(*roles: Role | str) -> Callable[[Principal], Principal]:
    """A dependency that lets only ``roles`` through (401 anonymous, 403 another role)."""
    wanted = frozenset(Role(role) for role in roles)

    def dependency(principal: PrincipalDep) -> Principal:
        if principal.role not in wanted:
            raise HTTPException(
                status_code=403,
                detail=f"the role {principal.role.value} may not do this; it needs "
                + " or ".join(sorted(r.value for r in wanted)),
            )
        return principal

    return dependency


class PatientAudit:
    """Records a route's patient-level read; call it after fetching, before returning."""

    def __init__(self, request: Request, principal: Principal) -> None:
        self.request = request
        self.principal = principal

    def __call__(self, what: str, filters: dict[str, Any], patients: int | None) -> None:
        from app.core.db import get_engine

        client = self.request.client.host if self.request.client else None
        audit.record_patient_read(
            get_engine(),
            self.principal,
            what,
            filters,
            patients,
            client,
            now=get_clock(self.request)(),
        )
        self.request.scope.setdefault("state", {})[AUDITED_FLAG] = True


def patient_audit(request: Request, principal: PrincipalDep) -> PatientAudit:
    return PatientAudit(request, principal)


PatientAuditDep = Annotated[PatientAudit, Depends(patient_audit)]


def export_rate_limit(principal: PrincipalDep) -> Principal:
    """At most a burst of 10 exports, then 6 a minute, per principal (429 beyond)."""
    EXPORTS.check(principal.name)
    return principal


ExportLimitDep = Annotated[Principal, Depends(export_rate_limit)]
