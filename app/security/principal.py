"""Who is asking: a person signed in with a session, or a machine with a bearer token."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from app.domain.scopes import SYSTEM, Scope
from app.security.roles import Role


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    name: str  # a username, or "token:<name>" for a bearer token or a kiosk
    role: Role
    via: Literal["session", "bearer"]
    user_id: int | None = None
    token_id: int | None = None
    session_id: int | None = None
    session_expires_at: datetime | None = None  # the absolute limit of a session
    scope: Scope = SYSTEM  # whose patients a coordinator sees (aggregates are never scoped)

    @property
    def is_person(self) -> bool:
        return self.user_id is not None


def utc_now() -> datetime:
    return datetime.now(UTC)


# The principal of the request being served, for code that is not a FastAPI route (the Dash
# pages call the metrics in callbacks): set by app.security.access for each request.
_current: ContextVar[Principal | None] = ContextVar("homeward_principal", default=None)


def current_principal_or_none() -> Principal | None:
    """The principal of the request being served (None outside a request or when anonymous)."""
    return _current.get()
