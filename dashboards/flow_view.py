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
import plotly.graph_objects as go
from dash import html
from sqlalchemy.orm import Session

from app.metrics import flow, timebase, windows
from app.metrics.cache import cached
from app.metrics.escalation import driver_sentence
from app.metrics.occupancy import community_beds
from app.metrics.schemas import (
    AreaFlow,
    CommunityBeds,
    DelayedDays,
    FlowBreakdown,
    FlowBreakdownRow,
    FlowSummary,
    NctrDay,
    Red2Green,
)
from app.security import pages
from dashboards import components, definitions, figures, formats, theme

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
    community: CommunityBeds | None  # None: no community wards here (an acute site)


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
    nctr_days = flow.nctr_daily(session, start=trend.start, end=trend.end, site=site, at=moment)
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
        community=community_beds(session, moment, site=site),
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
            slug="nctr_in_hospital",
            detail=f"{formats.percent(area.nctr_pct_of_occupied)} of occupied G&A beds",
            good=definitions.good_words("nctr_in_hospital"),
            as_of=as_of.get("patients"),
            value_id="tile-nctr",
        ),
        components.tile(
            "NCtR patients discharged today",
            formats.number(today.discharged if today else None),
            unit="patients",
            slug="nctr_discharged_today",
            detail=(
                f"so far today, of {formats.number(today.nctr)} with no criteria to reside; "
                f"{formats.number(today.discharged_by_1700)} by 17:00"
                if today
                else "no sitrep for today yet"
            ),
            good=definitions.good_words("nctr_discharged_today"),
            as_of=as_of.get("patients"),
            value_id="tile-discharged-today",
        ),
        components.tile(
            "Long stays (stranded)",
            formats.number(area.long_stays.los_7),
            unit="patients in 7+ days",
            slug="stays_7_plus",
            detail=f"{formats.number(area.long_stays.los_14)} in 14+ days; "
            f"{formats.number(area.long_stays.los_21)} in 21+ days (super-stranded)",
            good=definitions.good_words("stays_7_plus"),
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
        *_waiting_tiles(area, as_of.get("patients")),
        *_community_tiles(data.community, as_of.get("beds")),
    ]
    return html.Div(tiles, className="hw-tiles")


PATHWAY_TILES = (
    (1, "Waiting for pathway 1", "p1_waiting", "home with support", "home-care packages"),
    (2, "Waiting for pathway 2", "p2_waiting", "rehabilitation bed", "community beds free"),
    (3, "Waiting for pathway 3", "p3_waiting", "care home", "care-home vacancies"),
)


def _waiting_tiles(area: AreaFlow, as_of: datetime | None) -> list[html.Section]:
    """One tile per pathway (each its own definition): demand, and the supply beside it."""
    waiting_now = area.waiting_by_pathway
    by_pathway = {1: waiting_now.p1, 2: waiting_now.p2, 3: waiting_now.p3}
    tiles = []
    for pathway, label, slug, what, supply_words in PATHWAY_TILES:
        waiting = by_pathway[pathway]
        detail = (
            f"{what}; capacity: {formats.number(waiting.supply)} {supply_words}"
            if waiting.supply is not None
            else f"{what}; capacity is counted for the system and each council, not per site"
        )
        tiles.append(
            components.tile(
                label,
                formats.number(waiting.demand),
                unit="patients",
                slug=slug,
                detail=detail,
                good=definitions.good_words(slug),
                as_of=as_of,
                value_id=f"tile-p{pathway}-waiting",
            )
        )
    return tiles


