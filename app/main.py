"""The one process: FastAPI (API under /api/v1) with the Dash pages on the same server."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import InterfaceError, OperationalError

from app.api import api_router
from app.core.config import get_settings

log = logging.getLogger("homeward")


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    settings = get_settings()
    scheduler = None
    if settings.run_scheduler:
        from app.demo import simulator_jobs
        from app.outbox import outbox_jobs
        from app.triggers.jobs import trigger_jobs
        from ingest.scheduler import start_embedded_scheduler

        jobs = [*simulator_jobs(settings), *outbox_jobs(settings), *trigger_jobs(settings)]
        scheduler = start_embedded_scheduler(settings, jobs)
    try:
        yield
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def create_app(*, with_dashboard: bool = True) -> FastAPI:
    """Build the FastAPI application, with the Dash pages mounted unless told not to."""
    settings = get_settings()
    docs = settings.enable_docs
    app = FastAPI(
        title="Homeward",
        version="0.1.0",
        description="Discharge flow metrics for a health and care system: one version of the "
        "truth for hospitals, councils, care homes and home-care providers.",
        lifespan=lifespan,
        docs_url=None,  # app.api.docs serves /api/docs with Swagger UI from this server
        redoc_url=None,
        openapi_url="/api/v1/openapi.json" if docs else None,
    )
    app.include_router(api_router)
    if docs:
        from app.api.docs import install_docs

        install_docs(app, production=settings.environment == "production")
    from app.api.auth import pages_router

    app.include_router(pages_router)  # GET /login, ahead of Dash's catch-all

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database_down(_request: Request, exc: Exception) -> JSONResponse:
        log.error("database unavailable: %s", type(exc).__name__)
        return JSONResponse(
            status_code=503,
            content={"detail": "The database is unavailable; try again shortly."},
            headers={"Retry-After": "30"},
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "parameter": ".".join(str(p) for p in e.get("loc", ())[1:]) or None,
                "location": (e.get("loc") or ("",))[0],
                "message": e.get("msg"),
            }
            for e in exc.errors()
        ]
        message = "; ".join(f"{e['parameter']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": message, "errors": errors})

    @app.api_route(
        "/api/{path:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def _api_not_found(path: str) -> JSONResponse:
        return JSONResponse(status_code=404, content={"detail": f"No API endpoint /api/{path}"})

    dash_app = None
    if with_dashboard:
        from dashboards.app import create_dash

        dash_app = create_dash(app)
    from app.security import install_api_security

    install_api_security(app, dash_app=dash_app)  # last: it wraps everything above
    return app
