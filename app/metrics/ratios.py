"""The one percentage rule of the metrics: a ratio over nothing is no value, not zero."""

from __future__ import annotations


def pct(part: float, whole: float) -> float | None:
    """``part ÷ whole × 100``, or None when ``whole`` is zero."""
    return part / whole * 100 if whole else None
