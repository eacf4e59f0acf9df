"""The accessibility statement: one Markdown source, shown two ways.

``dashboards/accessibility.md`` (copied to ``docs/accessibility.md``; a unit test keeps the two
the same) is drawn by the ``/accessibility`` page for a signed-in person, and rendered here to
a plain HTML page at ``/login/accessibility`` for someone who has not signed in (the sign-in
page links to it: a statement must be reachable before signing in).
"""

from __future__ import annotations

import html
from functools import lru_cache
from pathlib import Path

from markdown_it import MarkdownIt
from starlette.responses import HTMLResponse

SOURCE = Path(__file__).resolve().parent / "accessibility.md"
PUBLIC_PATH = "/login/accessibility"
TITLE = "Accessibility statement – Homeward"


@lru_cache(maxsize=1)
def markdown() -> str:
    return SOURCE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def public_html() -> str:
    """The statement as a page of its own, styled by the app's own stylesheets."""
    body = MarkdownIt("commonmark").render(markdown())
    stylesheets = "".join(
        f"<link rel='stylesheet' href='/assets/{name}'>"
        for name in ("00_bootstrap.min.css", "10_theme.css", "20_homeward.css", "35_a11y.css")
    )
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(TITLE)}</title>{stylesheets}</head><body>"
        "<a class='skip-link' href='#main-content'>Skip to main content</a>"
        "<header class='hw-navbar navbar navbar-dark'><div class='container-fluid'>"
        "<a class='navbar-brand' href='/login'><span class='brand-name'>Homeward</span>"
        " discharge flow</a></div></header>"
        f"<main id='main-content' tabindex='-1'><div class='hw-panel hw-statement'>{body}"
        "<p><a href='/login'>Back to sign in</a></p></div></main></body></html>"
    )


def public_page() -> HTMLResponse:
    """``GET /login/accessibility``: open to everyone, signed in or not."""
    return HTMLResponse(public_html())
