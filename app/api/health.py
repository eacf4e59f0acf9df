"""Liveness and database status."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from app.core.health import database_status

router = APIRouter(tags=["health"])


class Health(BaseModel):
    status: str
    database: str
    database_backend: str
    schema_revision: str | None
    checked_at: datetime


@router.get("/health", response_model=Health, operation_id="health")
def health() -> JSONResponse | Health:
    """Whether the service is up and the database answers (503 when it does not)."""
    now = datetime.now(UTC)
    status = database_status()
    if status.error is not None:
        body = Health(
            status="degraded",
            database=f"unavailable: {status.error}",
            database_backend=status.backend,
            schema_revision=None,
            checked_at=now,
        )
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    return Health(
        status="ok",
        database="ok",
        database_backend=status.backend,
        schema_revision=status.revision,
        checked_at=now,
    )
