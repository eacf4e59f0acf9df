"""The forecast API on both databases, over the hand-worked scenario of
``tests/test_metrics_scenario.py`` (8 patients, 2 sites, Derby and Derbyshire, censuses
Sat 24 Oct – Mon 2 Nov 2026 at 09:00, loaded through the real ingest path).

Today's census at Saturday noon (``T1``: the latest census is Sat 31 Oct 09:00, so the origin
is 31 Oct) as that scenario's bed-day table gives it for the end of 31 Oct:

    NCtR in hospital:  S1 P3 Derbyshire, DRD 20 Oct → 11 days beyond DRD (band 7-13)
                       S4 P1 Derby,      DRD 30 Oct →  1 day               (band 1)
                       S5 P3 Derbyshire, DRD 29 Oct →  2 days              (band 2-3)
    not yet ready:     S8 P0 Derbyshire, no expected discharge date
    (S2 left on the 31st at 11:00, S6 on the 30th: no bed day on the 31st)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from tests.security_helpers import bearer, sign_in
from tests.test_metrics_scenario import DERBY, DERBYSHIRE, T1, load_scenario

PATHWAYS = "/api/v1/forecast/pathways"
WHAT_IF = "/api/v1/forecast/what-if"


@pytest.fixture(scope="module")
def client(
    database_url: str, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The scenario loaded once per database, and the API over it, signed in as the wall."""
    from app.core.db import make_engine, reset_caches
    from app.main import create_app
    from ingest.reference import sync_reason_catalogue
    from tests.conftest import wipe

    tmp = tmp_path_factory.mktemp("forecast")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOMEWARD_DATABASE_URL", database_url)
        mp.setenv("HOMEWARD_FEEDS_DIR", str(tmp / "feeds"))
        mp.setenv("HOMEWARD_SCHEDULER_LOCK_DIR", str(tmp / "locks"))
        mp.setenv("HOMEWARD_RUN_SCHEDULER", "false")
        mp.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
        reset_caches()
        if database_url not in _engines:
            _engines[database_url] = make_engine(database_url)
        engine = _engines[database_url]
        wipe(engine)
        with Session(engine) as session:
            sync_reason_catalogue(session)
            session.commit()
        load_scenario(engine, tmp / "reference")
        with TestClient(create_app(with_dashboard=False)) as test_client:
            sign_in(test_client, "wall")
            yield test_client
        reset_caches()


def forecast(client: TestClient, **params: Any) -> Any:
    response = client.get(PATHWAYS, params={"at": T1, **params})
    assert response.status_code == 200, response.text
    return response.json()


def series(body: Any, pathway: int, council: str | None = None) -> Any:
    return next(
        p for p in body["pathways"] if p["pathway"] == pathway and p["local_authority"] == council
    )


def test_the_forecast_starts_from_todays_census(client: TestClient) -> None:
    body = forecast(client)
    assert body["label"] == "Forecast" and "Monte Carlo" in body["method"]
    assert body["origin"] == "2026-10-31" and body["as_of"] == "2026-10-31T09:00:00Z"
    # learned from the first census day (24 Oct) to the day before the origin (30 Oct)
    assert body["history_days"] == 7
    p3 = series(body, 3)
    assert p3["today"]["nctr_in_hospital"] == 2
    assert p3["today"]["days_waiting"]["7-13"] == 1 and p3["today"]["days_waiting"]["2-3"] == 1
    assert p3["today"]["mean_days_waiting"] == 6.5  # (11 + 2) / 2
    assert series(body, 1)["today"]["nctr_in_hospital"] == 1
    assert series(body, 1)["today"]["days_waiting"]["1"] == 1
    assert series(body, 0)["today"] == {
        "nctr_in_hospital": 0,
        "days_waiting": dict.fromkeys(["0", "1", "2-3", "4-6", "7-13", "14-20", "21+"], 0),
        "mean_days_waiting": None,
        "not_yet_ready": 1,
        "expected_discharge_dates": {},
    }
    # council by council: Derbyshire's P3 is the system's; Derby has none
    derbyshire = series(body, 3, DERBYSHIRE)
    assert derbyshire["council_name"] == "Derbyshire"
    assert derbyshire["today"]["nctr_in_hospital"] == 2
    assert series(body, 3, DERBY)["today"]["nctr_in_hospital"] == 0
    # ten days from 1 Nov, every number a band
    days = p3["days"]
    assert [d["day"] for d in days] == [f"2026-11-{d:02d}" for d in range(1, 11)]
    assert [d["horizon"] for d in days] == list(range(1, 11))
    for day in days:
        for name in ("new_nctr", "discharges", "nctr_in_hospital", "bed_days_lost"):
            band = day[name]
            assert band["p10"] <= band["p50"] <= band["p90"]
    assert series(body, 0)["days"][0]["capacity_expected"] is None


