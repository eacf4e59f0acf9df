"""A measure now against the same measure earlier: NCtR in hospital against 24 hours and a
week before, per area, for the wall's "change since yesterday / last week"."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from app.metrics import flow
from app.metrics.schemas import AreaFlow, FlowSummary, NctrChange, NctrChanges
from app.metrics.timebase import local_date

DAY = timedelta(days=1)
WEEK = timedelta(days=7)


def _counts(summary: FlowSummary) -> dict[str | None, int]:
    """NCtR in hospital by site code; the total under ``None``."""
    return {
        None: summary.total.nctr_in_hospital,
        **{s.site_code: s.nctr_in_hospital for s in summary.sites if s.site_code},
    }


def _change(
    area: AreaFlow, key: str | None, day: dict[str | None, int], week: dict[str | None, int]
) -> NctrChange:
    return NctrChange(
        site_code=key,
        nctr_in_hospital=area.nctr_in_hospital,
        day_before=day.get(key),
        week_before=week.get(key),
    )


def nctr_changes(session: Session, current: FlowSummary) -> NctrChanges:
    """NCtR in hospital in ``current`` (a :func:`flow.summary`) against the same instant 24
    hours and 7 × 24 hours earlier, for its total and each of its sites."""
    day = _counts(flow.summary(session, at=current.at - DAY, site=current.site))
    week = _counts(flow.summary(session, at=current.at - WEEK, site=current.site))
    return NctrChanges(
        at=current.at,
        week_before_date=local_date(current.at) - WEEK,
        total=_change(current.total, None, day, week),
        sites=[_change(s, s.site_code, day, week) for s in current.sites if s.site_code],
    )
