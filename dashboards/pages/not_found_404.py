"""Any address no page answers (the gate answers it 404: app.security.access)."""

from __future__ import annotations

import dash
from dash import html

from app.security import pages
from app.security.principal import current_principal_or_none

dash.register_page(__name__, path="/404", title="Page not found – Homeward")


def layout(**_query: str) -> html.Div:
    principal = current_principal_or_none()
    links = pages.nav_pages(principal.role if principal else None)
    return html.Div(
        [
            html.H1("Page not found"),
            html.P("There is no page at this address. Check it, or go to one of these:"),
            html.Ul([html.Li(html.A(label, href=href)) for label, href in links]),
        ],
        className="hw-panel mt-3",
        id="not-found",
    )
