"""Actions on the wall: open and overdue actions per owning organisation, read from four
metres (every text at least 28 px), in a strip one line high (what does not fit the width is
cut with an ellipsis, the whole in its ``title``), so it costs the wall one line of 1080 px.

:func:`wall_tile` is self-contained (its own refresh and callback), so the wall includes it in
one line. It shows organisations, counts and titles only: an action never holds a patient
identifier (``app.actions`` refuses them), and the wall sees no due date, scope or update log.
The numbers are ``app.metrics.actions.by_organisation``'s.
"""

from __future__ import annotations

from typing import Any

from dash import Input, Output, State, callback, dcc, html

from app.metrics import actions as metric_actions
from app.metrics import timebase
from app.metrics.cache import cached
from app.metrics.schemas import ActionsByOrganisation
from dashboards import components, formats
from dashboards.data import parse_at, read_session

MAX_ORGANISATIONS = 5  # on one line at 28 px across 1920 px; the rest are counted
DEFAULT_REFRESH_SECONDS = 60


def _collect(at: str | None) -> ActionsByOrganisation:
    moment = timebase.resolve_at(parse_at(at))
    with read_session() as session:
        return cached(
            session,
            metric_actions.by_organisation,
            now_bound=True,
            today=timebase.local_date(moment),
        )


def _plural(count: int, word: str) -> str:
    return f"{formats.number(count)} {word}"


def _body(data: ActionsByOrganisation) -> list[Any]:
    if not data.organisations:
        return [html.P("No open actions.", className="wall-actions-none")]
    shown = data.organisations[:MAX_ORGANISATIONS]
    items: list[Any] = []
    for org in shown:
        parts: list[Any] = [
            html.Span(org.name, className="wall-actions-name", title=org.name),
            html.Span(_plural(org.open, "open"), className="wall-actions-open"),
        ]
        if org.overdue:
            parts.append(html.Span(_plural(org.overdue, "overdue"), className="wall-actions-late"))
        items.append(
            html.Li(
                parts,
                className="wall-actions-org",
                title=f"{org.name}: {org.open} open, {org.overdue} overdue",
                **components.attrs(data_org=org.code),
            )
        )
    hidden = data.organisations[MAX_ORGANISATIONS:]
    if hidden:
        items.append(
            html.Li(
                f"+{len(hidden)} more ({sum(o.open for o in hidden)} open)",
                className="wall-actions-more",
            )
        )
    late = [(title, org.name) for org in data.organisations for title in org.overdue_titles]
    if late:
        items.append(
            html.Li(
                [html.Strong("Overdue: "), " · ".join(title for title, _name in late)],
                className="wall-actions-titles",
                title="; ".join(f"{title} ({name})" for title, name in late),
            )
        )
    return [html.Ul(items, className="wall-actions-list")]


def _heading(data: ActionsByOrganisation) -> str:
    return f"Actions: {_plural(data.open, 'open')}, {_plural(data.overdue, 'overdue')}"


def wall_tile(at: str | None = None, refresh_seconds: int = DEFAULT_REFRESH_SECONDS) -> Any:
    """The wall's actions strip, refreshing itself every ``refresh_seconds``."""
    data = _collect(at)
    return html.Section(
        [
            dcc.Store(id="wall-actions-settings", data={"at": at}),
            dcc.Interval(id="wall-actions-refresh", interval=refresh_seconds * 1000),
            html.H2(_heading(data), id="wall-actions-heading", className="wall-actions-heading"),
            html.Div(_body(data), id="wall-actions-body", className="wall-actions-body"),
        ],
        className="wall-actions",
        id="wall-actions",
        **components.attrs(aria_label="Open and overdue actions by organisation"),
    )


@callback(
    Output("wall-actions-heading", "children"),
    Output("wall-actions-body", "children"),
    Input("wall-actions-refresh", "n_intervals"),
    State("wall-actions-settings", "data"),
    prevent_initial_call=True,
)
def refresh(_n: int, settings: dict[str, Any] | None) -> tuple[str, list[Any]]:
    """Redraw the strip with the actions as they are now."""
    data = _collect((settings or {}).get("at"))
    return _heading(data), _body(data)
