"""/reports/weekly — the weekly system meeting's report: Making Data Count SPC charts, what
changed, delayed days by reason, agency and council; downloadable as one HTML file and CSV."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html
from starlette.exceptions import HTTPException

from app.metrics import flow, timebase, windows
from app.metrics.cache import cached
from app.metrics.errors import InvalidParameter, NotFound
from app.metrics.schemas import WeeklyTrend
from app.security.principal import current_principal_or_none
from app.security.roles import Role
from dashboards import components, forecast_view, formats, icons, report
from dashboards import weekly_view as view
from dashboards.data import read_session, safe_layout

dash.register_page(
    __name__,
    path="/reports/weekly",
    name="Weekly report",
    title="Weekly report – Homeward",
    description="Weekly SPC charts of discharge flow, what changed, and where days were lost.",
    order=3,
)


def _icon(icon: icons.Icon) -> html.Span:
    return html.Span(
        [html.Img(src=icon.data_uri(), alt="", width=28, height=28), icon.words],
        className="spc-icon",
    )


def _chart_panel(trend: WeeklyTrend, index: int) -> html.Section:
    return html.Section(
        [
            html.Div(
                [
                    html.H3(trend.metric.label, className="mb-0"),
                    components.info_link(trend.metric.slug, trend.metric.label),
                ],
                className="tile-heading",
            ),
            html.Div(
                [
                    _icon(icons.variation(trend.variation_icon)),
                    _icon(icons.assurance(trend.assurance_icon)),
                ],
                className="spc-icons",
            ),
            html.P(report.summary_text(trend), className="mb-1"),
            components.graph(
                view.figure(trend),
                graph_id=f"spc-{index}",
                label=f"Weekly SPC chart: {trend.metric.label}",
            ),
        ],
        className="hw-panel spc-panel",
        id=f"chart-{trend.metric.slug}",
    )


def _returns_panel(data: view.WeeklyReport) -> html.Section:
    """Downloads of the NHS England returns for the chosen week (docs/returns.md)."""

    def links(items: list[view.ReturnLink], list_id: str) -> html.Ul:
        return html.Ul(
            [html.Li(html.A(link.label, href=link.href, download="")) for link in items],
            id=list_id,
            className="returns-links",
        )

    return html.Section(
        [
            html.H2("Returns for NHS England"),
            html.P(
                "The returns Homeward fills in from the same figures as this report, in NHS "
                "England's long format (CSV), by trust. A day or month that is not over yet "
                "is so far, not final.",
            ),
            html.H3("Daily acute discharge sitrep", className="h5"),
            links(view.sitrep_links(data.week_end), "returns-sitrep"),
            html.H3("Monthly discharge-delay measures", className="h5"),
            links(view.discharge_delay_links(data.week_end), "returns-discharge-delays"),
        ],
        className="hw-panel no-print",
        id="weekly-returns",
    )


def _not_wall() -> bool:
    """The wall sees an action's title, owner and status only (not its due date)."""
    principal = current_principal_or_none()
    return principal is None or principal.role is not Role.WALL


def _targets_section(rows: list[report.TargetRow]) -> html.Section:
    """The local targets by pathway: the latest week, the target and both icons."""
    table = components.simple_table(
        [
            ("label", "Target"),
            ("latest", "Latest week"),
            ("target", "Target"),
            ("variation", "Variation"),
            ("assurance", "Assurance"),
        ],
        [
            {
                "label": row.label,
                "latest": row.latest,
                "target": row.target,
                "variation": _icon(row.variation),
                "assurance": _icon(row.assurance),
            }
            for row in rows
        ],
        caption="Local targets by pathway",
        numeric=("latest", "target"),
        empty="No local targets are configured.",
        table_id="pathway-targets",
    )
    return html.Section(
        [html.H2("Local targets by pathway"), html.P(report.TARGETS_NOTE), table],
        className="hw-panel",
        id="pathway-targets-section",
    )


