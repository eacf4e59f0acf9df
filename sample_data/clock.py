"""Simulation time: whole seconds since the Unix epoch (UTC); days are Europe/London days.

Dates are kept as proleptic ordinals (``date.toordinal()``) so day arithmetic is integer
arithmetic; conversions to and from wall-clock time go through ``zoneinfo`` once and are cached.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time
from functools import lru_cache
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
MINUTE = 60
HOUR = 3600
DAY = 86_400


def to_epoch(moment: datetime) -> int:
    """Whole seconds since the epoch; a naive datetime is Europe/London local (DESIGN.md §3)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=LONDON)
    return math.floor(moment.timestamp())


def to_utc(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


@lru_cache(maxsize=65_536)
def _utc_offset(hour: int) -> int:
    """Europe/London's offset from UTC in the hour starting ``hour * 3600`` (clocks change
    on the hour, so one lookup per hour is exact)."""
    offset = datetime.fromtimestamp(hour * HOUR, LONDON).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def local_date(t: int) -> int:
    """The Europe/London calendar day (ordinal) of an instant."""
    return (t + _utc_offset(t // HOUR)) // DAY + _EPOCH_ORDINAL


@lru_cache(maxsize=16_384)
def local_time(day: int, minute_of_day: int) -> int:
    """The instant of a Europe/London wall-clock time on a day (ordinal)."""
    wall = datetime.combine(date.fromordinal(day), time(minute_of_day // 60, minute_of_day % 60))
    return math.floor(wall.replace(tzinfo=LONDON).timestamp())


def midnight(day: int) -> int:
    return local_time(day, 0)


def iso(t: int) -> str:
    """ISO 8601 with the Europe/London offset, e.g. ``2026-07-01T08:00:00+01:00``."""
    offset = _utc_offset(t // HOUR)
    local = t + offset
    second = local % DAY
    return (
        f"{iso_date(local // DAY + _EPOCH_ORDINAL)}T{second // HOUR:02d}:"
        f"{second // MINUTE % 60:02d}:{second % MINUTE:02d}{_offset_text(offset)}"
    )


@lru_cache(maxsize=8)
def _offset_text(offset: int) -> str:
    sign = "-" if offset < 0 else "+"
    return f"{sign}{abs(offset) // HOUR:02d}:{abs(offset) // MINUTE % 60:02d}"


@lru_cache(maxsize=16_384)
def iso_date(day: int) -> str:
    return date.fromordinal(day).isoformat()


def weekday(day: int) -> int:
    """Monday 0 … Sunday 6 (ordinal 1, 0001-01-01, was a Monday)."""
    return (day - 1) % 7


@lru_cache(maxsize=16_384)
def winter(day: int) -> float:
    """Winter pressure 0 (late July) … 1 (late January), a smooth yearly cycle."""
    day_of_year = date.fromordinal(day).timetuple().tm_yday
    return 0.5 + 0.5 * math.cos(2 * math.pi * (day_of_year - 20) / 365.25)


def file_stamp(t: int) -> str:
    """UTC stamp for file names: ``YYYYMMDDTHHMMZ`` (seconds appended only when not zero)."""
    moment = to_utc(t)
    if moment.second:
        return moment.strftime("%Y%m%dT%H%M%SZ")
    return moment.strftime("%Y%m%dT%H%MZ")


def parse_hhmm(value: str) -> int:
    """Minutes after midnight of an ``HH:MM`` string."""
    hours, _, minutes = value.partition(":")
    result = int(hours) * 60 + int(minutes or 0)
    if not 0 <= result < 24 * 60:
        raise ValueError(f"not a time of day (HH:MM): {value!r}")
    return result
