"""The meeting agenda's numbers (DESIGN.md §4.13): the escalation level and what drives it, the
SPC signals of the last complete week, and the largest blockages by bed days lost.

Each agenda line carries what an action raised from it is about — a metric slug of the
registry and its scope (site, council, pathway, reason) — so a meeting raises an action on
the number it is looking at. The actions due or overdue are the actions store's
(``app.actions.meetings.actions_due_by_organisation``); the faces put both together.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from app.metrics import blockages, flow, trends, windows
from app.metrics.cache import cached
from app.metrics.escalation import driver_sentence, drivers
from app.metrics.schemas import Escalation, WeeklyTrend
from app.metrics.timebase import local_date, resolve_at, yesterday

#: the weekly report's measures, whose SPC signals the agenda lists
SPC_METRICS = (
    "nctr_remaining",
    "delayed_days",
    "pct_discharged_within_1_day",
    "super_stranded",
    "red_pct",
    "ga_occupancy",
    "p1_waiting",
    "p3_waiting",
)
SPC_WEEKS = 26
BLOCKAGE_DAYS = 7
BLOCKAGE_LINES = 5
#: the registry metric an escalation parameter is about (None: no weekly measure of it)
PARAMETER_METRIC: dict[str, str | None] = {
    "occupancy_pct": "ga_occupancy",
    "nctr_pct_of_occupied": "nctr_in_hospital",
    "super_stranded": "super_stranded",
    "p1_gap": "p1_waiting",
    "p3_gap": "p3_waiting",
    "stale_feeds": None,
}
POINT_WORDS = {
    "improvement": "special cause improvement",
    "concern": "special cause concern",
    "neutral": "special cause variation",
}
Section = Literal["escalation", "spc", "blockage"]


class AgendaScope(BaseModel):
    """What part of the system an agenda line is about (the scope of an action raised on it)."""

    site: str | None = None
    council: str | None = None
    pathway: str | None = None
    reason: str | None = None


class AgendaItem(BaseModel):
    key: str = Field(description="stable within one agenda: escalation-…, spc-…, blockage-…")
    section: Section
    text: str = Field(description="the line as the meeting reads it")
    metric: str | None = Field(description="the registry metric an action on it is about")
    scope: AgendaScope


class MetricsAgenda(BaseModel):
    at: datetime
    escalation_level: int
    escalation: list[AgendaItem] = Field(description="the system, then each site above level 1")
    week_ending: date = Field(description="the last complete week the SPC signals are of")
    spc_signals: list[AgendaItem] = Field(
        description="each measure whose latest week shows a special cause"
    )
    blockage_start: date
    blockage_end: date
    blockage_total: int = Field(description="delayed days in the blockage period")
    blockages: list[AgendaItem] = Field(description="the largest reason × pathway × council")


def _driver_metric(escalation: Escalation) -> str | None:
    chosen = drivers(escalation)
    return PARAMETER_METRIC.get(chosen[0].name) if chosen else None


def _escalation_items(session: Session, at: datetime | None) -> tuple[int, list[AgendaItem]]:
    summary = cached(session, flow.summary, now_bound=at is None, at=at, site=None)
    system = summary.total.escalation
    items = [
        AgendaItem(
            key="escalation-system",
            section="escalation",
            text=f"System escalation level {system.level}: {driver_sentence(system)}",
            metric=_driver_metric(system),
            scope=AgendaScope(),
        )
    ]
    for area in summary.sites:
        if area.escalation.level > 1 and area.site_code:
            items.append(
                AgendaItem(
                    key=f"escalation-{area.site_code}",
                    section="escalation",
                    text=f"{area.name} level {area.escalation.level}: "
                    f"{driver_sentence(area.escalation)}",
                    metric=_driver_metric(area.escalation),
                    scope=AgendaScope(site=area.site_code),
                )
            )
    return system.level, items


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{0 if float(value).is_integer() else 1}f}"
    return f"{text}%" if unit == "%" else f"{text} {unit}"


def spc_signal(trend: WeeklyTrend) -> AgendaItem | None:
    """The agenda line of a measure whose latest week shows a special cause, else None."""
    latest = next((p for p in reversed(trend.points) if p.value is not None), None)
    if latest is None or not latest.special_cause:
        return None
    words = POINT_WORDS.get(latest.point_type or "", "special cause variation")
    return AgendaItem(
        key=f"spc-{trend.metric.slug}",
        section="spc",
        text=f"{trend.metric.label}: {_number(latest.value, trend.metric.unit)} in the week "
        f"ending {latest.week_ending:%d %b %Y} (mean {_number(trend.mean, trend.metric.unit)}), "
        f"{words}",
        metric=trend.metric.slug,
        scope=AgendaScope(),
    )


def _blockage_text(cell: blockages.Blockage) -> str:
    pathway = "pathway not recorded" if cell.pathway is None else f"pathway {cell.pathway}"
    share = "" if cell.share is None else f" ({cell.share * 100:.0f}% of all)"
    return (
        f"{cell.reason_label}, {pathway}, {cell.council_name}: "
        f"{cell.delayed_days:,} delayed days{share}"
    )


def metrics_agenda(session: Session, *, at: datetime | None = None) -> MetricsAgenda:
    """The agenda's lines from the data at ``at`` (default now)."""
    moment = resolve_at(at)
    level, escalation_items = _escalation_items(session, at)
    week_end = windows.last_complete_week_end(local_date(moment))
    signals = []
    for slug in SPC_METRICS:
        trend = cached(
            session,
            trends.weekly,
            now_bound=False,
            metric=slug,
            weeks=SPC_WEEKS,
            site=None,
            end=week_end,
        )
        item = spc_signal(trend)
        if item is not None:
            signals.append(item)
    period = windows.days_ending(yesterday(moment), BLOCKAGE_DAYS)
    largest = blockages.largest_blockages(
        session, start=period.start, end=period.end, limit=BLOCKAGE_LINES
    )
    return MetricsAgenda(
        at=moment,
        escalation_level=level,
        escalation=escalation_items,
        week_ending=week_end,
        spc_signals=signals,
        blockage_start=period.start,
        blockage_end=period.end,
        blockage_total=largest.total,
        blockages=[
            AgendaItem(
                key=f"blockage-{rank}",
                section="blockage",
                text=_blockage_text(cell),
                metric="delayed_days",
                scope=AgendaScope(pathway=cell.pathway, council=cell.council, reason=cell.reason),
            )
            for rank, cell in enumerate(largest.blockages, start=1)
        ],
    )
