"""The returns (app/metrics/returns.py, /api/v1/returns/…) and organisations as configuration
(app/metrics/organisations.py), over the hand-worked scenario of ``test_metrics_scenario``:
8 patients at two acute sites, 24 Oct – 2 Nov 2026, loaded through the real ingest path.

The organisations, from the reference ``organisations.csv`` written below:

    RXA (Northgate Trust, site RXA01)   → ICB QAA "NHS Northgate ICB", region Y63 NE and Yorkshire
    RXB (Southfield Trust, site RXB01)  → ICB QBB "NHS Southfield ICB", region Y62 North West
                                          until 31 Oct 2026; from 1 Nov 2026 merged into QAA
    E06000015 Derby (council)           → QAA throughout

so a return for October keeps two systems and one for November has one. Every expected row is
written out from the scenario's bed-day table (tests/test_metrics_scenario.py) by hand.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.metrics.organisations import org_units, parents_on
from tests.security_helpers import sign_in
from tests.test_metrics_scenario import END, START, load_scenario

NE, NW = "North East and Yorkshire", "North West"
QAA, QBB = "NHS Northgate ICB", "NHS Southfield ICB"
ORGANISATIONS = (
    "org_code,org_kind,icb_code,icb_name,region_code,region_name,effective_from\n"
    f"RXA,trust,QAA,{QAA},Y63,{NE},2022-07-01\n"
    f"RXB,trust,QBB,{QBB},Y62,{NW},2022-07-01\n"
    f"RXB,trust,QAA,{QAA},Y63,{NE},2026-11-01\n"
    f"E06000015,council,QAA,{QAA},Y63,{NE},2022-07-01\n"
)
HEADER = "Period,Level,Region,ICB,Org Code,Org Name,Metric,Metric Type,Metric Group,Value"
P3_NURSING = "P3_NURSING: Awaiting nursing home placement (pathway 3)"
P1_REABLEMENT = (
    "P1_REABLEMENT: Awaiting start of reablement / intermediate care at home (pathway 1)"
)
DI = "DI: Residential home placement (historic DTOC DI)"


@pytest.fixture(scope="module")
def loaded(
    database_url: str, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, Engine]]:
    """The scenario and its organisations loaded once per database, and the API over it."""
    from app.core.db import make_engine, reset_caches
    from app.main import create_app
    from ingest.reference import sync_reason_catalogue
    from tests.conftest import wipe

    tmp = tmp_path_factory.mktemp("returns")
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
        reference = tmp / "reference"
        reference.mkdir()
        (reference / "organisations.csv").write_text(ORGANISATIONS)
        load_scenario(engine, reference)  # loads sites, councils and organisations, then feeds
        with TestClient(create_app(with_dashboard=False)) as test_client:
            sign_in(test_client, "analyst")
            yield test_client, engine
        reset_caches()


@pytest.fixture
def client(loaded: tuple[TestClient, Engine]) -> TestClient:
    return loaded[0]


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def lines(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    """The rows of a JSON return as tuples in the CSV's column order."""
    keys = ("period", "level", "region", "icb", "org_code", "org_name", "metric")
    return [
        (*(r[k] for k in keys), r["metric_type"], r["metric_group"], r["value"])
        for r in body["rows"]
    ]


# --- organisations as configuration ---------------------------------------------------------


def test_the_mapping_in_force_changes_on_its_effective_date(
    loaded: tuple[TestClient, Engine],
) -> None:
    with Session(loaded[1]) as session:
        before = parents_on(session, date(2026, 10, 31))
        after = parents_on(session, date(2026, 11, 1))
        assert (before["RXB"].icb_code, before["RXB"].region_code) == ("QBB", "Y62")
        assert (after["RXB"].icb_code, after["RXB"].region_code) == ("QAA", "Y63")
        assert before["RXA"] == after["RXA"] and before["RXA"].icb_code == "QAA"
        assert after["E06000015"].icb_code == "QAA"  # councils roll up to a system too
        assert parents_on(session, date(2022, 6, 30)) == {}  # before any mapping
        systems = {
            d: [(u.code, u.name, u.sites) for u in org_units(session, "system", on=d)]
            for d in (date(2026, 10, 31), date(2026, 11, 1))
        }
        regions = [(u.code, u.sites) for u in org_units(session, "region", on=date(2026, 11, 1))]
    assert systems[date(2026, 10, 31)] == [
        ("QAA", QAA, ("RXA01",)),
        ("QBB", QBB, ("RXB01",)),
    ]
    assert systems[date(2026, 11, 1)] == [("QAA", QAA, ("RXA01", "RXB01"))]
    assert regions == [("Y63", ("RXA01", "RXB01"))]


