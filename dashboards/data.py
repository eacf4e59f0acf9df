"""How the pages reach the numbers: a read session on the store, handed to ``app.metrics``.

The pages call the metrics functions in-process (no HTTP hop) so a number on a page is the
number the API gives. Nothing here computes a metric. The views that many screens ask for
again and again (the wall, the overview and site pages, the coordinator's lists, the weekly
report) go through ``app.metrics.cache.cached``, the cache the API uses: the same numbers,
computed once per ingest run (a "now" answer once per ``HOMEWARD_METRICS_CACHE_SECONDS``).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.core.db import get_sessionmaker
from app.metrics import timebase
from app.metrics.errors import InvalidParameter, NotFound
from dashboards import components

log = logging.getLogger("homeward.dashboards")
P = ParamSpec("P")
T = TypeVar("T")


@contextmanager
def read_session() -> Iterator[Session]:
    """A session for one page render or callback; pages never write."""
    session = get_sessionmaker()()
    try:
        yield session
    finally:
        session.rollback()
        session.close()


def safe_layout(func: Callable[P, Any]) -> Callable[P, Any]:
    """Show a plain-language panel instead of a stack trace when the store cannot answer."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return func(*args, **kwargs)
        except (InvalidParameter, NotFound) as exc:
            return components.error_panel(
                "Nothing to show for this address",
                f"{exc}. Check the address, or start again from the system overview.",
                home=True,
            )
        except SQLAlchemyError as exc:
            log.exception("page %s: database error", func.__qualname__)
            return components.error_panel(
                "The data cannot be read just now",
                f"The database did not answer ({type(exc).__name__}). "
                "The page will work again when it does; try reloading in a minute.",
            )

    return wrapper


def parse_at(value: str | None) -> datetime | None:
    """The ``at`` query parameter (ISO 8601; naive is local time), or None for now.

    Every page that shows a moment accepts ``?at=`` so a past meeting's picture can be seen
    again (and the committed sample, which ends in the past, can be viewed at its end).
    """
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timebase.zone())


def query_int(value: str | None, default: int, *, low: int, high: int) -> int:
    """An integer query parameter, kept within bounds; the default when absent or invalid."""
    try:
        number = int(value) if value is not None else default
    except ValueError:
        number = default
    return max(low, min(high, number))
