"""The REST API under /api/v1: one small router per domain."""

from fastapi import APIRouter

from app.api import admin, auth, capacity, feeds, flow, health, patients, registry, trends

api_router = APIRouter(prefix="/api/v1")
api_router.include_router(health.router)
api_router.include_router(auth.router)
api_router.include_router(admin.router)
api_router.include_router(feeds.router)
api_router.include_router(flow.router)
api_router.include_router(capacity.router)
api_router.include_router(patients.router)
api_router.include_router(trends.router)
api_router.include_router(registry.router)
