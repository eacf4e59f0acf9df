"""The Dash app as mounted on FastAPI: index page, assets served locally, pages registered."""

from __future__ import annotations

import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dashboards.app import create_dash

PAGES = {
    "/",
    "/wall",
    "/coordinator",
    "/reports/weekly",
    "/forecast",
    "/feeds",
    "/about/metrics",
    "/site/<site_code>",
    "/site/<site_code>/ward/<ward_code>",
    "/patient/<spell_id>",
}


def _app() -> tuple[FastAPI, object]:
    server = FastAPI()
    return server, create_dash(server)


def test_every_page_is_registered_and_wards_match_before_sites() -> None:
    import dash

    _app()
    registry = list(dash.page_registry.values())
    paths = {page["path_template"] or page["path"] for page in registry}
    assert paths >= PAGES
    order = [page["path_template"] for page in registry]
    assert order.index("/site/<site_code>/ward/<ward_code>") < order.index("/site/<site_code>")


def test_index_is_english_with_a_skip_link_and_local_assets_only() -> None:
    server, _dash = _app()
    with TestClient(server) as client:
        page = client.get("/wall")
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en-GB">' in html
    assert html.index('class="skip-link"') < html.index('id="react-entry-point"')
    sources = re.findall(r"<(?:script|link)[^>]+(?:src|href)=\"([^\"]+)\"", html)
    assert sources, "no scripts or stylesheets found"
    assert all(src.startswith("/") for src in sources), sources
    assert "/assets/00_bootstrap.min.css" in " ".join(sources)


def test_a_second_app_in_one_process_has_each_callback_once() -> None:
    _app()
    _server, app = _app()
    outputs = [cb["output"] for cb in app._callback_list]  # type: ignore[attr-defined]
    assert outputs and len(outputs) == len(set(outputs))
    assert any("wall-value" in output for output in outputs)


def test_assets_are_served() -> None:
    server, _dash = _app()
    with TestClient(server) as client:
        for name in ("00_bootstrap.min.css", "20_homeward.css", "homeward.js"):
            assert client.get(f"/assets/{name}").status_code == 200


def test_the_private_dash_hooks_the_app_relies_on_are_there() -> None:
    """``dashboards/app.py`` clears Dash's global callback registry and runs its FastAPI
    backend's before-request hooks itself; pyproject pins Dash to the range where both exist.
    A Dash upgrade that moves either fails here, not as a page without stylesheets."""
    from dash import _callback

    for name in ("GLOBAL_CALLBACK_LIST", "GLOBAL_CALLBACK_MAP", "GLOBAL_INLINE_SCRIPTS"):
        assert hasattr(_callback.__dict__.get(name), "clear"), name
    _server, app = _app()
    hooks = app.backend._before_request_funcs  # type: ignore[attr-defined]
    assert hooks and all(callable(hook) for hook in hooks)
