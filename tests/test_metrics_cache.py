"""The metrics cache (app/metrics/cache.py): the same numbers as without it, a new ingest run
seen at once, answers about "now" expiring, one computation per key, patient reads audited
every time.

The store is a hand-made system of one acute site loaded through ``ingest.loader.load_batch``
(the real path): census 1 (Fri 30 Oct 2026, 09:00) has three inpatients on ward A1, one of
them ready to leave (a discharge ready date of 29 Oct): 3 in hospital, 1 NCtR. Census 2 (the
same day, 10:00) adds a fourth patient and records a ready date of 29 Oct for S2 as well:
4 in hospital, 2 NCtR. Both are asked about 12:00 that day (GMT: the clocks went back on
25 Oct), after both censuses.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from app.metrics import cache as metrics_cache
from app.metrics.cache import MetricsCache, cached, data_version, reset_cache
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from models.ingest import IngestRun
from models.security import AuditEvent
from tests.security_helpers import sign_in

SITE = "RXA01"
DERBY = "E06000015"
AT = "2026-10-30T12:00:00Z"
PATIENT_COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)


def _row(snapshot: str, spell: str, admitted: str, drd: str = "") -> str:
    ready = ("1", "P1_HOMECARE", DERBY) if drd else ("", "", "")
    return ",".join(
        [
            snapshot,
            SITE,
            "A1",
            spell,
            f"P-{spell}",
            "",
            "80",
            admitted,
            "emergency",
            "",
            drd,
            ready[0],
            ready[1],
            "",
            ready[2],
            "",
            "",
            "",
            "",
        ]
    )


CENSUS_1 = "\n".join(
    [
        PATIENT_COLUMNS,
        _row("2026-10-30T09:00:00", "S1", "2026-10-20T10:00:00", drd="2026-10-29"),
        _row("2026-10-30T09:00:00", "S2", "2026-10-26T11:00:00"),
        _row("2026-10-30T09:00:00", "S3", "2026-10-28T15:00:00"),
    ]
)
CENSUS_2 = "\n".join(
    [
        PATIENT_COLUMNS,
        _row("2026-10-30T10:00:00", "S1", "2026-10-20T10:00:00", drd="2026-10-29"),
        _row("2026-10-30T10:00:00", "S2", "2026-10-26T11:00:00", drd="2026-10-29"),
        _row("2026-10-30T10:00:00", "S3", "2026-10-28T15:00:00"),
        _row("2026-10-30T10:00:00", "S4", "2026-10-30T09:30:00"),
    ]
)


def load(engine: Engine, body: str) -> None:
    summary = load_batch("patients", (body + "\n").encode(), fmt="csv", engine=engine)
    assert summary.status == "succeeded", summary
    assert summary.rows_quarantined == 0, summary


@pytest.fixture
def system(engine: Engine, tmp_path: Path) -> Engine:
    """The site and council named; no census yet."""
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        f"{SITE},Northgate General,RXA,Northgate Trust,acute\n"
    )
    (reference / "councils.csv").write_text(f"local_authority_code,name\n{DERBY},Derby\n")
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    return engine


@pytest.fixture
def client(system: Engine) -> Iterator[TestClient]:
    from app.main import create_app

    with TestClient(create_app(with_dashboard=False)) as test_client:
        sign_in(test_client, "coordinator")
        yield test_client


def counts(client: TestClient, **params: Any) -> tuple[int, int]:
    response = client.get("/api/v1/flow/summary", params={"at": AT, **params})
    assert response.status_code == 200, response.text
    total = response.json()["total"]
    return total["in_hospital"], total["nctr_in_hospital"]


# --- through the API and the real ingest path -----------------------------------------------


def test_a_new_census_is_seen_at_once(system: Engine, client: TestClient) -> None:
    load(system, CENSUS_1)
    assert counts(client) == (3, 1)
    assert counts(client) == (3, 1)  # from the cache
    stats = metrics_cache.get_cache().stats()
    assert stats.computations == 1 and stats.hits >= 1

    load(system, CENSUS_2)  # another engine than the app's: nothing tells the cache but the store
    assert counts(client) == (4, 2)
    assert metrics_cache.get_cache().stats().computations == 2


def test_the_cache_answers_what_the_store_answers(
    system: Engine, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(system, CENSUS_1)
    load(system, CENSUS_2)
    requests: list[tuple[str, dict[str, str]]] = [
        ("/flow/summary", {"at": AT}),
        ("/flow/summary", {"at": AT, "site": SITE}),
        ("/flow/nctr-daily", {"start": "2026-10-28", "end": "2026-10-30"}),
        ("/flow/delayed-days", {"start": "2026-10-28", "end": "2026-10-30", "group_by": "site"}),
        ("/capacity/gaps", {"at": AT}),
        ("/patients/delayed", {"at": AT}),
        ("/patients/S1/journey", {}),
        ("/trends/weekly", {"metric": "delayed_days", "weeks": "2", "end": "2026-11-01"}),
    ]
    cached_bodies = []
    for path, params in requests:
        first = client.get(f"/api/v1{path}", params=params)
        again = client.get(f"/api/v1{path}", params=params)  # a hit
        assert first.status_code == again.status_code == 200, (path, first.text)
        assert first.content == again.content
        assert first.headers["content-type"] == "application/json"
        cached_bodies.append(first.json())
    assert metrics_cache.get_cache().stats().hits >= len(requests)

    reset_cache(MetricsCache(max_entries=0))  # off: every request computed and serialised anew
    for (path, params), body in zip(requests, cached_bodies, strict=True):
        response = client.get(f"/api/v1{path}", params=params)
        assert response.json() == body, path
    assert metrics_cache.get_cache().stats().computations == 0

    summary, patients = cached_bodies[0], cached_bodies[5]
    assert (summary["total"]["in_hospital"], summary["total"]["nctr_in_hospital"]) == (4, 2)
    assert sorted(p["spell_id"] for p in patients["patients"]) == ["S1", "S2"]


def test_patient_reads_are_audited_on_every_request(system: Engine, client: TestClient) -> None:
    load(system, CENSUS_1)
    for _ in range(3):
        response = client.get("/api/v1/patients/delayed", params={"at": AT})
        assert response.status_code == 200
        assert response.json()["count"] == 1
    assert metrics_cache.get_cache().stats().computations == 1  # computed once …
    with Session(system) as session:
        reads = session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "patient_read", AuditEvent.patients == 1)
        )
    assert reads == 3  # … audited three times


def test_the_wall_sees_a_new_census(system: Engine) -> None:
    from dashboards import wall_data

    load(system, CENSUS_1)
    at = datetime(2026, 10, 30, 12, tzinfo=UTC)
    with Session(system) as session:
        first = wall_data.collect(session, at=at)
        assert wall_data.collect(session, at=at) is first  # from the cache
    assert (first.summary.total.in_hospital, first.summary.total.nctr_in_hospital) == (3, 1)
    load(system, CENSUS_2)
    with Session(system) as session:
        second = wall_data.collect(session, at=at)
    assert (second.summary.total.in_hospital, second.summary.total.nctr_in_hospital) == (4, 2)


# --- the data version -------------------------------------------------------------------------


def test_the_version_changes_when_a_run_starts_and_when_it_ends(engine: Engine) -> None:
    started = datetime(2026, 10, 30, 9, tzinfo=UTC)
    with Session(engine) as session:
        empty = data_version(session)
        first = IngestRun(feed="beds", source="cli", started_at=started, status="running")
        second = IngestRun(feed="patients", source="cli", started_at=started, status="running")
        session.add_all([first, second])
        session.commit()
        running = data_version(session)
        session.commit()
        # the later run ends first, with the later time; then the earlier one ends with an
        # earlier time (two loaders on PostgreSQL): both endings change the version
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == second.id)
            .values(status="succeeded", finished_at=started.replace(minute=5))
        )
        session.commit()
        one_ended = data_version(session)
        session.commit()
        session.execute(
            update(IngestRun)
            .where(IngestRun.id == first.id)
            .values(status="succeeded", finished_at=started.replace(minute=4))
        )
        session.commit()
        both_ended = data_version(session)
    assert len({empty, running, one_ended, both_ended}) == 4


# --- the cache itself (an injected clock; no sleeping) --------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Counting:
    """A metric stand-in that says how many times it was computed."""

    def __init__(self) -> None:
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, session: Session, **params: Any) -> tuple[int, dict[str, Any]]:
        with self.lock:
            self.calls += 1
            return self.calls, params


def test_answers_about_now_expire_and_others_last(engine: Engine) -> None:
    clock = Clock()
    reset_cache(MetricsCache(max_entries=16, now_seconds=30, max_age_seconds=900, clock=clock))
    now_metric, moment_metric = Counting(), Counting()
    with Session(engine) as session:
        assert cached(session, now_metric, now_bound=True, at=None)[0] == 1
        assert cached(session, moment_metric, now_bound=False, at="12:00")[0] == 1
        clock.now += 29
        assert cached(session, now_metric, now_bound=True, at=None)[0] == 1
        clock.now += 2  # 31 s: the answer about now is computed again, the other is kept
        assert cached(session, now_metric, now_bound=True, at=None)[0] == 2
        assert cached(session, moment_metric, now_bound=False, at="12:00")[0] == 1
        clock.now += 900  # the backstop
        assert cached(session, moment_metric, now_bound=False, at="12:00")[0] == 2


def test_parameters_are_part_of_the_key_and_the_size_is_bounded(engine: Engine) -> None:
    reset_cache(MetricsCache(max_entries=2, clock=Clock()))
    metric = Counting()
    with Session(engine) as session:
        assert cached(session, metric, now_bound=False, site="A")[0] == 1
        assert cached(session, metric, now_bound=False, site="B")[0] == 2
        assert cached(session, metric, now_bound=False, site="A")[0] == 1  # A used last
        assert cached(session, metric, now_bound=False, site="C")[0] == 3  # evicts B
        assert cached(session, metric, now_bound=False, site="A")[0] == 1
        assert cached(session, metric, now_bound=False, site="B")[0] == 4
    assert metrics_cache.get_cache().stats().entries == 2


def test_an_error_is_not_kept(engine: Engine) -> None:
    reset_cache(MetricsCache(max_entries=8))
    calls = []

    def failing(session: Session, **params: Any) -> int:
        calls.append(params)
        raise ValueError("refused")

    with Session(engine) as session:
        for _ in range(2):
            with pytest.raises(ValueError):
                cached(session, failing, now_bound=False, site="A")
    assert len(calls) == 2


def test_a_cold_key_is_computed_once_by_concurrent_callers() -> None:
    cache = MetricsCache(max_entries=8)
    release = threading.Event()
    computed = []

    def compute() -> str:
        computed.append(threading.current_thread().name)
        assert release.wait(timeout=30)
        return "value"

    threads = 8
    results: list[str] = []
    done = threading.Lock()

    def caller() -> None:
        value = cache.get_or_compute("key", compute, now_bound=False)
        with done:
            results.append(value)

    workers = [threading.Thread(target=caller) for _ in range(threads)]
    for worker in workers:
        worker.start()
    while cache.pending("key") < threads:  # every caller is in: one computing, 7 waiting
        threading.Event().wait(0.001)
    release.set()
    for worker in workers:
        worker.join(timeout=30)
    assert results == ["value"] * threads
    assert len(computed) == 1
    assert cache.pending("key") == 0
    assert cache.stats().computations == 1


def test_size_zero_turns_it_off(engine: Engine) -> None:
    reset_cache(MetricsCache(max_entries=0))
    metric = Counting()
    with Session(engine) as session:
        assert [cached(session, metric, now_bound=False, site="A")[0] for _ in range(3)] == [
            1,
            2,
            3,
        ]
