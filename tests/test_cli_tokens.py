"""`homeward tokens create | list | revoke`: tokens expire by default, can be listed and
revoked from the command line, and a revoked or expired token no longer signs anyone in."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from app.cli import cli
from app.core.config import get_settings
from app.security.tokens import resolve_bearer
from models import ApiToken
from models.security import AuditEvent


def _create(*args: str) -> str:
    result = CliRunner().invoke(cli, ["tokens", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip().splitlines()[0]


def _token(session: Session, name: str) -> ApiToken:
    session.expire_all()
    return session.scalars(select(ApiToken).where(ApiToken.name == name)).one()


def _days_left(token: ApiToken, before: datetime) -> float:
    assert token.expires_at is not None
    return (token.expires_at.astimezone(UTC) - before).total_seconds() / 86_400


def test_a_token_expires_after_90_days_by_default(engine: Engine, session: Session) -> None:
    before = datetime.now(UTC)
    _create("beds-feed", "--role", "feed")
    # 90 days from creation: created a moment after `before`, so within a minute of 90
    assert 90 <= _days_left(_token(session, "beds-feed"), before) < 90 + 1 / 1440


def test_the_default_expiry_is_a_setting_and_days_or_never_override_it(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_TOKEN_EXPIRY_DAYS", "30")
    get_settings.cache_clear()
    before = datetime.now(UTC)
    try:
        _create("wall-kiosk", "--role", "wall")
        _create("pull", "--role", "feed", "--days", "7")
        _create("forever", "--role", "analyst", "--never-expires")
    finally:
        get_settings.cache_clear()
    assert 30 <= _days_left(_token(session, "wall-kiosk"), before) < 30 + 1 / 1440
    assert 7 <= _days_left(_token(session, "pull"), before) < 7 + 1 / 1440
    assert _token(session, "forever").expires_at is None
    both = CliRunner().invoke(
        cli, ["tokens", "create", "x", "--role", "feed", "--days", "3", "--never-expires"]
    )
    assert both.exit_code != 0


def test_list_shows_each_token_and_its_state_never_the_token(
    engine: Engine, session: Session
) -> None:
    live = _create("beds-feed", "--role", "feed")
    _create("old-kiosk", "--role", "wall")
    old = _token(session, "old-kiosk")
    old.expires_at = datetime.now(UTC) - timedelta(days=1)
    session.commit()
    result = CliRunner().invoke(cli, ["tokens", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert set(rows) == {"beds-feed", "old-kiosk"}
    assert rows["beds-feed"]["state"] == "active" and rows["beds-feed"]["role"] == "feed"
    assert rows["old-kiosk"]["state"] == "expired"
    assert rows["beds-feed"]["token_prefix"] == live[:9]
    assert live not in result.stdout  # only its first characters
    table = CliRunner().invoke(cli, ["tokens", "list"])
    assert table.exit_code == 0 and "beds-feed" in table.stdout and live not in table.stdout


def test_revoke_stops_the_token_at_once_and_is_audited(engine: Engine, session: Session) -> None:
    plaintext = _create("beds-feed", "--role", "feed")
    token_id = _token(session, "beds-feed").id
    now = datetime.now(UTC)
    assert resolve_bearer(session, plaintext, now=now) is not None
    result = CliRunner().invoke(cli, ["tokens", "revoke", str(token_id)])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert resolve_bearer(session, plaintext, now=now) is None
    listed = CliRunner().invoke(cli, ["tokens", "list", "--json"])
    assert json.loads(listed.stdout.splitlines()[0])["state"] == "revoked"
    actions = set(session.scalars(select(AuditEvent.action)))
    assert {"token_created", "token_revoked"} <= actions
    unknown = CliRunner().invoke(cli, ["tokens", "revoke", str(token_id + 100)])
    assert unknown.exit_code == 2 and "no API token" in unknown.output


# --- the admin API gives the same default ---------------------------------------------------

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def test_the_admin_api_expires_a_token_after_the_default_unless_told(engine: Engine) -> None:
    from fastapi.testclient import TestClient

    from tests.security_helpers import FakeClock, build_secure_app, sign_in

    clock = FakeClock(START)
    with TestClient(build_secure_app(clock=clock), raise_server_exceptions=False) as admin:
        sign_in(admin, "admin")
        default = admin.post("/api/v1/admin/tokens", json={"name": "pas", "role": "feed"})
        never = admin.post(
            "/api/v1/admin/tokens", json={"name": "kiosk", "role": "wall", "never_expires": True}
        )
        both = admin.post(
            "/api/v1/admin/tokens",
            json={
                "name": "both",
                "role": "wall",
                "never_expires": True,
                "expires_at": "2027-01-01T00:00:00Z",
            },
        )
    assert default.status_code == 201, default.text
    # 2 Nov 2026 09:00 + 90 days = 31 Jan 2027 09:00
    assert datetime.fromisoformat(default.json()["expires_at"]) == datetime(
        2027, 1, 31, 9, 0, tzinfo=UTC
    )
    assert never.status_code == 201 and never.json()["expires_at"] is None
    assert both.status_code == 422
