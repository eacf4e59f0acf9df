"""Signing the harness in: the API refuses anonymous reads, so the harness makes its own
coordinator account in each store it measures (demo mode; never a production store)."""

from __future__ import annotations

import os
import time
from typing import Any

USERNAME = "bench-coordinator"
PASSWORD = "bench-coordinator-password-not-secret"
LOGIN = "/api/v1/auth/login"


def ensure_user(url: str) -> str | None:
    """Make the harness's coordinator in the store at ``url``; None when done, else why not."""
    os.environ["HOMEWARD_DATABASE_URL"] = url
    try:
        from app.core.db import get_sessionmaker, reset_caches
        from app.security.accounts import create_user, get_by_username
        from app.security.principal import utc_now
        from app.security.roles import Role
    except ImportError as exc:  # no security layer: nothing to sign in to
        return f"no security layer ({exc})"
    reset_caches()
    try:
        with get_sessionmaker()() as db:
            if get_by_username(db, USERNAME) is None:
                create_user(
                    db, username=USERNAME, role=Role.COORDINATOR, password=PASSWORD, now=utc_now()
                )
                db.commit()
    finally:
        reset_caches()
    return None


def sign_in(client: Any) -> None:
    """Sign a TestClient or an httpx client in (its cookie jar keeps the session).

    The harness signs in several times a minute (a client per store and measure) and the
    sign-in route is rate limited per process: a 429 is waited out (its ``Retry-After``)
    and tried again, before any timing starts."""
    for _ in range(10):
        response = client.post(LOGIN, json={"username": USERNAME, "password": PASSWORD})
        if response.status_code != 429:
            break
        time.sleep(float(response.headers.get("retry-after", "5")) + 0.5)
    if response.status_code == 404:
        return  # no sign-in route: the API is open
    if response.status_code != 200:
        raise RuntimeError(f"the harness could not sign in: {response.status_code} {response.text}")


WALL_USERNAME = "bench-wall"


def ensure_wall_and_feed(url: str) -> str:
    """Make the harness's wall account (``WALL_USERNAME``, ``PASSWORD``) in the store at
    ``url`` and a new feed token; returns the token (demo mode; never a production store)."""
    os.environ["HOMEWARD_DATABASE_URL"] = url
    from app.core.db import get_sessionmaker, reset_caches
    from app.security.accounts import create_user, get_by_username
    from app.security.principal import utc_now
    from app.security.roles import Role
    from app.security.tokens import create_api_token

    reset_caches()
    try:
        with get_sessionmaker()() as db:
            if get_by_username(db, WALL_USERNAME) is None:
                create_user(
                    db, username=WALL_USERNAME, role=Role.WALL, password=PASSWORD, now=utc_now()
                )
            _token, plaintext = create_api_token(
                db, name=f"bench feed {time.time():.0f}", role=Role.FEED, now=utc_now()
            )
            db.commit()
    finally:
        reset_caches()
    return str(plaintext)
