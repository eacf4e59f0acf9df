"""The next days on the pages: what the wall tile, the forecast page, the weekly report and the
meeting agenda show of ``app.metrics.forecast`` (DESIGN.md §4.12), and the components they share.

Nothing here computes a number: the forecast, its bands, the worst-gap day and the what-if all
come from the forecasting module (through the metrics cache); this module picks which of them
to show and writes them as words. Every component says "Forecast" and shows the band: a
forecast is never shown as a fact.

Components (each a plain function returning Dash components, so any page can include them):

- :func:`wall_tile` — "Next 7 days" for the wall, readable from four metres, refreshing itself;
- :func:`coming_days_section` — "Coming days" for the weekly report and the meeting agenda;
- :func:`fan_figure` — a pathway's fan chart (history solid, forecast dashed in its band).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from html import escape
from typing import Any

from dash import Input, Output, State, callback, dcc, html
from sqlalchemy.orm import Session

from app.metrics import forecast
from app.metrics.cache import cached
from app.metrics.forecast.schemas import (
    Band,
    CapacityChange,
    Forecast,
    PathwayForecast,
    WhatIfPathway,
    WhatIfRequest,
    WhatIfResult,
)
from app.metrics.queries import council_names
from dashboards import components, formats, theme
from dashboards.data import parse_at, read_session
from dashboards.forecast_figures import SCENARIO_BAND, FanDay, FanSeries, fan_chart

log = logging.getLogger("homeward.dashboards.forecast")

FORECAST_WORD = "Forecast"
WALL_DAYS = 7
PAGE_DAYS = forecast.MAX_DAYS
HISTORY_DAYS = 14
#: the pathways shown, with what each means (DESIGN.md §2)
PATHWAY_NAMES: dict[int, str] = {
    0: "P0: home, no new support",
    1: "P1: home with new support",
    2: "P2: bed-based rehabilitation",
    3: "P3: care home",
}
#: what a pathway's capacity out of hospital is (DESIGN.md §4.7)
CAPACITY_WORDS: dict[int, str] = {
    1: "home-care packages startable within 7 days",
    2: "community beds free",
    3: "care-home vacancies",
}
#: what "capacity expected" is, against the capacity page's "now" (the same rule, §4.7)
CAPACITY_NOTE = (
    "Capacity expected is the capacity page's supply (DESIGN.md §4.7: P1 home-care packages "
    "startable within the next 7 days, P2 community beds free, P3 care-home vacancies "
    "accepting admissions), read at the end of each of the last 21 days and forecast from "
    "their weekday pattern. It is not the capacity page's number now: that is the latest "
    "snapshots at this moment, this is each coming day's expected end-of-day value, and P1 "
    "is a 7-day stock of packages, not the starts of one day."
)
#: the what-if's capacity changes, in the order of the controls: (kind, label, pathway)
WHAT_IF_KINDS: tuple[tuple[str, str, int], ...] = (
    ("home_care_starts", "Extra home-care starts a day (P1)", 1),
    ("community_beds", "Extra community beds (P2)", 2),
    ("care_home_vacancies", "Extra care-home vacancies (P3)", 3),
)
ALL = "all"  # the filters' "all councils" and "whole system"
DEFINITION_ANCHOR = "forecast"  # /about/metrics#forecast: what the forecast is
METHOD_ANCHOR = "how"  # /forecast#how: how the forecast is made
WALL_REFRESH_SECONDS = 300  # the forecast changes after a census, not by the minute


# --- reading the module --------------------------------------------------------------------


def pathway_forecast(
    session: Session,
    *,
    days: int,
    site: str | None = None,
    local_authority: str | None = None,
    at: datetime | None = None,
) -> Forecast:
    """The module's forecast, from the metrics cache (recomputed after each census)."""
    return cached(
        session,
        forecast.pathway_forecast,
        now_bound=at is None,
        days=days,
        site=site,
        local_authority=local_authority,
        as_of=at,
    )


def forecast_or_none(read: Callable[[], Forecast]) -> Forecast | None:
    """``read()``, or None when the forecast cannot be made: a screen that includes a forecast
    (the wall, the weekly report) keeps showing its facts when the forecast fails."""
    try:
        return read()
    except Exception:  # the page's facts matter more than its forecast: log it, show a note
        log.exception("the forecast could not be made")
        return None


