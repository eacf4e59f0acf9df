"""/accessibility — the accessibility statement (WCAG 2.2 AA), linked from every page's footer.

The text is ``dashboards/accessibility.md`` (see ``dashboards.statement``).
"""

from __future__ import annotations

import dash
from dash import dcc, html

from dashboards import statement

dash.register_page(
    __name__,
    path="/accessibility",
    name="Accessibility statement",
    title=statement.TITLE,
    description="How accessible Homeward is, how it is tested, and how to report a problem.",
    order=6,
)


def layout(**_query: str) -> html.Div:
    return html.Div(
        dcc.Markdown(statement.markdown(), className="hw-statement"),
        className="hw-panel mt-3",
    )
