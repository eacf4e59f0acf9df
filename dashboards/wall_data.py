"""What the wall shows, gathered from ``app.metrics`` and written as text.

``collect`` makes the metrics calls for one moment; ``values`` turns the results into the
strings the wall displays, keyed ``<area>.<measure>`` (area: ``system`` or a site code) so the
refresh callback can replace each value in place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.metrics import capacity, comparisons, flow, freshness, timebase, windows
from app.metrics.cache import cached
from app.metrics.escalation import drivers, short_label, value_text
from app.metrics.schemas import (
    AreaFlow,
    CapacityGaps,
    Escalation,
    FlowSummary,
    NctrChange,
    NctrChanges,
    NctrDay,
)
from dashboards import formats

SYSTEM = "system"
CARE_TYPE_WORDS = {
    "residential": "Res",
    "nursing": "Nurs",
    "residential_dementia": "Res D",
    "nursing_dementia": "Nurs D",
}


@dataclass(frozen=True)
class AreaKey:
    key: str  # "system" or a site code
    name: str


@dataclass(frozen=True)
class CapacityRow:
    name: str
    p1_waiting: str
    p1_supply: str
    p1_gap: str
    p1_short: bool | None
    p2_waiting: str
    p2_supply: str
    p3_waiting: str
    p3_by_type: str
    p3_gap: str
    p3_short: bool | None


@dataclass
class WallData:
    at: datetime
    today: date
    summary: FlowSummary
    nctr_days: dict[str, dict[date, NctrDay]]
    delayed_days_week: dict[str, int]
    week_start: date
    gaps: CapacityGaps
    freshness: list[freshness.FeedStatus]
    # NCtR in hospital now against the same instant a day and a week earlier
    nctr_changes: NctrChanges | None = None
    areas: list[AreaKey] = field(default_factory=list)
    capacity: list[CapacityRow] = field(default_factory=list)


def _acute_sites(summary: FlowSummary) -> list[AreaFlow]:
    return [site for site in summary.sites if site.kind == "acute" and site.site_code]


def collect(session: Session, *, at: datetime | None) -> WallData:
    """Every metrics call the wall needs, for one moment (``None``: now), from the metrics
    cache when the data have not changed: many wall screens refresh every minute and ask the
    same thing. Always clock-bound (kept ``HOMEWARD_METRICS_CACHE_SECONDS``): the feeds'
    freshness is live even when the wall shows a past moment. Do not mutate the result."""
    return cached(session, _collect, now_bound=True, at=at)


def _collect(session: Session, *, at: datetime | None) -> WallData:
    moment = timebase.resolve_at(at)
    today = timebase.local_date(moment)
    week = windows.week_to_date(today)
    summary = flow.summary(session, at=moment)
    sites = _acute_sites(summary)
    nctr_days: dict[str, dict[date, NctrDay]] = {}
    for key, site_code in [(SYSTEM, None), *((s.site_code, s.site_code) for s in sites)]:
        days = flow.nctr_daily(session, start=today, end=today, site=site_code)
        nctr_days[str(key)] = {day.date: day for day in days}
    delayed = flow.delayed_days(session, start=week.start, end=week.end, group_by="site")
    delayed_week = {str(group.key): group.delayed_days for group in delayed.groups}
    delayed_week[SYSTEM] = delayed.total
    gaps = capacity.gaps(session, at=moment)
    data = WallData(
        at=moment,
        today=today,
        summary=summary,
        nctr_days=nctr_days,
        delayed_days_week=delayed_week,
        week_start=week.start,
        gaps=gaps,
        # Freshness is a live property: whether the feeds are arriving now, even when the
        # wall shows a past moment (the runs of a replayed history happened "now").
        freshness=freshness.feed_status(session),
        nctr_changes=comparisons.nctr_changes(session, summary),
    )
    data.areas = [AreaKey(SYSTEM, "Whole system")] + [
        AreaKey(str(site.site_code), site.name) for site in sites
    ]
    data.capacity = _capacity_rows(gaps)
    return data


def _capacity_rows(gaps: CapacityGaps) -> list[CapacityRow]:
    rows: list[CapacityRow] = []
    named = [(council.name, council) for council in gaps.councils]
    for name, waiting in [*named, ("All councils", gaps.system)]:
        p3_types = " · ".join(
            f"{CARE_TYPE_WORDS.get(care_type, care_type)} {beds}"
            for care_type, beds in waiting.p3.supply_by_care_type.items()
            if beds  # a care type with nothing free says nothing on a wall
        )
        rows.append(
            CapacityRow(
                name=name,
                p1_waiting=formats.number(waiting.p1.demand),
                p1_supply=formats.number(waiting.p1.supply),
                p1_gap=_gap_words(waiting.p1.gap),
                p1_short=None if waiting.p1.gap is None else waiting.p1.gap > 0,
                p2_waiting=formats.number(waiting.p2.demand),
                p2_supply=formats.number(waiting.p2.supply),
                p3_waiting=formats.number(waiting.p3.demand),
                p3_by_type=p3_types or "none free",
                p3_gap=_gap_words(waiting.p3.gap),
                p3_short=None if waiting.p3.gap is None else waiting.p3.gap > 0,
            )
        )
    return rows


def _gap_words(gap: int | None) -> str:
    """A gap with words, so the meaning does not rest on colour: ``6 short`` / ``4 spare``."""
    if gap is None:
        return formats.MISSING
    if gap > 0:
        return f"{gap:,} short"
    if gap < 0:
        return f"{-gap:,} spare"
    return "0: just enough"


def _drivers(escalation: Escalation) -> str:
    """Which parameters set the level, with their values, in the configuration's short words
    and the level said once when they share it: two lines at most on the wall."""
    chosen = drivers(escalation)
    if not chosen:
        return "every parameter is at level 1 (normal)."
    scores = {p.score for p in chosen}
    if len(chosen) > 1 and len(scores) == 1:
        listed = "; ".join(f"{short_label(p.name, p.label)} {value_text(p.value)}" for p in chosen)
        return f"{listed} (each at level {scores.pop()})."
    return (
        "; ".join(
            f"{short_label(p.name, p.label)} {value_text(p.value)} (level {p.score})"
            for p in chosen
        )
        + "."
    )


def _nctr_change_words(data: WallData, key: str) -> str:
    changes = data.nctr_changes
    change: NctrChange | None = None
    if changes is not None:
        change = changes.of(None if key == SYSTEM else key)
    since_yesterday = change.change_since_yesterday if change else None
    since_last_week = change.change_since_last_week if change else None
    week_ago = changes.week_before_date if changes else None
    return (
        f"{formats.signed(since_yesterday)} vs yesterday, "
        f"{formats.signed(since_last_week)} vs "
        f"{formats.weekday(week_ago)} {formats.short_day(week_ago)}"
    )


def _area_values(
    data: WallData, key: str, area: AreaFlow, values: dict[str, str], as_of: dict[str, Any]
) -> None:
    occupancy = area.occupancy
    values[f"{key}.occupancy"] = formats.percent(occupancy.pct)
    values[f"{key}.occupancy.detail"] = (
        f"{formats.number(occupancy.escalation_open)} escalation beds"
    )
    days = data.nctr_days.get(key, {})
    values[f"{key}.nctr"] = formats.number(area.nctr_in_hospital)
    values[f"{key}.nctr.detail"] = _nctr_change_words(data, key)
    today = days.get(data.today)
    values[f"{key}.discharged"] = formats.number(today.discharged if today else None)
    values[f"{key}.discharged.detail"] = (
        f"of {formats.number(today.nctr)} NCtR today" if today else "no sitrep for today yet"
    )
    values[f"{key}.los7"] = formats.number(area.long_stays.los_7)
    values[f"{key}.los21"] = formats.number(area.long_stays.los_21)
    values[f"{key}.delayed_days"] = formats.number(data.delayed_days_week.get(key, 0))
    values[f"{key}.delayed_days.detail"] = (
        f"Mon {formats.short_day(data.week_start)} to now"
        if data.week_start != data.today
        else f"today, Mon {formats.short_day(data.today)}"
    )
    values[f"{key}.level"] = str(area.escalation.level)
    if key == SYSTEM:
        values["header.level"] = str(area.escalation.level)
    values[f"{key}.as_of"] = _as_of_words(
        [("beds", as_of.get("beds")), ("patients", as_of.get("patients"))]
    )


def _as_of_words(feeds: list[tuple[str, datetime | None]]) -> str:
    """``As of: beds 10:00 · patients 08:00 Wed 18 Nov`` — the day said once when all the
    times fall on it (one line on a tile), otherwise with each time."""
    stamps = [(name, formats.short_date_time(at)) for name, at in feeds]
    days = {stamp.partition(" ")[2] for _, stamp in stamps}
    if len(days) == 1 and all(at is not None for _, at in feeds):
        times = " · ".join(f"{name} {stamp.partition(' ')[0]}" for name, stamp in stamps)
        return f"As of: {times} {days.pop()}"
    return "As of: " + " · ".join(f"{name} {stamp}" for name, stamp in stamps)


def values(data: WallData, *, refreshed_at: datetime) -> dict[str, str]:
    """Every text the wall shows, keyed by ``<area>.<measure>``."""
    summary = data.summary
    result: dict[str, str] = {
        "refreshed": formats.time_of_day(refreshed_at) + refreshed_at.strftime(":%S"),
        "system.drivers": _drivers(summary.total.escalation),
        "system.viewing": f"Showing {formats.date_time(data.at)}. " + summary.total.escalation.note,
    }
    _area_values(data, SYSTEM, summary.total, result, summary.as_of)
    for site in _acute_sites(summary):
        _area_values(data, str(site.site_code), site, result, summary.as_of)
    gap_as_of = data.gaps.as_of
    result["capacity.as_of"] = _as_of_words(
        [
            ("home care", gap_as_of.get("domiciliary")),
            ("care homes", gap_as_of.get("care_homes")),
            ("beds", gap_as_of.get("beds")),
            ("patients", gap_as_of.get("patients")),
        ]
    )
    return result