def unavailable(what: str) -> html.P:
    return html.P(
        f"{FORECAST_WORD}: {what} cannot be shown just now (too little history in the store, "
        "or the forecast failed). The other numbers are not affected.",
        className="fc-unavailable",
    )


def what_if(
    session: Session,
    *,
    amounts: dict[str, int],
    from_date: date | None,
    site: str | None = None,
    local_authority: str | None = None,
    at: datetime | None = None,
    days: int = PAGE_DAYS,
) -> WhatIfResult:
    """The module's what-if for the controls' amounts (kind → N) from ``from_date``, for the
    council chosen (None: every council), cached like the forecast (keyed on its JSON)."""
    request = WhatIfRequest(
        days=days,
        site=site,
        local_authority=local_authority,
        as_of=at,
        changes=[
            CapacityChange(
                kind=kind,
                amount=amounts.get(kind, 0),
                from_date=from_date,
                local_authority=local_authority,
            )
            for kind, _label, _pathway in WHAT_IF_KINDS
        ],
    )
    return cached(
        session,
        forecast.what_if,
        now_bound=at is None,
        request=request.model_dump(mode="json"),
    )


def recorded(pathway: PathwayForecast, days: int = HISTORY_DAYS) -> tuple[list[date], list[int]]:
    """The newest ``days`` recorded days of a pathway and council (or all councils), as the
    forecast carries them: NCtR in hospital at each day's end before the origin."""
    shown = pathway.history[-days:] if days else []
    return [d.day for d in shown], [d.nctr_in_hospital for d in shown]


def council_options(session: Session) -> list[dict[str, str]]:
    names = cached(session, council_names, now_bound=False)
    return [{"label": "All councils", "value": ALL}] + [
        {"label": name, "value": code} for code, name in sorted(names.items(), key=lambda i: i[1])
    ]


def scope_pathways(result: Forecast, local_authority: str | None) -> list[PathwayForecast]:
    """The pathways of the scope asked: all councils together, or one council."""
    return [p for p in result.pathways if p.local_authority == (local_authority or None)]


# --- words ---------------------------------------------------------------------------------


def band_words(band: Band | None, decimals: int = 0) -> str:
    """``P10–P90: 35 to 50``."""
    if band is None:
        return formats.MISSING
    low, high = (_minus(formats.number(v, decimals)) for v in (band.p10, band.p90))
    return f"P10–P90: {low} to {high}"


def _minus(text: str) -> str:
    """A negative number with a true minus sign, as ``formats.signed`` writes it."""
    return text.replace("-", "−")


def gap_words(band: Band | None) -> str:
    """A gap's P50 in words (``12 short``, ``4 spare``), so meaning never rests on colour."""
    if band is None:
        return "no capacity data"
    p50 = round(band.p50)
    if p50 > 0:
        return f"{p50:,} short"
    if p50 < 0:
        return f"{-p50:,} spare"
    return "0: just enough"


def no_gap_words(pathway: int) -> str:
    """Why a pathway has no gap: P0 needs no capacity out of hospital; the others lack one."""
    return "no new support needed" if pathway not in CAPACITY_WORDS else "no capacity forecast"


def day_words(day: date | None) -> str:
    if day is None:
        return formats.MISSING
    return f"{formats.weekday(day)} {formats.short_day(day)}"


def forecast_badge() -> html.Span:
    """The "Forecast" label every forecast carries, in words on a colour that is not a fact's."""
    return components.badge(
        FORECAST_WORD,
        theme.NHS_PURPLE,
        theme.WHITE,
        title="A forecast, not a recorded fact: the band shows how sure it is",
    )


def definition_link() -> html.A:
    """The ⓘ beside a forecast: opens its definition on the metric definitions page."""
    return components.info_link(DEFINITION_ANCHOR, "the forecast")


