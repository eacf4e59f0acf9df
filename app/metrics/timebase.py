"""Days and weeks as the metrics ask for them: ``at`` resolved to an instant, the ranges a
request may ask for, the weeks of a trend. Day boundaries themselves are the domain's
(:mod:`app.domain.days`) and are re-exported here for the metrics modules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.domain.days import (
    day_end,
    day_start,
    days,
    days_between,
    local_date,
    local_instant,
    local_instant_case,
    local_instants,
    now_utc,
    sunday_on_or_before,
    zone,
)
from app.metrics.errors import InvalidParameter

__all__ = [
    "MAX_RANGE_DAYS",
    "check_range",
    "day_end",
    "day_start",
    "days",
    "days_between",
    "local_date",
    "local_instant",
    "local_instant_case",
    "local_instants",
    "now_utc",
    "resolve_at",
    "sunday_on_or_before",
    "week_ends",
    "yesterday",
    "zone",
]

MAX_RANGE_DAYS = 5 * 366  # "a range over 5 years" is refused


def resolve_at(at: datetime | None) -> datetime:
    """``at`` as an aware UTC instant; None is now, a naive value is local (Europe/London) time."""
    if at is None:
        return now_utc()
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone())
    return at.astimezone(UTC)


def yesterday(at: datetime | None = None) -> date:
    return local_date(resolve_at(at)) - timedelta(days=1)


def check_range(start: date, end: date) -> None:
    """Refuse ``start`` after ``end`` and a range over five years."""
    if start > end:
        raise InvalidParameter("start", f"{start} is after end {end}")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidParameter("end", f"the range {start} to {end} is longer than 5 years")


def week_ends(weeks: int, end: date) -> list[date]:
    """The Sundays ending the ``weeks`` weeks up to ``end``, oldest first."""
    last = sunday_on_or_before(end)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]