def test_each_pathway_and_council_carries_its_recorded_days(client: TestClient) -> None:
    # NCtR P3 at each day's end, 24–30 Oct (the days before the origin, from the first census):
    # S1 (Derbyshire, DRD 20 Oct) every day; S5 (Derbyshire, DRD 29 Oct) from the 29th on
    body = forecast(client)
    expected = [1, 1, 1, 1, 1, 2, 2]
    days = [f"2026-10-{d}" for d in range(24, 31)]
    for council in (None, DERBYSHIRE):
        history = series(body, 3, council)["history"]
        assert [h["day"] for h in history] == days
        assert [h["nctr_in_hospital"] for h in history] == expected
    # Derby has no P3 patient: its own recorded days are all 0
    assert [h["nctr_in_hospital"] for h in series(body, 3, DERBY)["history"]] == [0] * 7
    # one council asked: its own recorded days, not the system's
    derby_only = forecast(client, local_authority=DERBY)
    assert [h["nctr_in_hospital"] for h in series(derby_only, 3)["history"]] == [0] * 7


def test_a_council_and_fewer_days(client: TestClient) -> None:
    body = forecast(client, days=3, local_authority=DERBY)
    assert body["days"] == 3 and body["local_authority"] == DERBY
    councils = {p["local_authority"] for p in body["pathways"]}
    assert councils == {None, DERBY}  # the scope's total and Derby's own series
    assert all(len(p["days"]) == 3 for p in body["pathways"])
    assert series(body, 1)["today"]["nctr_in_hospital"] == 1  # S4
    assert series(body, 3)["today"]["nctr_in_hospital"] == 0  # S1 and S5 are Derbyshire's


@pytest.mark.parametrize(
    "params",
    [{"days": 0}, {"days": 11}, {"days": "ten"}, {"local_authority": "E99999999"}, {"site": "ZZZ"}],
)
def test_bad_parameters_are_refused(client: TestClient, params: dict[str, Any]) -> None:
    response = client.get(PATHWAYS, params=params)
    assert response.status_code == 422, response.text
    assert next(iter(params)) in response.json()["detail"]