def definition_section() -> html.Section:
    """The forecast's entry on /about/metrics (``#forecast``), where every ⓘ leads."""
    return html.Section(
        [
            html.H2("The next ten days (forecast)", className="h3"),
            html.P(
                "For each day D+1 to D+10, each pathway (0–3) and council: the patients who "
                "will become NCtR, those discharged, and those NCtR in hospital at the day's "
                "end, as P10, P50 and P90 — from the store's own history only (day-of-week "
                "pattern, trend and today's census, moved towards the same weekday last week "
                "where that did better on the recent history); the capacity "
                "expected each day from the capacity feeds' history; and the gap that results "
                "(NCtR in hospital − capacity expected). A what-if changes a pathway's daily "
                "capacity and shows the queue it gives, beside the baseline."
            ),
            html.P(
                'A forecast is never shown as a fact: it is labelled "Forecast", drawn dashed '
                "inside its shaded P10–P90 band (8 days in 10 should fall inside), and back-"
                "tested over the stored history against a seasonal-naive forecast (the same "
                "weekday last week)."
            ),
            html.P(html.A("How this forecast is made", href=f"/forecast#{METHOD_ANCHOR}")),
        ],
        id=DEFINITION_ANCHOR,
        className="hw-panel definition",
        tabIndex="-1",
    )


def origin_words(result: Forecast | WhatIfResult) -> str:
    return (
        f"{FORECAST_WORD} from the census of {formats.short_date_time(result.as_of)}; "
        f"day 1 is {day_words(result.origin + timedelta(days=1))}. "
        f"Bands are P10–P90 of {result.simulations:,} simulated runs: 8 days in 10 should "
        "fall inside."
    )


# --- the fan chart -------------------------------------------------------------------------


def _fan_days(days: Sequence[Any], quantity: str) -> list[FanDay]:
    return [
        FanDay(
            day=d.day,
            p10=getattr(d, quantity).p10,
            p50=getattr(d, quantity).p50,
            p90=getattr(d, quantity).p90,
        )
        for d in days
    ]


def fan_figure(
    pathway: PathwayForecast,
    recorded_days: tuple[list[date], list[int]] | None = None,
    *,
    height: int = 320,
) -> Any:
    """NCtR in hospital on one pathway: the recorded days (default: those the forecast
    carries for its pathway and council), then the forecast in its band."""
    days, values = recorded_days if recorded_days is not None else recorded(pathway)
    return fan_chart(
        history_days=days,
        history_values=values,
        forecasts=[
            FanSeries(
                name=FORECAST_WORD,
                days=_fan_days(pathway.days, "nctr_in_hospital"),
            )
        ],
        title=None,
        y_title="NCtR in hospital (patients)",
        history_name="Recorded",
        height=height,
    )


def what_if_figure(result: WhatIfPathway, *, height: int = 320) -> Any:
    """The queue of one pathway: the baseline forecast and the scenario, each in its band."""
    return fan_chart(
        history_days=[],
        history_values=[],
        forecasts=[
            FanSeries(
                name="Baseline forecast", days=_fan_days(result.baseline, "nctr_in_hospital")
            ),
            FanSeries(
                name="What-if forecast",
                days=_fan_days(result.scenario, "nctr_in_hospital"),
                line_colour=theme.NHS_PURPLE,
                band_colour=SCENARIO_BAND,
                dash="dot",
            ),
        ],
        title=None,
        y_title="NCtR in hospital (patients)",
        height=height,
    )


def chart(figure: Any, *, graph_id: Any, label: str) -> html.Figure:
    """A chart with a name a screen reader announces (the table beside it has the numbers)."""
    # role="img" with its label: a screen reader announces the chart once, as a picture, and
    # reads the numbers from the table beside it rather than Plotly's SVG
    return html.Figure(
        components.graph(figure, graph_id=graph_id),
        className="fc-chart",
        role="img",
        **components.attrs(aria_label=label),
    )


# --- the wall tile -------------------------------------------------------------------------


@dataclass(frozen=True)
class TileRow:
    """One pathway's line on the wall tile, written."""

    pathway: int
    name: str
    now: str
    p50: str
    band: str
    worst_day: str
    worst_gap: str
    short: bool | None


