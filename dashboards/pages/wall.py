"""/wall — the escalation meeting's wall display (1920×1080, read from four metres).

Aggregates only: no spell id, local patient id, NHS number or age ever reaches this page.
The layout is built once; a ``dcc.Interval`` then replaces only the values (text nodes,
badges, the capacity table body and the freshness strip), so the screen never flickers.

Query parameters: ``kiosk=1`` (no navigation, one tile at a time), ``refresh`` (seconds
between updates, default 60), ``cycle`` (kiosk seconds per tile, default 15), ``at``
(show a past moment).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import dash
from dash import (
    ALL,
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
)

from dashboards import asks_view, components, definitions, formats
from dashboards import wall_data as wd
from dashboards.data import parse_at, query_int, read_session, safe_layout

dash.register_page(
    __name__,
    path="/wall",
    name="Wall display",
    title="Wall display – Homeward",
    description="System and site discharge status for the escalation meeting.",
    order=1,
)

DEFAULT_REFRESH_SECONDS = 60
DEFAULT_CYCLE_SECONDS = 15


def _value(key: str, values: dict[str, str]) -> html.Span:
    return html.Span(values.get(key, formats.MISSING), id={"type": "wall-value", "key": key})


def _measure(
    area: str,
    measure: str,
    label: str,
    values: dict[str, str],
    *,
    slug: str,
    unit: str | None = None,
    detail: bool = False,
    as_of: str = "patients",
) -> html.Div:
    children: list[Any] = [
        html.H3(
            [label, components.info_link(slug, label)],
            className="wall-measure-label",
        ),
        html.P(
            [
                html.Span(
                    values.get(f"{area}.{measure}", formats.MISSING),
                    id={"type": "wall-value", "key": f"{area}.{measure}"},
                    className="wall-measure-value",
                ),
                html.Span(f" {unit}", className="wall-measure-unit") if unit else None,
            ],
            className="m-0",
        ),
    ]
    if detail:
        children.append(
            html.P(
                _value(f"{area}.{measure}.detail", values),
                className="wall-measure-detail",
            )
        )
    return html.Div(children, className="wall-measure", **components.attrs(data_as_of=as_of))


def _area_tile(area: wd.AreaKey, values: dict[str, str], index: int) -> html.Section:
    code = area.key
    return html.Section(
        [
            html.Div(
                [
                    html.H2(area.name),
                    html.Div(values_badge(code, values), id={"type": "wall-badge", "key": code}),
                ],
                className="wall-site-head",
            ),
            html.Div(
                [
                    _measure(
                        code,
                        "occupancy",
                        "G&A occupancy",
                        values,
                        slug="ga_occupancy",
                        detail=True,
                        as_of="beds",
                    ),
                    _measure(
                        code,
                        "nctr",
                        "NCtR in hospital",
                        values,
                        slug="nctr_in_hospital",
                        unit="patients",
                        detail=True,
                    ),
                    _measure(
                        code,
                        "discharged",
                        "Discharged today",
                        values,
                        slug="nctr_discharged_today",
                        detail=True,
                    ),
                    _measure(
                        code,
                        "los7",
                        "Stays 7+ days",
                        values,
                        slug="stays_7_plus",
                        unit="patients",
                    ),
                    _measure(
                        code,
                        "los21",
                        "Stays 21+ days",
                        values,
                        slug="super_stranded",
                        unit="patients",
                    ),
                    _measure(
                        code,
                        "delayed_days",
                        "Delayed bed days",
                        values,
                        slug="delayed_days",
                        unit="days",
                        detail=True,
                    ),
                ],
                className="wall-measures",
            ),
            html.P(_value(f"{code}.as_of", values), className="wall-as-of"),
        ],
        className="wall-site",
        id={"type": "wall-site", "index": index},
        **components.attrs(aria_label=area.name),
    )


def values_badge(key: str, values: dict[str, str]) -> html.Span:
    """The header's badge names the level in words; a tile's says ``OPEL n`` only."""
    level = values.get(f"{key}.level")
    number = int(level) if level and level.isdigit() else None
    return components.escalation_badge(number, words=key == "header")


def _capacity_table(rows: list[wd.CapacityRow]) -> html.Table:
    head = html.Thead(
        html.Tr(
            [
                html.Th("Council", scope="col"),
                html.Th(
                    ["P1 waiting ", components.info_link("p1_waiting", "P1 waiting")],
                    scope="col",
                    className="num",
                ),
                html.Th("Packages in 7 days", scope="col", className="num"),
                html.Th("P1 gap", scope="col", className="num"),
                html.Th(
                    ["P2 waiting ", components.info_link("p2_waiting", "P2 waiting")],
                    scope="col",
                    className="num",
                ),
                html.Th(
                    [
                        "Community beds free ",
                        components.info_link("community_beds_free", "Community beds free"),
                    ],
                    scope="col",
                    className="num",
                ),
                html.Th(
                    ["P3 waiting ", components.info_link("p3_waiting", "P3 waiting")],
                    scope="col",
                    className="num",
                ),
                html.Th("Care-home vacancies", scope="col"),
                html.Th("P3 gap", scope="col", className="num"),
            ]
        )
    )
    return html.Table(
        [
            html.Caption(
                "Patients ready to leave, waiting by pathway, against the capacity to take "
                "them. Gap = waiting − capacity: a positive gap means not enough.",
                className="visually-hidden",
            ),
            head,
            html.Tbody(_capacity_body(rows), id="wall-capacity-body"),
        ]
    )


def _gap_cell(text: str, short: bool | None) -> html.Td:
    class_name = "num " + ("gap-short" if short else "gap-ok" if short is False else "")
    return html.Td(text, className=class_name.strip())


def _capacity_body(rows: list[wd.CapacityRow]) -> list[html.Tr]:
    return [
        html.Tr(
            [
                html.Th(row.name, scope="row", className="council"),
                html.Td(row.p1_waiting, className="num"),
                html.Td(row.p1_supply, className="num"),
                _gap_cell(row.p1_gap, row.p1_short),
                html.Td(row.p2_waiting, className="num"),
                html.Td(row.p2_supply, className="num"),
                html.Td(row.p3_waiting, className="num"),
                html.Td(row.p3_by_type, className="vacancies"),
                _gap_cell(row.p3_gap, row.p3_short),
            ]
        )
        for row in rows
    ]


@safe_layout
def layout(
    kiosk: str | None = None,
    refresh: str | None = None,
    cycle: str | None = None,
    at: str | None = None,
    **_other: str,
) -> html.Div:
    moment = parse_at(at)
    refresh_seconds = query_int(refresh, DEFAULT_REFRESH_SECONDS, low=2, high=3600)
    cycle_seconds = query_int(cycle, DEFAULT_CYCLE_SECONDS, low=3, high=600)
    kiosk_on = kiosk == "1"
    with read_session() as session:
        wall = wd.collect(session, at=moment)
    values = wd.values(wall, refreshed_at=datetime.now(UTC))
    areas = [_area_tile(area, values, i) for i, area in enumerate(wall.areas)]
    return html.Div(
        [
            dcc.Store(id="wall-settings", data={"at": at, "kiosk": kiosk_on}),
            dcc.Interval(id="wall-refresh", interval=refresh_seconds * 1000),
            dcc.Interval(
                id="wall-kiosk-tick",
                interval=cycle_seconds * 1000,
                disabled=not kiosk_on,
            ),
            html.Header(
                [
                    html.H1("Discharge flow: system wall", className="wall-title"),
                    html.Div(
                        values_badge("header", values),
                        id={"type": "wall-badge", "key": "header"},
                        className="wall-escalation",
                    ),
                    asks_view.wall_tile(at),
                    html.P(
                        [
                            "Updated ",
                            _value("refreshed", values),
                            html.Br(),
                            f"refreshes every {refresh_seconds} s",
                        ],
                        className="wall-stamp",
                        id="wall-refreshed",
                    ),
                ],
                className="wall-header",
            ),
            html.P(
                [
                    html.Strong("System escalation driven by: "),
                    _value("system.drivers", values),
                    " ",
                    components.info_link(definitions.ESCALATION_ANCHOR, "escalation level"),
                    html.Br(),
                    html.Span(_value("system.viewing", values), className="wall-note"),
                ],
                className="wall-drivers",
            ),
            html.Div(areas, className="wall-sites"),
            html.Section(
                [
                    html.H2(
                        [
                            "Waiting by pathway against capacity, by council",
                        ]
                    ),
                    _capacity_table(wall.capacity),
                    html.P(
                        [
                            "P1 gap = P1 waiting − packages; P3 gap = P3 waiting − vacancies. "
                            "Community beds are counted for the whole system only. ",
                            _value("capacity.as_of", values),
                        ],
                        className="wall-as-of",
                    ),
                ],
                className="wall-capacity",
            ),
            html.Div(
                components.freshness_strip(wall.freshness, compact=True),
                id="wall-freshness",
            ),
        ],
        className="wall",
    )


@callback(
    Output({"type": "wall-value", "key": ALL}, "children"),
    Output({"type": "wall-badge", "key": ALL}, "children"),
    Output("wall-capacity-body", "children"),
    Output("wall-freshness", "children"),
    Input("wall-refresh", "n_intervals"),
    State("wall-settings", "data"),
    prevent_initial_call=True,
)
def refresh_values(_n: int, settings: dict[str, Any]) -> tuple[Any, ...]:
    """Recompute the numbers and replace only the values on screen."""
    with read_session() as session:
        wall = wd.collect(session, at=parse_at((settings or {}).get("at")))
    values = wd.values(wall, refreshed_at=datetime.now(UTC))
    value_ids = dash.ctx.outputs_list[0]
    badge_ids = dash.ctx.outputs_list[1]
    return (
        [values.get(item["id"]["key"], formats.MISSING) for item in value_ids],
        [values_badge(item["id"]["key"], values) for item in badge_ids],
        _capacity_body(wall.capacity),
        components.freshness_strip(wall.freshness, compact=True),
    )


clientside_callback(
    ClientsideFunction(namespace="homeward", function_name="kioskCycle"),
    Output({"type": "wall-site", "index": ALL}, "className"),
    Input("wall-kiosk-tick", "n_intervals"),
    State("wall-settings", "data"),
    State({"type": "wall-site", "index": ALL}, "className"),
)
