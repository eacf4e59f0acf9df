"""Delay at discharge and its bands (DESIGN.md §4.4), and the sitrep's 17:00 cut-off: the rules
ingest writes into the roll-ups and metrics read back, as SQL expressions."""

from __future__ import annotations

from datetime import time

from sqlalchemy import case, or_
from sqlalchemy.sql.elements import ColumnElement

from app.domain.days import days_between
from models import Spell

#: a discharge before 17:01 local time counts as "by 17:00" (the sitrep splits 17:00 | 17:01–23:59)
DISCHARGE_CUTOFF = time(17, 1)


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


def delay_band(delay: int) -> str:
    """The §4.4 band of a delay in days, in Python (:func:`band_of` is the same rule in SQL)."""
    for band, upper in zip(DELAY_BANDS, (0, 1, 3, 6, 13, 20), strict=False):
        if delay <= upper:
            return band
    return DELAY_BANDS[-1]


def delay_at_discharge() -> ColumnElement[int]:
    """SQL: days from the DRD in force at discharge to the discharge day (0 without one)."""
    drd = Spell.drd_at_discharge
    return case(
        (or_(drd.is_(None), drd >= Spell.discharge_date), 0),
        else_=days_between(Spell.discharge_date, drd),
    )
