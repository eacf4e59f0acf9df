"""The OpenAPI pages, served from this server (no CDN: hospital networks have no internet).

Swagger UI's script and style are vendored under ``app/api/static/swagger-ui/`` (the
``swagger-ui-dist`` npm package; its version and licence are in that folder's README). ReDoc
is off. The OpenAPI document names how a caller authenticates, so "Authorize" accepts a
token: a bearer token (feed, wall or analyst API tokens) or the browser's session cookie.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from app.security.roles import API_RULES
from app.security.sessions import DEMO_COOKIE, PRODUCTION_COOKIE

DOCS_PATH = "/api/docs"
OPENAPI_PATH = "/api/v1/openapi.json"
STATIC_PATH = "/api/docs/static"
STATIC_DIR = Path(__file__).resolve().parent / "static" / "swagger-ui"
BEARER = "bearerToken"
COOKIE = "sessionCookie"


def security_schemes(*, production: bool) -> dict[str, Any]:
    """The two ways to call the API: a bearer token, or the session cookie of a sign-in."""
    return {
        BEARER: {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token (`homeward tokens create NAME --role feed`), sent as "
            "`Authorization: Bearer <token>`. Feed clients post batches and read their own "
            "runs; wall and analyst tokens read aggregates.",
        },
        COOKIE: {
            "type": "apiKey",
            "in": "cookie",
            "name": PRODUCTION_COOKIE if production else DEMO_COOKIE,
            "description": "The session cookie set by `POST /api/v1/auth/login` (a browser "
            "signed in to the pages sends it by itself).",
        },
    }


def _is_public(method: str, path: str) -> bool:
    """Whether the access rules let anyone call this operation (the first matching rule)."""
    for rule in API_RULES:
        if rule.matches(method.upper(), path):
            return rule.roles is None
    return False


def with_security(schema: dict[str, Any], *, production: bool) -> dict[str, Any]:
    """``schema`` with the security schemes, required by every operation but the public ones."""
    schema.setdefault("components", {})["securitySchemes"] = security_schemes(production=production)
    schema["security"] = [{BEARER: []}, {COOKIE: []}]
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if isinstance(operation, dict) and _is_public(method, path):
                operation["security"] = []  # sign-in, health: no credentials needed
    return schema


def install_docs(app: FastAPI, *, production: bool) -> None:
    """Serve ``/api/docs`` (Swagger UI from this server) and add the security schemes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:  # FastAPI's own document, once, with the schemes added
            app.openapi_schema = with_security(FastAPI.openapi(app), production=production)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="swagger-ui")

    @app.get(DOCS_PATH, include_in_schema=False)
    def swagger_ui() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_PATH,
            title=f"{app.title} API",
            swagger_js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            swagger_css_url=f"{STATIC_PATH}/swagger-ui.css",
            swagger_favicon_url=f"{STATIC_PATH}/favicon-32x32.png",
            oauth2_redirect_url=None,
            swagger_ui_parameters={"persistAuthorization": False, "tryItOutEnabled": False},
        )
