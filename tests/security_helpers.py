"""Sign a test client in with a role (for the tests of every router and page)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from argon2.profiles import CHEAPEST

from app.core.db import get_sessionmaker
from app.security import passwords, ratelimit
from app.security.accounts import create_user, get_by_username
from app.security.principal import utc_now
from app.security.roles import TOKEN_ROLES, Role
from app.security.tokens import create_api_token

TEST_PASSWORD = "a-long-test-password"


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """argon2 with the cheapest parameters (import this fixture into a test module)."""
    monkeypatch.setattr(passwords, "profile", CHEAPEST)
    ratelimit.reset_all()


def ensure_user(role: Role | str, *, username: str | None = None) -> str:
    """A user of ``role`` (made if missing) whose password is ``TEST_PASSWORD``."""
    role = Role(role)
    name = username or f"test-{role.value}"
    with get_sessionmaker()() as db:
        if get_by_username(db, name) is None:
            create_user(db, username=name, role=role, password=TEST_PASSWORD, now=utc_now())
    return name


def sign_in(client: Any, role: Role | str, *, username: str | None = None) -> str:
    """Sign ``client`` (a Starlette TestClient) in as a user of ``role``; the cookie stays in
    its jar. Returns the username."""
    name = ensure_user(role, username=username)
    ratelimit.reset_all()  # many tests sign in from the same test client address
    response = client.post("/api/v1/auth/login", json={"username": name, "password": TEST_PASSWORD})
    if response.status_code != 200:
        raise AssertionError(f"test sign-in failed: {response.status_code} {response.text}")
    return name


def bearer(role: Role | str, *, name: str | None = None) -> dict[str, str]:
    """An ``Authorization`` header with a new token of ``role`` (feed, wall or analyst)."""
    role = Role(role)
    if role not in TOKEN_ROLES:
        raise ValueError(f"no token may carry the role {role}: use sign_in")
    with get_sessionmaker()() as db:
        _token, plaintext = create_api_token(
            db, name=name or f"test {role.value} {utc_now():%H%M%S%f}", role=role, now=utc_now()
        )
    return {"Authorization": f"Bearer {plaintext}"}


def build_secure_app(*, with_dashboard: bool = False, clock: Any = None) -> Any:
    """``create_app`` with the sign-in and admin routers and ``install_api_security`` applied,
    whether or not ``create_app`` does that itself yet (see docs/security-wiring.md)."""
    from fastapi import APIRouter

    from app.api import admin, auth
    from app.main import create_app
    from app.security.install import install_api_security

    app = create_app(with_dashboard=with_dashboard)
    paths = {getattr(route, "path", None) for route in app.router.routes}
    if "/api/v1/auth/login" not in paths:
        extra = APIRouter(prefix="/api/v1")
        extra.include_router(auth.router)
        extra.include_router(admin.router)
        before = len(app.router.routes)
        app.include_router(extra)
        app.include_router(auth.pages_router)
        added = app.router.routes[before:]
        del app.router.routes[before:]
        app.router.routes[0:0] = added  # ahead of the /api/{path} catch-all
    if getattr(app.state, "session_policy", None) is None:
        dash_app = None
        if with_dashboard:
            import dash

            dash_app = dash.get_app()
        install_api_security(app, dash_app=dash_app, clock=clock)
    elif clock is not None:
        app.state.security_clock = clock
    return app


class FakeClock:
    """A clock tests move on by hand (``app.state.security_clock``)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now
