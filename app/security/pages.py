"""Which pages a role may open, in words, and the HTML error pages the gate answers with.

One list of the navigation's pages (``NAV_PAGES``), filtered by the same rule table that
``app.security.access`` enforces, so the navigation never offers a page the role cannot open.
The error pages (403, 429, a refused kiosk token) are plain HTML served without Dash, styled
with the pages' own stylesheets and, for a signed-in person, the same navigation bar.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

from app.security.principal import Principal, current_principal_or_none
from app.security.roles import Role, Rule, allowed, page_rule

#: (label, address) of every page the navigation bar can offer, in its order
NAV_PAGES: tuple[tuple[str, str], ...] = (
    ("System overview", "/"),
    ("Wall display", "/wall"),
    ("Coordinator", "/coordinator"),
    ("Weekly report", "/reports/weekly"),
    ("Meeting", "/meeting"),
    ("Forecast", "/forecast"),
    ("High Impact Changes", "/hicm"),
    ("Feeds", "/feeds"),
    ("Metric definitions", "/about/metrics"),
)

ROLE_WORDS: dict[Role, str] = {
    Role.WALL: "wall display",
    Role.ANALYST: "analyst",
    Role.COORDINATOR: "discharge coordinator",
    Role.ADMIN: "administrator",
    Role.FEED: "feed client",
}

WHOM_TO_ASK = (
    "If you need it, ask your Homeward administrator (a person with the administrator role) "
    "to change the role of your account."
)

#: the stylesheets of the Dash pages (dashboards/assets), in the order Dash links them
STYLESHEETS = (
    "/assets/00_bootstrap.min.css",
    "/assets/10_theme.css",
    "/assets/20_homeward.css",
    "/assets/32_everyone.css",
)
SIGN_OUT_ACTION = "/api/v1/auth/logout"


def nav_pages(role: Role | None) -> list[tuple[str, str]]:
    """The navigation's pages that ``role`` may open (every page when no one is known: the
    pages served without the gate, as in development)."""
    if role is None:
        return list(NAV_PAGES)
    return [(label, href) for label, href in NAV_PAGES if allowed(page_rule(href), role)]


def may_open(path: str) -> bool:
    """Whether the signed-in person of this request may open the page at ``path`` (so a page
    links to it); True when no one is known (the pages served without the gate)."""
    principal = current_principal_or_none()
    return principal is None or allowed(page_rule(path), principal.role)


def roles_words(roles: Sequence[Role]) -> str:
    """``analyst, discharge coordinator or administrator``."""
    words = [ROLE_WORDS[role] for role in Role if role in roles]
    if len(words) <= 1:
        return "".join(words)
    return ", ".join(words[:-1]) + " or " + words[-1]


def needed_roles(rule: Rule | None) -> list[Role]:
    """The people's roles a page's rule opens to (never the machine-only feed role)."""
    if rule is None or rule.roles is None:
        return []
    return [role for role in Role if role in rule.roles and role is not Role.FEED]


def who_words(principal: Principal) -> str:
    """``jo.bloggs (discharge coordinator)``: the name and the role in words."""
    return f"{principal.name.removeprefix('token:')} ({ROLE_WORDS[principal.role]})"


def signed_in_words(principal: Principal) -> str:
    """``Signed in as jo.bloggs (discharge coordinator)``."""
    return f"Signed in as {who_words(principal)}"


def _navbar(principal: Principal | None) -> str:
    if principal is None:
        return (
            "<nav class='navbar navbar-dark hw-navbar' aria-label='Homeward'>"
            "<div class='container-fluid'>"
            "<a class='navbar-brand me-4' href='/'><span class='brand-name'>Homeward</span> "
            "discharge flow</a></div></nav>"
        )
    links = "".join(
        f"<li class='nav-item'><a class='nav-link' href='{html.escape(href, quote=True)}'>"
        f"{html.escape(label)}</a></li>"
        for label, href in nav_pages(principal.role)
    )
    return (
        "<nav class='navbar navbar-dark navbar-expand hw-navbar' aria-label='Homeward'>"
        "<div class='container-fluid'>"
        "<a class='navbar-brand me-4' href='/'><span class='brand-name'>Homeward</span> "
        "discharge flow</a>"
        f"<ul class='navbar-nav hw-nav'>{links}</ul>"
        f"{who_html(principal)}</div></nav>"
    )


def who_html(principal: Principal) -> str:
    """The "signed in as" line and the sign-out button, as in the Dash navigation bar."""
    return (
        "<div class='hw-who'>"
        f"<span class='hw-who-name'>{html.escape(signed_in_words(principal))}</span>"
        f"<form method='post' action='{SIGN_OUT_ACTION}' class='hw-sign-out'>"
        "<button type='submit' class='hw-sign-out-button'>Sign out</button></form></div>"
    )


def error_page(title: str, body_html: str, principal: Principal | None = None) -> str:
    """A whole HTML page in the pages' style: the navigation bar (the role's pages and who is
    signed in, when someone is), the title and ``body_html`` (already escaped)."""
    links = "".join(f"<link rel='stylesheet' href='{href}'>" for href in STYLESHEETS)
    return (
        "<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{html.escape(title)} – Homeward</title>{links}</head><body>"
        "<a class='skip-link' href='#main-content'>Skip to main content</a>"
        f"{_navbar(principal)}"
        "<main id='main-content' tabindex='-1'><div class='hw-panel mt-3 hw-error-page'>"
        f"<h1>{html.escape(title)}</h1>{body_html}</div></main></body></html>"
    )


def forbidden_page(principal: Principal, path: str) -> str:
    """The 403 page of a page the role cannot open: which role it needs, whom to ask."""
    needed = needed_roles(page_rule(path))
    needs = (
        f"<p>It needs the role <strong>{html.escape(roles_words(needed))}</strong>."
        if needed
        else "<p>No role can open this page."
    )
    return error_page(
        "This page is not available to your role",
        f"<p>You are signed in as <strong>{html.escape(who_words(principal))}"
        f"</strong>, which cannot open <code>{html.escape(path)}</code>.</p>"
        f"{needs} {html.escape(WHOM_TO_ASK)}</p>"
        "<p><a href='/'>Go to the system overview</a></p>",
        principal,
    )


def rate_limited_page(retry_after: int, what: str) -> str:
    """The page a browser sees when it made too many sign-in attempts."""
    return error_page(
        "Too many attempts",
        f"<p role='alert'>There were too many {html.escape(what)} from here. Wait "
        f"<strong>{retry_after} seconds</strong>, then try again.</p>"
        "<p><a href='/login'>Back to sign in</a></p>",
    )


def bad_kiosk_token_page() -> str:
    """The page a wall display's browser sees when its kiosk token is refused."""
    return error_page(
        "This wall display could not sign in",
        "<p role='alert'>The wall token in this display's address is not valid: it is "
        "unknown, revoked or expired, or it is not a wall token.</p>"
        "<p>Ask your Homeward administrator for a new wall token "
        "(<code>homeward tokens create &lt;name&gt; --role wall</code>) and put it in the "
        "display's start address.</p><p><a href='/login'>Sign in with a username instead</a></p>",
    )


def wants_html(accept: str) -> bool:
    """Whether a client's ``Accept`` header asks for a web page (a browser) before JSON."""
    accept = accept.lower()
    return "text/html" in accept and (
        "application/json" not in accept or accept.index("text/html") < accept.index("json")
    )
