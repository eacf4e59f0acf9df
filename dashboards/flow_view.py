"""The same measures at system, site and ward level (the drill-down pages share these).

Gathers the ``app.metrics.flow`` results for a moment and a seven-day period and lays them out
as tiles, a breakdown grid (sites or wards) and two charts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import dash_ag_grid as dag
from dash import html
from sqlalchemy.orm import Session

from app.metrics import flow, timebase, windows
from app.metrics.cache import cached
from app.metrics.escalation import driver_sentence
from app.metrics.schemas import (
    AreaFlow,
    DelayedDays,
    FlowBreakdown,
    FlowBreakdownRow,
    FlowSummary,
    NctrDay,
    Red2Green,
)
from dashboards import components, definitions, figures, formats

ONE_DECIMAL = {"function": "params.value == null ? '–' : d3.format(',.1f')(params.value)"}
WHOLE = {"function": "params.value == null ? '–' : d3.format(',')(params.value)"}
TREND_DAYS = 28


@dataclass
class AreaData:
    """Everything the overview or a site page shows, for one moment."""

    at: datetime
    today: date
    start: date  # first day of the seven-day period (ending today)
    summary: FlowSummary
    area: AreaFlow
    nctr_days: list[NctrDay]
    delayed: DelayedDays
    red2green: Red2Green
    breakdown: FlowBreakdown


def collect(session: Session, *, at: datetime | None, site: str | None) -> AreaData:
    """The metrics calls behind the overview (``site=None``) or one site's page, from the
    metrics cache when the data have not changed (``at=None``: kept 30 s). Do not mutate
    the result."""
    return cached(session, _collect, now_bound=at is None, at=at, site=site)


def _collect(session: Session, *, at: datetime | None, site: str | None) -> AreaData:
    moment = timebase.resolve_at(at)
    today = timebase.local_date(moment)
    start = windows.days_ending(today).start
    summary = flow.summary(session, at=moment, site=site)
    trend = windows.days_ending(today, TREND_DAYS)
    nctr_days = flow.nctr_daily(session, start=trend.start, end=trend.end, site=site)
    delayed = flow.delayed_days(session, start=start, end=today, site=site, group_by="reason")
    red2green = flow.red2green(
        session, start=start, end=today, site=site, group_by="site" if site is None else "ward"
    )
    if site is None:
        breakdown = flow.by_site(session, start=start, end=today, at=moment)
    else:
        breakdown = flow.by_ward(session, site=site, start=start, end=today, at=moment)
    return AreaData(
        at=moment,
        today=today,
        start=start,
        summary=summary,
        area=summary.total,
        nctr_days=nctr_days,
        delayed=delayed,
        red2green=red2green,
        breakdown=breakdown,
    )


def viewing_note(data: AreaData, at: str | None) -> Any:
    """When a past moment is shown (``?at=``), say so and offer the way back to now."""
    if not at:
        return None
    return html.P(
        [
            html.Strong("Showing a past moment: "),
            formats.date_time(data.at),
            ". ",
            html.A("Show now", href="?"),
        ],
        className="viewing-note",
    )


def period_words(start: date, end: date) -> str:
    return f"{formats.short_day(start)} to {formats.short_day(end)}"


def escalation_line(area: AreaFlow) -> html.Div:
    """The level badge, what set it, and the note that these are local settings."""
    escalation = area.escalation
    return html.Div(
        [
            components.escalation_badge(escalation.level),
            html.Span([" Driven by: ", driver_sentence(escalation), ". "], className="ms-2"),
            components.info_link("escalation_level", "escalation level"),
            html.P(escalation.note, className="hw-note mb-0"),
        ],
        className="hw-panel escalation-line",
    )


def area_tiles(data: AreaData) -> html.Div:
    """The headline measures of an area, each with its definition link and as-of time."""
    area = data.area
    as_of = data.summary.as_of
    period = period_words(data.start, data.today)
    occupancy = area.occupancy
    today = data.nctr_days[-1] if data.nctr_days else None
    waiting = area.waiting_by_pathway
    tiles = [
        components.tile(
            "G&A bed occupancy",
            formats.percent(occupancy.pct),
            slug="ga_occupancy",
            detail=f"{formats.number(occupancy.occupied)} of "
            f"{formats.number(occupancy.open_beds)} open beds; "
            f"{formats.number(occupancy.escalation_open)} escalation beds open",
            good=definitions.good_words("ga_occupancy"),
            as_of=as_of.get("beds"),
            value_id="tile-occupancy",
        ),
        components.tile(
            "No criteria to reside, in hospital",
            formats.number(area.nctr_in_hospital),
            unit="patients",
            slug="nctr_remaining",
            detail=f"{formats.percent(area.nctr_pct_of_occupied)} of occupied G&A beds",
            good=definitions.good_words("nctr_remaining"),
            as_of=as_of.get("patients"),
            value_id="tile-nctr",
        ),
        components.tile(
            "NCtR patients discharged today",
            formats.number(today.discharged if today else None),
            unit="patients",
            slug="nctr_remaining",
            detail=(
                f"of {formats.number(today.nctr)} with no criteria to reside today; "
                f"{formats.number(today.discharged_by_1700)} by 17:00"
                if today
                else "no sitrep for today yet"
            ),
            good="Higher is better.",
            as_of=as_of.get("patients"),
        ),
        components.tile(
            "Long stays (stranded)",
            formats.number(area.long_stays.los_7),
            unit="patients in 7+ days",
            slug="super_stranded",
            detail=f"{formats.number(area.long_stays.los_14)} in 14+ days; "
            f"{formats.number(area.long_stays.los_21)} in 21+ days (super-stranded)",
            good="Lower is better.",
            as_of=as_of.get("patients"),
            value_id="tile-los7",
        ),
        components.tile(
            "Delayed bed days",
            formats.number(data.delayed.total),
            unit="days",
            slug="delayed_days",
            detail=f"bed days lost, {period}",
            good=definitions.good_words("delayed_days"),
            as_of=as_of.get("patients"),
            value_id="tile-delayed-days",
        ),
        components.tile(
            "Red days",
            formats.percent(data.red2green.totals.red_pct),
            slug="red_pct",
            detail=f"{formats.number(data.red2green.totals.red)} red and "
            f"{formats.number(data.red2green.totals.green)} green patient-days, {period}",
            good=definitions.good_words("red_pct"),
            as_of=as_of.get("patients"),
        ),
        components.tile(
            "Waiting for pathway 1, 2, 3",
            " · ".join(formats.number(w.demand) for w in (waiting.p1, waiting.p2, waiting.p3)),
            unit="patients",
            slug="p1_waiting",
            detail=_supply_words(area),
            good="P1: home with support; P2: rehabilitation bed; P3: care home.",
            as_of=as_of.get("patients"),
        ),
    ]
    return html.Div(tiles, className="hw-tiles")


def _supply_words(area: AreaFlow) -> str:
    waiting = area.waiting_by_pathway
    if waiting.p1.supply is None and waiting.p3.supply is None:
        return "Capacity is counted for the system and each council, not per hospital site."
    return (
        f"Capacity: {formats.number(waiting.p1.supply)} home-care packages, "
        f"{formats.number(waiting.p2.supply)} community beds, "
        f"{formats.number(waiting.p3.supply)} care-home vacancies"
    )


def area_page(
    data: AreaData,
    *,
    at: str | None,
    crumbs: list[tuple[str, str | None]],
    heading: str,
    intro: str,
    level: str,
    nctr_title: str,
    after: Sequence[Any] = (),
) -> html.Div:
    """The overview's or a site's page: the level, the tiles, the breakdown of its sites
    (``level="site"``) or wards (``"ward"``) and the NCtR and reason charts, then ``after``."""
    period = period_words(data.start, data.today)
    at_query = f"?at={at}" if at else ""
    return html.Div(
        [
            components.breadcrumbs(crumbs),
            components.page_header(
                heading,
                intro,
                as_of=data.summary.as_of.get("patients"),
                extra=viewing_note(data, at),
            ),
            escalation_line(data.area),
            area_tiles(data),
            html.Section(
                [
                    html.H2("Sites" if level == "site" else "Wards"),
                    components.note(
                        "Select a column heading to sort. Occupancy and NCtR are now; "
                        f"delayed bed days and red-day % are for {period}."
                    ),
                    breakdown_grid(
                        data.breakdown.rows,
                        level=level,
                        grid_id=f"{level}s-grid",
                        period=period,
                        at_query=at_query,
                    ),
                ],
                className="hw-panel",
            ),
            html.Div(
                [
                    html.Section(
                        components.graph(nctr_chart(data.nctr_days, nctr_title)),
                        className="hw-panel",
                    ),
                    html.Section(
                        components.graph(
                            reason_chart(data.delayed, f"Delayed bed days by reason, {period}")
                        ),
                        className="hw-panel",
                    ),
                ],
                className="hw-two-columns",
            ),
            *after,
        ]
    )


def breakdown_grid(
    rows: Sequence[FlowBreakdownRow],
    *,
    level: str,
    grid_id: str,
    period: str,
    at_query: str = "",
) -> dag.AgGrid:
    """Sites or wards, sortable by delayed bed days, NCtR and red-day %."""
    link_prefix = (
        "/site/" if level == "site" else f"/site/{rows[0].site_code}/ward/" if rows else ""
    )
    data = [
        {
            "code": row.site_code if level == "site" else row.ward_code,
            "name": row.name,
            "kind": row.kind.replace("_", " "),
            "occupancy_pct": round(row.occupancy.pct, 1) if row.occupancy.pct is not None else None,
            "occupied": row.occupancy.occupied,
            "escalation_open": row.occupancy.escalation_open,
            "nctr": row.nctr_in_hospital,
            "delayed_days": row.delayed_days,
            "red_pct": round(row.red_pct, 1) if row.red_pct is not None else None,
            "red": row.red,
        }
        for row in rows
    ]
    columns: list[dict[str, Any]] = [
        {
            "field": "name",
            "headerName": "Site" if level == "site" else "Ward",
            "cellRenderer": "PageLink",
            "cellRendererParams": {"prefix": link_prefix, "idField": "code", "suffix": at_query},
            "minWidth": 180,
            "pinned": "left",  # stays in view while a tablet or phone scrolls the grid
            "wrapText": True,
            "autoHeight": True,
            "cellClass": "hw-cell-wrap",
        },
        {"field": "kind", "headerName": "Type"},
        {
            "field": "occupancy_pct",
            "headerName": "G&A occupancy %",
            "type": "numericColumn",
            "valueFormatter": ONE_DECIMAL,
        },
        {"field": "escalation_open", "headerName": "Escalation beds open", "type": "numericColumn"},
        {"field": "nctr", "headerName": "NCtR in hospital", "type": "numericColumn"},
        {
            "field": "delayed_days",
            "headerName": f"Delayed bed days ({period})",
            "type": "numericColumn",
            "sort": "desc",
            "valueFormatter": WHOLE,
        },
        {
            "field": "red_pct",
            "headerName": f"Red-day % ({period})",
            "type": "numericColumn",
            "valueFormatter": ONE_DECIMAL,
        },
    ]
    return dag.AgGrid(
        id=grid_id,
        rowData=data,
        columnDefs=columns,
        defaultColDef={
            "sortable": True,
            "resizable": True,
            "filter": False,
            "wrapHeaderText": True,
            "autoHeaderHeight": True,
            "minWidth": 110,  # a narrow screen scrolls the grid rather than crush its headings
        },
        columnSize="responsiveSizeToFit",
        dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True},
        style={"height": None},
    )


def nctr_chart(days: Sequence[NctrDay], title: str) -> Any:
    return figures.daily_line(
        [d.date for d in days],
        {
            "Remaining at midnight (no criteria to reside)": [d.remaining for d in days],
            "Discharged that day (while NCtR)": [d.discharged for d in days],
        },
        title=title,
        y_title="Patients",
    )


def reason_chart(delayed: DelayedDays, title: str) -> Any:
    return figures.ranked_bars(
        [g.label for g in delayed.groups],
        [g.delayed_days for g in delayed.groups],
        title=title,
        x_title="Delayed bed days",
    )


def delay_band_chart(area: AreaFlow, title: str) -> Any:
    bands = list(area.delay_bands.items())
    return figures.ranked_bars(
        [f"{band} days" for band, _ in bands],
        [count for _, count in bands],
        title=title,
        x_title="Patients",
        keep_order=True,
    )
