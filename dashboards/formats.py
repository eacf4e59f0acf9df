"""How numbers, dates and times are written on screen (British English; times in the
configured zone, ``HOMEWARD_TIMEZONE``, Europe/London unless set otherwise)."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

from app.metrics.timebase import zone

MISSING = "–"  # en dash: no value


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: float | None, decimals: int = 0) -> str:
    """``1,234`` / ``12.5``; an en dash when there is no value."""
    if value is None or _missing(value):
        return MISSING
    return f"{value:,.{decimals}f}"


def percent(value: float | None, decimals: int = 1) -> str:
    """A value already in per cent (``92.41`` → ``92.4%``)."""
    if value is None or _missing(value):
        return MISSING
    return f"{value:.{decimals}f}%"


def fraction_percent(value: float | None, decimals: int = 1) -> str:
    """A fraction written as per cent (``0.9241`` → ``92.4%``)."""
    if value is None or _missing(value):
        return MISSING
    return percent(value * 100, decimals)


def signed(value: float | None, decimals: int = 0) -> str:
    """A change with its sign (``+3``, ``−2``, ``0``), minus as a true minus sign."""
    if value is None or _missing(value):
        return MISSING
    if round(value, decimals) == 0:
        return "0"
    text = f"{abs(value):,.{decimals}f}"
    return f"+{text}" if value > 0 else f"−{text}"


def local(moment: datetime) -> datetime:
    """A timestamp in the configured zone (naive ones are taken as UTC, as the store keeps
    them)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone())


def time_of_day(moment: datetime | None) -> str:
    """``09:15``."""
    return MISSING if moment is None else local(moment).strftime("%H:%M")


def date_time(moment: datetime | None) -> str:
    """``09:15 Tue 24 Nov 2026``."""
    if moment is None:
        return MISSING
    at = local(moment)
    return f"{at:%H:%M} {at:%a} {at.day} {at:%b %Y}"


def short_date_time(moment: datetime | None) -> str:
    """``09:15 Tue 24 Nov`` (no year: for the wall, where space is short)."""
    if moment is None:
        return MISSING
    at = local(moment)
    return f"{at:%H:%M} {at:%a} {at.day} {at:%b}"


def day(value: date | datetime | None) -> str:
    """``Tue 24 Nov 2026``."""
    if value is None:
        return MISSING
    if isinstance(value, datetime):
        value = local(value).date()
    return f"{value:%a} {value.day} {value:%b %Y}"


def weekday(value: date | None) -> str:
    """``Tue``."""
    return MISSING if value is None else f"{value:%a}"


def short_day(value: date | None) -> str:
    """``24 Nov``."""
    return MISSING if value is None else f"{value.day} {value:%b}"


def as_of(moment: datetime | None) -> str:
    """``Data as of 09:15 Tue 24 Nov 2026``."""
    return "Data as of: no data yet" if moment is None else f"Data as of {date_time(moment)}"


def age(seconds: float | None) -> str:
    """A duration in words: ``45 min``, ``3 h 10 min``, ``2 days``."""
    if seconds is None or _missing(seconds):
        return MISSING
    minutes = int(seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def pathway(value: int | None) -> str:
    """``P1`` … ``P3``; ``Not set``."""
    return "Not set" if value is None else f"P{value}"


AGENCY_WORDS = {"nhs": "NHS", "social_care": "Social care", "both": "Both (NHS and social care)"}


def agency(value: str | None) -> str:
    return MISSING if not value else AGENCY_WORDS.get(value, value)
