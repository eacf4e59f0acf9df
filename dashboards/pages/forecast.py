"""/forecast — the next ten days by pathway: a fan chart per pathway (recorded days solid, the
forecast dashed in its shaded P10–P90 band), filtered by council and site, and the what-if:
more capacity out of hospital, shown beside the baseline with bands.

Aggregates only. The numbers come from ``app.metrics.forecast`` through ``forecast_view``; the
page lays them out. Query parameters: ``council``, ``site`` (the filters, kept in the address)
and ``at`` (forecast from a past moment's census).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from starlette.exceptions import HTTPException

from app.metrics import flow
from app.metrics.cache import cached
from app.metrics.errors import InvalidParameter, NotFound
from app.metrics.forecast.schemas import Forecast, PathwayForecast, WhatIfResult
from dashboards import components, formats
from dashboards import forecast_view as view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path="/forecast",
    name="Forecast",
    title="Forecast: the next ten days – Homeward",
    description="NCtR patients by pathway over the next ten days, with bands, and a what-if.",
    order=4,
)

ALL = view.ALL


def _chosen(value: str | None) -> str | None:
    """A filter's value as the module takes it: None for all councils or the whole system."""
    return None if not value or value == ALL else value


def _select(label: str, control_id: str, options: list[dict[str, str]], value: str) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=control_id),
            dbc.Select(id=control_id, options=options, value=value),
        ]
    )


def _site_options(session: Any) -> list[dict[str, str]]:
    sites = cached(session, flow.summary, now_bound=True, at=None, site=None).sites
    return [{"label": "Whole system", "value": ALL}] + [
        {"label": s.name, "value": s.site_code or ""}
        for s in sites
        if s.kind == "acute" and s.site_code
    ]


def _day_table(pathway: PathwayForecast) -> Any:
    return components.simple_table(
        [
            ("day", "Day"),
            ("p50", "NCtR in hospital, P50"),
            ("band", "Band"),
            ("capacity", "Capacity expected, P50"),
            ("gap", "Gap"),
        ],
        [
            {
                "day": view.day_words(d.day),
                "p50": formats.number(d.nctr_in_hospital.p50),
                "band": view.band_words(d.nctr_in_hospital),
                "capacity": formats.number(d.capacity_expected.p50)
                if d.capacity_expected
                else formats.MISSING,
                "gap": view.gap_words(d.gap) if d.gap else formats.MISSING,
            }
            for d in pathway.days
        ],
        caption=f"{view.FORECAST_WORD}: {view.PATHWAY_NAMES[pathway.pathway]}, day by day",
        numeric=("p50", "capacity"),
        empty="No forecast for this pathway.",
    )


def _pathway_panel(pathway: PathwayForecast) -> html.Section:
    name = view.PATHWAY_NAMES[pathway.pathway]
    capacity = view.CAPACITY_WORDS.get(pathway.pathway)
    if pathway.worst_gap_day:
        worst = (
            f"Worst gap {view.day_words(pathway.worst_gap_day)}: "
            f"{view.gap_words(pathway.worst_gap)} ({view.band_words(pathway.worst_gap)}), "
            f"against {capacity} expected."
        )
    elif capacity:
        worst = f"No forecast of {capacity} here, so no gap."
    else:
        worst = "No capacity out of hospital is counted for this pathway."
    return html.Section(
        [
            html.Div(
                [html.H3(name, className="mb-0"), view.forecast_badge()], className="tile-heading"
            ),
            html.P(
                [
                    f"{formats.number(pathway.today.nctr_in_hospital)} NCtR in hospital now. ",
                    worst,
                ],
                className="mb-1",
            ),
            view.chart(
                view.fan_figure(pathway),
                graph_id={"type": "fc-fan", "pathway": str(pathway.pathway)},
                label=f"Fan chart, {name}: NCtR in hospital on the recorded days as a solid "
                f"line, then the forecast median (P50) dashed inside its P10–P90 band.",
            ),
            html.Details(
                [html.Summary("The numbers, day by day"), _day_table(pathway)],
                className="fc-details",
            ),
        ],
        className="hw-panel fc-pathway",
        id=f"fc-pathway-{pathway.pathway}",
    )


def _content(result: Forecast, council: str | None) -> list[Any]:
    pathways = view.scope_pathways(result, council)
    scope = "the council's own patients" if council else "all councils together"
    note = (
        f"Recorded days: NCtR in hospital at each day's end, as the census had it ({scope}); "
        "then the forecast."
    )
    return [
        html.P(view.origin_words(result), className="fc-origin", id="fc-origin"),
        components.note(note),
        html.Div(
            [_pathway_panel(p) for p in pathways]
            or [html.P("No forecast for this choice: too little history in the store.")],
            className="hw-two-columns",
        ),
    ]


def _band_cell(band: Any, cell_id: str) -> html.Td:
    return html.Td(
        [
            html.Span(formats.number(band.p50), className="fc-p50", id=cell_id),
            html.Br(),
            html.Span(view.band_words(band), className="fc-band"),
        ],
        className="num",
    )


