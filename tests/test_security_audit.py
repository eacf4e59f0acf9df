"""The audit trail: a patient-level read is recorded (committed, its own transaction) before
the data leaves; if the record cannot be written nothing is shown; a patient-level route that
forgets to record shows nothing either; admins search the trail."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from app.api.security_deps import PatientAuditDep
from app.security import audit
from app.security.principal import Principal
from app.security.roles import Role
from models.security import AuditEvent
from tests.security_helpers import (  # noqa: F401
    FakeClock,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

SECRET_ROW = {"spell_id": "S-PROBE-1", "local_patient_id": "P-PROBE-1"}
T0 = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)


def probe_router() -> APIRouter:
    """Two patient-level routes (the /api/v1/patients rule): one audits, one forgets to."""
    router = APIRouter(prefix="/api/v1/patients")

    @router.get("/probe")
    def probe(record: PatientAuditDep, ward: str | None = None) -> list[dict[str, str]]:
        rows = [SECRET_ROW]
        record("patients.probe", {"ward": ward, "pathway": None}, patients=len(rows))
        return rows

    @router.get("/forgetful")
    def forgetful() -> list[dict[str, str]]:
        return [SECRET_ROW]

    return router


@pytest.fixture
def app(engine: Engine) -> FastAPI:
    app = build_secure_app(clock=FakeClock(T0))
    before = len(app.router.routes)
    app.include_router(probe_router())
    added = app.router.routes[before:]
    del app.router.routes[before:]
    app.router.routes[0:0] = added
    return app


@pytest.fixture
def coordinator(app: FastAPI) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    sign_in(client, "coordinator")
    return client


def events(engine: Engine, action: str = audit.PATIENT_READ) -> list[AuditEvent]:
    with Session(engine) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_record_is_committed_in_a_transaction_of_its_own(engine: Engine) -> None:
    principal = Principal(name="cora", role=Role.COORDINATOR, via="session", user_id=1)
    with Session(engine) as session:
        session.scalars(select(AuditEvent)).all()  # a read transaction is open, as in a route
        if engine.dialect.name == "postgresql":  # (SQLite has one writer at a time)
            session.add(AuditEvent(at=T0, actor="uncommitted", action="x", what="x"))
            session.flush()
        audit.record_patient_read(
            session, principal, "patients.delayed", {"site": "RXA01"}, 3, "10.0.0.7", now=T0
        )
        session.rollback()  # the caller's work is undone; the audit row is not
    [row] = events(engine)
    assert (row.actor, row.role, row.what, row.patients, row.client) == (
        "cora",
        "coordinator",
        "patients.delayed",
        3,
        "10.0.0.7",
    )
    # the scope the read was limited to is recorded beside the filters (a whole-system one here)
    assert row.filters == {"site": "RXA01", "scope": "system"} and row.at == T0
    assert events(engine, "x") == []


def test_a_patient_level_read_is_audited_who_what_when(
    coordinator: TestClient, engine: Engine
) -> None:
    response = coordinator.get("/api/v1/patients/probe", params={"ward": "A1"})
    assert response.status_code == 200 and response.json() == [SECRET_ROW]
    assert response.headers["cache-control"] == "no-store"
    [row] = events(engine)
    assert (row.actor, row.role, row.what, row.patients) == (
        "test-coordinator",
        "coordinator",
        "patients.probe",
        1,
    )
    assert row.filters == {"ward": "A1", "scope": "system"}  # empty filters are left out
    assert row.at == T0 and row.client == "testclient"


def test_a_failing_audit_write_blocks_the_read(
    coordinator: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'audit.db'}")
    monkeypatch.setattr(audit, "_engine_of", lambda _target: broken)
    response = coordinator.get("/api/v1/patients/probe")
    assert response.status_code == 503
    assert response.json() == {"detail": "audit unavailable, nothing shown"}
    assert "PROBE" not in response.text
    assert events(engine) == []


def test_an_unaudited_patient_level_route_shows_nothing(
    coordinator: TestClient, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    response = coordinator.get("/api/v1/patients/forgetful")
    assert response.status_code == 500
    assert "PROBE" not in response.text
    assert response.json() == {"detail": "this patient-level read was not audited; nothing shown"}
    assert "without an audit row" in caplog.text


def test_admins_search_the_audit_trail(
    app: FastAPI, coordinator: TestClient, engine: Engine
) -> None:
    coordinator.get("/api/v1/patients/probe", params={"ward": "A1"})
    coordinator.get("/api/v1/patients/probe", params={"ward": "B1"})
    admin = TestClient(app)
    sign_in(admin, "admin")

    def search(**params: Any) -> dict[str, Any]:
        response = admin.get("/api/v1/admin/audit", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    reads = search(user="test-coordinator", action="patient_read")
    assert reads["total"] == 2
    assert [e["filters"] for e in reads["events"]] == [
        {"ward": "B1", "scope": "system"},
        {"ward": "A1", "scope": "system"},
    ]
    assert (
        search(what="probe", since="2026-11-23T10:00:00Z", until="2026-11-23T10:00:01Z")["total"]
        == 2
    )
    assert search(what="probe", since="2026-11-23T10:00:01Z")["total"] == 0
    # a time without an offset is Europe/London time (GMT in November)
    assert search(what="probe", until="2026-11-23T10:00:00")["total"] == 0
    logins = search(action="login")
    assert {e["actor"] for e in logins["events"]} == {"test-coordinator", "test-admin"}
    assert len(events(engine, "audit_search")) == 5  # searching the trail is on the trail
    assert coordinator.get("/api/v1/admin/audit").status_code == 403
