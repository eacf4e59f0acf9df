"""OpenID Connect sign-in against a fake identity provider served on the loopback: discovery,
JWKS, an authorization endpoint and a token endpoint that checks PKCE, and ID tokens signed
with a test RSA key. State, nonce, signature, audience and role mapping are all checked."""

from __future__ import annotations

import base64
import hashlib
import secrets
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import jwt
import pytest
import uvicorn
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI, Form, HTTPException
from fastapi.responses import RedirectResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.db import reset_caches
from app.security.oidc import OIDCClient, claim_values, map_role
from app.security.roles import Role
from models.security import AuditEvent, User
from tests.security_helpers import build_secure_app, fast_password_hashing  # noqa: F401

CLIENT_ID = "homeward-test"
CLIENT_SECRET = "a-test-client-secret-of-some-length"


@dataclass
class FakeIssuer:
    """What the fake provider will put in (or do to) the next ID token."""

    base: str = ""
    key: Any = field(default_factory=lambda: rsa.generate_private_key(65537, 2048))
    roles: list[str] = field(default_factory=lambda: ["discharge-coordinator"])
    nonce: str | None = None  # None: echo the nonce of the authorization request
    audience: str = CLIENT_ID
    sign_with: Any = None  # another key: a forged signature
    codes: dict[str, dict[str, str]] = field(default_factory=dict)

    def reset(self) -> None:
        self.roles, self.nonce, self.audience, self.sign_with = (
            ["discharge-coordinator"],
            None,
            CLIENT_ID,
            None,
        )


def fake_issuer_app(issuer: FakeIssuer) -> FastAPI:
    app = FastAPI()

    @app.get("/.well-known/openid-configuration")
    def discovery() -> dict[str, Any]:
        return {
            "issuer": issuer.base,
            "authorization_endpoint": f"{issuer.base}/authorize",
            "token_endpoint": f"{issuer.base}/token",
            "jwks_uri": f"{issuer.base}/jwks",
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
        }

    @app.get("/jwks")
    def jwks() -> dict[str, Any]:
        public = jwt.algorithms.RSAAlgorithm.to_jwk(issuer.key.public_key(), as_dict=True)
        return {"keys": [{**public, "kid": "test-key", "use": "sig", "alg": "RS256"}]}

    @app.get("/authorize")
    def authorize(
        response_type: str,
        client_id: str,
        redirect_uri: str,
        state: str,
        nonce: str,
        code_challenge: str,
        code_challenge_method: str,
        scope: str,
    ) -> RedirectResponse:
        assert (response_type, client_id, code_challenge_method) == ("code", CLIENT_ID, "S256")
        assert "openid" in scope.split()
        code = secrets.token_urlsafe(16)
        issuer.codes[code] = {
            "challenge": code_challenge,
            "nonce": nonce,
            "redirect_uri": redirect_uri,
        }
        return RedirectResponse(f"{redirect_uri}?{urlencode({'code': code, 'state': state})}")

    @app.post("/token")
    def token(
        grant_type: str = Form(),
        code: str = Form(),
        redirect_uri: str = Form(),
        code_verifier: str = Form(),
        client_id: str = Form(),
        client_secret: str = Form(),
    ) -> dict[str, Any]:
        grant = issuer.codes.pop(code, None)
        if grant is None or grant_type != "authorization_code" or client_secret != CLIENT_SECRET:
            raise HTTPException(400, "invalid_grant")
        challenge = base64.urlsafe_b64encode(hashlib.sha256(code_verifier.encode()).digest())
        if challenge.rstrip(b"=").decode() != grant["challenge"]:
            raise HTTPException(400, "invalid_grant: PKCE")
        if redirect_uri != grant["redirect_uri"] or client_id != CLIENT_ID:
            raise HTTPException(400, "invalid_grant")
        now = int(time.time())
        claims = {
            "iss": issuer.base,
            "aud": issuer.audience,
            "sub": "cis2-555000111222",
            "iat": now,
            "exp": now + 300,
            "nonce": issuer.nonce if issuer.nonce is not None else grant["nonce"],
            "preferred_username": "Jo.Bloggs",
            "name": "Jo Bloggs",
            "roles": issuer.roles,
        }
        id_token = jwt.encode(
            claims, issuer.sign_with or issuer.key, algorithm="RS256", headers={"kid": "test-key"}
        )
        return {"access_token": "at", "token_type": "Bearer", "id_token": id_token}

    return app