def _content(data: view.WeeklyReport) -> list[Any]:
    tables = [
        components.simple_table(
            [("label", table.heading), ("days", "Delayed days"), ("share", "Share")],
            [
                {
                    "label": row.label,
                    "days": formats.number(row.delayed_days),
                    "share": formats.fraction_percent(row.share),
                }
                for row in table.rows
            ],
            caption=f"{table.title}, {data.period}",
            numeric=("days", "share"),
            empty="No delayed days in this week.",
        )
        for table in data.tables
    ]
    return [
        html.H2(data.title, className="h3 mt-2"),
        html.P(data.subtitle),
        html.Section(
            [
                html.H2("What changed this week"),
                html.Ul(
                    [html.Li(sentence) for sentence in report.what_changed(data.trends)],
                    className="changed-list",
                    id="what-changed",
                ),
            ],
            className="hw-panel",
        ),
        html.Div(
            [_chart_panel(trend, i) for i, trend in enumerate(data.trends)],
            className="hw-two-columns",
        ),
        _targets_section(report.target_rows(data.pathway_targets)),
        html.Section(
            [
                html.H2("Where the delayed days were lost this week"),
                html.Div(tables, className="hw-three-columns"),
                html.H3("Delayed days where this reason contributed", className="h4 mt-3"),
                html.P(report.CONTRIBUTING_NOTE),
                components.simple_table(
                    [
                        ("label", "Reason"),
                        ("contributed", "Days it contributed"),
                        ("primary", "Days as the delay reason"),
                    ],
                    [
                        {
                            "label": r.label,
                            "contributed": formats.number(r.contributed_days),
                            "primary": formats.number(r.primary_days),
                        }
                        for r in data.contributing
                    ],
                    caption=f"Delayed days where this reason contributed, {data.period}",
                    numeric=("contributed", "primary"),
                    empty="No contributing reasons recorded in this week.",
                    table_id="contributing-reasons",
                ),
            ],
            className="hw-panel",
        ),
        forecast_view.coming_days_section(data.coming_days),
        _returns_panel(data),
        html.Section(
            [
                html.H2("Actions this week"),
                *[
                    html.Div(
                        [html.H3(heading, className="h5"), html.Ul([html.Li(x) for x in lines])]
                    )
                    for heading, lines in report.actions_this_week(
                        data.actions, with_due=_not_wall()
                    )
                ],
            ],
            className="hw-panel",
            id="actions-this-week",
        ),
        html.Section(
            [
                html.H2("What moved after an action"),
                html.P(
                    "Each action on a measure, done or still open, raised at least "
                    f"{data.what_moved.weeks_after if data.what_moved else ''} whole weeks "
                    "ago: the measure's mean over the weeks before the action's week and "
                    "after it, and whether an SPC special cause of improvement followed "
                    "(limits set on the weeks before).",
                    className="mb-1",
                ),
                html.Ul([html.Li(line) for line in report.what_moved(data.what_moved)]),
            ],
            className="hw-panel",
            id="what-moved",
        ),
    ]


@safe_layout
def layout(
    week: str | None = None, site: str | None = None, weeks: str | None = None, **_q: str
) -> html.Div:
    with read_session() as session:
        latest = windows.latest_complete_week_end(session)
        week_end = view.read_week(week, latest)
        sites = cached(session, flow.summary, now_bound=True, at=None, site=None).sites
        codes = {s.site_code for s in sites}
        chosen_site = site if site in codes else None
        span = view.read_span(weeks)
        data = view.gather(session, week_end=week_end, site=chosen_site, weeks=span)
    week_options = [
        {"label": f"Week ending {formats.day(sunday)}", "value": sunday.isoformat()}
        for sunday in reversed(timebase.week_ends(view.WEEK_CHOICES, latest))
    ]
    site_options = [{"label": "Whole system", "value": view.SYSTEM}] + [
        {"label": s.name, "value": s.site_code or ""} for s in sites
    ]
    return html.Div(
        [
            dcc.Store(id="weekly-query"),
            dcc.Store(id="weekly-query-written"),
            dcc.Download(id="weekly-download-html"),
            dcc.Download(id="weekly-download-csv"),
            dcc.Download(id="weekly-download-series"),
            html.Header(
                [
                    html.H1("Weekly report"),
                    html.P(
                        "Each measure's last weeks as an NHS Making Data Count chart: is this "
                        "week's change a signal (special cause) or the usual ups and downs "
                        "(common cause)? Choose the week and the area; download the report to "
                        "share or print.",
                        className="lead-text",
                    ),
                ],
                className="page-header",
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.Div(
                                [
                                    dbc.Label("Week", html_for="weekly-week"),
                                    dbc.Select(
                                        id="weekly-week",
                                        options=week_options,
                                        value=week_end.isoformat(),
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.Label("Area", html_for="weekly-site"),
                                    dbc.Select(
                                        id="weekly-site",
                                        options=site_options,
                                        value=chosen_site or view.SYSTEM,
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.Label("Weeks on each chart", html_for="weekly-span"),
                                    dbc.Select(
                                        id="weekly-span",
                                        options=[
                                            {"label": f"{n} weeks", "value": str(n)}
                                            for n in view.SPAN_CHOICES
                                        ],
                                        value=str(span),
                                    ),
                                ]
                            ),
                            html.Div(
                                [
                                    dbc.Button(
                                        "Download report (HTML, works offline)",
                                        id="weekly-html-button",
                                        color="primary",
                                        className="me-2 mb-1",
                                    ),
                                    dbc.Button(
                                        "Download tables (CSV)",
                                        id="weekly-csv-button",
                                        color="primary",
                                        outline=True,
                                        className="me-2 mb-1",
                                    ),
                                    dbc.Button(
                                        "Download chart series (CSV)",
                                        id="weekly-series-button",
                                        color="primary",
                                        outline=True,
                                        className="mb-1",
                                    ),
                                ],
                                className="no-print",
                            ),
                        ],
                        className="hw-filters",
                    ),
                ],
                className="hw-panel",
                **components.attrs(aria_label="Choose the week and area"),
            ),
            dcc.Loading(html.Div(_content(data), id="weekly-content"), type="dot"),
        ]
    )


