"""The periods the pages and the reports name, one rule each: the seven days to a day, the
week to date, the week ending a Sunday and the last complete week (weeks run Monday to
Sunday, as :func:`app.metrics.timebase.week_ends` counts them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.metrics import freshness
from app.metrics.timebase import local_date, now_utc, sunday_on_or_before

#: "the last seven days": the period of the pages' delayed days, Red2Green and breakdowns
PERIOD_DAYS = 7


@dataclass(frozen=True)
class Period:
    """The days ``start`` to ``end``, both included."""

    start: date
    end: date


def days_ending(end: date, count: int = PERIOD_DAYS) -> Period:
    """The ``count`` days ending on ``end`` (``end`` included)."""
    return Period(end - timedelta(days=count - 1), end)


def week_to_date(day: date) -> Period:
    """Monday of the week of ``day`` to ``day`` (a Monday: that day alone)."""
    return Period(sunday_on_or_before(day - timedelta(days=1)) + timedelta(days=1), day)


def week_ending(sunday: date) -> Period:
    """The Monday-to-Sunday week that ends on ``sunday``."""
    return days_ending(sunday, 7)


def last_complete_week_end(day: date) -> date:
    """The Sunday ending the last week complete before ``day`` began: on a Sunday that is the
    week before, as Sunday itself is still going on."""
    return sunday_on_or_before(day - timedelta(days=1))


def latest_complete_week_end(session: Session) -> date:
    """The Sunday ending the last complete week of the data: the rule of
    :func:`last_complete_week_end` applied to the day of the newest data of any feed
    (today when there are no data yet)."""
    newest = freshness.newest_data(session)
    return last_complete_week_end(local_date(newest if newest else now_utc()))
