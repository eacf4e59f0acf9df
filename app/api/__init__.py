"""The REST API under /api/v1: one small router per domain."""

from fastapi import APIRouter

from app.api import feeds, health

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(health.router)
api_router.include_router(feeds.router)
