"""Words about each measure, taken from the metric registry and the escalation settings.

The pages never write their own definitions: labels, units, directions and targets come from
``app.metrics.registry``; the escalation parameters from ``app.metrics.escalation``.
"""

from __future__ import annotations

from app.metrics import registry
from app.metrics.schemas import MetricInfo

ESCALATION_ANCHOR = "escalation_level"
FRESHNESS_ANCHOR = "feed_freshness"


def metric(slug: str) -> MetricInfo | None:
    """The registry entry of a slug, or None."""
    found = registry.METRICS.get(slug)
    return found.info() if found else None


def all_metrics() -> list[MetricInfo]:
    return registry.metric_list()


def direction_words(info: MetricInfo) -> str:
    return {
        "decrease": "Lower is better.",
        "increase": "Higher is better.",
        "neutral": "Neither higher nor lower is better in itself.",
    }[info.direction]


def target_words(info: MetricInfo) -> str | None:
    if info.target is None:
        return None
    unit = info.unit if info.unit == "%" else f" {info.unit}"
    comparison = "at most" if info.direction == "decrease" else "at least"
    return f"Target: {comparison} {info.target:g}{unit}."


def good_words(slug: str) -> str | None:
    """What good looks like, for a tile: the direction and any target."""
    info = metric(slug)
    if info is None:
        return None
    target = target_words(info)
    return direction_words(info) + (f" {target}" if target else "")
