"""Sign-in sessions: cookie flags, sign-out ends the session on the server, idle and absolute
timeouts (an injected clock), a new sign-in replaces the old session, wall kiosks."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.db import reset_caches
from app.security import ratelimit
from app.security.tokens import digest
from models.security import AuditEvent, User, UserSession
from tests.security_helpers import (  # noqa: F401
    TEST_PASSWORD,
    FakeClock,
    bearer,
    build_secure_app,
    ensure_user,
    fast_password_hashing,
    sign_in,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def client(engine: Engine, clock: FakeClock) -> Iterator[TestClient]:
    ratelimit.reset_all()
    with TestClient(build_secure_app(clock=clock), raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str = TEST_PASSWORD) -> str:
    response = client.post("/api/v1/auth/login", json={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.cookies["hw_session"]


def sessions(engine: Engine) -> list[UserSession]:
    with Session(engine) as db:
        return list(db.scalars(select(UserSession).order_by(UserSession.id)))


def test_login_sets_an_httponly_lax_session_cookie(client: TestClient) -> None:
    ensure_user("analyst", username="ann")
    response = client.post(
        "/api/v1/auth/login", json={"username": "Ann", "password": TEST_PASSWORD}
    )
    assert response.status_code == 200
    assert response.json()["role"] == "analyst"
    cookie = response.headers["set-cookie"]
    flags = {part.strip().lower() for part in cookie.split(";")}
    assert cookie.startswith("hw_session=")
    assert {"httponly", "samesite=lax", "path=/"} <= flags
    assert "secure" not in flags  # demo over plain http on the loopback
    assert not any(f.startswith(("max-age", "expires")) for f in flags)  # gone with the browser
    assert client.get("/api/v1/auth/me").json()["name"] == "ann"


def test_production_cookie_is_secure_with_the_host_prefix(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")
    monkeypatch.setenv("HOMEWARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("HOMEWARD_PSEUDONYM_KEY", "k" * 40)
    reset_caches()
    ratelimit.reset_all()
    ensure_user("analyst", username="ann")
    app = build_secure_app()
    with TestClient(app, base_url="https://testserver") as client:
        response = client.post(
            "/api/v1/auth/login", json={"username": "ann", "password": TEST_PASSWORD}
        )
        assert response.status_code == 200
        cookie = response.headers["set-cookie"]
        flags = {part.strip().lower() for part in cookie.split(";")}
        assert cookie.startswith("__Host-hw_session=")
        assert {"httponly", "samesite=lax", "secure", "path=/"} <= flags
        assert not any(f.startswith("domain") for f in flags)
        assert client.get("/api/v1/auth/me").status_code == 200
        assert "max-age=31536000" in response.headers["strict-transport-security"]


def test_the_store_keeps_only_a_digest_of_the_session_id(
    client: TestClient, engine: Engine
) -> None:
    ensure_user("analyst", username="ann")
    raw = login(client, "ann")
    [row] = sessions(engine)
    assert row.id_hash == digest(raw)
    with engine.connect() as conn:
        dumped = " ".join(str(v) for v in conn.execute(select(UserSession.__table__)).one())
    assert raw not in dumped


def test_wrong_password_is_refused_and_audited(client: TestClient, engine: Engine) -> None:
    ensure_user("analyst", username="ann")
    response = client.post("/api/v1/auth/login", json={"username": "ann", "password": "nope"})
    assert response.status_code == 401
    assert "hw_session" not in response.cookies
    unknown = client.post("/api/v1/auth/login", json={"username": "bob", "password": "nope"})
    assert unknown.status_code == 401 and unknown.json() == response.json()  # says nothing more
    with Session(engine) as db:
        failed = db.scalars(select(AuditEvent.actor).where(AuditEvent.action == "login_failed"))
        assert sorted(failed) == ["ann", "bob"]


def test_logout_ends_the_session_on_the_server(client: TestClient, engine: Engine) -> None:
    ensure_user("coordinator", username="cora")
    raw = login(client, "cora")
    assert client.get("/api/v1/auth/me").status_code == 200
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 200 and response.json() == {"signed_out": True}
    assert 'hw_session=""' in response.headers["set-cookie"]
    # the old cookie, kept and replayed (a copy stolen before sign-out), is useless now
    replay = TestClient(client.app)
    replay.cookies.set("hw_session", raw)
    assert replay.get("/api/v1/auth/me").status_code == 401
    [row] = sessions(engine)
    assert row.revoked_at is not None and row.ended_reason == "logout"


def test_idle_timeout(client: TestClient, clock: FakeClock, engine: Engine) -> None:
    ensure_user("analyst", username="ann")
    login(client, "ann")
    clock.advance(minutes=29)
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=29)  # 58 minutes in, but never 30 idle
    assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=30)
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert "hw_session=" in response.headers["set-cookie"]  # the browser is told to forget it
    assert sessions(engine)[0].ended_reason == "idle"


def test_absolute_timeout_whatever_the_activity(
    client: TestClient, clock: FakeClock, engine: Engine
) -> None:
    ensure_user("analyst", username="ann")
    login(client, "ann")
    for _ in range(12 * 60 // 20 - 1):  # a request every 20 minutes up to 11 h 40
        clock.advance(minutes=20)
        assert client.get("/api/v1/auth/me").status_code == 200
    clock.advance(minutes=19, seconds=59)
    assert client.get("/api/v1/auth/me").status_code == 200  # 11:59:59
    clock.advance(seconds=1)
    assert client.get("/api/v1/auth/me").status_code == 401  # 12:00:00
    assert sessions(engine)[0].ended_reason == "absolute"


def test_a_new_sign_in_replaces_the_browsers_old_session(
    client: TestClient, engine: Engine
) -> None:
    ensure_user("analyst", username="ann")
    first = login(client, "ann")
    second = login(client, "ann")
    assert first != second
    old, new = sessions(engine)
    assert old.ended_reason == "replaced" and new.revoked_at is None


def test_form_sign_in_goes_to_a_local_page_only(client: TestClient) -> None:
    ensure_user("coordinator", username="cora")
    form = {"username": "cora", "password": TEST_PASSWORD}
    ok = client.post(
        "/api/v1/auth/login",
        data={**form, "next": "/coordinator?site=RXA01"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/coordinator?site=RXA01"
    for evil in ("//evil.example/x", "https://evil.example", "/\\evil.example"):
        response = client.post(
            "/api/v1/auth/login", data={**form, "next": evil}, follow_redirects=False
        )
        assert response.headers["location"] == "/", evil
    wrong = client.post(
        "/api/v1/auth/login",
        data={"username": "cora", "password": "wrong", "next": "/coordinator"},
        follow_redirects=False,
    )
    assert wrong.status_code == 303
    assert wrong.headers["location"] == "/login?error=1&next=%2Fcoordinator"


def test_deactivation_and_role_change_end_sessions(client: TestClient, engine: Engine) -> None:
    ensure_user("coordinator", username="cora")
    ensure_user("analyst", username="ann")
    cora = TestClient(client.app)
    login(cora, "cora")
    ann = TestClient(client.app)
    login(ann, "ann")
    sign_in(client, "admin")
    with Session(engine) as db:
        ids = {u.username: u.id for u in db.scalars(select(User))}
    assert (
        client.patch(f"/api/v1/admin/users/{ids['cora']}", json={"is_active": False}).status_code
        == 200
    )
    assert (
        client.patch(f"/api/v1/admin/users/{ids['ann']}", json={"role": "wall"}).status_code == 200
    )
    assert cora.get("/api/v1/auth/me").status_code == 401
    assert ann.get("/api/v1/auth/me").status_code == 401
    assert (
        cora.post(
            "/api/v1/auth/login", json={"username": "cora", "password": TEST_PASSWORD}
        ).status_code
        == 401
    )
    login(ann, "ann")
    assert ann.get("/api/v1/auth/me").json()["role"] == "wall"


def test_a_wall_kiosk_signs_in_with_its_token(client: TestClient, clock: FakeClock) -> None:
    headers = bearer("wall", name="meeting room 3")
    token = headers["Authorization"].removeprefix("Bearer ")
    response = client.get("/api/v1/auth/kiosk", params={"token": token}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/wall?kiosk=1"
    cookie = response.headers["set-cookie"].lower()
    assert "max-age=2592000" in cookie and "httponly" in cookie  # 30 days: the kiosk reboots
    me = client.get("/api/v1/auth/me").json()
    assert (me["name"], me["role"], me["via"]) == ("token:meeting room 3", "wall", "session")
    assert client.get("/api/v1/patients/delayed").status_code == 403
    for _ in range(13 * 2):  # the wall refreshes itself: 13 hours, a person's limit is 12
        clock.advance(minutes=30 - 0.5)
        assert client.get("/api/v1/auth/me").status_code == 200


def test_a_kiosk_session_ends_with_its_token(client: TestClient) -> None:
    headers = bearer("wall", name="meeting room 3")
    token = headers["Authorization"].removeprefix("Bearer ")
    client.post("/api/v1/auth/kiosk", data={"token": token}, follow_redirects=False)
    assert client.get("/api/v1/auth/me").status_code == 200
    admin = TestClient(client.app)
    sign_in(admin, "admin")
    [listed] = [
        t for t in admin.get("/api/v1/admin/tokens").json() if t["name"] == "meeting room 3"
    ]
    assert admin.delete(f"/api/v1/admin/tokens/{listed['id']}").status_code == 200
    assert client.get("/api/v1/auth/me").status_code == 401


def test_only_wall_tokens_open_a_kiosk(client: TestClient) -> None:
    token = bearer("feed")["Authorization"].removeprefix("Bearer ")
    response = client.get("/api/v1/auth/kiosk", params={"token": token}, follow_redirects=False)
    assert response.status_code == 401
    assert client.get("/api/v1/auth/me").status_code == 401
