"""NHS England's 2025/26 discharge asks (DESIGN.md §4.11): the rules of the internal run and the
21-day threshold, shared by every figure that counts them.

**Internal run** at a moment T: counting back from the day before date(T), the consecutive
delayed days (§4.3) whose reason in force at the day's end is internal (§5) — a day on which the
reason switches counts under the reason it ends with, which is what its ``spell_days`` row holds.
The run stops at the first day that is not a delayed day (no bed day, not NCtR, a DRD cleared)
or that ends under an external reason. A patient in hospital at T whose reason in force at T is
internal and whose run is :data:`INTERNAL_RUN_DAYS` or more has been held up by the hospital for
more than 48 hours.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

#: an internal run of this many days or more is "more than 48 hours"
INTERNAL_RUN_DAYS = 2
#: days beyond the DRD (§4.4) from which a delay is in the "21+" cohort
BEYOND_DRD_DAYS = 21

_ONE_DAY = timedelta(days=1)


def internal_run(internal_days: Collection[date], at_day: date) -> int:
    """The internal run at a moment of day ``at_day``: how many consecutive days, from
    ``at_day − 1`` back, are in ``internal_days`` (the spell's delayed days that ended under an
    internal reason)."""
    run = 0
    day = at_day - _ONE_DAY
    while day in internal_days:
        run += 1
        day -= _ONE_DAY
    return run


def internal_over_48h(*, internal_now: bool, run: int) -> bool:
    """The §4.11 test: the reason in force now is internal and the run is 2 days or more."""
    return internal_now and run >= INTERNAL_RUN_DAYS