def _what_if_content(result: WhatIfResult, council: str | None) -> list[Any]:
    chosen = [
        p
        for p in result.pathways
        if p.local_authority == _chosen(council) and p.pathway in view.CAPACITY_WORDS
    ]
    last = view.day_words(result.origin + timedelta(days=result.days))
    rows = []
    for p in chosen:
        key = str(p.pathway)
        end_base = p.baseline[-1].nctr_in_hospital if p.baseline else None
        end_scenario = p.scenario[-1].nctr_in_hospital if p.scenario else None
        rows.append(
            html.Tr(
                [
                    html.Th(view.PATHWAY_NAMES[p.pathway], scope="row"),
                    _band_cell(end_base, f"fc-wi-{key}-baseline-queue")
                    if end_base
                    else html.Td("–"),
                    _band_cell(end_scenario, f"fc-wi-{key}-scenario-queue")
                    if end_scenario
                    else html.Td("–"),
                    _band_cell(p.bed_days_lost_baseline, f"fc-wi-{key}-baseline-lost"),
                    _band_cell(p.bed_days_lost_scenario, f"fc-wi-{key}-scenario-lost"),
                    _band_cell(p.bed_days_saved, f"fc-wi-{key}-saved"),
                ]
            )
        )
    table = dbc.Table(
        [
            html.Caption(
                f"{view.FORECAST_WORD}: the queue on {last} and the bed days lost over the "
                f"{result.days} days, baseline beside the what-if (P50 with P10–P90)"
            ),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Pathway", scope="col"),
                        html.Th(f"Waiting {last}: baseline", scope="col", className="num"),
                        html.Th(f"Waiting {last}: what-if", scope="col", className="num"),
                        html.Th("Bed days lost: baseline", scope="col", className="num"),
                        html.Th("Bed days lost: what-if", scope="col", className="num"),
                        html.Th("Bed days saved", scope="col", className="num"),
                    ]
                )
            ),
            html.Tbody(rows),
        ],
        size="sm",
        striped=True,
        className="hw-table fc-what-if-table",
    )
    charts = [
        html.Section(
            [
                html.H3(view.PATHWAY_NAMES[p.pathway]),
                view.chart(
                    view.what_if_figure(p),
                    graph_id={"type": "fc-what-if", "pathway": str(p.pathway)},
                    label=f"{view.PATHWAY_NAMES[p.pathway]}: the baseline forecast (blue, dashed) "
                    "and the what-if forecast (purple, dotted), each median inside its "
                    "P10–P90 band.",
                ),
            ],
            className="fc-what-if-chart",
        )
        for p in chosen
    ]
    return [table, html.Div(charts, className="hw-three-columns")]


def _what_if_controls(result: Forecast) -> html.Section:
    first = result.origin + timedelta(days=1)
    from_options = [
        {
            "label": f"{view.day_words(first + timedelta(days=n))} (day {n + 1})",
            "value": (first + timedelta(days=n)).isoformat(),
        }
        for n in range(result.days)
    ]
    inputs = [
        html.Div(
            [
                dbc.Label(label, html_for=f"fc-wi-{kind}"),
                dbc.Input(
                    id=f"fc-wi-{kind}",
                    type="number",
                    value=0,
                    min=-100,
                    max=500,
                    step=1,
                    debounce=True,
                    inputMode="numeric",
                ),
            ]
        )
        for kind, label, _pathway in view.WHAT_IF_KINDS
    ]
    return html.Section(
        [
            html.H2(["What if there were more capacity? ", view.forecast_badge()]),
            html.P(
                "Add home-care starts, community beds or care-home vacancies from a day on, and "
                "see the queue and the bed days lost beside the baseline. The same simulated "
                "runs are used for both, so no change gives the baseline's numbers exactly.",
                className="lead-text",
            ),
            html.Div(
                [*inputs, _select("From", "fc-wi-from", from_options, first.isoformat())],
                className="hw-filters",
            ),
            dcc.Loading(html.Div(id="fc-what-if"), type="dot"),
        ],
        className="hw-panel fc-what-if",
        **components.attrs(aria_label="What-if: more capacity"),
    )


def _method(result: Forecast) -> html.Section:
    return html.Section(
        [
            html.H2("How the forecast is made"),
            html.P(
                "From the store's own history only (DESIGN.md §4.12): the day-of-week pattern "
                "and trend of patients becoming NCtR and of discharges, and today's census; "
                "each pathway's queue is then moved towards seasonal-naive (the same weekday "
                "last week) by a weight per day ahead chosen on the last four weeks, and its "
                "band widened to the errors made there. Expected discharge dates are shown, "
                "not used. It is recomputed after each census."
            ),
            html.P(view.CAPACITY_NOTE, id="fc-capacity-words"),
            html.P(result.method, id="fc-method-words"),
            html.P(
                [
                    f"Learned from {result.history_days:,} days of history; each band is the "
                    f"P10–P90 of {result.simulations:,} simulated runs. How well it has done, "
                    "horizon by horizon, against a seasonal-naive forecast (the same weekday "
                    "last week): the back-test in docs/forecast.md, and ",
                    html.Code("homeward forecast backtest"),
                    ".",
                ]
            ),
        ],
        className="hw-panel",
        id=view.METHOD_ANCHOR,
        tabIndex="-1",
    )


