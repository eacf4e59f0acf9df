"""Liveness and database status."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.core.db import get_engine

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
    engine = get_engine()
    now = datetime.now(UTC)
    try:
        with engine.connect() as conn:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError as exc:
        body = Health(
            status="degraded",
            database=f"unavailable: {type(exc).__name__}",
            database_backend=engine.dialect.name,
            schema_revision=None,
            checked_at=now,
        )
        return JSONResponse(status_code=503, content=body.model_dump(mode="json"))
    return Health(
        status="ok",
        database="ok",
        database_backend=engine.dialect.name,
        schema_revision=revision,
        checked_at=now,
    )
