"""Actions on the numbers (DESIGN §4.13; the definitions are in docs/meetings.md, "Actions"):
the actions to mark on a metric's chart, the week's actions, and what moved after an action.

The read side reads the ``actions`` table itself (``app.actions``, the write side of meeting
mode, is a sibling it may not import). The rules shared with it — overdue — are restated from
DESIGN §4.13 in one line here: open and the day is after the due date.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app.metrics import spc
from app.metrics.errors import InvalidParameter
from app.metrics.queries import require_site
from app.metrics.registry import METRICS, get_metric
from app.metrics.schemas import (
    ActionBrief,
    ActionEffect,
    ActionMark,
    ActionsByOrganisation,
    ActionsThisWeek,
    OrganisationActions,
    WhatMoved,
)
from app.metrics.timebase import (
    day_end,
    day_start,
    local_date,
    now_utc,
    sunday_on_or_before,
)
from models.actions import Action
from models.reference import CareHome, Council, HomeCareProvider, Site

WEEKS_BEFORE = 8  # the baseline: weeks before the action's week
WEEKS_AFTER = 4  # weeks after the action's week; an action this recent or older is judged
MAX_WEEKS = 52
MAX_EFFECTS = 200

Moved = Literal["improved", "worsened", "unchanged", "no_direction", "no_data"]


def _status(row: Action) -> Literal["open", "done", "dropped"]:
    status = row.status
    if status == "done":
        return "done"
    if status == "dropped":
        return "dropped"
    return "open"


def _closed_on(row: Action) -> date | None:
    return local_date(row.closed_at) if row.closed_at else None


def _site_condition(site: str | None) -> list[ColumnElement[bool]]:
    """A site's chart shows the actions scoped to that site or to no site; the system's, all."""
    if site is None:
        return []
    return [or_(Action.scope_site == site, Action.scope_site.is_(None))]


def marks(
    session: Session, *, metric: str, site: str | None, start: date, end: date
) -> list[ActionMark]:
    """The actions on ``metric`` raised from ``start`` to ``end`` (Europe/London days, both
    included), oldest first, every status (a dropped action was still raised)."""
    rows = session.scalars(
        select(Action)
        .where(
            Action.metric_slug == metric,
            Action.created_at >= day_start(start),
            Action.created_at < day_end(end),
            *_site_condition(site),
        )
        .order_by(Action.created_at, Action.id)
    )
    out = []
    for row in rows:
        raised = local_date(row.created_at)
        out.append(
            ActionMark(
                id=row.id,
                title=row.title,
                status=_status(row),
                organisation=row.organisation_code,
                owner=row.owner,
                raised_on=raised,
                week_ending=_week_of(raised),
                closed_on=_closed_on(row),
            )
        )
    return out


def _brief(row: Action, today: date) -> ActionBrief:
    return ActionBrief(
        id=row.id,
        title=row.title,
        status=_status(row),
        organisation=row.organisation_code,
        owner=row.owner,
        metric=row.metric_slug,
        due_date=row.due_date,
        raised_on=local_date(row.created_at),
        closed_on=_closed_on(row),
        overdue=row.status == "open" and today > row.due_date,
    )


def this_week(session: Session, *, week_end: date, site: str | None = None) -> ActionsThisWeek:
    """The actions raised in the week ending ``week_end`` (a Sunday), those closed (done or
    dropped) in it, and those open past their due date when it ended — every action when
    ``site`` is None, else those scoped to the site or to no site."""
    require_site(session, site)
    sunday = sunday_on_or_before(week_end)
    monday = sunday - timedelta(days=6)
    start, stop = day_start(monday), day_end(sunday)
    where = _site_condition(site)
    raised = session.scalars(
        select(Action)
        .where(Action.created_at >= start, Action.created_at < stop, *where)
        .order_by(Action.created_at, Action.id)
    ).all()
    closed = session.scalars(
        select(Action)
        .where(Action.closed_at >= start, Action.closed_at < stop, *where)
        .order_by(Action.closed_at, Action.id)
    ).all()
    # open at the week's end and due before its last day; raised by then. (A later reopening
    # or closing is what the store says now: the history is in action_changes.)
    overdue = session.scalars(
        select(Action)
        .where(
            Action.created_at < stop,
            Action.due_date < sunday,
            or_(Action.status == "open", Action.closed_at >= stop),
            *where,
        )
        .order_by(Action.due_date, Action.id)
    ).all()
    return ActionsThisWeek(
        week_start=monday,
        week_end=sunday,
        raised=[_brief(r, sunday) for r in raised],
        closed=[_brief(r, sunday) for r in closed],
        overdue=[
            _brief(r, sunday).model_copy(update={"status": "open", "overdue": True})
            for r in overdue
        ],
    )


def _week_of(day: date) -> date:
    """The Sunday ending the Monday-to-Sunday week of ``day``."""
    return sunday_on_or_before(day + timedelta(days=6))


def _mean(values: Sequence[float | None]) -> tuple[float | None, int]:
    present = [v for v in values if v is not None]
    return (sum(present) / len(present) if present else None), len(present)


def _moved(direction: str, change: float | None) -> Moved:
    if change is None:
        return "no_data"
    if direction == "neutral":
        return "no_direction"
    if change == 0:
        return "unchanged"
    better = change > 0 if direction == "increase" else change < 0
    return "improved" if better else "worsened"


def what_moved(
    session: Session,
    *,
    end: date,
    site: str | None = None,
    weeks_before: int = WEEKS_BEFORE,
    weeks_after: int = WEEKS_AFTER,
) -> WhatMoved:
    """For each action on a registry metric that is done or open (not dropped) and was raised
    at least ``weeks_after`` whole weeks before the week ending ``end``: the measure's mean over
    the ``weeks_before`` weeks before the action's week against the mean over the
    ``weeks_after`` weeks after it (the action's own week in neither), and whether a week after
    it is an SPC special cause of improvement (or concern) on an XmR chart whose limits are
    set on the weeks before. Measured at the action's site when it names one, else at ``site``
    (None: the whole system); with ``site`` given, only actions scoped to it or to no site."""
    if not 2 <= weeks_before <= MAX_WEEKS:
        raise InvalidParameter("weeks_before", f"must be between 2 and {MAX_WEEKS}")
    if not 1 <= weeks_after <= MAX_WEEKS:
        raise InvalidParameter("weeks_after", f"must be between 1 and {MAX_WEEKS}")
    require_site(session, site)
    last = sunday_on_or_before(end)
    # the action's week must end weeks_after weeks before the last week ends
    latest_week = last - timedelta(weeks=weeks_after)
    rows = session.scalars(
        select(Action)
        .where(
            Action.metric_slug.in_(list(METRICS)),
            Action.status.in_(("open", "done")),
            Action.created_at < day_end(latest_week),
            *_site_condition(site),
        )
        .order_by(Action.created_at.desc(), Action.id.desc())
        .limit(MAX_EFFECTS)
    ).all()
    # each (metric, place)'s weekly series is computed once, over the weeks its actions need
    spans: dict[tuple[str, str | None], tuple[date, date]] = {}
    for row in rows:
        week = _week_of(local_date(row.created_at))
        key = (row.metric_slug or "", row.scope_site or site)
        first, last_needed = spans.get(key, (week, week))
        spans[key] = (min(first, week), max(last_needed, week))
    series: dict[tuple[str, str | None], dict[date, float | None]] = {}
    for (slug, where), (first, last_needed) in spans.items():
        sundays = [
            first + timedelta(weeks=offset)
            for offset in range(-weeks_before, (last_needed - first).days // 7 + weeks_after + 1)
        ]
        values = get_metric(slug).weekly(session, sundays, where)
        series[(slug, where)] = dict(zip(sundays, values, strict=True))
    effects = []
    for row in rows:
        definition = get_metric(row.metric_slug or "")
        raised = local_date(row.created_at)
        action_week = _week_of(raised)
        where = row.scope_site or site
        weeks = [
            action_week + timedelta(weeks=offset)
            for offset in range(-weeks_before, weeks_after + 1)
        ]
        known = series[(definition.slug, where)]
        values = [known[sunday] for sunday in weeks]
        before, after = values[:weeks_before], values[weeks_before + 1 :]
        mean_before, n_before = _mean(before)
        mean_after, n_after = _mean(after)
        change = None if mean_before is None or mean_after is None else mean_after - mean_before
        chart = spc.xmr(
            list(zip(weeks, values, strict=True)),
            direction=definition.direction,
            baseline=weeks_before,
            value_range=definition.value_range,
        )
        following = chart.points[weeks_before + 1 :]
        effects.append(
            ActionEffect(
                id=row.id,
                title=row.title,
                status=_status(row),
                organisation=row.organisation_code,
                metric=definition.info(),
                site=where,
                raised_on=raised,
                action_week_ending=action_week,
                weeks_before=n_before,
                weeks_after=n_after,
                mean_before=mean_before,
                mean_after=mean_after,
                change=change,
                moved=_moved(definition.direction, change),
                improvement_signal=any(p.point_type == "improvement" for p in following),
                concern_signal=any(p.point_type == "concern" for p in following),
            )
        )
    effects.reverse()  # oldest first
    return WhatMoved(
        end=last,
        weeks_before=weeks_before,
        weeks_after=weeks_after,
        site=site,
        effects=effects,
    )


def _organisation_names(session: Session) -> dict[tuple[str, str], str]:
    names: dict[tuple[str, str], str] = {}
    for code, name in session.execute(select(Site.trust_code, Site.trust_name)):
        names.setdefault(("trust", code), name or code)
    for code, name in session.execute(select(Council.local_authority_code, Council.name)):
        names[("council", code)] = name
    for code, name in session.execute(select(CareHome.cqc_location_id, CareHome.home_name)):
        names[("provider", code)] = name
    for code, name in session.execute(
        select(HomeCareProvider.provider_id, HomeCareProvider.provider_name)
    ):
        names[("provider", code)] = name
    return names


def by_organisation(
    session: Session, *, today: date | None = None, titles: int = 3
) -> ActionsByOrganisation:
    """Open actions per owning organisation and how many are overdue (open, and ``today`` is
    after the due date), the organisations with the most overdue first, then the most open;
    with up to ``titles`` overdue titles each, longest overdue first."""
    today = today or local_date(now_utc())
    rows = session.execute(
        select(Action.organisation_kind, Action.organisation_code, Action.title, Action.due_date)
        .where(Action.status == "open")
        .order_by(Action.due_date, Action.id)
    ).all()
    names = _organisation_names(session) if rows else {}
    counts: dict[tuple[str, str], list[int]] = {}
    late: dict[tuple[str, str], list[str]] = {}
    for kind, code, title, due in rows:
        key = (kind, code)
        tally = counts.setdefault(key, [0, 0])
        tally[0] += 1
        if today > due:
            tally[1] += 1
            late.setdefault(key, []).append(title)
    organisations = [
        OrganisationActions(
            kind=key[0],
            code=key[1],
            name=names.get(key, key[1]),
            open=tally[0],
            overdue=tally[1],
            overdue_titles=late.get(key, [])[:titles],
        )
        for key, tally in counts.items()
    ]
    organisations.sort(key=lambda o: (-o.overdue, -o.open, o.name))
    return ActionsByOrganisation(
        today=today,
        open=sum(o.open for o in organisations),
        overdue=sum(o.overdue for o in organisations),
        organisations=organisations,
    )
