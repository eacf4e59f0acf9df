"""Building blocks shared by the pages: navbar, headers, tiles, badges, tables, freshness strip.

Everything here is presentation: values arrive already computed by ``app.metrics``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html

from app.security import pages
from app.security.principal import Principal
from dashboards import formats, theme


def attrs(**props: str) -> dict[str, Any]:
    """``aria-*`` and ``data-*`` attributes for Dash components: ``attrs(aria_label="…")``."""
    return {name.replace("_", "-"): value for name, value in props.items()}


def navbar(principal: Principal | None = None) -> dbc.Navbar:
    """The navigation bar on every page (hidden on the wall in kiosk mode): only the pages the
    signed-in role can open, who is signed in and the sign-out button (shared ward PCs)."""
    role = principal.role if principal is not None else None
    links = [
        dbc.NavItem(dbc.NavLink(label, href=href, active="exact" if href == "/" else "partial"))
        for label, href in pages.nav_pages(role)
    ]
    children: list[Any] = [
        dbc.NavbarBrand(
            [html.Span("Homeward", className="brand-name"), " discharge flow"],
            href="/",
            className="me-4",
        ),
        dbc.Nav(links, navbar=True, className="hw-nav"),
    ]
    if principal is not None:
        children.append(signed_in(principal))
    return dbc.Navbar(
        dbc.Container(children, fluid=True),
        color=theme.NHS_BLUE,
        dark=True,
        className="hw-navbar",
        id="hw-navbar",
    )


def signed_in(principal: Principal) -> html.Div:
    """``Signed in as jo (discharge coordinator)`` and a sign-out button that ends the session
    on the server (a form post: it works before the page's scripts have loaded)."""
    return html.Div(
        [
            html.Span(pages.signed_in_words(principal), className="hw-who-name", id="hw-who"),
            html.Form(
                html.Button(
                    "Sign out", type="submit", className="hw-sign-out-button", id="hw-sign-out"
                ),
                action=pages.SIGN_OUT_ACTION,
                method="post",
                className="hw-sign-out",
            ),
        ],
        className="hw-who",
    )


def info_link(slug: str, label: str) -> html.A:
    """The info icon beside a number: opens its definition on the metric definitions page."""
    return html.A(
        [
            html.Span("i", className="info-glyph", **attrs(aria_hidden="true")),
            html.Span(f"Definition of {label}", className="visually-hidden"),
        ],
        href=f"/about/metrics#{slug}",
        className="info-link",
        title=f"What is {label}? Open its definition",
    )


def page_header(
    title: str,
    lead: str | None = None,
    *,
    as_of: datetime | None = None,
    as_of_id: str | None = None,
    extra: Any = None,
) -> html.Header:
    """The page title, a one-line explanation and the time of the data behind it."""
    stamp_props: dict[str, Any] = {"className": "as-of"}
    if as_of_id:
        stamp_props["id"] = as_of_id
    children: list[Any] = [html.H1(title)]
    if lead:
        children.append(html.P(lead, className="lead-text"))
    children.append(html.P(formats.as_of(as_of), **stamp_props))
    if extra is not None:
        children.append(extra)
    return html.Header(children, className="page-header")


def breadcrumbs(trail: Sequence[tuple[str, str | None]]) -> dbc.Breadcrumb:
    """``[(label, href or None for the current page), …]``."""
    items = [{"label": label, "href": href, "active": href is None} for label, href in trail]
    return dbc.Breadcrumb(items=items, className="hw-breadcrumb")


def tile(
    label: str,
    value: str,
    *,
    slug: str | None = None,
    unit: str | None = None,
    detail: Any = None,
    as_of: datetime | None = None,
    good: str | None = None,
    value_id: Any = None,
    detail_id: Any = None,
    as_of_id: Any = None,
    size: str = "md",
) -> html.Section:
    """A headline number: what it is, the value, its unit, what good looks like, as of when."""
    heading: list[Any] = [html.H2(label, className="tile-label")]
    if slug:
        heading.append(info_link(slug, label))
    value_props: dict[str, Any] = {"className": "tile-value"}
    if value_id is not None:
        value_props["id"] = value_id
    body: list[Any] = [
        html.Div(heading, className="tile-heading"),
        html.P(
            [html.Span(value, **value_props)]
            + ([html.Span(f" {unit}", className="tile-unit")] if unit else []),
            className="tile-number",
        ),
    ]
    if detail is not None:
        detail_props: dict[str, Any] = {"className": "tile-detail"}
        if detail_id is not None:
            detail_props["id"] = detail_id
        body.append(html.P(detail, **detail_props))
    if good:
        body.append(html.P(good, className="tile-good"))
    stamp_props: dict[str, Any] = {"className": "tile-as-of"}
    if as_of_id is not None:
        stamp_props["id"] = as_of_id
    body.append(html.P(formats.as_of(as_of), **stamp_props))
    return html.Section(body, className=f"hw-tile hw-tile-{size}")


def badge(words: str, background: str, text: str, *, title: str | None = None) -> html.Span:
    """A coloured badge that always carries its meaning in words too."""
    props: dict[str, Any] = {}
    if title:
        props["title"] = title
    return html.Span(
        words,
        className="hw-badge",
        style={"backgroundColor": background, "color": text},
        **props,
    )


def escalation_badge(level: int | None, *, words: bool = True) -> html.Span:
    """``OPEL 3 · Severe pressure`` (or ``OPEL 3``) on its level's colour."""
    if level is None or level not in theme.ESCALATION:
        return badge("OPEL: not available", theme.NHS_GREY_1, theme.WHITE)
    background, text, meaning = theme.ESCALATION[level]
    label = f"OPEL {level} · {meaning}" if words else f"OPEL {level}"
    return badge(label, background, text, title=f"Escalation level {level}: {meaning}")


SHORT_FEED_NAMES = {
    "beds": "Beds",
    "care_homes": "Care homes",
    "domiciliary": "Home care",
    "patients": "Patients",
}


def freshness_badge(state: str) -> html.Span:
    background, text, words = theme.FRESHNESS.get(state, theme.FRESHNESS["never"])
    return badge(words, background, text)


def freshness_strip(
    statuses: Iterable[Any], *, strip_id: str | None = None, compact: bool = False
) -> html.Section:
    """One badge per feed: its state in words and colour, and the age of its newest data."""
    items: list[Any] = [html.Li(html.Strong("Feeds now:"), className="fresh-item")]
    for status in statuses:
        label = status.label
        if compact:
            label = SHORT_FEED_NAMES.get(status.feed, status.label)
            when = f"as of {formats.short_date_time(status.last_snapshot_at)}"
        else:
            when = formats.as_of(status.last_snapshot_at) + (
                f" ({formats.age(status.age_minutes * 60)} old)"
                if status.age_minutes is not None and status.age_minutes >= 0
                else ""
            )
        items.append(
            html.Li(
                [
                    html.Span(label, className="fresh-feed"),
                    freshness_badge(status.state),
                    html.Span(when, className="fresh-age"),
                ],
                className="fresh-item",
                title=status.message,
            )
        )
    props: dict[str, Any] = {"className": "freshness-strip", "aria-label": "Feed freshness"}
    if strip_id:
        props["id"] = strip_id
    return html.Section([html.H2("Feeds", className="visually-hidden"), html.Ul(items)], **props)


def simple_table(
    columns: Sequence[tuple[str, str]],
    rows: Sequence[dict[str, Any]],
    *,
    caption: str,
    numeric: Iterable[str] = (),
    empty: str = "Nothing to show.",
    table_id: str | None = None,
) -> Any:
    """An accessible HTML table: a caption, header cells with scope, numbers right-aligned.

    ``columns`` is ``[(key, heading), …]``; cell values are shown as given (format first).
    """
    numeric = set(numeric)
    if not rows:
        return html.P([html.Strong(caption + ": "), empty], className="empty-note")
    head = html.Thead(
        html.Tr(
            [
                html.Th(heading, scope="col", className="num" if key in numeric else None)
                for key, heading in columns
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Td(row.get(key, ""), className="num" if key in numeric else None)
                    for key, _ in columns
                ]
            )
            for row in rows
        ]
    )
    props: dict[str, Any] = {}
    if table_id:
        props["id"] = table_id
    return dbc.Table(
        [html.Caption(caption), head, body],
        bordered=False,
        hover=True,
        striped=True,
        size="sm",
        className="hw-table",
        **props,
    )


