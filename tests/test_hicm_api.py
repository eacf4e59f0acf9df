"""The High Impact Change Model through /api/v1/hicm on both databases: the nine changes with
their evidence (values worked out by hand over ``tests/hicm_scenario.py``), the maturity
history, the actions raised against a change, and each role's access."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from tests import hicm_scenario as scenario
from tests.security_helpers import (  # noqa: F401
    FakeClock,
    bearer,
    build_secure_app,
    fast_password_hashing,
    sign_in,
)

NOON = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # Monday: the last complete week ends 15 Nov
END = "2026-11-16"


@pytest.fixture
def app(engine: Engine, tmp_path: Path) -> FastAPI:
    scenario.load(engine, tmp_path / "reference")
    return build_secure_app(clock=FakeClock(NOON))


def client_as(app: FastAPI, who: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    if who in ("feed", "wall"):
        client.headers.update(bearer(who))
    elif who != "anonymous":
        sign_in(client, who)
    return client


def assessment(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "change": 9,
        "level": 2,
        "assessed_on": "2026-11-16",
        "assessed_by": "Weekly system meeting: Derby council, Northgate Trust",
        "notes": "Housing options officer joins the Monday call from December.",
    }
    body.update(changes)
    return body


def by_number(overview: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {change["number"]: change for change in overview["changes"]}


def values(change: dict[str, Any]) -> dict[str, float | None]:
    return {m["slug"]: m["value"] for m in change["measures"]}


def test_nine_changes_with_their_evidence(app: FastAPI) -> None:
    overview = client_as(app, "analyst").get(f"/api/v1/hicm?end={END}")
    assert overview.status_code == 200, overview.text
    found = overview.json()
    assert found["end"] == "2026-11-15"
    changes = by_number(found)
    assert sorted(changes) == list(range(1, 10))
    assert changes[1]["name"] == "Early discharge planning"
    assert changes[9]["name"] == "Housing and related services"
    assert [level["name"] for level in found["levels"]] == [
        "Not yet established",
        "Plans in place",
        "Established",
        "Mature",
        "Exemplary",
    ]
    # week ending Sun 15 Nov, by hand (tests/test_hicm_measures.py has the arithmetic):
    # change 1: E5 is the week's only emergency admission, with no EDD: 0 %
    assert values(changes[1]) == {"edd_within_2_days": 0.0}
    # change 4: E3 (P3), E4 (P0), E5 (P2) discharged: 1 of 3 on pathways 0-1; within one day
    # of the DRD: E3 (6 days late) no, E4 (3 days) no, E5 (no DRD: on the day) yes: 1 of 3
    assert values(changes[4]) == {
        "pathway_0_1_pct": pytest.approx(100 / 3),
        "pct_discharged_within_1_day": pytest.approx(100 / 3),
    }
    assert values(changes[5]) == {"weekend_discharge_rate": pytest.approx(125.0)}
    assert values(changes[7]) == {"choice_delayed_days": 0.0}
    assert values(changes[9]) == {"housing_delayed_days": 3.0}
    housing = changes[9]["measures"][0]
    assert housing["week_ending"] == "2026-11-15"
    # two points 0, 3: mean 1.5, mR 3, limits 1.5 ± 7.98: common cause
    assert housing["variation_icon"] == "common_cause"
    assert housing["provisional"] is True  # two weeks of data: fewer than 12 points
    # change 2 also points at the forecast
    assert {"label": "The next ten days (forecast)", "href": "/forecast"} in changes[2]["links"]
    assert all(c["latest"] is None and c["history"] == [] for c in changes.values())


def test_record_an_assessment_keeps_the_evidence_shown(app: FastAPI) -> None:
    analyst = client_as(app, "analyst")
    made = analyst.post(f"/api/v1/hicm/assessments?end={END}", json=assessment())
    assert made.status_code == 201, made.text
    record = made.json()
    assert record["change_name"] == "Housing and related services"
    assert record["level"] == 2 and record["level_name"] == "Plans in place"
    assert record["recorded_by"] == "test-analyst" and record["recorded_role"] == "analyst"
    # the evidence as shown then: housing delayed days 3 in the week ending 15 Nov
    shown = record["evidence"]["measures"]
    assert [(m["slug"], m["value"], m["week_ending"]) for m in shown] == [
        ("housing_delayed_days", 3.0, "2026-11-15")
    ]
    # a later assessment supersedes it; the history keeps both, newest first
    coordinator = client_as(app, "coordinator")
    later = coordinator.post(
        f"/api/v1/hicm/assessments?end={END}",
        json=assessment(level=3, assessed_on="2026-11-16", notes=None),
    )
    assert later.status_code == 201, later.text
    change_9 = by_number(analyst.get(f"/api/v1/hicm?end={END}").json())[9]
    assert change_9["latest"]["level"] == 3
    assert [a["level"] for a in change_9["history"]] == [3, 2]
    listed = analyst.get("/api/v1/hicm/assessments?change=9").json()
    assert listed["total"] == 2
    assert analyst.get("/api/v1/hicm/assessments?change=1").json()["total"] == 0


def test_actions_raised_against_a_change_are_shown_with_it(app: FastAPI) -> None:
    coordinator = client_as(app, "coordinator")
    raised = coordinator.post(
        "/api/v1/actions",
        json={
            "title": "Housing options officer on the Monday call",
            "organisation_kind": "council",
            "organisation_code": scenario.DERBY,
            "owner": "Sam Reid",
            "due_date": "2026-11-30",
            "metric": "housing_delayed_days",
            "scope": {"hicm_change": 9},
        },
    )
    assert raised.status_code == 201, raised.text
    changes = by_number(client_as(app, "wall").get(f"/api/v1/hicm?end={END}").json())
    assert [a["title"] for a in changes[9]["actions"]] == [
        "Housing options officer on the Monday call"
    ]
    assert changes[9]["actions"][0]["owner"] == "Sam Reid"
    assert all(changes[n]["actions"] == [] for n in range(1, 9))


@pytest.mark.parametrize(
    ("who", "read", "write"),
    [
        ("analyst", 200, 201),
        ("coordinator", 200, 201),
        ("admin", 200, 403),
        ("wall", 200, 403),
        ("feed", 403, 403),
        ("anonymous", 401, 401),
    ],
)
def test_roles(app: FastAPI, who: str, read: int, write: int) -> None:
    client = client_as(app, who)
    assert client.get(f"/api/v1/hicm?end={END}").status_code == read
    assert client.get("/api/v1/hicm/assessments").status_code == read
    assert client.post("/api/v1/hicm/assessments", json=assessment()).status_code == write


@pytest.mark.parametrize(
    ("changes", "field", "says"),
    [
        ({"notes": "As for 999 876 5439 last week"}, "notes", "a valid NHS number"),
        ({"notes": "See RXA01-00001234"}, "notes", "a spell id"),
        ({"assessed_on": "2026-11-17"}, "assessed_on", "in the future"),
        ({"level": 6}, "level", "less than or equal to 5"),
        ({"change": 10}, "change", "less than or equal to 9"),
        ({"assessed_by": ""}, "assessed_by", "at least 1 character"),
    ],
)
def test_refused_with_a_reason(
    app: FastAPI, changes: dict[str, Any], field: str, says: str
) -> None:
    refused = client_as(app, "analyst").post("/api/v1/hicm/assessments", json=assessment(**changes))
    assert refused.status_code == 422, refused.text
    text = refused.text
    assert field in text and says in text
    assert client_as(app, "analyst").get("/api/v1/hicm/assessments").json()["total"] == 0