def tile_rows(result: Forecast, local_authority: str | None = None) -> list[TileRow]:
    """The tile's lines: NCtR now, the P50 and band on the last day, the day the gap is worst."""
    rows = []
    for pathway in scope_pathways(result, local_authority):
        last = pathway.days[-1] if pathway.days else None
        worst = pathway.worst_gap
        rows.append(
            TileRow(
                pathway=pathway.pathway,
                name=PATHWAY_NAMES.get(pathway.pathway, f"P{pathway.pathway}"),
                now=formats.number(pathway.today.nctr_in_hospital),
                p50=formats.number(last.nctr_in_hospital.p50) if last else formats.MISSING,
                band=band_words(last.nctr_in_hospital) if last else formats.MISSING,
                worst_day=day_words(pathway.worst_gap_day),
                worst_gap=f"{gap_words(worst)} ({band_words(worst)})"
                if worst
                else no_gap_words(pathway.pathway),
                short=None if worst is None else round(worst.p50) > 0,
            )
        )
    return rows


def _tile_body(result: Forecast | None) -> list[Any]:
    if result is None:
        return [unavailable(f"the next {WALL_DAYS} days")]
    rows = tile_rows(result)
    last_day = result.origin + timedelta(days=result.days)
    head = html.Thead(
        html.Tr(
            [
                html.Th("Pathway", scope="col"),
                html.Th("NCtR now", scope="col", className="num"),
                html.Th(
                    f"{FORECAST_WORD} {day_words(last_day)}: P50", scope="col", className="num"
                ),
                html.Th("Band", scope="col"),
                html.Th("Worst gap", scope="col"),
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(row.name, scope="row"),
                    html.Td(row.now, className="num"),
                    html.Td(row.p50, className="num fc-p50"),
                    html.Td(row.band, className="fc-band"),
                    html.Td(
                        [
                            html.Span(row.worst_day, className="fc-worst-day"),
                            " ",
                            html.Span(
                                row.worst_gap,
                                className="gap-short"
                                if row.short
                                else "gap-ok"
                                if row.short is False
                                else "",
                            ),
                        ]
                    ),
                ],
                **components.attrs(data_pathway=str(row.pathway)),
            )
            for row in rows
        ]
    )
    return [
        html.Table(
            [
                html.Caption(
                    f"{FORECAST_WORD}: NCtR patients in hospital by pathway over the next "
                    f"{result.days} days, the median (P50) with its P10–P90 band, and the day "
                    "the gap between them and the capacity expected is worst.",
                    className="visually-hidden",
                ),
                head,
                body,
            ],
            className="fc-wall-table",
        ),
        html.P(origin_words(result), className="wall-as-of fc-origin"),
    ]


def wall_tile(at: str | None = None) -> html.Section:
    """ "Next 7 days" for the wall: per pathway the P50 with its band and the worst-gap day.

    Self-contained (its own refresh, its own callback), so the wall includes it in one line.
    """
    moment = parse_at(at)
    with read_session() as session:
        result = forecast_or_none(lambda: pathway_forecast(session, days=WALL_DAYS, at=moment))
    return html.Section(
        [
            dcc.Store(id="fc-wall-settings", data={"at": at}),
            dcc.Interval(id="fc-wall-refresh", interval=WALL_REFRESH_SECONDS * 1000),
            html.Div(
                [
                    html.H2([f"Next {WALL_DAYS} days ", forecast_badge()]),
                    definition_link(),
                ],
                className="fc-wall-head",
            ),
            html.Div(_tile_body(result), id="fc-wall-body"),
        ],
        className="fc-wall",
        id="fc-wall",
        **components.attrs(aria_label=f"{FORECAST_WORD}: the next {WALL_DAYS} days"),
    )


@callback(
    Output("fc-wall-body", "children"),
    Input("fc-wall-refresh", "n_intervals"),
    State("fc-wall-settings", "data"),
    prevent_initial_call=True,
)
def refresh_wall_tile(_n: int, settings: dict[str, Any] | None) -> list[Any]:
    """Replace the tile's numbers (the forecast is recomputed after each census)."""
    moment = parse_at((settings or {}).get("at"))
    with read_session() as session:
        result = forecast_or_none(lambda: pathway_forecast(session, days=WALL_DAYS, at=moment))
    return _tile_body(result)


# --- the coming days (weekly report, meeting agenda) ---------------------------------------


@dataclass(frozen=True)
class ComingDay:
    day: str
    p50: str
    band: str
    gap: str


