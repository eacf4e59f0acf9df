"""Europe/London days: the one place an instant becomes a day and a day its UTC boundaries
(DESIGN.md §4: day boundaries are the system's local calendar days), shared by the read side
and the write side.

The store keeps instants as naive UTC and days as dates. Rather than converting a UTC column
to a local day inside SQL (which SQLite cannot do), both sides turn each local day into the UTC
instant it starts at, here, and compare columns with those instants.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    CTE,
    ColumnElement,
    Date,
    Integer,
    SQLColumnExpression,
    case,
    column,
    literal,
    values,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.core.config import get_settings
from models.base import UTCDateTime


def zone() -> ZoneInfo:
    """The system's time zone (Europe/London unless configured otherwise)."""
    return get_settings().tz


def now_utc() -> datetime:
    return datetime.now(UTC)


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


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end``, both included."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def sunday_on_or_before(day: date) -> date:
    """The Sunday that ends the last complete week at ``day`` (``day`` itself if a Sunday)."""
    return day - timedelta(days=(day.weekday() + 1) % 7)


def local_instant_case(
    day_column: SQLColumnExpression[date],
    day_values: Iterable[date],
    *,
    at_time: time = time.min,
    shift_days: int = 0,
) -> ColumnElement[datetime]:
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
) -> CTE:
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
