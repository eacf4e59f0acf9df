"""The metrics API's contract: an empty store answers zeros, a bad request answers 422 naming
the parameter, an unknown thing answers 404 JSON; every route is documented."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.main import create_app
from tests.security_helpers import sign_in

AT = "2026-10-31T12:00:00Z"
PERIOD = {"start": "2026-10-01", "end": "2026-10-31"}


@pytest.fixture
def client(engine: Engine) -> Iterator[TestClient]:
    with TestClient(create_app(with_dashboard=False)) as test_client:
        sign_in(test_client, "coordinator")  # patient-level routes are for coordinators
        yield test_client


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


# --- an empty store -------------------------------------------------------------------------


def test_empty_store_summary_is_zeros(client: TestClient) -> None:
    body = get(client, "/flow/summary", at=AT)
    total = body["total"]
    assert body["sites"] == []
    assert total["occupancy"] == {
        "occupied": 0,
        "core_open": 0,
        "escalation_open": 0,
        "pct": None,  # no beds open: no percentage
        "open_beds": 0,
    }
    assert (total["in_hospital"], total["nctr_in_hospital"]) == (0, 0)
    assert total["nctr_pct_of_occupied"] is None  # no bed occupied: no percentage
    assert total["long_stays"] == {"los_7": 0, "los_14": 0, "los_21": 0}
    assert set(total["delay_bands"].values()) == {0}
    assert total["waiting_by_pathway"]["p3"] == {
        "demand": 0,
        "supply": 0,
        "gap": 0,
        "supply_by_care_type": {},
    }
    # feeds that never arrived are not "stale": nothing escalates an empty store
    assert total["escalation"]["level"] == 1 and total["escalation"]["driver"] is None
    assert body["as_of"] == dict.fromkeys(("beds", "care_homes", "domiciliary", "patients"))


def test_empty_store_periods_are_zeros(client: TestClient) -> None:
    days = get(client, "/flow/nctr-daily", **PERIOD)
    assert len(days) == 31
    assert {(d["nctr"], d["discharged"], d["remaining"]) for d in days} == {(0, 0, 0)}
    assert get(client, "/flow/delayed-days", **PERIOD, group_by="reason") == {
        **PERIOD,
        "site": None,
        "group_by": "reason",
        "total": 0,
        "groups": [],
    }
    delays = get(client, "/flow/discharge-delays", **PERIOD)
    assert (delays["discharges"], delays["bed_days_lost"]) == (0, 0)
    assert delays["mean_delay_incl_zero"] is None and delays["pct_within_1_day"] is None
    assert [b["count"] for b in delays["bands"]] == [0] * 7
    r2g = get(client, "/flow/red2green", **PERIOD)
    assert r2g["totals"] == {"red": 0, "green": 0, "not_recorded": 0, "red_pct": None}
    assert get(client, "/flow/by-site", **PERIOD, at=AT)["rows"] == []


def test_empty_store_capacity_and_patients_are_empty(client: TestClient) -> None:
    assert get(client, "/capacity/care-homes", at=AT)["totals"]["beds_available"] == 0
    assert get(client, "/capacity/domiciliary", at=AT)["totals"]["providers"] == 0
    gaps = get(client, "/capacity/gaps", at=AT)
    assert gaps["councils"] == [] and gaps["system"]["p1"]["demand"] == 0
    assert get(client, "/patients/delayed", at=AT)["patients"] == []


def test_empty_store_trend_has_no_values(client: TestClient) -> None:
    body = get(client, "/trends/weekly", metric="delayed_days", weeks=4, end="2026-11-01")
    assert [p["week_ending"] for p in body["points"]] == [
        "2026-10-11",
        "2026-10-18",
        "2026-10-25",
        "2026-11-01",
    ]
    # before a feed's first data a week has no value rather than a misleading zero
    assert {p["value"] for p in body["points"]} == {None}
    # no value to judge: no variation icon ("No data" is not common cause)
    assert body["variation_icon"] == "none" and body["provisional"] is True


# --- bad requests ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/flow/nctr-daily", {"start": "2026-13-01", "end": "2026-10-31"}, "start"),
        ("/flow/nctr-daily", {"start": "2026-10-01", "end": "yesterday"}, "end"),
        ("/flow/nctr-daily", {"end": "2026-10-31"}, "start"),
        ("/flow/nctr-daily", {"start": "2026-11-01", "end": "2026-10-31"}, "start"),
        ("/flow/delayed-days", {"start": "2020-01-01", "end": "2026-10-31"}, "end"),
        ("/flow/delayed-days", {**PERIOD, "group_by": "colour"}, "group_by"),
        ("/flow/delayed-days", {**PERIOD, "site": "NOWHERE"}, "site"),
        ("/flow/discharge-delays", {**PERIOD, "site": "RXZ99"}, "site"),
        ("/flow/red2green", {**PERIOD, "group_by": "pathway"}, "group_by"),
        ("/flow/summary", {"at": "half past nine"}, "at"),
        ("/flow/summary", {"site": "RXZ99"}, "site"),
        ("/flow/by-ward", PERIOD, "site"),
        ("/patients/delayed", {"pathway": "4"}, "pathway"),
        ("/patients/delayed", {"min_days": "-1"}, "min_days"),
        ("/patients/delayed", {"agency": "council"}, "agency"),
        ("/trends/weekly", {"metric": "happiness"}, "metric"),
        ("/trends/weekly", {}, "metric"),
        ("/trends/weekly", {"metric": "delayed_days", "weeks": "0"}, "weeks"),
        ("/trends/weekly", {"metric": "delayed_days", "end": "31/10/2026"}, "end"),
        ("/trends/weekly", {"metric": "delayed_days", "site": "RXZ99"}, "site"),
    ],
)
def test_bad_request_names_the_parameter(
    client: TestClient, path: str, params: dict[str, str], parameter: str
) -> None:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["detail"].startswith(f"{parameter}: "), body
    assert [e["parameter"] for e in body["errors"]] == [parameter]


def test_unknown_paths_and_spells_are_404_json(client: TestClient) -> None:
    response = client.get("/api/v1/flow/nothing-here")
    assert response.status_code == 404 and "detail" in response.json()
    response = client.get("/api/v1/patients/NO-SUCH-SPELL/journey")
    assert response.status_code == 404
    assert response.json() == {"detail": "no spell 'NO-SUCH-SPELL'"}


# --- the OpenAPI description ----------------------------------------------------------------

OPERATIONS = {
    ("/api/v1/flow/summary", "flow_summary"),
    ("/api/v1/flow/nctr-daily", "flow_nctr_daily"),
    ("/api/v1/flow/delayed-days", "flow_delayed_days"),
    ("/api/v1/flow/discharge-delays", "flow_discharge_delays"),
    ("/api/v1/flow/red2green", "flow_red2green"),
    ("/api/v1/flow/by-site", "flow_by_site"),
    ("/api/v1/flow/by-ward", "flow_by_ward"),
    ("/api/v1/capacity/care-homes", "capacity_care_homes"),
    ("/api/v1/capacity/domiciliary", "capacity_domiciliary"),
    ("/api/v1/capacity/gaps", "capacity_gaps"),
    ("/api/v1/patients/delayed", "patients_delayed"),
    ("/api/v1/patients/{spell_id}/journey", "patients_journey"),
    ("/api/v1/trends/weekly", "trends_weekly"),
    ("/api/v1/metrics", "metrics_list"),
}


def test_every_metrics_route_is_documented(client: TestClient) -> None:
    paths = get(client, "/openapi.json")["paths"]
    for path, operation_id in OPERATIONS:
        operation = paths[path]["get"]
        assert operation["operationId"] == operation_id
        assert operation["description"], path  # the route's one-line docstring
        assert "200" in operation["responses"]
