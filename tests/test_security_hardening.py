"""Hardening: security headers (API, sign-in page, Dash pages with a CSP that hashes Dash's
inline scripts), HSTS in production, no stack trace to a client, docs off in production,
CORS closed unless configured, cross-site writes refused, rate limits → 429, and production
refusing default secrets (OIDC client secret included)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine

from app.api.security_deps import export_rate_limit
from app.core.config import DEMO_PSEUDONYM_KEY, DEMO_SECRET, Settings
from app.core.db import reset_caches
from tests.security_helpers import (  # noqa: F401
    TEST_PASSWORD,
    build_secure_app,
    ensure_user,
    fast_password_hashing,
    sign_in,
)

PRODUCTION = {
    "HOMEWARD_ENVIRONMENT": "production",
    "HOMEWARD_SECRET_KEY": "s" * 40,
    "HOMEWARD_PSEUDONYM_KEY": "k" * 40,
}


def production(monkeypatch: pytest.MonkeyPatch, **extra: str) -> None:
    for name, value in {**PRODUCTION, **extra}.items():
        monkeypatch.setenv(name, value)
    reset_caches()


def add_routes(app: FastAPI, router: APIRouter) -> None:
    before = len(app.router.routes)
    app.include_router(router)
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(build_secure_app(), raise_server_exceptions=False) as test_client:
        yield test_client


def assert_common_headers(headers: object) -> None:
    h = dict(headers)  # type: ignore[call-overload]
    assert h["x-content-type-options"] == "nosniff"
    assert h["referrer-policy"] == "same-origin"
    assert h["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in h["content-security-policy"]


def test_api_answers_carry_the_security_headers(client: TestClient) -> None:
    for response in (client.get("/api/v1/health"), client.get("/api/v1/flow/summary")):
        assert_common_headers(response.headers)
        assert response.headers["content-security-policy"].startswith("default-src 'none'")
        assert "strict-transport-security" not in response.headers  # demo: plain http
    assert client.get("/api/v1/flow/summary").status_code == 401


def test_the_sign_in_page_has_a_strict_policy_and_no_script(client: TestClient) -> None:
    response = client.get("/login?next=/coordinator")
    assert_common_headers(response.headers)
    csp = response.headers["content-security-policy"]
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "<script" not in response.text
    assert 'value="/coordinator"' in response.text.replace("'", '"')


def test_hsts_in_production(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    production(monkeypatch)
    with TestClient(build_secure_app(), base_url="https://testserver") as client:
        response = client.get("/api/v1/health")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def inline_scripts(page: str) -> list[str]:
    """The bodies of the scripts a browser would run inline (not src=, not JSON data)."""
    found = []
    for attrs, body in re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S):
        if "src=" in attrs or "application/json" in attrs:
            continue
        found.append(body)
    return found


def test_dash_pages_carry_a_csp_that_hashes_every_inline_script(engine: Engine) -> None:
    app = build_secure_app(with_dashboard=True)
    with TestClient(app) as client:
        assert client.get("/", follow_redirects=False).status_code == 303  # sign in first
        sign_in(client, "analyst")
        response = client.get("/wall")
    assert response.status_code == 200 and "_dash-renderer" in response.text
    assert_common_headers(response.headers)
    csp = response.headers["content-security-policy"]
    assert "unsafe-eval" not in csp and "'unsafe-inline'" not in csp.split("style-src")[0]
    scripts = inline_scripts(response.text)
    assert "var renderer = new DashRenderer();" in scripts
    for body in scripts:
        digest = base64.b64encode(hashlib.sha256(body.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp, body[:80]
    assert response.headers["cache-control"] == "no-store"


def test_no_stack_trace_reaches_a_client(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    app = build_secure_app()
    router = APIRouter()

    @router.get("/api/v1/flow/boom")
    def boom() -> None:
        raise RuntimeError("secret internals: password=hunter2")

    add_routes(app, router)
    with TestClient(app, raise_server_exceptions=False) as client:
        sign_in(client, "analyst")
        response = client.get("/api/v1/flow/boom")
    assert response.status_code == 500
    body = response.json()
    assert set(body) == {"detail", "error_id"} and re.fullmatch(r"[0-9a-f]{12}", body["error_id"])
    assert "hunter2" not in response.text and "Traceback" not in response.text
    assert_common_headers(response.headers)
    assert body["error_id"] in caplog.text and "hunter2" in caplog.text  # in the log only


def test_docs_are_off_in_production_unless_enabled(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(build_secure_app()) as demo:
        assert demo.get("/api/docs").status_code == 200
        assert demo.get("/api/v1/openapi.json").status_code == 200
    production(monkeypatch)
    with TestClient(build_secure_app(), base_url="https://testserver") as closed:
        assert closed.get("/api/docs").status_code == 404
        assert closed.get("/api/v1/openapi.json").status_code == 404
    production(monkeypatch, HOMEWARD_ENABLE_DOCS="true")
    with TestClient(build_secure_app(), base_url="https://testserver") as opened:
        assert opened.get("/api/docs").status_code == 200


def test_cors_is_closed_unless_origins_are_configured(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    preflight = {
        "Origin": "https://elsewhere.example",
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }
    with TestClient(build_secure_app()) as client:
        response = client.options("/api/v1/flow/summary", headers=preflight)
        assert "access-control-allow-origin" not in response.headers
        got = client.get("/api/v1/health", headers={"Origin": "https://elsewhere.example"})
        assert "access-control-allow-origin" not in got.headers
    monkeypatch.setenv("HOMEWARD_CORS_ORIGINS", '["https://elsewhere.example"]')
    reset_caches()
    with TestClient(build_secure_app()) as client:
        response = client.options("/api/v1/flow/summary", headers=preflight)
        assert response.headers["access-control-allow-origin"] == "https://elsewhere.example"
        assert "access-control-allow-credentials" not in response.headers  # bearer tokens only


def test_cross_site_writes_are_refused(client: TestClient) -> None:
    sign_in(client, "admin")
    evil = client.post(
        "/api/v1/admin/users",
        json={"username": "mallory", "role": "admin", "password": "x" * 20},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403 and evil.json() == {"detail": "cross-site request refused"}
    same = client.post(
        "/api/v1/admin/users",
        json={"username": "dana", "role": "analyst", "password": "a long pass phrase"},
        headers={"Origin": "http://testserver"},
    )
    assert same.status_code == 201


def test_sign_in_is_rate_limited(client: TestClient) -> None:
    ensure_user("analyst", username="ann")
    codes = [
        client.post("/api/v1/auth/login", json={"username": "ann", "password": "guess"}).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10  # a burst of 10 per username
    assert codes[10] == 429
    refused = client.post("/api/v1/auth/login", json={"username": "ann", "password": TEST_PASSWORD})
    assert refused.status_code == 429  # even the right password waits: no guessing oracle
    assert int(refused.headers["retry-after"]) >= 1
    other = client.post("/api/v1/auth/login", json={"username": "bob", "password": "guess"})
    assert other.status_code == 401  # another username has its own bucket


def test_exports_are_rate_limited(engine: Engine) -> None:
    app = build_secure_app()
    router = APIRouter()

    @router.get("/api/v1/flow/export-probe", dependencies=[Depends(export_rate_limit)])
    def export() -> dict[str, str]:
        return {"csv": "…"}

    add_routes(app, router)
    with TestClient(app) as client:
        sign_in(client, "analyst")
        codes = [client.get("/api/v1/flow/export-probe").status_code for _ in range(11)]
    assert codes == [200] * 10 + [429]


@pytest.mark.parametrize(
    ("overrides", "named"),
    [
        ({"secret_key": DEMO_SECRET}, "HOMEWARD_SECRET_KEY"),
        ({"pseudonym_key": DEMO_PSEUDONYM_KEY}, "HOMEWARD_PSEUDONYM_KEY"),
        (
            {"oidc_issuer": "https://idp.example", "oidc_client_id": "hw"},
            "HOMEWARD_OIDC_CLIENT_SECRET",
        ),
        (
            {
                "oidc_issuer": "https://idp.example",
                "oidc_client_id": "hw",
                "oidc_client_secret": "change-me-change-me",
            },
            "HOMEWARD_OIDC_CLIENT_SECRET",
        ),
        (
            {
                "oidc_issuer": "http://idp.example",
                "oidc_client_id": "hw",
                "oidc_client_secret": "x" * 32,
            },
            "https://",
        ),
    ],
)
def test_production_refuses_default_secrets(overrides: dict[str, str], named: str) -> None:
    values = {"secret_key": "s" * 40, "pseudonym_key": "k" * 40, **overrides}
    with pytest.raises(ValidationError, match=named):
        Settings(environment="production", _env_file=None, **values)  # type: ignore[arg-type]


def test_production_accepts_a_real_oidc_configuration() -> None:
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        environment="production",
        secret_key="s" * 40,
        pseudonym_key="k" * 40,
        oidc_issuer="https://idp.example",
        oidc_client_id="homeward",
        oidc_client_secret="x" * 32,
        oidc_role_map={"R8000": "coordinator"},
    )
    assert settings.enable_docs is False


def test_a_role_map_naming_an_unknown_role_is_refused() -> None:
    with pytest.raises(ValidationError, match="unknown roles"):
        Settings(_env_file=None, oidc_role_map={"R1": "superuser"})  # type: ignore[call-arg]


def test_a_database_outage_answers_503_not_an_error(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = TestClient(build_secure_app(), raise_server_exceptions=False)
    sign_in(client, "analyst")
    monkeypatch.setenv("HOMEWARD_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:9/none")
    reset_caches()
    response = client.get("/api/v1/flow/summary")
    assert response.status_code == 503 and response.headers["retry-after"] == "30"
    assert "unavailable" in response.json()["detail"]
