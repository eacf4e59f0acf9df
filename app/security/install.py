"""``install_api_security(app)``: the gate, the headers, CORS (only if configured) and the
error answers, on the one FastAPI application."""

from __future__ import annotations

import logging
import secrets
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response

from app.core.config import get_settings
from app.security import pages
from app.security.access import AccessControlMiddleware, Clock
from app.security.audit import AuditUnavailable
from app.security.headers import SecurityHeadersMiddleware, error_payload
from app.security.principal import utc_now
from app.security.proxies import TrustedProxyMiddleware
from app.security.ratelimit import RateLimited
from app.security.sessions import SessionPolicy

log = logging.getLogger("homeward.errors")


def install_api_security(app: FastAPI, *, dash_app: Any = None, clock: Clock | None = None) -> None:
    """Apply access control (app.security.roles), security headers and error handling.

    Call it last in ``create_app``, after the routers and the Dash pages are added, with the
    Dash app ``create_dash`` returned (its callbacks are checked per page). ``clock`` is for
    tests (session timeouts); they may also replace ``app.state.security_clock`` later.
    """
    settings = get_settings()
    policy = SessionPolicy.from_settings(settings)
    app.state.security_clock = clock or utc_now
    app.state.session_policy = policy
    # Starlette wraps middleware added later around middleware added earlier: the gate is
    # innermost, then CORS (a preflight carries no credentials), then the headers, outermost,
    # so that refusals and errors carry them too.
    app.add_middleware(
        AccessControlMiddleware,
        policy=policy,
        clock=lambda: app.state.security_clock(),  # read per request: tests move time on
        dash_app=dash_app,
        allowed_origins=settings.cors_origins,
    )
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET"],
            allow_headers=["Authorization"],
            allow_credentials=False,
        )
    app.add_middleware(
        SecurityHeadersMiddleware,
        production=settings.environment == "production",
        script_hashes=(lambda: dash_app.csp_hashes()) if dash_app is not None else (lambda: ()),
    )
    # Outermost of all: every layer inside sees the client a trusted proxy forwarded for.
    app.add_middleware(TrustedProxyMiddleware, networks=settings.trusted_proxy_networks())
    app.add_exception_handler(AuditUnavailable, _audit_unavailable)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(Exception, _unexpected)


async def _audit_unavailable(_request: Request, _exc: Exception) -> JSONResponse:
    return JSONResponse(
        status_code=503,
        content={"detail": "audit unavailable, nothing shown"},
        headers={"Retry-After": "30", "Cache-Control": "no-store"},
    )


async def _rate_limited(request: Request, exc: Exception) -> Response:
    """429 with ``Retry-After``: a page for a browser (the sign-in form), JSON for the API."""
    assert isinstance(exc, RateLimited)
    headers = {"Retry-After": str(exc.retry_after), "Cache-Control": "no-store"}
    if pages.wants_html(request.headers.get("accept", "")):
        body = pages.rate_limited_page(exc.retry_after, exc.what)
        return HTMLResponse(body, status_code=429, headers=headers)
    return JSONResponse(status_code=429, content={"detail": str(exc)}, headers=headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    """A backstop (SecurityHeadersMiddleware answers first): a generic 500 with an error id."""
    error_id = secrets.token_hex(6)
    log.error(
        "unhandled error %s on %s %s", error_id, request.method, request.url.path, exc_info=exc
    )
    return JSONResponse(status_code=500, content=error_payload(error_id))