@safe_layout
def layout(
    council: str | None = None, site: str | None = None, at: str | None = None, **_q: str
) -> html.Div:
    moment = parse_at(at)
    with read_session() as session:
        site_options = _site_options(session)
        council_options = view.council_options(session)
        chosen_site = site if site in {o["value"] for o in site_options} else ALL
        chosen_council = council if council in {o["value"] for o in council_options} else ALL
        result = view.pathway_forecast(
            session,
            days=view.PAGE_DAYS,
            site=_chosen(chosen_site),
            local_authority=_chosen(chosen_council),
            at=moment,
        )
    return html.Div(
        [
            dcc.Store(id="fc-settings", data={"at": at}),
            dcc.Store(id="fc-query"),
            dcc.Store(id="fc-query-written"),
            html.Header(
                [
                    html.H1(["Forecast: the next ten days ", view.forecast_badge()]),
                    html.P(
                        "Patients with no criteria to reside (NCtR) in hospital, pathway by "
                        "pathway, over the next ten days, and the capacity out of hospital "
                        "expected to meet them. A forecast is not a fact: the shaded band holds "
                        "8 days in 10, the dashed line is its middle (P50).",
                        className="lead-text",
                    ),
                    html.P(
                        html.A("How the forecast is made", href=f"#{view.METHOD_ANCHOR}"),
                        className="hw-note",
                    ),
                ],
                className="page-header",
            ),
            html.Section(
                html.Div(
                    [
                        _select("Council", "fc-council", council_options, chosen_council),
                        _select("Site", "fc-site", site_options, chosen_site),
                    ],
                    className="hw-filters",
                ),
                className="hw-panel",
                **components.attrs(aria_label="Choose the council and site"),
            ),
            dcc.Loading(
                html.Div(_content(result, _chosen(chosen_council)), id="fc-content"),
                type="dot",
            ),
            _what_if_controls(result),
            _method(result),
        ],
        className="fc-page",
    )


@contextmanager
def _refused_as_4xx() -> Iterator[None]:
    """A callback asked for an unknown council or site answers 422, not a 500: the page only
    offers the store's own, so such a request was made by hand."""
    try:
        yield
    except (InvalidParameter, NotFound) as exc:
        raise HTTPException(422, f"{exc}: choose a council and site the page offers") from None


@callback(
    Output("fc-content", "children"),
    Output("fc-query", "data"),
    Input("fc-council", "value"),
    Input("fc-site", "value"),
    State("fc-settings", "data"),
    prevent_initial_call=True,
)
def choose(
    council: str | None, site: str | None, settings: dict[str, Any] | None
) -> tuple[Any, str]:
    """Redraw the fan charts for the council and site chosen; keep the choice in the address."""
    at = (settings or {}).get("at")
    with _refused_as_4xx(), read_session() as session:
        result = view.pathway_forecast(
            session,
            days=view.PAGE_DAYS,
            site=_chosen(site),
            local_authority=_chosen(council),
            at=parse_at(at),
        )
    query = {
        k: v for k, v in (("council", _chosen(council)), ("site", _chosen(site)), ("at", at)) if v
    }
    return _content(result, _chosen(council)), "?" + urlencode(query) if query else ""


@callback(
    Output("fc-what-if", "children"),
    *(Input(f"fc-wi-{kind}", "value") for kind, _label, _p in view.WHAT_IF_KINDS),
    Input("fc-wi-from", "value"),
    Input("fc-council", "value"),
    Input("fc-site", "value"),
    State("fc-settings", "data"),
)
def run_what_if(*values: Any) -> list[Any]:
    """The scenario beside the baseline, answered by the forecasting module."""
    *amounts, from_value, council, site, settings = values
    kinds = [kind for kind, _label, _p in view.WHAT_IF_KINDS]
    chosen = {kind: _amount(amount) for kind, amount in zip(kinds, amounts, strict=True)}
    with _refused_as_4xx(), read_session() as session:
        result = view.what_if(
            session,
            amounts=chosen,
            from_date=_day(from_value),
            site=_chosen(site),
            local_authority=_chosen(council),
            at=parse_at((settings or {}).get("at")),
        )
    return _what_if_content(result, _chosen(council))


def _amount(value: Any) -> int:
    """A control's N, kept to what the module accepts; empty or invalid is no change."""
    try:
        return max(-1000, min(1000, int(value)))
    except (TypeError, ValueError):
        return 0


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="syncQueryString"),
    Output("fc-query-written", "data"),
    Input("fc-query", "data"),
    prevent_initial_call=True,
)
