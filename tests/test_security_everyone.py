"""What every signed-in person meets: who is signed in and a sign-out that ends the session on
the server, a navigation bar with only the pages the role can open, a styled 403 page that
says which role a page needs and whom to ask, pages (not JSON) for a browser that is
rate-limited or whose kiosk token is refused, and 404 for an address no page answers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.security import ratelimit
from tests.security_helpers import (  # noqa: F401
    TEST_PASSWORD,
    build_secure_app,
    ensure_user,
    fast_password_hashing,
    sign_in,
)
from tests.test_security_dash import draw, payload

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

# The navigation each role is offered, written out by hand from DESIGN §7 and the rule table.
NAV_BY_ROLE = {
    "wall": ["/", "/wall", "/reports/weekly", "/forecast", "/hicm", "/about/metrics"],
    "analyst": [
        "/",
        "/wall",
        "/reports/weekly",
        "/meeting",
        "/forecast",
        "/hicm",
        "/feeds",
        "/about/metrics",
    ],
    "coordinator": [
        "/",
        "/wall",
        "/coordinator",
        "/reports/weekly",
        "/meeting",
        "/forecast",
        "/hicm",
        "/feeds",
        "/about/metrics",
    ],
    "admin": ["/", "/wall", "/reports/weekly", "/forecast", "/hicm", "/feeds", "/about/metrics"],
}
ROLE_WORDS = {
    "wall": "wall display",
    "analyst": "analyst",
    "coordinator": "discharge coordinator",
    "admin": "administrator",
}


@pytest.fixture
def app(engine: Engine) -> Any:
    ratelimit.reset_all()
    return build_secure_app(with_dashboard=True)


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def as_role(client: TestClient, role: str) -> TestClient:
    other = TestClient(client.app, raise_server_exceptions=False)
    sign_in(other, role)
    return other


def find(node: Any, test: Any) -> list[dict[str, Any]]:
    """Every component of a Dash layout (as JSON) that passes ``test``."""
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "type" in node and "props" in node and test(node):
            found.append(node)
        for value in node.values():
            found += find(value, test)
    elif isinstance(node, list):
        for item in node:
            found += find(item, test)
    return found


def navbar_of(client: TestClient) -> dict[str, Any]:
    layout = client.get("/_dash-layout")
    assert layout.status_code == 200, layout.text
    [bar] = find(layout.json(), lambda n: n["props"].get("id") == "hw-navbar")
    return bar


@pytest.mark.parametrize("role", sorted(NAV_BY_ROLE))
def test_the_navigation_offers_only_the_pages_the_role_can_open(
    client: TestClient, role: str
) -> None:
    signed_in = as_role(client, role)
    bar = navbar_of(signed_in)
    links = [n["props"]["href"] for n in find(bar, lambda n: n["type"] == "NavLink")]
    assert links == NAV_BY_ROLE[role]
    for href in links:  # and each one it offers opens
        assert signed_in.get(href, headers=BROWSER).status_code == 200, href
    text = json.dumps(bar)
    assert f"Signed in as test-{role} ({ROLE_WORDS[role]})" in text
    [form] = find(bar, lambda n: n["type"] == "Form")
    assert form["props"]["action"] == "/api/v1/auth/logout"
    assert form["props"]["method"] == "post"


def test_sign_out_ends_the_session_so_the_old_cookie_gets_no_page(client: TestClient) -> None:
    signed_in = as_role(client, "analyst")
    cookie = signed_in.cookies["hw_session"]
    assert signed_in.get("/wall", headers=BROWSER).status_code == 200
    out = signed_in.post(
        "/api/v1/auth/logout",
        headers=BROWSER | {"origin": "http://testserver"},
        follow_redirects=False,
    )
    assert out.status_code == 303 and out.headers["location"] == "/login"
    replay = TestClient(client.app, raise_server_exceptions=False, follow_redirects=False)
    replay.cookies.set("hw_session", cookie)
    page = replay.get("/wall", headers=BROWSER)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login")
    assert replay.get("/_dash-layout").status_code == 401
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_the_403_page_is_styled_with_navigation_and_says_who_can_open_it(
    client: TestClient,
) -> None:
    wall = as_role(client, "wall")
    page = wall.get("/feeds", headers=BROWSER)
    assert page.status_code == 403
    assert page.headers["content-type"].startswith("text/html")
    body = page.text
    assert "/assets/20_homeward.css" in body and "hw-navbar" in body
    assert "Signed in as test-wall (wall display)" in body
    assert "href='/feeds'" not in body  # the navigation has only the wall's pages
    for href in NAV_BY_ROLE["wall"]:
        assert f"href='{href}'" in body
    assert "It needs the role <strong>analyst, discharge coordinator or administrator" in body
    assert "ask your Homeward administrator" in body
    assert "discharge coordinators" not in body  # not the patient-level reason
    coordinator_page = as_role(client, "analyst").get("/coordinator", headers=BROWSER)
    assert coordinator_page.status_code == 403
    assert "It needs the role <strong>discharge coordinator</strong>" in coordinator_page.text


def test_a_rate_limited_browser_sign_in_gets_a_page_and_retry_after(client: TestClient) -> None:
    ensure_user("analyst", username="ann")
    form = {"username": "ann", "password": "wrong", "next": "/"}
    statuses = []
    for _ in range(ratelimit.LOGIN_BY_USERNAME.capacity + 1):
        response = client.post(
            "/api/v1/auth/login", data=form, headers=BROWSER, follow_redirects=False
        )
        statuses.append(response.status_code)
    assert statuses[:-1] == [303] * ratelimit.LOGIN_BY_USERNAME.capacity  # back to the form
    assert response.status_code == 429
    assert response.headers["content-type"].startswith("text/html")
    wait = int(response.headers["retry-after"])
    assert 1 <= wait <= 60  # 5 a minute refill: one attempt is free again within 12 s
    assert f"Wait <strong>{wait} seconds</strong>" in response.text
    assert "/assets/20_homeward.css" in response.text
    api = client.post(
        "/api/v1/auth/login",
        json={"username": "ann", "password": "wrong"},
        headers={"accept": "application/json"},
    )
    assert api.status_code == 429
    assert api.headers["content-type"] == "application/json"
    assert "try again in" in api.json()["detail"] and api.headers["retry-after"]


def test_a_bad_kiosk_token_gets_a_page_in_a_browser_and_json_elsewhere(
    client: TestClient,
) -> None:
    page = client.get("/api/v1/auth/kiosk?token=not-a-token", headers=BROWSER)
    assert page.status_code == 401
    assert page.headers["content-type"].startswith("text/html")
    assert "This wall display could not sign in" in page.text
    assert "/assets/20_homeward.css" in page.text
    api = client.get("/api/v1/auth/kiosk?token=not-a-token")
    assert api.status_code == 401
    assert api.json() == {"detail": "not a valid wall token"}


@pytest.mark.parametrize(
    "path",
    ["/no-such-page", "/reports/nothing", "/wall/extra", "/site/RXA01/ward/A1/more", "/404"],
)
def test_an_unknown_page_answers_404_with_the_styled_shell(client: TestClient, path: str) -> None:
    page = as_role(client, "analyst").get(path, headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert "/assets/20_homeward.css" in page.text  # Dash draws its "page not found" page


@pytest.mark.parametrize("path", ["/", "/wall", "/site/RXA01", "/reports/weekly", "/wall/"])
def test_known_pages_still_answer_200(client: TestClient, path: str) -> None:
    assert as_role(client, "analyst").get(path, headers=BROWSER).status_code == 200


def test_unknown_api_paths_answer_404_json(client: TestClient) -> None:
    analyst = as_role(client, "analyst")
    for path in ("/api/v1/nothing", "/api/nothing"):
        response = analyst.get(path, headers=BROWSER)
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/json"
        assert "No API endpoint" in response.json()["detail"]


def test_the_404_page_lists_only_the_role_s_pages(client: TestClient) -> None:
    wall = as_role(client, "wall")
    drawn = draw(wall, "/no-such-page")
    assert drawn.status_code == 200, drawn.text
    assert "Page not found" in drawn.text
    links = [n["props"]["href"] for n in find(drawn.json(), lambda n: n["type"] == "A")]
    assert links == NAV_BY_ROLE["wall"]


@pytest.mark.parametrize(("path", "key"), [("/", "overview"), ("/feeds", "feeds")])
def test_the_overview_and_feeds_pages_refresh_themselves_like_the_wall(
    client: TestClient, path: str, key: str
) -> None:
    from dashboards import components
    from dashboards.pages import wall

    assert components.DEFAULT_REFRESH_SECONDS == wall.DEFAULT_REFRESH_SECONDS  # one setting
    analyst = as_role(client, "analyst")
    drawn = draw(analyst, path)
    assert drawn.status_code == 200, drawn.text
    [interval] = find(drawn.json(), lambda n: n["props"].get("id") == f"{key}-refresh")
    assert interval["props"]["interval"] == 60_000 and not interval["props"]["disabled"]
    body = payload(
        analyst, f"{key}-live.children", n_intervals=1, data={"query": {}, "seconds": 60}
    )
    again = analyst.post("/_dash-update-component", json=body)
    assert again.status_code == 200, again.text
    stamps = find(again.json(), lambda n: n["props"].get("id") == f"{key}-refreshed")
    assert stamps and "refreshes every 60 s" in json.dumps(stamps)


def test_a_refresh_interval_is_set_as_on_the_wall_and_a_past_moment_does_not_refresh(
    client: TestClient,
) -> None:
    analyst = as_role(client, "analyst")
    body = payload(analyst, "_pages_content.children", pathname="/", search="?refresh=15")
    drawn = analyst.post("/_dash-update-component", json=body).json()
    [interval] = find(drawn, lambda n: n["props"].get("id") == "overview-refresh")
    assert interval["props"]["interval"] == 15_000
    body = payload(analyst, "_pages_content.children", pathname="/", search="?at=2026-11-01T12:00")
    drawn = analyst.post("/_dash-update-component", json=body).json()
    [interval] = find(drawn, lambda n: n["props"].get("id") == "overview-refresh")
    assert interval["props"]["disabled"] is True


def test_the_feeds_refresh_answers_to_the_feeds_page_s_rule(client: TestClient) -> None:
    wall = as_role(client, "wall")
    body = payload(wall, "feeds-live.children", n_intervals=1, search="")
    refused = wall.post("/_dash-update-component", json=body)
    assert refused.status_code == 403


@pytest.mark.parametrize(
    ("role", "links"), [("coordinator", True), ("analyst", False), ("wall", False)]
)
def test_a_site_s_wards_link_to_the_ward_page_only_for_a_role_that_can_open_it(
    role: str, links: bool
) -> None:
    from app.metrics.schemas import FlowBreakdownRow, Occupancy
    from app.security.principal import Principal, _current
    from app.security.roles import Role
    from dashboards import flow_view

    row = FlowBreakdownRow(
        site_code="RXA01",
        ward_code="A1",
        name="Ash",
        kind="general_acute",
        occupancy=Occupancy(occupied=9, core_open=10),
        nctr_in_hospital=2,
        delayed_days=5,
        red=1,
        green=1,
        not_recorded=0,
    )
    token = _current.set(Principal(name="someone", role=Role(role), via="session"))
    try:
        wards = flow_view.breakdown_grid([row], level="ward", grid_id="g", period="p")
        sites = flow_view.breakdown_grid([row], level="site", grid_id="g", period="p")
    finally:
        _current.reset(token)
    assert ("cellRenderer" in wards.columnDefs[0]) is links
    assert sites.columnDefs[0]["cellRenderer"] == "PageLink"  # every role opens a site page
