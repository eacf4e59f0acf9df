"""The Dash pages, mounted on the FastAPI application (Dash's FastAPI backend)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import dash
from dash import ClientsideFunction, Dash, Input, Output, dcc, html
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from app.security.principal import current_principal_or_none
from dashboards import components, statement, theme

HERE = Path(__file__).resolve().parent

# lang="en-GB" and a skip link before anything else on the page (WCAG 2.4.1).
INDEX_STRING = """<!DOCTYPE html>
<html lang="en-GB">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        <a class="skip-link" href="#main-content">Skip to main content</a>
        {%app_entry%}
        <div class="hw-scripts">
            {%config%}
            {%scripts%}
            {%renderer%}
        </div>
    </body>
</html>"""


def shell() -> html.Div:
    """What every page shares: the location, the navbar (the signed-in role's pages and who is
    signed in: drawn for each request), the main landmark, the footer."""
    return html.Div(
        [
            dcc.Location(id=components.SHELL_LOCATION, refresh="callback-nav"),
            components.navbar(current_principal_or_none()),
            html.Main(dash.page_container, id="main-content", tabIndex="-1"),
            html.Footer(
                html.P(
                    [
                        "Homeward: one shared view of discharge flow. Numbers are computed "
                        "from the feeds by the definitions on ",
                        html.A("Metric definitions", href="/about/metrics"),
                        ". Synthetic data only in demo mode. ",
                        html.A("Accessibility statement", href="/accessibility"),
                    ]
                ),
                className="hw-footer",
            ),
        ],
        id="hw-shell",
    )


def _forget_stale_global_callbacks() -> None:
    """Drop ``@callback`` registrations left by a previous ``create_dash`` in this process.

    Dash re-executes every page module when an app is created, and global callbacks move
    into an app only at its first request; without this a second app in one process (tests
    build several) would carry each callback twice.
    """
    from dash import _callback

    _callback.GLOBAL_CALLBACK_LIST.clear()
    _callback.GLOBAL_CALLBACK_MAP.clear()
    _callback.GLOBAL_INLINE_SCRIPTS.clear()


def _dispatch_callbacks_in_threads(app: Dash, server: FastAPI) -> None:
    """Serve ``/_dash-update-component`` with the callback run in a worker thread.

    Dash's FastAPI backend runs a sync callback (and so every page layout the pages router
    draws) inside its async route, on the event loop: one slow page would stall every request
    of the worker. This is that route (``FastAPIDashServer.serve_callback``) with the work —
    context, callback, its JSON — moved to the threadpool; the request's context variables
    (Dash's current request, the signed-in principal) travel with it. Layouts served at
    ``/_dash-layout`` and ``/_dash-dependencies`` are sync routes: FastAPI threads them already.
    """
    path = app.config.routes_pathname_prefix + "_dash-update-component"
    backend: Any = app.backend
    dash: Any = app

    def run_callback() -> Response:
        body = backend.request_adapter().get_json()
        context = dash._initialize_context(body)
        function = dash._prepare_callback(context, body)
        args = dash._inputs_to_vals(context.inputs_list + context.states_list)
        call = dash._execute_callback(function, args, context.outputs_list, context)
        return context.dash_response.set_response(data=call())

    async def dispatch(_request: Request) -> Response:
        return await run_in_threadpool(run_callback)

    for index, route in enumerate(server.router.routes):
        if isinstance(route, APIRoute) and route.path == path and "POST" in (route.methods or ()):
            server.router.routes[index] = APIRoute(
                path, dispatch, methods=["POST"], name=route.name, include_in_schema=False
            )
            return
    raise RuntimeError(f"Dash registered no {path} route to run in threads")


def create_dash(server: FastAPI) -> Dash:
    """Mount the Homeward pages on ``server`` and return the Dash app."""
    theme.register_plotly_template()
    _forget_stale_global_callbacks()
    app = Dash(
        "dashboards",
        server=server,  # type: ignore[arg-type]  # Dash infers its FastAPI backend
        use_pages=True,
        pages_folder=str(HERE / "pages"),
        assets_folder=str(HERE / "assets"),
        title="Homeward",
        update_title="",  # no "Updating..." in the tab title
        index_string=INDEX_STRING,
        suppress_callback_exceptions=True,
        serve_locally=True,
        # sync callbacks and page layouts (dash[async] is not installed), each run in a worker
        # thread by _dispatch_callbacks_in_threads
        use_async=False,
        meta_tags=[{"name": "viewport", "content": "width=device-width, initial-scale=1"}],
    )
    app.layout = shell
    # Dash finishes setting itself up (assets, the pages router and its inline scripts) in
    # hooks run before its first request to one of its own routes. On FastAPI the page routes
    # (/wall, /feeds, …) are not among them, so the first page served would lack stylesheets
    # and scripts. Run those hooks now; each runs once (Dash guards them).
    hooks: list[Callable[[], Any]] = getattr(app.backend, "_before_request_funcs", [])
    for hook in list(hooks):
        hook()
    _dispatch_callbacks_in_threads(app, server)
    # the statement's public copy, ahead of Dash's catch-all (the sign-in page links to it)
    server.router.routes.insert(
        0,
        APIRoute(
            statement.PUBLIC_PATH,
            statement.public_page,
            methods=["GET"],
            include_in_schema=False,
        ),
    )
    # Kiosk mode (/wall?kiosk=1) hides the navbar and footer for a wall screen.
    app.clientside_callback(
        ClientsideFunction(namespace="homeward", function_name="kioskClass"),
        Output("hw-shell", "className"),
        Input("hw-url", "pathname"),
        Input("hw-url", "search"),
    )
    return app