@contextmanager
def _refused_as_4xx() -> Iterator[None]:
    """A callback asked for an unknown site or a bad week answers 404/422, not a 500: such a
    request was not made by the page (its choices come from the store) but by hand."""
    try:
        yield
    except NotFound as exc:
        raise HTTPException(404, f"{exc}: choose a site the report offers") from None
    except InvalidParameter as exc:
        raise HTTPException(422, str(exc)) from None


def _choices(week: str | None, site: str | None, span: str | None) -> tuple[date, str | None, int]:
    with read_session() as session:
        latest = windows.latest_complete_week_end(session)
    site_code = site if site and site != view.SYSTEM else None
    return view.read_week(week, latest), site_code, view.read_span(span)


@callback(
    Output("weekly-content", "children"),
    Output("weekly-query", "data"),
    Input("weekly-week", "value"),
    Input("weekly-site", "value"),
    Input("weekly-span", "value"),
    prevent_initial_call=True,
)
def choose(week: str | None, site: str | None, span: str | None) -> tuple[Any, str]:
    """Redraw the report for the chosen week and area, and keep the choice in the address."""
    week_end, site_code, weeks = _choices(week, site, span)
    with _refused_as_4xx(), read_session() as session:
        data = view.gather(session, week_end=week_end, site=site_code, weeks=weeks)
    query = {"week": week_end.isoformat(), "weeks": str(weeks)}
    if site_code:
        query["site"] = site_code
    return _content(data), "?" + urlencode(query)


@callback(
    Output("weekly-download-html", "data"),
    Input("weekly-html-button", "n_clicks"),
    State("weekly-week", "value"),
    State("weekly-site", "value"),
    State("weekly-span", "value"),
    prevent_initial_call=True,
)
def download_html(_n: int, week: str | None, site: str | None, span: str | None) -> Any:
    """The report as one self-contained HTML file (opens offline)."""
    week_end, site_code, weeks = _choices(week, site, span)
    with _refused_as_4xx(), read_session() as session:
        data = view.gather(session, week_end=week_end, site=site_code, weeks=weeks)
    document = report.build_html(
        title=data.title,
        subtitle=data.subtitle,
        charts=[(trend, view.figure(trend)) for trend in data.trends],
        changes=report.what_changed(data.trends),
        tables=data.tables,
        generated_at=datetime.now(UTC),
        coming_days=forecast_view.coming_days_html(data.coming_days),
        actions=report.actions_this_week(data.actions, with_due=_not_wall()),
        moved=report.what_moved(data.what_moved),
        targets=report.target_rows(data.pathway_targets),
        contributing=data.contributing,
    )
    name = f"homeward-weekly-{site_code or 'system'}-{week_end.isoformat()}.html"
    return dcc.send_string(document, name, type="text/html")


@callback(
    Output("weekly-download-csv", "data"),
    Input("weekly-csv-button", "n_clicks"),
    State("weekly-week", "value"),
    State("weekly-site", "value"),
    prevent_initial_call=True,
)
def download_csv(_n: int, week: str | None, site: str | None) -> Any:
    """The week's breakdown tables as CSV (spreadsheet formulas neutralised)."""
    week_end, site_code, _weeks = _choices(week, site, None)
    with _refused_as_4xx(), read_session() as session:
        data = view.gather(session, week_end=week_end, site=site_code, weeks=1, with_trends=False)
    text = report.tables_csv(data.tables, scope=data.area_name, period=data.period)
    name = f"homeward-weekly-tables-{site_code or 'system'}-{week_end.isoformat()}.csv"
    return dcc.send_string(text, name, type="text/csv")


@callback(
    Output("weekly-download-series", "data"),
    Input("weekly-series-button", "n_clicks"),
    State("weekly-week", "value"),
    State("weekly-site", "value"),
    State("weekly-span", "value"),
    prevent_initial_call=True,
)
def download_series(_n: int, week: str | None, site: str | None, span: str | None) -> Any:
    """Every chart's series as CSV: value, mean, limits as drawn, provisional, special causes."""
    week_end, site_code, weeks = _choices(week, site, span)
    with _refused_as_4xx(), read_session() as session:
        data = view.gather(session, week_end=week_end, site=site_code, weeks=weeks)
    text = report.series_csv(data.trends, scope=data.area_name)
    name = f"homeward-weekly-series-{site_code or 'system'}-{week_end.isoformat()}.csv"
    return dcc.send_string(text, name, type="text/csv")


clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="syncQueryString"),
    Output("weekly-query-written", "data"),
    Input("weekly-query", "data"),
    prevent_initial_call=True,
)
