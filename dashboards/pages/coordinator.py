"""/coordinator — the blockage finder for the single system discharge coordinator.

The filters live in the address (``?site=…&pathway=3…``) so a view can be shared: the page is
built from the query string, and every change of a filter writes it back (replaceState, so
the page is not rebuilt). Patients are listed longest past their discharge ready date first:
choosing pathway 3 puts the longest-waiting P3 patient in the first row.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, callback, clientside_callback, dcc, html

from app.domain.vocabularies import AGENCIES, PATHWAYS
from app.metrics import flow
from app.metrics.cache import cached
from app.metrics.schemas import DelayedDaysByCategory, DelayedPatient
from dashboards import components, formats, patient_grid
from dashboards import coordinator_view as view
from dashboards.data import parse_at, read_session, safe_layout

dash.register_page(
    __name__,
    path="/coordinator",
    name="Coordinator",
    title="Coordinator: patients waiting to leave – Homeward",
    description="Every patient with no criteria to reside, and what blocks their discharge.",
    order=2,
)

GRID_ID = "coordinator-grid"
MIN_DAYS_DEBOUNCE_MS = 400  # the pause in typing after which the minimum-days filter applies


def _options(pairs: list[tuple[str, str]], all_label: str) -> list[dict[str, str]]:
    return [{"label": all_label, "value": view.ALL}] + [
        {"label": label, "value": value} for value, label in pairs
    ]


def _ward_options(all_patients: list[DelayedPatient], site: str) -> list[dict[str, str]]:
    wards = sorted(
        {
            (view.ward_key(p.site, p.ward), f"{p.ward_name} ({p.site})")
            for p in all_patients
            if not site or p.site == site
        },
        key=lambda pair: pair[1],
    )
    return _options(wards, "All wards")


def _count_words(shown: int, everyone: int, as_of: Any) -> str:
    return (
        f"{shown} of {everyone} patients with no criteria to reside match; longest wait first. "
        f"{formats.as_of(as_of)}."
    )


def _longest(shown: list[DelayedPatient], at: str) -> Any:
    """A link to the first patient listed — the longest wait of those the filters keep — so
    the journey is one click (or one Enter) away from the filters, before the grid."""
    if not shown:
        return html.Span("No patient matches these filters.")
    first = shown[0]
    return [
        "Longest wait of these: ",
        html.A(
            f"spell {first.spell_id}, {formats.number(first.days_beyond_drd)} days beyond the "
            "ready date",
            href=f"/patient/{first.spell_id}" + (f"?{urlencode({'at': at})}" if at else ""),
            id="coordinator-longest-link",
        ),
    ]


def _select(label: str, control_id: str, options: list[dict[str, str]], value: str) -> html.Div:
    return html.Div(
        [
            dbc.Label(label, html_for=control_id),
            dbc.Select(id=control_id, options=options, value=value or view.ALL),
        ]
    )


def _radio(label: str, control_id: str, options: list[dict[str, str]], value: str) -> html.Fieldset:
    return html.Fieldset(
        [
            html.Legend(label, className="hw-legend"),
            dbc.RadioItems(
                id=control_id,
                options=options,
                value=value,
                inline=True,
                className="btn-group hw-radio-buttons",
                inputClassName="btn-check",
                labelClassName="btn btn-outline-primary",
                labelCheckedClassName="active",
            ),
        ],
        className="hw-fieldset",
    )


@safe_layout
def layout(**query: str) -> html.Div:
    filters = view.Filters.read(query)
    with read_session() as session:
        at = parse_at(filters.at)
        everyone_result = view.everyone(session, at)
        everyone = everyone_result.patients
        shown, result = view.delayed(session, filters)
        blocked = view.blockages(session, filters)
        sites = cached(session, flow.summary, now_bound=at is None, at=at, site=None).sites
    site_options = _options([(s.site_code or "", s.name) for s in sites], "All sites")
    councils = sorted(
        {
            (p.local_authority or "", p.local_authority_name or p.local_authority or "")
            for p in everyone
        }
        - {("", "")},
        key=lambda pair: pair[1],
    )
    reasons = sorted(
        {(p.delay_reason.code, p.delay_reason.label) for p in everyone if p.delay_reason},
        key=lambda pair: pair[1],
    )
    at_query = f"?at={filters.at}" if filters.at else ""
    return html.Div(
        [
            dcc.Store(id="coordinator-at", data=filters.at),
            dcc.Store(id="coordinator-query", data=filters.query_string()),
            dcc.Store(id="coordinator-query-written"),
            dcc.Store(
                id="coordinator-export-settings",
                data={"grid": GRID_ID, "fileName": patient_grid.CSV_FILE_NAME},
            ),
            dcc.Store(
                id="coordinator-wards",
                data=[{"site": p.site, "ward": p.ward, "name": p.ward_name} for p in everyone],
            ),
            components.page_header(
                "Coordinator: patients ready to leave but still in hospital",
                "Find what blocks discharges. Narrow the list with the filters (the address "
                "keeps them, so you can share this view); the longest wait is first. Select a "
                "spell to see that patient's journey.",
                as_of=result.as_of,
            ),
            html.Section(
                [
                    html.H2("Filters", className="visually-hidden"),
                    html.Div(
                        [
                            _radio(
                                "Discharge pathway",
                                "filter-pathway",
                                [{"label": "All", "value": ""}]
                                + [{"label": f"P{p}", "value": p} for p in PATHWAYS],
                                filters.pathway,
                            ),
                            _radio(
                                "Who must act",
                                "filter-agency",
                                [{"label": "All", "value": ""}]
                                + [
                                    {"label": formats.AGENCY_WORDS[a].split(" (")[0], "value": a}
                                    for a in AGENCIES
                                ],
                                filters.agency,
                            ),
                            _radio(
                                "NHS England ask",
                                "filter-ask",
                                [{"label": "All", "value": ""}]
                                + [{"label": words, "value": v} for v, words in view.ASKS.items()],
                                filters.ask,
                            ),
                        ],
                        className="hw-filter-row",
                    ),
                    html.Div(
                        [
                            _select("Site", "filter-site", site_options, filters.site),
                            _select(
                                "Ward",
                                "filter-ward",
                                _ward_options(everyone, filters.site),
                                filters.ward,
                            ),
                            _select(
                                "Council",
                                "filter-council",
                                _options(councils, "All councils"),
                                filters.council,
                            ),
                            _select(
                                "Waiting for (reason)",
                                "filter-reason",
                                _options(reasons, "All reasons"),
                                filters.reason,
                            ),
                            html.Div(
                                [
                                    dbc.Label(
                                        [
                                            "Minimum days beyond ready date ",
                                            html.Span("(0 or more)", className="hint"),
                                        ],
                                        html_for="filter-min-days",
                                    ),
                                    dbc.Input(
                                        id="filter-min-days",
                                        type="number",
                                        min=0,
                                        step=1,
                                        value=filters.min_days,
                                        # applies as you type: once typing pauses, not on Enter
                                        debounce=MIN_DAYS_DEBOUNCE_MS,
                                        inputMode="numeric",
                                    ),
                                ]
                            ),
                        ],
                        className="hw-filters",
                    ),
                ],
                className="hw-panel",
                **components.attrs(aria_label="Filters"),
            ),
            html.Section(
                [
                    html.Div(
                        [
                            html.H2("Patients waiting", className="mb-0"),
                            html.Div(
                                [
                                    dbc.Button(
                                        "Download these patients (CSV)",
                                        id="coordinator-export",
                                        color="primary",
                                        outline=True,
                                    ),
                                    html.Span(
                                        id="coordinator-export-status",
                                        className="hw-note ms-2",
                                        **components.attrs(aria_live="polite"),
                                    ),
                                ]
                            ),
                        ],
                        className="d-flex justify-content-between align-items-center mb-2",
                    ),
                    html.P(
                        _count_words(len(shown), len(everyone), result.as_of),
                        id="coordinator-count",
                        **components.attrs(aria_live="polite"),
                    ),
                    html.P(_longest(shown, filters.at), id="coordinator-longest"),
                    patient_grid.grid(shown, grid_id=GRID_ID, at_query=at_query, height="560px"),
                ],
                className="hw-panel",
            ),
            html.Section(
                [
                    html.H2("Blockages ranked by bed days lost"),
                    html.P(blocked.note, id="blockages-note"),
                    html.Div(
                        [
                            components.graph(figure, graph_id=f"blockage-{i}")
                            for i, figure in enumerate(blocked.figures)
                        ],
                        className="hw-blockage-charts",
                    ),
                    html.H3("By reason category, with the codes beneath", className="h5 mt-3"),
                    html.P(
                        "A current code and the historic DTOC code for the same thing (for "
                        "example a nursing home placement and DTOC DII) count in one category.",
                        className="hw-note",
                    ),
                    html.Div(
                        category_table(blocked.by_category),
                        id="blockages-by-category",
                        className="hw-table-scroll",
                    ),
                ],
                className="hw-panel",
            ),
        ],
        className="hw-coordinator",
    )


def category_table(by_category: DelayedDaysByCategory) -> Any:
    """Bed days lost by reason category (a header row each) with its reason codes beneath."""
    if not by_category.categories:
        return html.P("No bed days lost match these filters.", className="empty-note")
    bodies = []
    for category in by_category.categories:
        rows = [
            html.Tr(
                [
                    html.Th(category.label, scope="rowgroup"),
                    html.Td(formats.number(category.delayed_days), className="num"),
                    html.Td(formats.fraction_percent(category.share), className="num"),
                ],
                className="hw-category-row",
            )
        ]
        rows += [
            html.Tr(
                [
                    html.Th(
                        [code.label, html.Span(f" ({code.key})", className="hint")]
                        if code.key
                        else code.label,
                        scope="row",
                        className="hw-code-cell",
                    ),
                    html.Td(formats.number(code.delayed_days), className="num"),
                    html.Td(formats.fraction_percent(code.share), className="num"),
                ]
            )
            for code in category.codes
        ]
        bodies.append(html.Tbody(rows))
    return dbc.Table(
        [
            html.Caption("Bed days lost by reason category and code"),
            html.Thead(
                html.Tr(
                    [
                        html.Th("Category, then its reason codes", scope="col"),
                        html.Th("Delayed bed days", scope="col", className="num"),
                        html.Th("Share", scope="col", className="num"),
                    ]
                )
            ),
            *bodies,
        ],
        className="hw-category-table",
        size="sm",
    )


@callback(
    Output("filter-ward", "options"),
    Output("filter-ward", "value"),
    Input("filter-site", "value"),
    State("filter-ward", "value"),
    State("coordinator-wards", "data"),
    prevent_initial_call=True,
)
def narrow_wards(
    site: str | None, ward: str | None, wards: list[dict[str, str]]
) -> tuple[list[dict[str, str]], str]:
    """Only the wards of the chosen site; a ward of another site is cleared."""
    pairs = sorted(
        {
            (view.ward_key(w["site"], w["ward"]), f"{w['name']} ({w['site']})")
            for w in wards or []
            if site in (None, "", view.ALL) or w["site"] == site
        },
        key=lambda pair: pair[1],
    )
    keep = ward if ward and any(code == ward for code, _ in pairs) else view.ALL
    return _options(pairs, "All wards"), keep


@callback(
    Output(GRID_ID, "rowData"),
    Output("coordinator-count", "children"),
    Output("coordinator-longest", "children"),
    Output("coordinator-query", "data"),
    Output("blockages-note", "children"),
    Output("blockages-by-category", "children"),
    *[Output(f"blockage-{i}", "figure") for i in range(len(view.BLOCKAGE_CHARTS))],
    Input("filter-site", "value"),
    Input("filter-ward", "value"),
    Input("filter-council", "value"),
    Input("filter-pathway", "value"),
    Input("filter-reason", "value"),
    Input("filter-agency", "value"),
    Input("filter-min-days", "value"),
    Input("filter-ask", "value"),
    State("coordinator-at", "data"),
    prevent_initial_call=True,
)
def apply_filters(
    site: str | None,
    ward: str | None,
    council: str | None,
    pathway: str | None,
    reason: str | None,
    agency: str | None,
    min_days: Any,
    ask: str | None,
    at: str | None,
) -> tuple[Any, ...]:
    """Re-list the patients and the blockages for the filters, and remember them."""
    filters = view.Filters.read(
        {
            "site": site,
            "ward": ward,
            "council": council,
            "pathway": pathway,
            "reason": reason,
            "agency": agency,
            "min_days": min_days,
            "ask": ask,
            "at": at,
        }
    )
    with read_session() as session:
        shown, result = view.delayed(session, filters)
        moment = parse_at(filters.at)
        everyone = view.everyone(session, moment).count
        blocked = view.blockages(session, filters)
    return (
        patient_grid.rows(shown),
        _count_words(len(shown), everyone, result.as_of),
        _longest(shown, filters.at),
        filters.query_string(),
        blocked.note,
        category_table(blocked.by_category),
        *blocked.figures,
    )


clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="syncQueryString"),
    Output("coordinator-query-written", "data"),
    Input("coordinator-query", "data"),
)

clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="exportGridCsv"),
    Output("coordinator-export-status", "children"),
    Input("coordinator-export", "n_clicks"),
    State("coordinator-export-settings", "data"),
    prevent_initial_call=True,
)
