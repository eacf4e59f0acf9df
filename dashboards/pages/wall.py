"""/wall — the escalation meeting's wall display (1920×1080, read from four metres).

Aggregates only: no spell id, local patient id, NHS number or age ever reaches this page.
The layout is built once; a ``dcc.Interval`` then replaces only the values (text nodes,
badges, the capacity table body and the freshness strip), so the screen never flickers.

Query parameters: ``kiosk=1`` (no navigation, one tile at a time), ``refresh`` (seconds
between updates, default 60), ``cycle`` (kiosk seconds per tile, default 15), ``panel``
(pin a bottom panel: ``capacity``, ``forecast`` or ``actions``), ``panel_seconds`` (seconds
per bottom panel, default 20), ``at`` (show a past moment).
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

from dashboards import actions_view, asks_view, components, definitions, formats
from dashboards import wall_data as wd
from dashboards.data import parse_at, query_int, read_session, safe_layout
from dashboards.forecast_view import wall_tile as forecast_tile

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
DEFAULT_PANEL_SECONDS = 20


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
    half: bool = False,
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
    return html.Div(
        children,
        className="wall-measure wall-measure-half" if half else "wall-measure",
        **components.attrs(data_as_of=as_of, data_measure=measure),
    )


def _area_tile(area: wd.AreaKey, values: dict[str, str], index: int) -> html.Section:
    code = area.key
    return html.Section(
        [
            html.Div(
                [
                    html.H2(area.name, title=area.name, className="wall-site-name"),
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
                        "delayed_days",
                        "Delayed bed days",
                        values,
                        slug="delayed_days",
                        detail=True,
                    ),
                    _measure(
                        code,
                        "los7",
                        "Stays 7+ days",
                        values,
                        slug="stays_7_plus",
                        half=True,
                    ),
                    _measure(
                        code,
                        "los21",
                        "Stays 21+ days",
                        values,
                        slug="super_stranded",
                        half=True,
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
                html.Th(row.name, scope="row", className="council", title=row.name),
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
def _capacity_section(wall: wd.WallData, values: dict[str, str]) -> html.Section:
    return html.Section(
        [
            html.H2(
                [
                    "Waiting by pathway against capacity, by council",
                ]
            ),
            _capacity_table(wall.capacity),
            html.P(
                [
                    "P1 gap = P1 waiting − packages; P3 gap = P3 waiting − vacancies "
                    "(D: dementia). "
                    "Community beds are counted for the whole system only. ",
                    _value("capacity.as_of", values),
                ],
                className="wall-as-of",
            ),
        ],
        className="wall-capacity",
    )


def _panels(panels: list[tuple[str, str, Any]], *, pinned: str | None, seconds: int) -> html.Div:
    """The bottom of the wall: panels that take turns in one place (every ``seconds``; the
    first by default), so the page still fits 1920×1080 at a size read from four metres.
    ``?panel=KEY`` pins one; the buttons show one and the pause button stops the turns
    (WCAG 2.2.2). The stack is as tall as its tallest panel, so nothing below moves."""
    keys = [key for key, _label, _body in panels]
    shown = pinned if pinned in keys else keys[0]
    return html.Div(
        [
            html.Div(
                [
                    *(
                        html.Button(
                            label,
                            type="button",
                            className="wall-panel-tab",
                            **components.attrs(
                                data_panel=key, aria_pressed="true" if key == shown else "false"
                            ),
                        )
                        for key, label, _body in panels
                    ),
                    html.Button(
                        "Pause" if pinned not in keys else "Play",
                        type="button",
                        id="wall-panels-pause",
                        className="wall-panels-pause",
                        **components.attrs(aria_pressed="false" if pinned not in keys else "true"),
                    ),
                ],
                className="wall-panel-bar",
                role="group",
                **components.attrs(aria_label="Panels at the bottom of the wall"),
            ),
            html.Div(
                [
                    html.Div(
                        body,
                        className="wall-panel" + (" is-shown" if key == shown else ""),
                        **components.attrs(data_panel=key),
                    )
                    for key, _label, body in panels
                ],
                className="wall-panel-stack",
            ),
        ],
        className="wall-panels",
        id="wall-panels",
        **components.attrs(
            data_panel_seconds=str(seconds), data_paused="true" if pinned in keys else "false"
        ),
    )


def layout(
    kiosk: str | None = None,
    refresh: str | None = None,
    cycle: str | None = None,
    at: str | None = None,
    panel: str | None = None,
    panel_seconds: str | None = None,
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
                            html.Span(
                                f"refreshes every {refresh_seconds} s",
                                id="wall-refresh-note",
                                className="wall-refresh-note",
                            ),
                        ],
                        className="wall-stamp",
                        id="wall-refreshed",
                    ),
                ],
                className="wall-header",
            ),
            # shown by 30_wall.js when refreshes fail (server unreachable, session ended) or
            # stop arriving: the numbers below are then old, and the page says since when
            html.Div(
                [
                    html.Strong("Not updating", className="wall-stale-title"),
                    html.Span(" — ", className="wall-stale-dash"),
                    html.Span("", id="wall-stale-since", className="wall-stale-since"),
                    html.Span(
                        " The numbers below are old.",
                        className="wall-stale-advice",
                    ),
                ],
                id="wall-stale",
                className="wall-stale",
                role="alert",
                hidden=True,
            ),
            html.P(
                [
                    html.Span(
                        [
                            html.Strong("System escalation driven by: "),
                            _value("system.drivers", values),
                            " ",
                            components.info_link(definitions.ESCALATION_ANCHOR, "escalation level"),
                        ],
                        className="wall-level-sentence",
                    ),
                    html.Br(),
                    html.Span(_value("system.viewing", values), className="wall-note"),
                ],
                className="wall-drivers",
            ),
            # the tiles sit in a grid of equal columns: one more tile (or a row of them) is
            # one more child here, and the rows below shrink to make room
            html.Div(areas, className="wall-sites"),
            _panels(
                [
                    ("capacity", "Capacity", _capacity_section(wall, values)),
                    ("forecast", "Next 7 days", forecast_tile(at)),
                    ("actions", "Actions", actions_view.wall_tile(at, refresh_seconds)),
                ],
                pinned=panel,
                seconds=query_int(panel_seconds, DEFAULT_PANEL_SECONDS, low=2, high=600),
            ),
            html.Div(
                components.freshness_strip(wall.freshness, compact=True),
                id="wall-freshness",
            ),
        ],
        className="wall",
        id="wall",
        **components.attrs(data_refresh_ms=str(refresh_seconds * 1000)),
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
