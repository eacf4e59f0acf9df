"""Delayed days where a reason contributed (DESIGN.md §3, §4.3): beside — never added to — the
delayed days attributed to the primary reason.

A contributing reason counts on each delayed day (a ``spell_days`` row that is NCtR) on which
the census row in force lists it: once per spell and day, and not on a day where the same code
is the day's primary reason. A day with two contributing reasons counts once for each, so the
column is not a partition of the delayed days and has no total.
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.metrics import flow
from app.metrics.queries import reason_labels, require_site
from app.metrics.rollups import in_site
from app.metrics.schemas import ContributingReason, ContributingReasons
from app.metrics.timebase import check_range
from models import SpellDay


def contributed_days(
    rows: list[tuple[str | None, str | None]],
) -> Counter[str]:
    """``(primary reason, contributing codes)`` of delayed spell-days → days per contributing
    code (the rule of the module doc; each row is one spell and day)."""
    counts: Counter[str] = Counter()
    for primary, listed in rows:
        if not listed:
            continue
        counts.update({code for code in listed.split(";") if code and code != primary})
    return counts


def contributing_reasons(
    session: Session, *, start: date, end: date, site: str | None = None
) -> ContributingReasons:
    """Delayed days in ``start``–``end`` where each reason contributed, with the delayed days
    attributed to it as the primary reason beside it (§4.3)."""
    check_range(start, end)
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    rows = session.execute(
        select(SpellDay.delay_reason_code, SpellDay.contributing_reason_codes).where(
            SpellDay.nctr.is_(True),
            SpellDay.contributing_reason_codes.is_not(None),
            SpellDay.day.between(start, end),
            in_site(SpellDay.site_code, code),
        )
    )
    counts = contributed_days([(primary, listed) for primary, listed in rows])
    primary = flow.delayed_days(session, start=start, end=end, site=code, group_by="reason")
    as_primary = {group.key: group.delayed_days for group in primary.groups}
    labels = reason_labels(session)
    return ContributingReasons(
        start=start,
        end=end,
        site=code,
        delayed_days=primary.total,
        reasons=[
            ContributingReason(
                code=reason,
                label=labels.get(reason, (reason, ""))[0],
                contributed_days=n,
                primary_days=as_primary.get(reason, 0),
            )
            for reason, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
    )
