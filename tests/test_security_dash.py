"""The Dash pages answer to the same role table: a callback is checked against the page that
registered it (the pages router against the page it is asked to draw), so a wall or analyst
session cannot call a coordinator page's callback directly; a patient-level callback is
audited before it runs, and shows nothing when the audit cannot be written."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, select
from sqlalchemy.orm import Session

from app.security import audit
from models.security import AuditEvent
from tests.security_helpers import build_secure_app, fast_password_hashing, sign_in  # noqa: F401


@pytest.fixture
def app_client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(build_secure_app(with_dashboard=True), raise_server_exceptions=False) as c:
        yield c


def as_role(client: TestClient, role: str) -> TestClient:
    other = TestClient(client.app, raise_server_exceptions=False)
    sign_in(other, role)
    return other


def payload(client: TestClient, output_contains: str, **values: Any) -> dict[str, Any]:
    """A callback request as the renderer sends it, built from /_dash-dependencies."""
    dependencies = client.get("/_dash-dependencies").json()
    [dep] = [d for d in dependencies if output_contains in d["output"]]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dep["output"].strip(".").split("...")
    ]

    def items(kind: str) -> list[dict[str, Any]]:
        return [
            {"id": i["id"], "property": i["property"], "value": values.get(i["property"])}
            for i in dep[kind]
        ]

    return {
        "output": dep["output"],
        "outputs": outputs if len(outputs) > 1 else outputs[0],
        "inputs": items("inputs"),
        "state": items("state"),
        "changedPropIds": [f"{dep['inputs'][0]['id']}.{dep['inputs'][0]['property']}"],
    }


def draw(client: TestClient, path: str) -> Any:
    body = payload(client, "_pages_content.children", pathname=path, search="")
    return client.post("/_dash-update-component", json=body)


def reads(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as db:
        return list(db.scalars(select(AuditEvent).where(AuditEvent.action == "patient_read")))


@pytest.mark.parametrize("role", ["wall", "analyst", "admin"])
def test_only_coordinators_get_patient_pages_drawn(
    app_client: TestClient, engine: Engine, role: str
) -> None:
    client = as_role(app_client, role)
    assert draw(client, "/wall").status_code == 200
    for path in ("/coordinator", "/patient/S1", "/site/RXA01/ward/A1"):
        response = draw(client, path)
        assert response.status_code == 403, path
        assert response.headers["cache-control"] == "no-store"
    assert reads(engine) == []


def test_a_coordinator_page_callback_is_refused_to_other_roles(app_client: TestClient) -> None:
    for role in ("wall", "analyst"):
        client = as_role(app_client, role)
        body = payload(client, "coordinator-grid.rowData")
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 403
        assert "page /coordinator: apply_filters" in response.json()["detail"]


def test_patient_pages_are_audited_for_coordinators(app_client: TestClient, engine: Engine) -> None:
    client = as_role(app_client, "coordinator")
    assert draw(client, "/coordinator").status_code == 200
    body = payload(client, "coordinator-grid.rowData", value="RXA01")
    assert client.post("/_dash-update-component", json=body).status_code != 403
    [page, grid] = reads(engine)
    assert (page.actor, page.role, page.what) == (
        "test-coordinator",
        "coordinator",
        "page /coordinator",
    )
    assert page.filters == {"_pages_location.pathname": "/coordinator", "scope": "system"}
    assert grid.what == "page /coordinator: apply_filters"
    assert grid.filters is not None and grid.filters.get("filter-site.value") == "RXA01"


def test_a_patient_page_shows_nothing_when_the_audit_fails(
    app_client: TestClient, engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    client = as_role(app_client, "coordinator")
    broken = create_engine(f"sqlite:///{tmp_path / 'missing-dir' / 'audit.db'}")
    monkeypatch.setattr(audit, "_engine_of", lambda _target: broken)
    response = draw(client, "/patient/S1")
    assert response.status_code == 503
    assert response.json() == {"detail": "audit unavailable, nothing shown"}
    assert draw(client, "/wall").status_code == 200  # aggregates need no audit


def test_anonymous_callbacks_are_refused(app_client: TestClient) -> None:
    body = payload(as_role(app_client, "wall"), "_pages_content.children", pathname="/wall")
    assert app_client.get("/_dash-dependencies").status_code == 401
    assert app_client.post("/_dash-update-component", json=body).status_code == 401
