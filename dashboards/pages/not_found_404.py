"""Any address no page answers."""

from __future__ import annotations

import dash
from dash import html

dash.register_page(__name__, path="/404", title="Page not found – Homeward")


def layout(**_query: str) -> html.Div:
    return html.Div(
        [
            html.H1("Page not found"),
            html.P("There is no page at this address. Check it, or go to one of these:"),
            html.Ul(
                [
                    html.Li(html.A("System overview", href="/")),
                    html.Li(html.A("Wall display", href="/wall")),
                    html.Li(html.A("Coordinator", href="/coordinator")),
                    html.Li(html.A("Weekly report", href="/reports/weekly")),
                ]
            ),
        ],
        className="hw-panel mt-3",
    )
