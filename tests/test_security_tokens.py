"""Bearer API tokens: shown once, stored as a SHA-256 digest only, carrying a role and an
optional expiry; refused when expired or revoked; never replaced by a cookie; the demo
accounts exist in demo mode only; the second migration leaves the first alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

import models
from app.core import migrations
from app.core.db import make_engine, reset_caches
from app.security.demo import NotInDemo, create_demo_kiosk_token, create_demo_users
from app.security.tokens import digest
from models.security import ApiToken
from tests.security_helpers import (  # noqa: F401
    FakeClock,
    bearer,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def admin(engine: Engine, clock: FakeClock) -> Iterator[TestClient]:
    with TestClient(build_secure_app(clock=clock), raise_server_exceptions=False) as client:
        sign_in(client, "admin")
        yield client


def new_token(admin: TestClient, **body: object) -> dict[str, object]:
    response = admin.post("/api/v1/admin/tokens", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def test_a_token_is_shown_once_and_stored_as_a_digest(admin: TestClient, engine: Engine) -> None:
    created = new_token(admin, name="pas-feed", role="feed")
    plaintext = str(created["token"])
    assert plaintext.startswith("hw_") and created["token_prefix"] == plaintext[:9]
    with engine.connect() as conn:
        row = conn.execute(select(ApiToken.__table__)).one()
    assert row.token_hash == digest(plaintext)
    assert not [value for value in row if isinstance(value, str) and plaintext in value]
    listed = admin.get("/api/v1/admin/tokens").json()
    assert [t["name"] for t in listed] == ["pas-feed"] and "token" not in listed[0]


def test_a_token_carries_its_role(admin: TestClient) -> None:
    feed = TestClient(
        admin.app,
        headers={"Authorization": f"Bearer {new_token(admin, name='pas', role='feed')['token']}"},
    )
    delivered = feed.post(
        "/api/v1/feeds/beds/batches", content=b"", headers={"content-type": "text/csv"}
    )
    assert delivered.status_code not in (401, 403)
    assert feed.get("/api/v1/flow/summary").status_code == 403
    assert feed.get("/api/v1/auth/me").json()["name"] == "token:pas"
    wall = TestClient(
        admin.app,
        headers={
            "Authorization": f"Bearer {new_token(admin, name='wall-1', role='wall')['token']}"
        },
    )
    assert wall.get("/api/v1/flow/summary").status_code == 200
    assert wall.get("/api/v1/feeds/status").status_code == 200
    assert wall.get("/api/v1/feeds/runs").status_code == 403


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_no_token_carries_patient_level_or_admin_access(admin: TestClient, role: str) -> None:
    response = admin.post("/api/v1/admin/tokens", json={"name": "xx", "role": role})
    assert response.status_code == 422
    assert "named people" in response.json()["detail"]


def test_an_expired_token_is_refused(admin: TestClient, clock: FakeClock) -> None:
    expires = (T0 + timedelta(hours=1)).isoformat()
    token = new_token(admin, name="short-lived", role="analyst", expires_at=expires)["token"]
    client = TestClient(admin.app, headers={"Authorization": f"Bearer {token}"})
    assert client.get("/api/v1/flow/summary").status_code == 200
    clock.advance(hours=1)
    refused = client.get("/api/v1/flow/summary")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == 'Bearer error="invalid_token"'


def test_a_revoked_token_is_refused_at_once(admin: TestClient) -> None:
    created = new_token(admin, name="revoke-me", role="analyst")
    client = TestClient(admin.app, headers={"Authorization": f"Bearer {created['token']}"})
    assert client.get("/api/v1/flow/summary").status_code == 200
    assert admin.delete(f"/api/v1/admin/tokens/{created['id']}").json()["revoked_at"]
    assert client.get("/api/v1/flow/summary").status_code == 401


def test_a_bad_bearer_is_not_rescued_by_the_cookie(admin: TestClient) -> None:
    assert admin.get("/api/v1/admin/users").status_code == 200
    forged = admin.get("/api/v1/admin/users", headers={"Authorization": "Bearer hw_forged"})
    assert forged.status_code == 401


def test_last_use_is_recorded(admin: TestClient, engine: Engine, clock: FakeClock) -> None:
    created = new_token(admin, name="used", role="wall")
    clock.advance(minutes=5)
    TestClient(admin.app, headers={"Authorization": f"Bearer {created['token']}"}).get(
        "/api/v1/feeds/status"
    )
    with Session(engine) as db:
        assert db.scalars(select(ApiToken.last_used_at)).one() is not None


# --- demo accounts ----------------------------------------------------------------------------


def test_demo_users_and_kiosk_token(engine: Engine) -> None:
    with Session(engine) as db:
        made = create_demo_users(db)
        again = create_demo_users(db)  # idempotent: resets the passwords
        token = create_demo_kiosk_token(db)
        second = create_demo_kiosk_token(db)  # the previous one is revoked
    assert made == again
    assert made == [
        ("wall", "wall", "wall-demo"),
        ("analyst", "analyst", "analyst-demo"),
        ("coordinator", "coordinator", "coordinator-demo"),
        ("admin", "admin", "admin-demo"),
    ]
    client = TestClient(build_secure_app())
    login = client.post("/api/v1/auth/login", json={"username": "wall", "password": "wall-demo"})
    assert login.status_code == 200 and login.json()["role"] == "wall"
    kiosk = TestClient(build_secure_app(), headers={"Authorization": f"Bearer {second}"})
    assert kiosk.get("/api/v1/auth/me").json()["role"] == "wall"
    old = TestClient(build_secure_app(), headers={"Authorization": f"Bearer {token}"})
    assert old.get("/api/v1/auth/me").status_code == 401


def test_demo_users_are_refused_outside_demo(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_ENVIRONMENT", "production")
    monkeypatch.setenv("HOMEWARD_SECRET_KEY", "s" * 40)
    monkeypatch.setenv("HOMEWARD_PSEUDONYM_KEY", "k" * 40)
    reset_caches()
    with Session(engine) as db, pytest.raises(NotInDemo):
        create_demo_users(db)


# --- the migration ------------------------------------------------------------------------------


def test_the_initial_migration_alone_matches_the_models_without_the_security_tables(
    tmp_path: Path,
) -> None:
    """What scripts/regen_initial_migration.sh relies on: the tables marked
    ``info={"revision": "0002"}`` (left out of 0001 by alembic/env.py under
    ``-x revision=0001``) are exactly the difference between 0001 and the models."""
    url = f"sqlite:///{tmp_path / 'at-0001.db'}"
    migrations.upgrade(url, "0001")
    engine = make_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "include_object": lambda obj, _n, type_, _r, _c: (
                    (
                        (obj.info.get("revision") if type_ in ("index", "column") else None)
                        or (obj if type_ == "table" else obj.table).info.get("revision", "0001")
                    )
                    == "0001"
                ),
            },
        )
        assert compare_metadata(context, models.Base.metadata) == []
        everything = compare_metadata(MigrationContext.configure(conn), models.Base.metadata)
    engine.dispose()
    added = {diff[1].name for diff in everything if diff[0] == "add_table"}
    assert added == {
        "users",
        "user_sessions",
        "api_tokens",
        "audit_events",
        "spell_day_counts",  # 0003
        "spell_day_ward_totals",
        "spell_day_delay_counts",
        "spell_discharge_counts",
        "organisation_mappings",  # 0006_organisations
        "actions",  # 0007_actions
        "action_updates",
        "action_changes",
        "meetings",  # 0008_meetings
        "meeting_attendees",
        "meeting_decisions",
        "meeting_actions",
        "trigger_events",  # 0009_trigger_notices
        "trigger_notices",
        "hicm_assessments",  # 0010_hicm_assessments
    }
    migrations.upgrade(url)
    migrations.check(url)
