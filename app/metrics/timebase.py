"""Europe/London days and weeks, and the dialect-aware day helpers: the one place metrics
turn instants into days (DESIGN.md §4: day boundaries are Europe/London calendar days).

The store keeps instants as naive UTC and days as dates. Rather than converting a UTC column
to a local day inside SQL (which SQLite cannot do), metrics turn each local day into the UTC
instant it starts at, here, and compare columns with those instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Integer, case, column, literal, values
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from app.config import get_settings
from app.metrics.errors import InvalidParameter
from models.base import UTCDateTime

MAX_RANGE_DAYS = 5 * 366  # "a range over 5 years" is refused
#: a discharge before 17:01 local time counts as "by 17:00" (the sitrep splits 17:00 | 17:01–23:59)
DISCHARGE_CUTOFF = time(17, 1)


def zone() -> ZoneInfo:
    """The system's time zone (Europe/London unless configured otherwise)."""
    return get_settings().tz


def now_utc() -> datetime:
    return datetime.now(UTC)


def resolve_at(at: datetime | None) -> datetime:
    """``at`` as an aware UTC instant; None is now, a naive value is local (Europe/London) time."""
    if at is None:
        return now_utc()
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone())
    return at.astimezone(UTC)


def local_date(at: datetime) -> date:
    """The Europe/London calendar day of an aware instant."""
    return at.astimezone(zone()).date()


def local_instant(day: date, at_time: time = time.min) -> datetime:
    """The aware UTC instant of a local wall-clock time on ``day``."""
    return datetime.combine(day, at_time, tzinfo=zone()).astimezone(UTC)


def day_start(day: date) -> datetime:
    """The UTC instant a local day starts (its midnight)."""
    return local_instant(day)


def day_end(day: date) -> datetime:
    """The UTC instant a local day ends (exclusive: the next day's midnight)."""
    return local_instant(day + timedelta(days=1))


def yesterday(at: datetime | None = None) -> date:
    return local_date(resolve_at(at)) - timedelta(days=1)


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def check_range(start: date, end: date) -> None:
    """Refuse ``start`` after ``end`` and a range over five years."""
    if start > end:
        raise InvalidParameter("start", f"{start} is after end {end}")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise InvalidParameter("end", f"the range {start} to {end} is longer than 5 years")


def sunday_on_or_before(day: date) -> date:
    """The Sunday that ends the last complete week at ``day`` (``day`` itself if a Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def week_ends(weeks: int, end: date) -> list[date]:
    """The Sundays ending the ``weeks`` weeks up to ``end``, oldest first."""
    last = sunday_on_or_before(end)
    return [last - timedelta(weeks=weeks - 1 - i) for i in range(weeks)]


def local_instant_case(
    day_column: Any, day_values: Iterable[date], *, at_time: time = time.min, shift_days: int = 0
) -> Any:
    """SQL: for each given day in ``day_column``, the UTC instant of ``at_time`` local time on
    (that day + ``shift_days``).

    Lets a query compare a UTC timestamp with a per-row local boundary portably: "discharged
    before 17:01 on its discharge day", "admitted before the start of (week end − 20)".
    """
    whens = {
        value: literal(local_instant(value + timedelta(days=shift_days), at_time), UTCDateTime())
        for value in day_values
    }
    return case(whens, value=day_column)


def local_instants(
    day_values: Iterable[date], *, at_time: time = time.min, name: str = "local_instants"
) -> Any:
    """SQL: a ``VALUES`` table (a CTE) of (``day``, ``instant``): the UTC instant of
    ``at_time`` local time on each day. Joined on ``day``, it does what
    :func:`local_instant_case` does for a long range of days at the cost of one look-up per row
    instead of one test per day."""
    rows = [(day, local_instant(day, at_time)) for day in day_values]
    # a CTE: SQLite has no ``(VALUES …) AS name (columns)`` in FROM, but both take
    # ``WITH name (columns) AS (VALUES …)``
    return (
        values(column("day", Date()), column("instant", UTCDateTime()), name=name)
        .data(rows)
        .cte(name)
    )


class days_between(FunctionElement[int]):
    """SQL: whole days from the date ``earlier`` to the date ``later`` (``later − earlier``)."""

    type = Integer()
    name = "days_between"
    inherit_cache = True


@compiles(days_between)
def _days_between_default(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)})"


@compiles(days_between, "sqlite")
def _days_between_sqlite(element: days_between, compiler: Any, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"CAST(julianday({compiler.process(later, **kw)}) - "
        f"julianday({compiler.process(earlier, **kw)}) AS INTEGER)"
    )


def band_of(delay: ColumnElement[int]) -> ColumnElement[str]:
    """SQL: the §4.4 band ("0", "1", "2-3", "4-6", "7-13", "14-20", "21+") of a delay in days."""
    return case(
        (delay <= 0, "0"),
        (delay == 1, "1"),
        (delay <= 3, "2-3"),
        (delay <= 6, "4-6"),
        (delay <= 13, "7-13"),
        (delay <= 20, "14-20"),
        else_="21+",
    )


DELAY_BANDS = ("0", "1", "2-3", "4-6", "7-13", "14-20", "21+")