def test_a_what_if_of_zero_is_the_baseline(client: TestClient) -> None:
    response = client.post(
        WHAT_IF,
        json={"as_of": T1, "changes": [{"kind": "home_care_starts", "amount": 0}]},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["label"] == "Forecast" and body["origin"] == "2026-10-31"
    for pathway in body["pathways"]:
        assert pathway["scenario"] == pathway["baseline"]
        assert pathway["bed_days_saved"] == {"p10": 0, "p50": 0, "p90": 0}


def test_more_home_care_never_lengthens_the_queue(client: TestClient) -> None:
    request = {
        "as_of": T1,
        "changes": [{"kind": "home_care_starts", "amount": 3, "from_date": "2026-11-02"}],
    }
    body = client.post(WHAT_IF, json=request).json()
    p1 = next(p for p in body["pathways"] if p["pathway"] == 1 and p["local_authority"] is None)
    for base, scenario in zip(p1["baseline"], p1["scenario"], strict=True):
        for q in ("p10", "p50", "p90"):
            assert scenario["nctr_in_hospital"][q] <= base["nctr_in_hospital"][q]
    assert p1["bed_days_saved"]["p50"] >= 0
    # other pathways are untouched
    p3 = next(p for p in body["pathways"] if p["pathway"] == 3 and p["local_authority"] is None)
    assert p3["scenario"] == p3["baseline"]


@pytest.mark.parametrize(
    "request_body",
    [
        {"changes": [{"kind": "more_nurses", "amount": 1}]},
        {"changes": [{"kind": "community_beds", "amount": 5000}]},
        {"days": 12},
        {"changes": [{"kind": "community_beds", "amount": 1, "local_authority": "E99999999"}]},
    ],
)
def test_a_bad_scenario_is_refused(client: TestClient, request_body: dict[str, Any]) -> None:
    response = client.post(WHAT_IF, json=request_body)
    assert response.status_code == 422, response.text


def test_roles(client: TestClient) -> None:
    anonymous = TestClient(client.app)
    assert anonymous.get(PATHWAYS).status_code == 401
    feed = TestClient(client.app)
    assert feed.get(PATHWAYS, headers=bearer("feed")).status_code == 403
    assert feed.post(WHAT_IF, json={}, headers=bearer("feed")).status_code == 403
    analyst = TestClient(client.app)
    sign_in(analyst, "analyst")
    assert analyst.get(PATHWAYS, params={"at": T1, "days": 1}).status_code == 200


def test_the_capacity_history_reads_capacity_as_the_gaps_do(client: TestClient) -> None:
    """The forecast reads the capacity feeds in bulk (one query a feed, not one per day); at
    each day's end it must give what ``app.metrics.capacity.supply`` (§4.7) gives then."""
    from datetime import UTC, date, datetime, timedelta

    from app.core.db import get_sessionmaker
    from app.metrics.capacity import supply
    from app.metrics.forecast.history import SYSTEM, read_capacity
    from app.metrics.timebase import day_end

    days = [date(2026, 10, 28) + timedelta(days=i) for i in range(6)]  # 28 Oct – 2 Nov
    as_of = datetime(2026, 11, 3, tzinfo=UTC)
    with get_sessionmaker()() as session:
        series = read_capacity(session, days, as_of)
        for column, day in enumerate(days):
            at = day_end(day) - timedelta(microseconds=1)
            expected = supply(session, at)
            for council, packages in expected.p1_packages.items():
                assert series[(council, 1)][column] == packages, (day, council)
            for council, by_type in expected.p3_by_care_type.items():
                assert series[(council, 3)][column] == sum(by_type.values()), (day, council)
            assert series[(SYSTEM, 2)][column] == expected.p2_beds, day
    # by hand, 31 Oct: Willow Lodge's 15:00 snapshot has 0 vacancies (Derby); Oak House 2 + 2
    # accepting, Elm Court not accepting (Derbyshire) → P3 Derby 0, Derbyshire 4; home care:
    # Home Help 2 + 1 packages (Derby), CareCo 1 (Derbyshire); community beds: CW 12 − 10 = 2
    assert series[(DERBY, 3)][3] == 0 and series[(DERBYSHIRE, 3)][3] == 4
    assert series[(DERBY, 1)][3] == 3 and series[(DERBYSHIRE, 1)][3] == 1
    assert series[(SYSTEM, 2)][3] == 2


def test_the_forecast_is_cached_until_the_next_ingest_run(client: TestClient) -> None:
    """Asked twice, computed once; a batch loaded in between (any feed) changes the data
    version, so the next ask computes it again (runs last: it adds a delivery)."""
    from app.core.db import get_engine
    from app.metrics.cache import get_cache
    from ingest.loader import load_batch
    from tests.test_metrics_scenario import DOMICILIARY_COLUMNS, _csv

    params = {"at": T1, "days": 2, "local_authority": DERBYSHIRE}
    before = get_cache().stats().computations
    first = client.get(PATHWAYS, params=params)
    again = client.get(PATHWAYS, params=params)
    assert first.status_code == again.status_code == 200 and first.json() == again.json()
    assert get_cache().stats().computations == before + 1
    body = _csv(
        DOMICILIARY_COLUMNS,
        [("2026-11-03T09:00:00Z", "HC2", "CareCo", DERBYSHIRE, "Dales", 15.0, 2)],
    )
    summary = load_batch("domiciliary", body, fmt="csv", engine=get_engine())
    assert summary.status == "succeeded", summary
    assert client.get(PATHWAYS, params=params).status_code == 200
    assert get_cache().stats().computations == before + 2