# --- the daily sitrep, every figure by hand -------------------------------------------------
#
# Saturday 31 Oct (the scenario's bed-day table, column 31):
#   RXA01: S2 discharged 11:00 while NCtR (by 17:00); S1 remains (P3_NURSING, pathway 3),
#          S4 remains (P1_REABLEMENT, pathway 1)        → NCtR 3 = 1 discharged + 2 remaining
#   RXB01: S5 remains (DI, pathway 3)                   → NCtR 1 = 0 + 1


def sitrep_rows(org: str, name: str, icb: str, region: str, figures: dict[str, Any]) -> list[Any]:
    day = "2026-10-31"
    totals = "Criteria to reside"
    rows = [
        (day, "Trust", region, icb, org, name, metric, "Count", totals, figures[metric])
        for metric in (
            "Patients no longer meeting the criteria to reside",
            "Discharged",
            "Discharged by 17:00",
            "Discharged 17:01-23:59",
            "Remaining in hospital",
        )
    ]
    rows += [
        (day, "Trust", region, icb, org, name, f"Pathway {p}", "Count", "Remaining by pathway", n)
        for p, n in enumerate(figures["pathways"])
    ]
    rows += [
        (day, "Trust", region, icb, org, name, reason, "Count", "Remaining by delay reason", n)
        for reason, n in figures["reasons"]
    ]
    return rows


SITREP_31_OCT = sitrep_rows(
    "RXA",
    "Northgate Trust",
    QAA,
    NE,
    {
        "Patients no longer meeting the criteria to reside": 3,
        "Discharged": 1,  # S2
        "Discharged by 17:00": 1,  # S2 at 11:00
        "Discharged 17:01-23:59": 0,
        "Remaining in hospital": 2,  # S1, S4
        "pathways": [0, 1, 0, 1],  # S4 pathway 1, S1 pathway 3
        "reasons": [(P1_REABLEMENT, 1), (P3_NURSING, 1)],  # in code order
    },
) + sitrep_rows(
    "RXB",
    "Southfield Trust",
    QBB,  # on 31 Oct Southfield is still in its own system
    NW,
    {
        "Patients no longer meeting the criteria to reside": 1,
        "Discharged": 0,
        "Discharged by 17:00": 0,
        "Discharged 17:01-23:59": 0,
        "Remaining in hospital": 1,  # S5
        "pathways": [0, 0, 0, 1],
        "reasons": [(DI, 1)],
    },
)


def test_the_sitrep_of_a_day_every_figure_by_hand(client: TestClient) -> None:
    body = get(client, "/returns/sitrep", date="2026-10-31")
    assert (body["name"], body["period"], body["level"], body["partial"]) == (
        "sitrep",
        "2026-10-31",
        "trust",
        False,
    )
    assert lines(body) == SITREP_31_OCT