def _figure_title(figure: Any) -> str | None:
    title = getattr(getattr(getattr(figure, "layout", None), "title", None), "text", None)
    if title is None and isinstance(figure, dict):
        layout_title = (figure.get("layout") or {}).get("title")
        title = layout_title.get("text") if isinstance(layout_title, dict) else layout_title
    return str(title) if title else None


def graph(figure: Any, *, graph_id: str | None = None, label: str | None = None) -> html.Figure:
    """A Plotly chart without the mode bar's logo, in a ``<figure>`` a screen reader names
    (``label``, else the chart's title; WCAG 1.1.1)."""
    props: dict[str, Any] = {}
    if graph_id:
        props["id"] = graph_id
    chart = dcc.Graph(
        figure=figure,
        config={"displaylogo": False, "displayModeBar": False},
        className="hw-graph",
        **props,
    )
    name = label or _figure_title(figure) or "Chart"
    return html.Figure(chart, className="hw-figure", **attrs(aria_label=name))


def note(children: Any) -> html.P:
    return html.P(children, className="hw-note")


def error_panel(title: str, message: str, *, home: bool = False) -> dbc.Alert:
    """A plain-language panel when a page cannot show what it was asked for."""
    children: list[Any] = [html.H1(title, className="h3"), html.P(message)]
    if home:
        children.append(html.A("Go to the system overview", href="/"))
    return dbc.Alert(children, color="warning", className="mt-3")