@pytest.fixture(scope="module")
def fake_issuer() -> Iterator[FakeIssuer]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    issuer = FakeIssuer(base=f"http://127.0.0.1:{port}")
    server = uvicorn.Server(
        uvicorn.Config(fake_issuer_app(issuer), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the fake issuer did not start"
        time.sleep(0.05)
    yield issuer
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def client(
    engine: Engine, fake_issuer: FakeIssuer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[TestClient]:
    fake_issuer.reset()
    monkeypatch.setenv("HOMEWARD_OIDC_ISSUER", fake_issuer.base)
    monkeypatch.setenv("HOMEWARD_OIDC_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("HOMEWARD_OIDC_CLIENT_SECRET", CLIENT_SECRET)
    monkeypatch.setenv(
        "HOMEWARD_OIDC_ROLE_MAP", '{"discharge-coordinator": "coordinator", "analyst": "analyst"}'
    )
    reset_caches()
    app = build_secure_app()
    app.state.oidc_client = OIDCClient(get_settings())
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def start(client: TestClient, next_path: str = "/coordinator") -> str:
    """Begin at Homeward, follow the provider's authorization step; the callback address."""
    begin = client.get(
        "/api/v1/auth/oidc/login", params={"next": next_path}, follow_redirects=False
    )
    assert begin.status_code == 303
    assert "hw_oidc=" in begin.headers["set-cookie"]
    assert "httponly" in begin.headers["set-cookie"].lower()
    query = parse_qs(urlsplit(begin.headers["location"]).query)
    assert query["code_challenge_method"] == ["S256"] and len(query["state"][0]) >= 40
    authorize = httpx.get(begin.headers["location"], follow_redirects=False)
    assert authorize.status_code == 307
    back = urlsplit(authorize.headers["location"])
    assert back.path == "/api/v1/auth/oidc/callback"
    return f"{back.path}?{back.query}"


def test_a_good_sign_in_opens_a_session_with_the_mapped_role(
    client: TestClient, engine: Engine
) -> None:
    response = client.get(start(client), follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/coordinator"
    me = client.get("/api/v1/auth/me").json()
    assert (me["name"], me["role"]) == ("jo.bloggs", "coordinator")
    with Session(engine) as db:
        user = db.scalars(select(User)).one()
        assert (user.oidc_subject, user.password_hash, user.display_name) == (
            "cis2-555000111222",
            None,
            "Jo Bloggs",
        )
        logins = db.scalars(select(AuditEvent.what).where(AuditEvent.action == "login")).all()
        assert logins == ["oidc"]


def test_the_role_follows_the_identity_provider_at_each_sign_in(
    client: TestClient, fake_issuer: FakeIssuer
) -> None:
    client.get(start(client), follow_redirects=False)
    fake_issuer.roles = ["analyst", "some-other-role"]
    client.get(start(client), follow_redirects=False)
    assert client.get("/api/v1/auth/me").json()["role"] == "analyst"


def refused(client: TestClient, callback: str, reason: str, engine: Engine) -> None:
    response = client.get(callback, follow_redirects=False)
    assert response.status_code == 400
    assert reason in response.text
    assert "hw_session" not in response.headers.get("set-cookie", "")
    assert client.get("/api/v1/auth/me").status_code == 401
    with Session(engine) as db:
        assert db.scalars(select(AuditEvent.action)).all() == ["login_failed"]


def test_a_state_mismatch_is_refused(client: TestClient, engine: Engine) -> None:
    callback = start(client)
    path, query = callback.split("?")
    params = parse_qs(query)
    params["state"] = ["forged-" + params["state"][0][7:]]
    refused(client, f"{path}?{urlencode({k: v[0] for k, v in params.items()})}", "state", engine)


def test_a_callback_without_the_sign_in_cookie_is_refused(
    client: TestClient, engine: Engine
) -> None:
    callback = start(client)
    client.cookies.clear()
    refused(client, callback, "start again", engine)


def test_a_nonce_mismatch_is_refused(
    client: TestClient, fake_issuer: FakeIssuer, engine: Engine
) -> None:
    fake_issuer.nonce = "a-replayed-token-nonce"
    refused(client, start(client), "nonce does not match", engine)


def test_a_bad_signature_is_refused(
    client: TestClient, fake_issuer: FakeIssuer, engine: Engine
) -> None:
    fake_issuer.sign_with = rsa.generate_private_key(65537, 2048)
    refused(client, start(client), "signature is not valid", engine)


def test_a_token_for_another_client_is_refused(
    client: TestClient, fake_issuer: FakeIssuer, engine: Engine
) -> None:
    fake_issuer.audience = "some-other-service"
    refused(client, start(client), "InvalidAudienceError", engine)


def test_an_identity_with_no_mapped_role_is_refused(
    client: TestClient, fake_issuer: FakeIssuer, engine: Engine
) -> None:
    fake_issuer.roles = ["receptionist"]
    refused(client, start(client), "no Homeward role", engine)


def test_the_login_page_offers_the_identity_provider(client: TestClient) -> None:
    page = client.get("/login?next=/wall").text
    assert "/api/v1/auth/oidc/login?next=%2Fwall" in page


# --- claim mapping, as a CIS2 userinfo answer carries roles -----------------------------------

CIS2_LIKE = {
    "sub": "555",
    "nhsid_nrbac_roles": [
        {"person_roleid": "1", "role_code": "S8000:G8000:R8001", "org_code": "RXA"},
        {"person_roleid": "2", "role_code": "S8000:G8000:R8003", "org_code": "RXA"},
    ],
    "groups": "a b",
}


def test_claim_values_follow_dotted_paths_through_lists() -> None:
    assert claim_values(CIS2_LIKE, "nhsid_nrbac_roles.role_code") == [
        "S8000:G8000:R8001",
        "S8000:G8000:R8003",
    ]
    assert claim_values(CIS2_LIKE, "groups") == ["a", "b"]
    assert claim_values(CIS2_LIKE, "missing.path") == []


def test_the_first_mapped_role_in_configured_order_wins() -> None:
    role_map = {"S8000:G8000:R8003": "analyst", "S8000:G8000:R8001": "coordinator"}
    assert map_role(CIS2_LIKE, "nhsid_nrbac_roles.role_code", role_map) is Role.ANALYST
    assert map_role(CIS2_LIKE, "nhsid_nrbac_roles.role_code", {"R9": "admin"}) is None
