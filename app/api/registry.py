"""The metric registry: what each measure is, its unit and which way is better."""

from __future__ import annotations

from fastapi import APIRouter

from app.api.metrics_params import MetricsRoute
from app.metrics.registry import metric_list
from app.metrics.schemas import MetricInfo

router = APIRouter(tags=["metrics"], route_class=MetricsRoute)


@router.get("/metrics", response_model=list[MetricInfo], operation_id="metrics_list")
def metrics() -> list[MetricInfo]:
    """Every metric: slug, label, unit, improvement direction, definition and target."""
    return metric_list()
