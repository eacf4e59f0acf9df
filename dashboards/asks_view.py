"""NHS England's 2025/26 discharge asks on the wall (DESIGN.md §4.11): a compact tile in the
wall's header with the internal delays over 48 hours (target 0) and the patients 21+ days
beyond their discharge ready date. Aggregates only, as the wall must be.

The tile refreshes with the wall: its callback listens to the wall's own ``wall-refresh``
interval and reads the moment from ``wall-settings``, so ``dashboards/pages/wall.py`` only
places it. The numbers come from :func:`app.metrics.discharge_asks.discharge_asks`.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, html

from app.metrics import discharge_asks
from app.metrics.cache import cached
from dashboards import components, formats
from dashboards.data import parse_at, read_session

INTERNAL_ID = "wall-ask-internal"
BEYOND_21_ID = "wall-ask-beyond21"


def values(at: str | None) -> tuple[str, str]:
    """The tile's two numbers, formatted: internal delays over 48 hours, 21+ beyond DRD."""
    moment = parse_at(at)
    with read_session() as session:
        asks = cached(session, discharge_asks.discharge_asks, now_bound=moment is None, at=moment)
    return formats.number(asks.internal_over_48h), formats.number(asks.beyond_drd_21.in_hospital)


def _line(label: str, slug: str, value_id: str, value: str, note: str) -> html.P:
    return html.P(
        [
            html.Span(label, className="wall-ask-label"),
            components.info_link(slug, label),
            " ",
            html.Span(value, id=value_id, className="wall-ask-value"),
            html.Span(f" {note}", className="wall-ask-note"),
        ],
        className="wall-ask",
    )


def wall_tile(at: str | None = None) -> html.Section:
    """The asks tile for the wall's header (place it before the refresh stamp)."""
    internal, beyond = values(at)
    return html.Section(
        [
            html.H2("NHS England discharge asks", className="visually-hidden"),
            _line(
                "Internal delays over 48 h",
                "internal_delay_over_48h",
                INTERNAL_ID,
                internal,
                "patients (target 0)",
            ),
            _line(
                "21+ days beyond ready date",
                "beyond_drd_21_in_hospital",
                BEYOND_21_ID,
                beyond,
                "patients",
            ),
        ],
        className="wall-asks",
        **components.attrs(aria_label="NHS England discharge asks", data_as_of="patients"),
    )


@callback(
    Output(INTERNAL_ID, "children"),
    Output(BEYOND_21_ID, "children"),
    Input("wall-refresh", "n_intervals"),
    State("wall-settings", "data"),
    prevent_initial_call=True,
)
def refresh_asks(_n: int, settings: dict[str, Any] | None) -> tuple[str, str]:
    """Recompute the two numbers with the rest of the wall."""
    return values((settings or {}).get("at"))