def test_the_sitrep_as_csv_has_nhs_englands_header_and_the_same_rows(client: TestClient) -> None:
    response = client.get("/api/v1/returns/sitrep", params={"date": "2026-10-31", "format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="homeward_sitrep_2026-10-31_trust.csv"'
    )
    assert response.text.splitlines()[0] == HEADER
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    assert rows == [[str(v) for v in row] for row in SITREP_31_OCT]


def test_the_sitrep_after_the_merger_has_one_system(client: TestClient) -> None:
    # Mon 2 Nov: S5 discharged 08:00 at RXB01 while NCtR; S1 remains at RXA01 (P3_NURSING)
    body = get(client, "/returns/sitrep", date="2026-11-02", level="system")
    totals = [r for r in lines(body) if r[8] == "Criteria to reside"]
    assert totals == [
        ("2026-11-02", "ICB", NE, QAA, "QAA", QAA, metric, "Count", "Criteria to reside", n)
        for metric, n in (
            ("Patients no longer meeting the criteria to reside", 2),
            ("Discharged", 1),
            ("Discharged by 17:00", 1),
            ("Discharged 17:01-23:59", 0),
            ("Remaining in hospital", 1),
        )
    ]
    reasons = [(r[6], r[9]) for r in lines(body) if r[8] == "Remaining by delay reason"]
    assert reasons == [(P3_NURSING, 1)]
    region = get(client, "/returns/sitrep", date="2026-11-02", level="region")
    assert {(r[1], r[2], r[3], r[4]) for r in lines(region)} == {("Region", NE, "", "Y63")}


# --- the monthly discharge-delay measures, every figure by hand -----------------------------
#
# October (mapping of 1 Oct: two systems). Discharges and days from the DRD in force:
#   RXA01: S3 28 Oct on its DRD (0), S2 31 Oct DRD 27 Oct (4)  → 2, on DRD 1 of 2, 4 days lost
#   RXB01: S7 24 Oct on its DRD (0), S6 30 Oct no DRD (0)     → 2, on DRD 2 of 2, 0 days lost
# November (mapping of 1 Nov: one system):
#   RXA01: S4 1 Nov DRD 30 Oct (2); RXB01: S5 2 Nov DRD 29 Oct (4) → QAA 2, none on DRD, 6 days

BANDS = ("0 days", "1 day", "2-3 days", "4-6 days", "7-13 days", "14-20 days", "21+ days")


def delay_rows(
    period: str,
    level: str,
    org: tuple[str, str, str, str],
    discharges: int,
    on_drd: float,
    lost: int,
    bands: list[int],
) -> list[Any]:
    code, name, icb, region = org
    head = (period, level, region, icb, code, name)
    rows = [
        (*head, "Discharges", "Count", "Discharges", discharges),
        (*head, "Discharged on the discharge ready date", "Percentage", "Discharges", on_drd),
        (*head, "Bed days lost", "Count", "Discharges", lost),
    ]
    group = "Days from discharge ready date to discharge"
    for band, n in zip(BANDS, bands, strict=True):
        rows.append((*head, band, "Count", group, n))
        rows.append((*head, band, "Percentage", group, round(n / discharges * 100, 1)))
    return rows


def test_the_discharge_delays_of_a_month_every_figure_by_hand(client: TestClient) -> None:
    body = get(client, "/returns/discharge-delays", month="2026-10")
    assert (body["period"], body["start"], body["end"]) == ("2026-10", "2026-10-01", "2026-10-31")
    assert lines(body) == delay_rows(
        "2026-10", "Trust", ("RXA", "Northgate Trust", QAA, NE), 2, 50.0, 4, [1, 0, 0, 1, 0, 0, 0]
    ) + delay_rows(
        "2026-10", "Trust", ("RXB", "Southfield Trust", QBB, NW), 2, 100.0, 0, [2, 0, 0, 0, 0, 0, 0]
    )
    november = get(client, "/returns/discharge-delays", month="2026-11", level="system")
    assert lines(november) == delay_rows(
        "2026-11", "ICB", ("QAA", QAA, QAA, NE), 2, 0.0, 6, [0, 0, 1, 1, 0, 0, 0]
    )


def test_a_month_with_no_discharges_has_empty_percentages(client: TestClient) -> None:
    response = client.get(
        "/api/v1/returns/discharge-delays", params={"month": "2026-09", "format": "csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    on_drd = [r for r in rows if r["Metric"] == "Discharged on the discharge ready date"]
    assert [(r["Org Code"], r["Value"]) for r in on_drd] == [("RXA", ""), ("RXB", "")]
    assert {r["Value"] for r in rows if r["Metric Type"] == "Count"} == {"0"}


def test_bad_parameters_are_refused(client: TestClient) -> None:
    for path, params in (
        ("/returns/discharge-delays", {"month": "2026-13"}),
        ("/returns/discharge-delays", {"month": "Nov 26"}),
        ("/returns/sitrep", {"date": "2026-10-31", "level": "ward"}),
        ("/returns/sitrep", {"date": "2026-10-31", "format": "xlsx"}),
    ):
        assert client.get(f"/api/v1{path}", params=params).status_code == 422, params


def test_the_returns_are_aggregates_only(loaded: tuple[TestClient, Engine]) -> None:
    from app.main import create_app

    with TestClient(create_app(with_dashboard=False)) as anonymous:
        response = anonymous.get("/api/v1/returns/sitrep", params={"date": "2026-10-31"})
        assert response.status_code == 401
        sign_in(anonymous, "wall")
        assert anonymous.get("/api/v1/returns/sitrep", params={"date": "2026-10-31"}).is_success


# --- the totals equal the other endpoints' --------------------------------------------------


def test_the_sitrep_adds_up_to_the_flow_endpoints(client: TestClient) -> None:
    flow = get(client, "/flow/nctr-daily", start=START, end=END)
    names = {
        "nctr": "Patients no longer meeting the criteria to reside",
        "discharged": "Discharged",
        "discharged_by_1700": "Discharged by 17:00",
        "discharged_after_1700": "Discharged 17:01-23:59",
        "remaining": "Remaining in hospital",
    }
    for level in ("site", "trust", "system", "region"):
        for day in flow:
            rows = lines(get(client, "/returns/sitrep", date=day["date"], level=level))
            for field, metric in names.items():
                total = sum(r[9] for r in rows if r[6] == metric)
                assert total == day[field], (level, day["date"], field)
            for group in ("Remaining by pathway", "Remaining by delay reason"):
                total = sum(r[9] for r in rows if r[8] == group)
                assert total == day["remaining"], (level, day["date"], group)
    # the period's remaining by reason is the delayed days by reason (§4.2a, §4.3)
    by_reason = get(client, "/flow/delayed-days", start=START, end=END, group_by="reason")
    summed: dict[str, int] = {}
    for day in flow:
        for r in lines(get(client, "/returns/sitrep", date=day["date"])):
            if r[8] == "Remaining by delay reason":
                code = r[6].split(":")[0]
                summed[code] = summed.get(code, 0) + r[9]
    assert summed == {g["key"]: g["delayed_days"] for g in by_reason["groups"]}


def test_the_discharge_delays_add_up_to_the_flow_endpoint(client: TestClient) -> None:
    flow = get(client, "/flow/discharge-delays", start="2026-10-01", end="2026-11-30")
    for level in ("site", "trust", "system", "region"):
        rows = [
            r
            for month in ("2026-10", "2026-11")
            for r in lines(get(client, "/returns/discharge-delays", month=month, level=level))
        ]
        assert sum(r[9] for r in rows if r[6] == "Discharges") == flow["discharges"] == 6
        assert sum(r[9] for r in rows if r[6] == "Bed days lost") == flow["bed_days_lost"] == 10
        for band, name in zip(flow["bands"], BANDS, strict=True):
            counted = sum(r[9] for r in rows if r[6] == name and r[7] == "Count")
            assert counted == band["count"], (level, name)


# --- the outbox -----------------------------------------------------------------------------


def test_the_outbox_writes_each_period_once_and_atomically(
    loaded: tuple[TestClient, Engine], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from app import outbox

    outbox_dir = tmp_path / "outbox"
    settings = Settings(returns_outbox_dir=outbox_dir, returns_outbox_level="trust")
    # Sun 1 Nov 11:00 GMT: past the 10:00 default, so 31 Oct and October are due
    now = datetime(2026, 11, 1, 11, 0, tzinfo=UTC)
    sitrep = "homeward_sitrep_2026-10-31_trust.csv"
    delays = "homeward_discharge-delays_2026-10_trust.csv"

    # a crash while writing leaves no file under the return's name
    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    real_replace = os.replace
    monkeypatch.setattr(outbox.os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        outbox.write_returns(settings, now)
    assert list(outbox_dir.iterdir()) == []  # nor half a file under a temporary name
    monkeypatch.setattr(outbox.os, "replace", real_replace)

    # at 06:00 the morning census has not said who left overnight: 30 Oct and September
    assert outbox.write_returns(settings, datetime(2026, 11, 1, 6, 0, tzinfo=UTC)) == (
        "returns outbox: wrote homeward_sitrep_2026-10-30_trust.csv, "
        "homeward_discharge-delays_2026-09_trust.csv"
    )
    message = outbox.write_returns(settings, now)
    assert message == f"returns outbox: wrote {sitrep}, {delays}"
    assert sorted(p.name for p in outbox_dir.iterdir()) == [
        "homeward_discharge-delays_2026-09_trust.csv",
        delays,
        "homeward_sitrep_2026-10-30_trust.csv",
        sitrep,
    ]
    text = (outbox_dir / sitrep).read_text()
    assert text.splitlines()[0] == HEADER
    assert list(csv.reader(io.StringIO(text)))[1:] == [[str(v) for v in r] for r in SITREP_31_OCT]
    first = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outbox_dir.iterdir()}

    # the same tick again, and a later one the same day: nothing is written again
    assert outbox.write_returns(settings, now) is None
    assert outbox.write_returns(settings, datetime(2026, 11, 1, 22, 0, tzinfo=UTC)) is None
    again = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in outbox_dir.iterdir()}
    assert again == first
    # the next day brings the next day's sitrep only
    assert outbox.write_returns(settings, datetime(2026, 11, 2, 10, 30, tzinfo=UTC)) == (
        "returns outbox: wrote homeward_sitrep_2026-11-01_trust.csv"
    )


def test_the_outbox_job_is_registered_only_with_a_folder(tmp_path: Path) -> None:
    from app.outbox import outbox_jobs

    assert outbox_jobs(Settings(returns_outbox_dir=None)) == []
    (job,) = outbox_jobs(Settings(returns_outbox_dir=tmp_path, returns_outbox_interval_minutes=30))
    assert (job.job_id, job.seconds) == ("returns_outbox", 1800)


# --- the summary at a level -----------------------------------------------------------------


def test_the_summary_by_organisation_follows_the_mapping_of_its_day(client: TestClient) -> None:
    # Sat 31 Oct noon (the scenario's summary test): RXA01 3 in hospital (S1, S4, S8), 2 NCtR
    # (S1, S4), G&A 30 occupied of 32 open; RXB01 1 (S5), 1 NCtR, 24 of 25.
    def picture(org: dict[str, Any]) -> tuple[Any, ...]:
        area = org["area"]
        occupancy = area["occupancy"]
        return (
            org["org_code"],
            org["icb_code"],
            org["region_code"],
            org["site_codes"],
            area["in_hospital"],
            area["nctr_in_hospital"],
            occupancy["occupied"],
            occupancy["open_beds"],
        )

    trusts = get(client, "/flow/by-organisation", level="trust", at="2026-10-31T12:00:00Z")
    assert trusts["level"] == "trust"
    assert [picture(o) for o in trusts["organisations"]] == [
        ("RXA", "QAA", "Y63", ["RXA01"], 3, 2, 30, 32),
        ("RXB", "QBB", "Y62", ["RXB01"], 1, 1, 24, 25),
    ]
    # a site's escalation is the summary's: A's occupancy 93.75 % scores 2, B's 96 % scores 3
    sites = get(client, "/flow/by-organisation", level="site", at="2026-10-31T12:00:00Z")
    assert [(o["org_code"], o["area"]["escalation"]["level"]) for o in sites["organisations"]] == [
        ("RXA01", 2),
        ("RXB01", 3),
    ]
    # Sun 1 Nov noon, after the merger: one system; in hospital S1, S4, S8 (A) and S5 (B),
    # NCtR S1, S4 (DRD 30 Oct) and S5
    systems = get(client, "/flow/by-organisation", level="system", at="2026-11-01T12:00:00Z")
    assert [picture(o)[:6] for o in systems["organisations"]] == [
        ("QAA", "QAA", "Y63", ["RXA01", "RXB01"], 4, 3),
    ]
    assert systems["organisations"][0]["org_name"] == QAA
