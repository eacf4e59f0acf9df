"""The role table, enforced: which role may call which API path (both databases), the
``require_roles`` dependency on a small router of its own, every real route covered by a
rule, and no identifier ever in an answer to the wall or an analyst."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.api.security_deps import require_roles
from app.core.db import reset_caches
from app.metrics.registry import METRICS
from app.security.principal import Principal
from app.security.roles import Role, rule_for
from models.spells import Spell
from tests.security_helpers import (  # noqa: F401
    bearer,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

ANONYMOUS = "anonymous"
PEOPLE = ("wall", "analyst", "coordinator", "admin")
EVERYONE = (ANONYMOUS, *PEOPLE, "feed")
PERIOD = "start=2026-10-24&end=2026-11-02"


def client_as(app: FastAPI, who: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    if who == "feed":
        client.headers.update(bearer("feed"))
    elif who != ANONYMOUS:
        sign_in(client, who)
    return client


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    return build_secure_app()


# (method, path, the callers let through); everyone else: 401 anonymous, 403 signed in
MATRIX: list[tuple[str, str, tuple[str, ...]]] = [
    ("GET", "/api/v1/health", EVERYONE),
    ("GET", "/api/v1/auth/me", (*PEOPLE, "feed")),
    ("GET", "/api/v1/flow/summary", PEOPLE),
    ("GET", f"/api/v1/flow/nctr-daily?{PERIOD}", PEOPLE),
    ("GET", "/api/v1/capacity/gaps", PEOPLE),
    ("GET", "/api/v1/metrics", PEOPLE),
    ("GET", "/api/v1/trends/weekly?metric=delayed_days&weeks=4", PEOPLE),
    ("GET", "/api/v1/feeds/status", PEOPLE),
    # a feed client reads its own runs; the rejected rows' values only the coordinator and
    # the sender see (the others get them redacted: tests/test_least_privilege.py)
    ("GET", "/api/v1/feeds/runs", ("analyst", "coordinator", "admin", "feed")),
    ("GET", "/api/v1/feeds/runs/1/rejected", ("analyst", "coordinator", "admin", "feed")),
    ("POST", "/api/v1/feeds/beds/batches", ("feed",)),  # only the feed role delivers
    ("GET", "/api/v1/patients/delayed", ("coordinator",)),
    ("GET", "/api/v1/patients/S1/journey", ("coordinator",)),
    ("GET", "/api/v1/admin/users", ("admin",)),
    ("GET", "/api/v1/admin/audit", ("admin",)),
    ("GET", "/api/v1/no-such-thing", ()),
]


@pytest.mark.parametrize("who", EVERYONE)
def test_role_matrix(app: FastAPI, who: str) -> None:
    client = client_as(app, who)
    for method, path, allowed in MATRIX:
        response = client.request(method, path, content=b"" if method == "POST" else None)
        if path == "/api/v1/no-such-thing" and who != ANONYMOUS:
            # signed in: an unknown API path is a JSON 404, never Dash's page
            assert response.status_code == 404, (who, response.text)
            assert response.json() == {"detail": "No API endpoint /api/v1/no-such-thing"}
        elif who in allowed:
            assert response.status_code not in (401, 403), (who, method, path, response.text)
        elif who == ANONYMOUS:
            assert response.status_code == 401, (method, path)
            assert response.headers["www-authenticate"] == "Bearer"
        else:
            assert response.status_code == 403, (who, method, path, response.text)


def test_admin_is_refused_patient_level_data(app: FastAPI) -> None:
    """Caldicott principle 3 (minimum necessary): running the system needs no identifiers."""
    response = client_as(app, "admin").get("/api/v1/patients/delayed")
    assert response.status_code == 403
    assert response.json() == {"detail": "the role admin may not call GET /api/v1/patients/delayed"}


def test_pages_send_the_anonymous_to_sign_in(app: FastAPI) -> None:
    client = client_as(app, ANONYMOUS)
    response = client.get("/coordinator?site=RXA01", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcoordinator%3Fsite%3DRXA01"
    assert client.get("/login").status_code == 200
    assert client.get("/_dash-layout").status_code == 401  # Dash's own routes: 401, no redirect


def test_a_wall_session_is_refused_patient_pages(app: FastAPI) -> None:
    response = client_as(app, "wall").get("/patient/S1", follow_redirects=False)
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "not available to your role" in response.text


def test_every_api_route_is_covered_by_a_rule(app: FastAPI) -> None:
    uncovered = []
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/api/v1/"):
            continue
        path = route.path.replace("{", "").replace("}", "")  # /runs/{run_id} → /runs/run_id
        for method in route.methods:
            if rule_for(method, path) is None:
                uncovered.append(f"{method} {route.path}")
    assert uncovered == []


# --- require_roles on a router of its own (no middleware: the dependency resolves) ----------


def small_app() -> FastAPI:
    router = APIRouter()

    @router.get("/only-coordinators")
    def only_coordinators(
        principal: Annotated[Principal, Depends(require_roles(Role.COORDINATOR))],
    ) -> dict[str, str]:
        return {"hello": principal.name}

    @router.get("/analysts-or-admins", dependencies=[Depends(require_roles("analyst", "admin"))])
    def analysts_or_admins() -> dict[str, bool]:
        return {"ok": True}

    from app.api import auth

    app = FastAPI()
    app.include_router(auth.router, prefix="/api/v1")
    app.include_router(router)
    return app


def test_require_roles(engine: Engine) -> None:
    app = small_app()
    anonymous = TestClient(app)
    assert anonymous.get("/only-coordinators").status_code == 401
    coordinator, analyst = TestClient(app), TestClient(app)
    sign_in(coordinator, "coordinator")
    sign_in(analyst, "analyst")
    assert coordinator.get("/only-coordinators").json() == {"hello": "test-coordinator"}
    refused = analyst.get("/only-coordinators")
    assert refused.status_code == 403
    assert refused.json()["detail"] == "the role analyst may not do this; it needs coordinator"
    assert analyst.get("/analysts-or-admins").json() == {"ok": True}
    assert coordinator.get("/analysts-or-admins").status_code == 403
    wall = TestClient(app, headers=bearer("wall"))
    assert wall.get("/analysts-or-admins").status_code == 403


# --- no identifier reaches the wall or an analyst --------------------------------------------

IDENTIFYING_KEYS = {"nhs_number", "nhs_number_pseudonym", "local_patient_id", "spell_id", "age"}


def keys_of(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_of(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_of(v)}
    return set()


@pytest.fixture
def scenario_app(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[FastAPI]:
    from tests.test_metrics_scenario import load_scenario

    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    reset_caches()
    load_scenario(engine, tmp_path / "reference")
    yield build_secure_app()


@pytest.mark.parametrize("who", ["wall", "analyst"])
def test_no_identifier_in_any_answer_to_the_wall_or_an_analyst(
    scenario_app: FastAPI, engine: Engine, who: str
) -> None:
    with Session(engine) as db:
        spells = db.execute(select(Spell.spell_id, Spell.local_patient_id)).all()
    assert spells, "the scenario has patients"
    identifiers = {json.dumps(v) for row in spells for v in row}  # as JSON strings: "S1"
    at = "at=2026-10-31T12:00:00Z"
    paths = [
        f"/api/v1/flow/summary?{at}",
        f"/api/v1/flow/nctr-daily?{PERIOD}",
        *(f"/api/v1/flow/delayed-days?{PERIOD}&group_by={g}" for g in ("reason", "ward", "site")),
        f"/api/v1/flow/discharge-delays?{PERIOD}",
        *(f"/api/v1/flow/red2green?{PERIOD}&group_by={g}" for g in ("site", "ward", "reason")),
        f"/api/v1/flow/by-site?{PERIOD}&{at}",
        f"/api/v1/flow/by-ward?{PERIOD}&{at}&site=RXA01",
        f"/api/v1/capacity/care-homes?{at}",
        f"/api/v1/capacity/domiciliary?{at}",
        f"/api/v1/capacity/gaps?{at}",
        "/api/v1/metrics",
        *(f"/api/v1/trends/weekly?metric={m}&weeks=4&end=2026-11-02" for m in METRICS),
        "/api/v1/feeds/status",
        "/api/v1/feeds/runs",
    ]
    client = client_as(scenario_app, who)
    checked = 0
    for path in paths:
        response = client.get(path)
        if who == "wall" and path == "/api/v1/feeds/runs":
            assert response.status_code == 403
            continue
        assert response.status_code == 200, (path, response.text)
        leaked = keys_of(response.json()) & IDENTIFYING_KEYS
        assert not leaked, (path, leaked)
        assert not [i for i in identifiers if i in response.text], path
        checked += 1
    assert checked >= 20
    for path in ("/api/v1/patients/delayed", "/api/v1/patients/S1/journey"):
        assert client.get(path).status_code == 403