def _community_tiles(community: CommunityBeds | None, as_of: datetime | None) -> list[Any]:
    """Community bed occupancy and the beds free, where there are community wards."""
    if community is None:
        return []
    beds = community.occupancy
    return [
        components.tile(
            "Community bed occupancy",
            formats.percent(beds.pct),
            slug="community_occupancy",
            detail=f"{formats.number(beds.occupied)} of {formats.number(beds.open_beds)} open "
            f"community beds occupied, on {formats.number(community.wards)} wards",
            good=definitions.good_words("community_occupancy"),
            as_of=as_of,
            value_id="tile-community-occupancy",
        ),
        components.tile(
            "Community beds free",
            formats.number(community.beds_free),
            unit="beds",
            slug="community_beds_free",
            detail="the supply for pathway 2 (an over-full ward counts none)",
            good=definitions.good_words("community_beds_free"),
            as_of=as_of,
            value_id="tile-community-free",
        ),
    ]


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
    name_column: dict[str, Any] = {
        "field": "name",
        "headerName": "Site" if level == "site" else "Ward",
        "minWidth": 180,
        "pinned": "left",  # stays in view while a tablet or phone scrolls the grid
        "wrapText": True,
        "autoHeight": True,
        "cellClass": "hw-cell-wrap",
    }
    # a ward page lists patients (coordinators only): link to it only for a role that may open it
    first = rows[0] if rows else None
    target = (
        None
        if first is None
        else f"/site/{first.site_code}"
        if level == "site"
        else f"/site/{first.site_code}/ward/{first.ward_code}"
    )
    if target is not None and pages.may_open(target):
        name_column["cellRenderer"] = "PageLink"
        name_column["cellRendererParams"] = {
            "prefix": link_prefix,
            "idField": "code",
            "suffix": at_query,
        }
    columns: list[dict[str, Any]] = [
        name_column,
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
        # the page refreshes itself (components.live): keep the reader's sort across a redraw
        persistence=True,
        persisted_props=["columnState"],
        persistence_type="memory",
        dashGridOptions={"domLayout": "autoHeight", "ensureDomOrder": True},
        style={"height": None},
    )


NCTR_SERIES = (
    ("Remaining at midnight (no criteria to reside)", "remaining", theme.NHS_BLUE),
    ("Discharged that day (while NCtR)", "discharged", theme.NHS_GREEN),
)


def nctr_chart(days: Sequence[NctrDay], title: str) -> Any:
    """The sitrep's days as lines; a day the metric marks ``partial`` (today, not over) is
    drawn dashed and lighter from the last whole day and labelled "partial", not as a drop.
    The legend sits above the plot, clear of the axis title."""
    whole = [d for d in days if not d.partial]
    fig = figures.daily_line(
        [d.date for d in whole],
        {name: [getattr(d, field) for d in whole] for name, field, _ in NCTR_SERIES},
        title=title,
        y_title="Patients",
    )
    for trace, (_, _, colour) in zip(fig.data, NCTR_SERIES, strict=False):
        trace.line.color = colour
        trace.marker.color = colour
    partial = [d for d in days if d.partial]
    for name, field, colour in NCTR_SERIES if partial else ():
        joined = whole[-1:] + partial
        fig.add_trace(
            go.Scatter(
                x=[d.date for d in joined],
                y=[getattr(d, field) for d in joined],
                mode="lines+markers",
                name=f"{name}, today so far",
                line={"color": colour, "dash": "dash"},
                marker={"color": colour, "symbol": "circle-open"},
                opacity=0.55,
                showlegend=False,
                hovertemplate=f"%{{x|%a %d %b}} (partial: so far)<br>{name}: "
                "%{y:,.0f}<extra></extra>",
            )
        )
    for day in partial:
        fig.add_annotation(
            x=day.date,
            y=max(day.remaining, day.discharged),
            text="partial",
            showarrow=False,
            yshift=14,
            font={"color": theme.NHS_GREY_1},
        )
    fig.update_layout(
        margin={"t": 96, "b": 56},
        title={"y": 0.97, "yanchor": "top"},
        legend={"orientation": "h", "x": 0, "xanchor": "left", "y": 1.02, "yanchor": "bottom"},
    )
    return fig


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