# --- pages that refresh themselves, like the wall ---------------------------------------------

#: the wall's refresh setting (``?refresh=`` seconds, dashboards/pages/wall.py), for every live page
DEFAULT_REFRESH_SECONDS = 60
SHELL_LOCATION = "hw-url"  # the dcc.Location of every page (dashboards/app.py)
REFRESH_BOUNDS = (2, 3600)


def refresh_seconds(value: str | None) -> int:
    """The ``refresh`` query parameter in seconds, within the wall's bounds."""
    low, high = REFRESH_BOUNDS
    try:
        seconds = int(value) if value is not None else DEFAULT_REFRESH_SECONDS
    except ValueError:
        seconds = DEFAULT_REFRESH_SECONDS
    return max(low, min(high, seconds))


def refresh_stamp(key: str, seconds: int | None, refreshed_at: datetime) -> html.P:
    """When the page last fetched its numbers, and how often it does (None: a past moment)."""
    words = (
        f" · refreshes every {seconds} s"
        if seconds is not None
        else " · a past moment: not refreshed"
    )
    return html.P(
        [
            "Updated ",
            html.Span(f"{formats.local(refreshed_at):%H:%M:%S}", id=f"{key}-refreshed-at"),
            words,
        ],
        className="refresh-stamp",
        id=f"{key}-refreshed",
    )


def live(key: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Make a page's ``layout`` refresh itself every ``?refresh=`` seconds (default 60, as the
    wall): the layout is drawn again by a ``dcc.Interval`` callback into the same container,
    with the time it was drawn, from the address as it is then (a choice the page keeps in the
    address survives the refresh). A page showing a past moment (``?at=``) does not refresh.

    The callback is registered under the page's own module, so the gate checks it against
    that page's access rule (app.security.access), as it does the page itself.
    """

    def decorate(layout: Callable[..., Any]) -> Callable[..., Any]:
        def body(query: dict[str, Any], seconds: int | None) -> list[Any]:
            return [refresh_stamp(key, seconds, datetime.now(UTC)), layout(**query)]

        @functools.wraps(layout)
        def live_layout(refresh: str | None = None, **query: Any) -> html.Div:
            seconds = None if query.get("at") else refresh_seconds(refresh)
            return html.Div(
                [
                    dcc.Interval(
                        id=f"{key}-refresh",
                        interval=(seconds or DEFAULT_REFRESH_SECONDS) * 1000,
                        disabled=seconds is None,
                    ),
                    html.Div(body(query, seconds), id=f"{key}-live"),
                ]
            )

        def redraw(_n: int, search: str | None) -> list[Any]:
            query = dict(parse_qsl((search or "").lstrip("?")))
            refresh = query.pop("refresh", None)
            return body(query, None if query.get("at") else refresh_seconds(refresh))

        redraw.__module__ = layout.__module__  # the page's rule applies (see the docstring)
        redraw.__name__ = f"refresh_{key}"
        callback(
            Output(f"{key}-live", "children"),
            Input(f"{key}-refresh", "n_intervals"),
            State(SHELL_LOCATION, "search"),
            prevent_initial_call=True,
        )(redraw)
        return live_layout

    return decorate
