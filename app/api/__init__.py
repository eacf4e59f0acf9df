"""The REST API under /api/v1: one small router per domain."""

from fastapi import APIRouter

from app.api import (
    actions,
    admin,
    auth,
    capacity,
    feeds,
    flow,
    forecast,
    health,
    hicm,
    patients,
    registry,
    returns,
    trends,
)
from app.api.meetings import router as meetings_router

api_router = APIRouter(prefix="/api/v1")
# The prefixes do not overlap, so the order only decides how many routes a request is
# matched against before its own: the reads that walls and dashboards repeat come first.
api_router.include_router(health.router)
api_router.include_router(flow.router)
api_router.include_router(capacity.router)
api_router.include_router(trends.router)
api_router.include_router(forecast.router)
api_router.include_router(patients.router)
api_router.include_router(registry.router)
api_router.include_router(returns.router)
api_router.include_router(feeds.router)
api_router.include_router(auth.router)
api_router.include_router(admin.router)
api_router.include_router(actions.router)
api_router.include_router(meetings_router)
api_router.include_router(hicm.router)