@dataclass(frozen=True)
class ComingPathway:
    """One pathway's coming days, written: for the weekly report's page and its HTML file."""

    name: str
    now: str
    worst: str
    days: list[ComingDay]


def coming_days(result: Forecast, local_authority: str | None = None) -> list[ComingPathway]:
    """Every pathway's next days as words (P50, band, gap), and its worst-gap day."""
    out = []
    for pathway in scope_pathways(result, local_authority):
        worst = (
            f"worst gap {day_words(pathway.worst_gap_day)}: {gap_words(pathway.worst_gap)}"
            if pathway.worst_gap_day
            else no_gap_words(pathway.pathway)
        )
        out.append(
            ComingPathway(
                name=PATHWAY_NAMES.get(pathway.pathway, f"P{pathway.pathway}"),
                now=formats.number(pathway.today.nctr_in_hospital),
                worst=worst,
                days=[
                    ComingDay(
                        day=day_words(d.day),
                        p50=formats.number(d.nctr_in_hospital.p50),
                        band=band_words(d.nctr_in_hospital),
                        gap=gap_words(d.gap) if d.gap else formats.MISSING,
                    )
                    for d in pathway.days
                ],
            )
        )
    return out


def coming_days_section(
    result: Forecast | None, *, section_id: str = "coming-days", heading_level: int = 2
) -> html.Section:
    """ "Coming days": a table per pathway of the forecast's next days, with bands.

    For the weekly report and the meeting agenda (issue #15): include it with the result of
    :func:`pathway_forecast` (None shows a note instead).
    """
    heading = html.H2 if heading_level == 2 else html.H3
    if result is None:
        body: list[Any] = [unavailable("the coming days")]
    else:
        tables = [
            components.simple_table(
                [
                    ("day", "Day"),
                    ("p50", "NCtR in hospital, P50"),
                    ("band", "Band"),
                    ("gap", "Gap"),
                ],
                [vars(day) for day in pathway.days],
                caption=f"{pathway.name}: {pathway.now} NCtR now; {pathway.worst}",
                numeric=("p50",),
                empty="No forecast for this pathway.",
            )
            for pathway in coming_days(result)
        ]
        body = [
            html.P(origin_words(result), className="fc-origin"),
            html.Div(tables, className="hw-two-columns fc-coming"),
        ]
    return html.Section(
        [
            heading(["Coming days ", forecast_badge()]),
            *body,
            html.P(
                [
                    f"{GAP_NOTE} ",
                    html.A("Open the forecast page", href="/forecast"),
                    " for the fan charts and the what-if.",
                ],
                className="hw-note",
            ),
        ],
        className="hw-panel fc-coming-days",
        id=section_id,
        **components.attrs(aria_label=f"{FORECAST_WORD}: the coming days"),
    )


GAP_NOTE = "Gap = NCtR in hospital − the capacity expected that day (P50); the band is P10–P90."


def coming_days_html(result: Forecast | None) -> str:
    """ "Coming days" for the offline HTML report: the same words, as plain HTML."""
    parts = [
        "<h2>Coming days <span class='forecast-label'>Forecast</span></h2>",
    ]
    if result is None:
        parts.append(
            "<p class='note'>Forecast: the coming days cannot be shown (too little history "
            "in the store, or the forecast failed).</p>"
        )
        return "\n".join(parts)
    parts.append(f"<p>{escape(origin_words(result))}</p>")
    for pathway in coming_days(result):
        rows = "".join(
            f"<tr><td>{escape(d.day)}</td><td class='num'>{escape(d.p50)}</td>"
            f"<td>{escape(d.band)}</td><td>{escape(d.gap)}</td></tr>"
            for d in pathway.days
        )
        parts.append(
            f"<table><caption>{escape(FORECAST_WORD)}: {escape(pathway.name)}: "
            f"{escape(pathway.now)} NCtR now; {escape(pathway.worst)}</caption><thead><tr>"
            "<th scope='col'>Day</th><th scope='col' class='num'>NCtR in hospital, P50</th>"
            "<th scope='col'>Band</th><th scope='col'>Gap</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )
    parts.append(f"<p class='note'>{escape(GAP_NOTE)}</p>")
    return "\n".join(parts)
