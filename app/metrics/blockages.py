"""The largest blockages: delayed days (bed days lost, DESIGN.md §4.3) in a period by reason ×
pathway × council together, largest first — the meeting agenda's "where the days went".

Each delayed day is attributed as §4.3 says (the reason, pathway and council in force on that
day), read from the ``spell_day_counts`` roll-up, so the cells add up to the period's delayed
days (``flow.delayed_days``) and each reason's cells to its delayed days by reason.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.metrics.queries import council_names, reason_labels, require_site
from app.metrics.rollups import DAY_COUNTS, in_site
from app.metrics.timebase import check_range

NOT_RECORDED = "Not recorded"
DEFAULT_LIMIT = 10
MAX_LIMIT = 100


class Blockage(BaseModel):
    """Delayed days of one reason, pathway and council in the period."""

    reason: str | None = Field(description="the delay reason code (None: not recorded)")
    reason_label: str
    pathway: str | None = Field(description="the discharge pathway, 0–3 (None: not recorded)")
    council: str | None = Field(description="the council's ONS code (None: not recorded)")
    council_name: str
    delayed_days: int
    share: float | None = Field(description="of the period's delayed days, 0–1")


class Blockages(BaseModel):
    start: date
    end: date
    site: str | None
    total: int = Field(description="the period's delayed days (every cell, shown or not)")
    blockages: list[Blockage] = Field(description="the largest first, at most ``limit``")


def largest_blockages(
    session: Session,
    *,
    start: date,
    end: date,
    site: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Blockages:
    """The ``limit`` largest reason × pathway × council cells of delayed days in
    ``start``–``end`` (ties: by reason, pathway, council code)."""
    check_range(start, end)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    limit = max(1, min(limit, MAX_LIMIT))
    days = func.sum(DAY_COUNTS.n)
    rows = session.execute(
        select(
            DAY_COUNTS.delay_reason_code,
            DAY_COUNTS.pathway,
            DAY_COUNTS.local_authority_code,
            days,
        )
        .where(
            DAY_COUNTS.nctr.is_(True),
            DAY_COUNTS.day.between(start, end),
            in_site(DAY_COUNTS.site_code, code),
        )
        .group_by(DAY_COUNTS.delay_reason_code, DAY_COUNTS.pathway, DAY_COUNTS.local_authority_code)
    ).all()
    cells = [
        (reason, None if pathway is None else str(pathway), council, int(n))
        for reason, pathway, council, n in rows
        if n
    ]
    total = sum(cell[3] for cell in cells)
    cells.sort(key=lambda c: (-c[3], c[0] or "~", c[1] or "~", c[2] or "~"))
    reasons = reason_labels(session)
    councils = council_names(session)
    return Blockages(
        start=start,
        end=end,
        site=code,
        total=total,
        blockages=[
            Blockage(
                reason=reason,
                reason_label=reasons[reason][0] if reason in reasons else (reason or NOT_RECORDED),
                pathway=pathway,
                council=council,
                council_name=councils.get(council, council) if council else NOT_RECORDED,
                delayed_days=n,
                share=n / total if total else None,
            )
            for reason, pathway, council, n in cells[:limit]
        ],
    )
