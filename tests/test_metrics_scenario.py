"""Every metrics endpoint over a small system computed by hand: 8 patients, 2 acute sites,
10 days, loaded through the real ingest path; expected numbers written out below, with the
day-by-day arithmetic in comments.

Every census is a batch of the patients feed, every snapshot a batch of its feed, loaded
through ``ingest.loader.load_batch`` as a real delivery would be. Timestamps without an offset
are Europe/London local time (the feed contract), and the clocks go back on Sunday 25 October
2026 (02:00 BST → 01:00 GMT), inside the scenario.

Sites: RXA01 "Northgate General" (wards A1, A2), RXB01 "Southfield Hospital" (ward B1 and a
community ward CW on the same site code). Councils: E06000015 Derby, E10000007 Derbyshire.
Daily census at 09:00 local, D0 = Sat 24 Oct … D9 = Mon 2 Nov.

    S1  A  emergency, admitted Sat 10 Oct 14:00 BST; DRD 20 Oct already on the first census
           (reaching back before it), P3_NURSING, pathway 3, Derbyshire; never discharged.
           30 Oct recorded red with red reason INFECTION.
    S2  A  emergency, admitted Thu 22 Oct 10:00 BST, ward A1; DRD 27 Oct set on time by the
           27 Oct census (P1_HOMECARE, pathway 1, Derby); moves to A2 on 28 Oct (recorded
           green that day); reason ASSESS_SOCIAL from 29 Oct; discharged Sat 31 Oct 11:00
           (by 17:00).
    S3  A  elective, admitted Mon 26 Oct 07:30, ward A2, pathway 0; 27 Oct recorded green;
           DRD 28 Oct set on time (TTO); discharged Wed 28 Oct 18:30 — on its DRD, after 17:00.
    S4  A  emergency, admitted Tue 20 Oct 22:00 BST, ward A1, pathway 1, Derby; the 26 Oct
           census records a DRD of 25 Oct (a day late, EQUIPMENT); cleared by the 28 Oct
           census; set again by the 30 Oct census (30 Oct, P1_REABLEMENT); discharged Sun
           1 Nov 16:00 (by 17:00).
    S5  B  emergency, admitted Sat 24 Oct 00:30 BST (23:30 UTC on the 23rd: the UTC date is
           not the local date), ward B1, pathway 3, Derbyshire; DRD 29 Oct (reason DI, a DTOC
           code sent as a reason); discharged Mon 2 Nov 08:00 — its delay spans the month end.
    S6  B  elective, admitted Tue 27 Oct 08:00, never ready; 27 Oct recorded green;
           discharged Fri 30 Oct 14:00 without a DRD.
    S7  B  emergency, admitted Fri 23 Oct 15:00 BST; DRD 24 Oct on the first census (P2_BED,
           pathway 2, Derby); discharged Sat 24 Oct 17:30 BST (16:30 UTC) — on its DRD and
           after 17:00 local time, though before 17:00 UTC.
    S8  A  emergency, admitted Fri 30 Oct 20:00, ward A1, pathway 0, Derbyshire, never NCtR;
           31 Oct recorded green, 1 Nov recorded red (DIAGNOSTICS); still in.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from tests.security_helpers import sign_in

D0 = date(2026, 10, 24)
CENSUS_DAYS = [D0 + timedelta(days=k) for k in range(10)]
SITE_A, SITE_B = "RXA01", "RXB01"
DERBY, DERBYSHIRE = "E06000015", "E10000007"

PATIENT_COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)
BEDS_COLUMNS = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,escalation_beds_open,"
    "beds_occupied,beds_closed"
)
CARE_HOMES_COLUMNS = (
    "snapshot_at,cqc_location_id,home_name,local_authority_code,care_type,max_capacity,"
    "occupied,vacant_reserved,vacant_accepting_admissions,accepting_admissions"
)
DOMICILIARY_COLUMNS = (
    "snapshot_at,provider_id,provider_name,local_authority_code,zone,hours_available_per_week,"
    "packages_startable_next_7_days"
)
STATE_KEYS = ("ward", "edd", "drd", "pathway", "reason", "la")


@dataclass
class Stay:
    """One spell: its admission, its discharge and what each census says about it.

    ``changes`` maps a census index to the state keys that change at that census (carried
    forward to later censuses); ``statuses`` maps a census index to its (day_status,
    red_reason_code).
    """

    spell_id: str
    site: str
    age: int
    admitted_at: str
    method: str
    changes: dict[int, dict[str, Any]]
    statuses: dict[int, tuple[str, str]] = field(default_factory=dict)
    discharged_at: str | None = None
    destination: str = ""

    def state_at(self, census: int) -> dict[str, Any]:
        state: dict[str, Any] = dict.fromkeys(STATE_KEYS)
        for index in sorted(self.changes):
            if index <= census:
                state.update(self.changes[index])
        return state


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text)


STAYS = [
    Stay(
        "S1",
        SITE_A,
        84,
        "2026-10-10T14:00:00",
        "emergency",
        {
            0: {
                "ward": "A1",
                "edd": "2026-10-17",
                "drd": "2026-10-20",
                "pathway": 3,
                "reason": "P3_NURSING",
                "la": DERBYSHIRE,
            }
        },
        statuses={6: ("red", "INFECTION")},
    ),
    Stay(
        "S2",
        SITE_A,
        79,
        "2026-10-22T10:00:00",
        "emergency",
        {
            0: {"ward": "A1", "edd": "2026-10-27", "pathway": 1, "la": DERBY},
            3: {"drd": "2026-10-27", "reason": "P1_HOMECARE"},
            4: {"ward": "A2"},
            5: {"reason": "ASSESS_SOCIAL"},
        },
        statuses={4: ("green", "")},
        discharged_at="2026-10-31T11:00:00",
        destination="usual_residence",
    ),
    Stay(
        "S3",
        SITE_A,
        61,
        "2026-10-26T07:30:00",
        "elective",
        {
            2: {"ward": "A2", "edd": "2026-10-28", "pathway": 0, "la": DERBY},
            4: {"drd": "2026-10-28", "reason": "TTO"},
        },
        statuses={3: ("green", "")},
        discharged_at="2026-10-28T18:30:00",
        destination="usual_residence",
    ),
    Stay(
        "S4",
        SITE_A,
        90,
        "2026-10-20T22:00:00",
        "emergency",
        {
            0: {"ward": "A1", "edd": "2026-10-26", "pathway": 1, "la": DERBY},
            2: {"drd": "2026-10-25", "reason": "EQUIPMENT"},
            4: {"drd": None, "reason": None},
            6: {"drd": "2026-10-30", "reason": "P1_REABLEMENT"},
        },
        discharged_at="2026-11-01T16:00:00",
        destination="usual_residence",
    ),
    Stay(
        "S5",
        SITE_B,
        88,
        "2026-10-24T00:30:00",
        "emergency",
        {
            0: {"ward": "B1", "pathway": 3, "la": DERBYSHIRE},
            5: {"drd": "2026-10-29", "reason": "DI"},
        },
        discharged_at="2026-11-02T08:00:00",
        destination="care_home",
    ),
    Stay(
        "S6",
        SITE_B,
        45,
        "2026-10-27T08:00:00",
        "elective",
        {3: {"ward": "B1", "edd": "2026-10-30", "pathway": 0, "la": DERBY}},
        statuses={3: ("green", "")},
        discharged_at="2026-10-30T14:00:00",
        destination="usual_residence",
    ),
    Stay(
        "S7",
        SITE_B,
        72,
        "2026-10-23T15:00:00",
        "emergency",
        {
            0: {
                "ward": "B1",
                "drd": "2026-10-24",
                "pathway": 2,
                "reason": "P2_BED",
                "la": DERBY,
            }
        },
        discharged_at="2026-10-24T17:30:00",
        destination="community_bed",
    ),
    Stay(
        "S8",
        SITE_A,
        55,
        "2026-10-30T20:00:00",
        "emergency",
        {7: {"ward": "A1", "pathway": 0, "la": DERBYSHIRE}},
        statuses={7: ("green", ""), 8: ("red", "DIAGNOSTICS")},
    ),
]


def census_time(index: int) -> datetime:
    return datetime.combine(CENSUS_DAYS[index], datetime.min.time()).replace(hour=9)


def _patient_row(stay: Stay, census: int, snapshot: datetime, *, discharge: bool) -> str:
    state = stay.state_at(census)
    status, red_reason = ("", "") if discharge else stay.statuses.get(census, ("", ""))
    values = [
        snapshot.isoformat(),
        stay.site,
        state["ward"],
        stay.spell_id,
        f"P-{stay.spell_id}",
        "",
        str(stay.age),
        stay.admitted_at,
        stay.method,
        state["edd"] or "",
        state["drd"] or "",
        "" if state["pathway"] is None else str(state["pathway"]),
        state["reason"] or "",
        "",  # agency responsible: from the reason catalogue
        state["la"] or "",
        status,
        red_reason,
        stay.discharged_at if discharge else "",
        stay.destination if discharge else "",
    ]
    return ",".join(values)


def patient_batch(index: int) -> bytes:
    """The census of D``index`` at 09:00: every inpatient, and the discharges since D``index-1``."""
    at = census_time(index)
    previous = census_time(index - 1) if index else None
    lines = [PATIENT_COLUMNS]
    for stay in STAYS:
        admitted = _local(stay.admitted_at)
        discharged = _local(stay.discharged_at) if stay.discharged_at else None
        if admitted > at:
            continue
        if discharged is None or discharged > at:
            lines.append(_patient_row(stay, index, at, discharge=False))
        elif previous is not None and previous < discharged <= at:
            last = max(k for k in range(index) if _local(stay.admitted_at) <= census_time(k))
            lines.append(_patient_row(stay, last, at, discharge=True))
    return ("\n".join(lines) + "\n").encode()


# (snapshot_at, site, ward, ward name, bed base, core, escalation, occupied)
BED_SNAPSHOTS = [
    [
        ("2026-10-30T08:00:00Z", SITE_A, "A1", "Ash", "general_acute", 20, 0, 18),
        ("2026-10-30T08:00:00Z", SITE_A, "A2", "Beech", "general_acute", 10, 2, 11),
        ("2026-10-30T08:00:00Z", SITE_B, "B1", "Cedar", "general_acute", 25, 0, 24),
        ("2026-10-30T08:00:00Z", SITE_B, "CW", "Community", "community", 12, 0, 9),
    ],
    [
        ("2026-10-31T11:00:00Z", SITE_A, "A1", "Ash", "general_acute", 20, 2, 21),
        ("2026-10-31T11:00:00Z", SITE_A, "A2", "Beech", "general_acute", 10, 0, 9),
        ("2026-10-31T11:00:00Z", SITE_B, "CW", "Community", "community", 12, 0, 10),
    ],
    [("2026-10-31T14:00:00Z", SITE_A, "A1", "Ash", "general_acute", 20, 2, 15)],
    [
        ("2026-11-01T20:00:00Z", SITE_A, "A1", "Ash", "general_acute", 20, 0, 19),
        ("2026-11-01T20:00:00Z", SITE_A, "A2", "Beech", "general_acute", 10, 0, 10),
        ("2026-11-01T20:00:00Z", SITE_B, "B1", "Cedar", "general_acute", 25, 0, 20),
        ("2026-11-01T20:00:00Z", SITE_B, "CW", "Community", "community", 12, 0, 12),
    ],
]

# one CSV body per snapshot: snapshot_at, cqc_location_id, home_name, local_authority_code,
# care_type, max_capacity, occupied, vacant_reserved, vacant_accepting_admissions,
# accepting_admissions
CARE_HOME_SNAPSHOTS = [
    """
2026-10-29T10:00:00Z,1-103,Willow Lodge,E06000015,residential_dementia,25,22,0,3,true
""",
    """
2026-10-30T10:00:00Z,1-101,Oak House,E10000007,residential,30,27,1,2,true
2026-10-30T10:00:00Z,1-101,Oak House,E10000007,nursing,20,18,0,2,true
2026-10-30T10:00:00Z,1-102,Elm Court,E10000007,nursing,40,35,2,3,false
""",
    """
2026-10-31T10:00:00Z,1-103,Willow Lodge,E06000015,residential_dementia,25,24,0,1,true
""",
    """
2026-10-31T15:00:00Z,1-103,Willow Lodge,E06000015,residential_dementia,25,25,0,0,true
""",
]

# (snapshot_at, provider, name, council, zone, hours, packages)
DOMICILIARY_SNAPSHOTS = [
    [("2026-10-29T09:00:00Z", "HC2", "CareCo", DERBYSHIRE, "Dales", 10.0, 0)],
    [
        ("2026-10-30T09:00:00Z", "HC1", "Home Help", DERBY, "North", 40.0, 2),
        ("2026-10-30T09:00:00Z", "HC1", "Home Help", DERBY, "South", 20.0, 1),
    ],
    [("2026-10-31T09:00:00Z", "HC2", "CareCo", DERBYSHIRE, "Dales", 15.0, 1)],
]


def _csv(header: str, rows: list[tuple[Any, ...]]) -> bytes:
    out = io.StringIO()
    out.write(header + "\n")
    for row in rows:
        out.write(",".join(str(v) for v in row) + "\n")
    return out.getvalue().encode()


def batches() -> list[tuple[str, bytes]]:
    """Every delivery of the scenario, in the order it arrives."""
    deliveries = [("beds", _csv(BEDS_COLUMNS, [(*r, 0) for r in s])) for s in BED_SNAPSHOTS]
    deliveries += [("patients", patient_batch(k)) for k in range(len(CENSUS_DAYS))]
    deliveries += [
        ("care_homes", (CARE_HOMES_COLUMNS + body).encode()) for body in CARE_HOME_SNAPSHOTS
    ]
    deliveries += [("domiciliary", _csv(DOMICILIARY_COLUMNS, s)) for s in DOMICILIARY_SNAPSHOTS]
    return deliveries


def load_scenario(engine: Engine, reference_dir: Path) -> None:
    """Name the sites and councils, then load every delivery; each must load whole."""
    reference_dir.mkdir(parents=True, exist_ok=True)
    (reference_dir / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        f"{SITE_A},Northgate General,RXA,Northgate Trust,acute\n"
        f"{SITE_B},Southfield Hospital,RXB,Southfield Trust,acute\n"
    )
    (reference_dir / "councils.csv").write_text(
        f"local_authority_code,name\n{DERBY},Derby\n{DERBYSHIRE},Derbyshire\n"
    )
    with Session(engine) as session:
        load_reference_dir(session, reference_dir)
        session.commit()
    for feed, body in batches():
        summary = load_batch(feed, body, fmt="csv", engine=engine)
        assert summary.status == "succeeded", (feed, summary)
        assert summary.rows_quarantined == 0, (feed, summary)


# --- the bed days, by hand ------------------------------------------------------------------
#
# What the §4.2 rules make of the censuses, for the window Sat 24 Oct – Mon 2 Nov: one cell
# per day whose end finds the patient in hospital. N = in an NCtR period at the end of the day
# (a delayed day); r / g / . = the day counts red / green / not recorded; - = discharged that
# day (no bed day).
#
#              24  25  26  27  28  29  30  31  01  02
#   S1 A1      Nr  Nr  Nr  Nr  Nr  Nr  Nr* Nr  Nr  Nr   DRD 20 Oct, P3_NURSING (* red INFECTION)
#   S2 A1→A2   .   .   .   Nr  Ng  Nr  Nr  -            A2 from 28th; P1_HOMECARE 27–28,
#                                                       ASSESS_SOCIAL 29–30; green recorded 28th
#   S3 A2              .   g   -                        discharged 28th 18:30
#   S4 A1      .   Nr  Nr  Nr  .   .   Nr  Nr  -        EQUIPMENT 25–27 (recorded late, on the
#                                                       26th), cleared 28th, P1_REABLEMENT 30–31
#   S8 A1                              .   g   r   .    red 1 Nov: DIAGNOSTICS (not NCtR)
#   S5 B1      .   .   .   .   .   Nr  Nr  Nr  Nr  -    DI
#   S6 B1                  g   .   .   -
#   (S7: its only bed day is 23 Oct, before the window; discharged 24 Oct 17:30 BST)
#
# remaining (N per day):   1   2   2   3   2   3   4   3   2   1   = 23 delayed days
#   of which site A:       1   2   2   3   2   2   3   2   1   1   = 19
# NCtR discharges:         S7  -   -   -   S3  -   -   S2  S4  S5  (S6 had no DRD)
#   by 17:00 local:        no              no          yes yes yes

START, END = "2026-10-24", "2026-11-02"
T1 = "2026-10-31T12:00:00Z"  # Saturday noon (GMT): the latest census is D7, 09:00
T2 = "2026-10-30T12:00:00Z"  # Friday noon: the latest census is D6


@pytest.fixture(scope="module")
def client(
    database_url: str, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """The scenario loaded once per database, and the API over it."""
    from app.core.db import make_engine, reset_caches
    from app.main import create_app
    from ingest.reference import sync_reason_catalogue
    from tests.conftest import wipe

    tmp = tmp_path_factory.mktemp("scenario")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOMEWARD_DATABASE_URL", database_url)
        mp.setenv("HOMEWARD_FEEDS_DIR", str(tmp / "feeds"))
        mp.setenv("HOMEWARD_SCHEDULER_LOCK_DIR", str(tmp / "locks"))
        mp.setenv("HOMEWARD_RUN_SCHEDULER", "false")
        # the scenario is dated: never refuse it as "in the future", whatever today is
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
            sign_in(test_client, "coordinator")
            yield test_client
        reset_caches()


def get(client: TestClient, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def approx(value: Any) -> Any:
    return pytest.approx(value, abs=1e-9)


# --- /flow/summary --------------------------------------------------------------------------


def test_summary_at_saturday_noon(client: TestClient) -> None:
    body = get(client, "/flow/summary", at=T1)
    total, (site_a, site_b) = body["total"], body["sites"]
    assert body["at"] == T1 and body["site"] is None
    assert body["as_of"] == {
        "beds": "2026-10-31T11:00:00Z",
        "care_homes": "2026-10-31T10:00:00Z",  # the 15:00 snapshot is after `at`
        "domiciliary": "2026-10-31T09:00:00Z",
        "patients": "2026-10-31T09:00:00Z",
    }
    # Beds, each ward's latest snapshot at or before 12:00 (A1's 14:00 one is later):
    #   A1 31 Oct 11:00 20+2 open, 21 occupied; A2 31 Oct 11:00 10+0, 9; B1 30 Oct 08:00
    #   25+0, 24; CW is a community ward (not G&A).
    assert site_a["occupancy"] == {
        "occupied": 30, "core_open": 30, "escalation_open": 2, "pct": 93.75,  # 30 / 32
        "open_beds": 32,  # 30 core + 2 escalation
    }  # fmt: skip
    assert site_b["occupancy"] == {
        "occupied": 24, "core_open": 25, "escalation_open": 0, "pct": 96.0,
        "open_beds": 25,
    }  # fmt: skip
    assert total["occupancy"] == {
        "occupied": 54, "core_open": 55, "escalation_open": 2, "pct": approx(54 / 57 * 100),
        "open_beds": 57,  # 55 core + 2 escalation
    }  # fmt: skip
    # In hospital at 12:00 (state of the 09:00 census): S1, S4, S8 at A (S2 left at 11:00),
    # S5 at B. NCtR: S1 (DRD 20 Oct: 11 days → 7-13), S4 (DRD 30 Oct: 1 day → 1),
    # S5 (DRD 29 Oct: 2 days → 2-3). LOS: S1 31−10 = 21, S4 31−20 = 11, S8 1, S5 31−24 = 7.
    assert (site_a["in_hospital"], site_a["nctr_in_hospital"]) == (3, 2)
    assert (site_b["in_hospital"], site_b["nctr_in_hospital"]) == (1, 1)
    assert (total["in_hospital"], total["nctr_in_hospital"]) == (4, 3)
    # NCtR as % of occupied G&A beds: A 2 / 30, B 1 / 24, system 3 / 54
    assert site_a["nctr_pct_of_occupied"] == approx(2 / 30 * 100)
    assert site_b["nctr_pct_of_occupied"] == approx(1 / 24 * 100)
    assert total["nctr_pct_of_occupied"] == approx(3 / 54 * 100)
    assert site_a["long_stays"] == {"los_7": 2, "los_14": 1, "los_21": 1}
    assert site_b["long_stays"] == {"los_7": 1, "los_14": 0, "los_21": 0}
    assert total["long_stays"] == {"los_7": 3, "los_14": 1, "los_21": 1}
    assert total["delay_bands"] == {
        "0": 0, "1": 1, "2-3": 1, "4-6": 0, "7-13": 1, "14-20": 0, "21+": 0,
    }  # fmt: skip
    assert site_a["delay_bands"]["1"] == 1 and site_a["delay_bands"]["7-13"] == 1
    assert site_b["delay_bands"]["2-3"] == 1
    # Waiting: P1 S4 (Derby); P3 S1 and S5 (Derbyshire). Supply at 12:00:
    #   P1 packages: Home Help North 2 + South 1 (30 Oct), CareCo Dales 1 (31 Oct 09:00) = 4;
    #      hours 40 + 20 + 15 = 75
    #   P2 community beds: CW 12 open − 10 occupied = 2
    #   P3: Oak House residential 2 + nursing 2; Elm Court is closed to admissions (its 3
    #      vacancies do not count); Willow Lodge 1 (31 Oct 10:00) = 5
    assert total["waiting_by_pathway"] == {
        "p1": {"demand": 1, "supply": 4, "gap": -3, "hours_available_per_week": 75.0},
        "p2": {"demand": 0, "supply": 2, "gap": -2},
        "p3": {
            "demand": 2,
            "supply": 5,
            "gap": -3,
            "supply_by_care_type": {"residential": 2, "nursing": 2, "residential_dementia": 1},
        },
    }
    # a site has demand only: capacity out of hospital is the system's
    assert site_a["waiting_by_pathway"]["p1"] == {
        "demand": 1, "supply": None, "gap": None, "hours_available_per_week": None,
    }  # fmt: skip
    assert site_b["waiting_by_pathway"]["p3"]["demand"] == 1


def scores(escalation: dict[str, Any]) -> dict[str, int | None]:
    return {p["name"]: p["score"] for p in escalation["parameters"]}


def test_summary_escalation(client: TestClient) -> None:
    body = get(client, "/flow/summary", at=T1)
    total, (site_a, site_b) = body["total"], body["sites"]
    # default thresholds: occupancy 92/95/98; NCtR % of occupied 10/15/18; super-stranded %
    # of occupied 12/16/20; P1 and P3 gap % of demand 10/25/40; stale feeds 1/2/3
    # A: occupancy 93.75 → 2; NCtR 2/30 = 6.7% → 1; super-stranded 0 of 30 → 1
    assert scores(site_a["escalation"]) == {
        "occupancy_pct": 2, "nctr_pct_of_occupied": 1, "super_stranded_pct_of_occupied": 1,
    }  # fmt: skip
    assert (site_a["escalation"]["level"], site_a["escalation"]["driver"]) == (2, "occupancy_pct")
    # B: occupancy 96 → 3
    assert (site_b["escalation"]["level"], site_b["escalation"]["driver"]) == (3, "occupancy_pct")
    # system: occupancy 94.7 → 2; NCtR 3/54 → 1; gaps below 0 % of demand → 1; no feed
    # stale at noon → 1
    assert scores(total["escalation"]) == {
        "occupancy_pct": 2,
        "nctr_pct_of_occupied": 1,
        "super_stranded_pct_of_occupied": 1,
        "p1_gap_pct_of_demand": 1,
        "p3_gap_pct_of_demand": 1,
        "stale_feeds": 1,
    }
    assert total["escalation"]["level"] == 2
    assert total["escalation"]["driver"] == "occupancy_pct"
    assert "not NHS England's official" in total["escalation"]["note"]


def test_summary_when_every_feed_has_gone_quiet(client: TestClient) -> None:
    # Thursday 5 Nov: the newest beds (1 Nov 20:00), patients (2 Nov 09:00), care-home and
    # home-care data (31 Oct) are all older than 4× their expected interval → 4 failing
    # feeds → score 4. Occupancy from the 1 Nov 20:00 snapshot: (19 + 10 + 20) / 55 = 89% → 1.
    total = get(client, "/flow/summary", at="2026-11-05T12:00:00Z")["total"]
    assert total["escalation"]["parameters"][-1] == {
        "name": "stale_feeds",
        "label": "Feeds stale or failing",
        "value": 4.0,
        "score": 4,
        "thresholds": [1.0, 2.0, 3.0],
    }
    assert (total["escalation"]["level"], total["escalation"]["driver"]) == (4, "stale_feeds")
    # still in hospital as of the 2 Nov census: S1 (LOS 26), S8
    assert (total["in_hospital"], total["nctr_in_hospital"]) == (2, 1)


def test_summary_of_one_site(client: TestClient) -> None:
    body = get(client, "/flow/summary", at=T1, site=SITE_B)
    assert body["site"] == SITE_B
    assert [s["site_code"] for s in body["sites"]] == [SITE_B]
    assert body["total"] == body["sites"][0]
    assert body["total"]["name"] == "Southfield Hospital"


def test_summary_the_day_before_counts_stays_in_local_days(client: TestClient) -> None:
    # Friday noon, census D6: in hospital S1, S2, S4 (A), S5, S6 (B; S6 leaves at 14:00).
    # LOS on 30 Oct: S1 20, S2 8, S4 10, S6 3, and S5 6 — admitted 00:30 BST on the 24th,
    # which is still the 23rd in UTC: counting UTC dates would make it 7.
    total = get(client, "/flow/summary", at=T2)["total"]
    assert (total["in_hospital"], total["nctr_in_hospital"]) == (5, 4)
    assert total["long_stays"] == {"los_7": 3, "los_14": 1, "los_21": 0}
    # S4's DRD is 30 Oct itself (0), S5 29 Oct (1), S2 27 Oct (3), S1 20 Oct (10)
    assert total["delay_bands"] == {
        "0": 1, "1": 1, "2-3": 1, "4-6": 0, "7-13": 1, "14-20": 0, "21+": 0,
    }  # fmt: skip
    assert total["waiting_by_pathway"]["p1"]["demand"] == 2  # S2, S4


def test_summary_reads_a_timestamp_without_offset_as_london_time(client: TestClient) -> None:
    # 17:15 on Sat 24 Oct is BST (16:15 UTC): S7 leaves at 17:30 BST, so is still in;
    # read as UTC (18:15 BST) it would have gone. Census D0: S7's DRD 24 Oct → NCtR.
    site_b = get(client, "/flow/summary", at="2026-10-24T17:15", site=SITE_B)["total"]
    assert (site_b["in_hospital"], site_b["nctr_in_hospital"]) == (2, 1)  # S5, S7


# --- /flow/nctr-daily -----------------------------------------------------------------------

NCTR_DAILY = [
    # date, discharged (by 17:00, after 17:00), remaining
    ("2026-10-24", 0, 1, 1),  # S7 17:30 BST: after 17:00 (16:30 UTC would say before)
    ("2026-10-25", 0, 0, 2),
    ("2026-10-26", 0, 0, 2),
    ("2026-10-27", 0, 0, 3),
    ("2026-10-28", 0, 1, 2),  # S3 18:30, discharged on its DRD
    ("2026-10-29", 0, 0, 3),
    ("2026-10-30", 0, 0, 4),  # S6 leaves, but had no DRD
    ("2026-10-31", 1, 0, 3),  # S2 11:00
    ("2026-11-01", 1, 0, 2),  # S4 16:00
    ("2026-11-02", 1, 0, 1),  # S5 08:00
]


def test_nctr_daily(client: TestClient) -> None:
    days = get(client, "/flow/nctr-daily", start=START, end=END)
    assert days == [
        {
            "date": day,
            "nctr": by + after + remaining,
            "discharged": by + after,
            "discharged_by_1700": by,
            "discharged_after_1700": after,
            "remaining": remaining,
            "partial": False,  # every day of the period is over
        }
        for day, by, after, remaining in NCTR_DAILY
    ]
    assert sum(d["remaining"] for d in days) == 23  # = the delayed days of the period


def test_nctr_daily_of_one_site(client: TestClient) -> None:
    days = get(client, "/flow/nctr-daily", start=START, end=END, site=SITE_A)
    assert [d["remaining"] for d in days] == [1, 2, 2, 3, 2, 2, 3, 2, 1, 1]
    assert [d["discharged"] for d in days] == [0, 0, 0, 0, 1, 0, 0, 1, 1, 0]  # S3, S2, S4


# --- /flow/delayed-days ---------------------------------------------------------------------

DELAYED_DAYS_GROUPS = {
    # S1 10 (24 Oct–2 Nov), S5 4 (29 Oct–1 Nov), S4 3 + 2, S2 2 + 2
    "reason": [
        ("P3_NURSING", "Awaiting nursing home placement (pathway 3)", 10),
        ("DI", "Residential home placement (historic DTOC DI)", 4),
        ("EQUIPMENT", "Awaiting community equipment or home adaptations", 3),
        ("ASSESS_SOCIAL", "Awaiting social care (Care Act) assessment", 2),
        ("P1_HOMECARE", "Awaiting availability of home care (pathway 1)", 2),
        (
            "P1_REABLEMENT",
            "Awaiting start of reablement / intermediate care at home (pathway 1)",
            2,
        ),
    ],
    # P3_NURSING → DII; DI → DI; P1_* → E (2 + 2); EQUIPMENT → F; ASSESS_SOCIAL → A
    "dtoc_code": [
        ("DII", "Nursing home placement (historic DTOC DII)", 10),
        ("DI", "Residential home placement (historic DTOC DI)", 4),
        ("E", "Care package in own home (historic DTOC E)", 4),
        ("F", "Community equipment / adaptations (historic DTOC F)", 3),
        ("A", "Completion of assessment (historic DTOC A)", 2),
    ],
    # catalogue defaults: P3_NURSING, EQUIPMENT, P1_REABLEMENT both (10 + 3 + 2);
    # P1_HOMECARE, ASSESS_SOCIAL, DI social care (2 + 2 + 4)
    "agency": [("both", "NHS and social care", 15), ("social_care", "Social care", 8)],
    # Derbyshire: S1 10 + S5 4; Derby: S2 4 + S4 5
    "local_authority": [("E10000007", "Derbyshire", 14), ("E06000015", "Derby", 9)],
    "site": [("RXA01", "Northgate General", 19), ("RXB01", "Southfield Hospital", 4)],
    # A1: S1 10 + S2 on the 27th 1 + S4 5; A2: S2 28–30; B1: S5
    "ward": [("RXA01/A1", "Ash", 16), ("RXB01/B1", "Cedar", 4), ("RXA01/A2", "Beech", 3)],
    "pathway": [("3", "Pathway 3", 14), ("1", "Pathway 1", 9)],
}


@pytest.mark.parametrize("group_by", sorted(DELAYED_DAYS_GROUPS))
def test_delayed_days_by(client: TestClient, group_by: str) -> None:
    body = get(client, "/flow/delayed-days", start=START, end=END, group_by=group_by)
    assert body["total"] == 23
    assert [(g["key"], g["label"], g["delayed_days"]) for g in body["groups"]] == (
        DELAYED_DAYS_GROUPS[group_by]
    )
    assert sum(g["share"] for g in body["groups"]) == approx(1.0)


def test_delayed_days_over_parts_of_the_period(client: TestClient) -> None:
    def total(start: str, end: str, **params: Any) -> int:
        return get(client, "/flow/delayed-days", start=start, end=end, **params)["total"]

    assert total(START, END) == 23
    assert get(client, "/flow/delayed-days", start=START, end=END)["groups"] == []
    # October (24th–31st): 1+2+2+3+2+3+4+3 = 20; November: 2 + 1
    assert (total("2026-10-24", "2026-10-31"), total("2026-11-01", "2026-11-02")) == (20, 3)
    assert total("2026-10-30", "2026-10-30") == 4
    assert total(START, END, site=SITE_B) == 4
    # S4's first period was recorded late: its three days count from the DRD of 25 Oct
    assert total("2026-10-25", "2026-10-27", site=SITE_A) == 2 + 2 + 3
    # before the first census, S1's DRD of 20 Oct reaches back: 20–23 Oct
    assert total("2026-10-01", "2026-10-23") == 4


# --- /flow/discharge-delays -----------------------------------------------------------------


def test_discharge_delays(client: TestClient) -> None:
    # discharges 24 Oct – 2 Nov and the DRD in force at discharge:
    #   S7 24 Oct, DRD 24 Oct → 0     S3 28 Oct, DRD 28 Oct → 0     S6 30 Oct, none → 0
    #   S2 31 Oct, DRD 27 Oct → 4     S4 1 Nov, DRD 30 Oct (the second period) → 2
    #   S5 2 Nov, DRD 29 Oct → 4 (across the month end)
    body = get(client, "/flow/discharge-delays", start=START, end=END)
    assert body["discharges"] == 6
    assert [(b["band"], b["count"], b["bed_days"]) for b in body["bands"]] == [
        ("0", 3, 0),
        ("1", 0, 0),
        ("2-3", 1, 2),
        ("4-6", 2, 8),
        ("7-13", 0, 0),
        ("14-20", 0, 0),
        ("21+", 0, 0),
    ]
    assert [b["share"] for b in body["bands"]] == approx([0.5, 0, 1 / 6, 1 / 3, 0, 0, 0])
    assert body["bed_days_lost"] == 10
    assert body["mean_delay_incl_zero"] == approx(10 / 6)
    assert body["mean_delay_excl_zero"] == approx(10 / 3)
    assert body["pct_same_day"] == 50.0
    assert body["pct_within_1_day"] == 50.0
    # November only: S4 (2) and S5 (4)
    november = get(client, "/flow/discharge-delays", start="2026-11-01", end="2026-11-30")
    assert (november["discharges"], november["bed_days_lost"]) == (2, 6)
    assert november["pct_within_1_day"] == 0.0


# --- /flow/red2green ------------------------------------------------------------------------


def counts(row: dict[str, Any]) -> tuple[int, int, int]:
    return row["red"], row["green"], row["not_recorded"]


def test_red2green_by_site(client: TestClient) -> None:
    # A: S1 10 r; S2 3 r 1 g 3 .; S3 1 g 1 .; S4 5 r 3 .; S8 1 r 1 g 2 .  → 19 r 3 g 9 .
    # B: S5 4 r 5 .; S6 1 g 2 .                                          →  4 r 1 g 7 .
    body = get(client, "/flow/red2green", start=START, end=END, group_by="site")
    assert counts(body["totals"]) == (23, 4, 16)
    assert body["totals"]["red_pct"] == approx(23 / 27 * 100)
    assert [(g["key"], counts(g), g["red_pct"]) for g in body["groups"]] == [
        ("RXA01", (19, 3, 9), approx(19 / 22 * 100)),
        ("RXB01", (4, 1, 7), 80.0),
    ]


def test_red2green_by_ward(client: TestClient) -> None:
    # A1: S1 10 r, S2 24–27 (1 r 3 .), S4 5 r 3 ., S8 1 r 1 g 2 .; A2: S2 28–30 (2 r 1 g), S3
    body = get(client, "/flow/red2green", start=START, end=END, group_by="ward")
    assert [(g["key"], g["label"], counts(g)) for g in body["groups"]] == [
        ("RXA01/A1", "Ash", (17, 1, 8)),
        ("RXB01/B1", "Cedar", (4, 1, 7)),
        ("RXA01/A2", "Beech", (2, 2, 1)),
    ]


def test_red2green_by_reason(client: TestClient) -> None:
    # a recorded status wins: S1's 30 Oct is red for INFECTION, S2's 28 Oct is green though
    # NCtR, S8's 1 Nov is red (DIAGNOSTICS) though not NCtR
    body = get(client, "/flow/red2green", start=START, end=END, group_by="reason")
    assert [(g["key"], counts(g)) for g in body["groups"]] == [
        ("P3_NURSING", (9, 0, 0)),
        ("DI", (4, 0, 0)),
        ("EQUIPMENT", (3, 0, 0)),
        ("ASSESS_SOCIAL", (2, 0, 0)),
        ("P1_REABLEMENT", (2, 0, 0)),
        ("DIAGNOSTICS", (1, 0, 0)),
        ("INFECTION", (1, 0, 0)),
        ("P1_HOMECARE", (1, 0, 0)),
        (None, (0, 4, 16)),
    ]
    assert counts(body["totals"]) == (23, 4, 16)


# --- by site and by ward --------------------------------------------------------------------


def test_by_ward(client: TestClient) -> None:
    body = get(client, "/flow/by-ward", site=SITE_A, start=START, end=END, at=T1)
    assert [
        (r["ward_code"], r["name"], r["occupancy"]["pct"], r["nctr_in_hospital"],
         r["delayed_days"], counts(r), r["red_pct"])
        for r in body["rows"]
    ] == [
        ("A1", "Ash", approx(21 / 22 * 100), 2, 16, (17, 1, 8), approx(17 / 18 * 100)),
        ("A2", "Beech", 90.0, 0, 3, (2, 2, 1), 50.0),
    ]  # fmt: skip


def test_by_site(client: TestClient) -> None:
    body = get(client, "/flow/by-site", start=START, end=END, at=T1)
    assert [
        (r["site_code"], r["occupancy"]["pct"], r["nctr_in_hospital"], r["delayed_days"],
         counts(r))
        for r in body["rows"]
    ] == [("RXA01", 93.75, 2, 19, (19, 3, 9)), ("RXB01", 96.0, 1, 4, (4, 1, 7))]  # fmt: skip


# --- capacity -------------------------------------------------------------------------------


def test_care_homes(client: TestClient) -> None:
    body = get(client, "/capacity/care-homes", at=T1)
    # Oak House residential 30/27/1/2 and nursing 20/18/0/2 (open); Elm Court nursing
    # 40/35/2/3 (closed to admissions); Willow Lodge 25/24/0/1 (its 31 Oct 10:00 snapshot)
    assert body["totals"] == {
        "homes": 3,
        "homes_accepting_admissions": 2,
        "max_capacity": 115,
        "occupied": 104,
        "vacant_reserved": 3,
        "vacant_accepting_admissions": 8,
        "beds_available": 5,  # Elm Court's 3 do not count
    }
    assert [(g["key"], g["vacant_accepting_admissions"], g["beds_available"])
            for g in body["by_care_type"]] == [
        ("residential", 2, 2), ("nursing", 5, 2), ("residential_dementia", 1, 1),
    ]  # fmt: skip
    assert [(g["key"], g["label"], g["beds_available"]) for g in body["by_council"]] == [
        ("E06000015", "Derby", 1),
        ("E10000007", "Derbyshire", 4),
    ]
    assert len(body["homes"]) == 4
    derby = get(client, "/capacity/care-homes", at=T1, local_authority=DERBY)
    assert [h["cqc_location_id"] for h in derby["homes"]] == ["1-103"]
    later = get(client, "/capacity/care-homes", at="2026-10-31T16:00:00Z")
    assert later["totals"]["beds_available"] == 4  # Willow Lodge full at 15:00


def test_domiciliary(client: TestClient) -> None:
    body = get(client, "/capacity/domiciliary", at=T1)
    assert body["totals"] == {
        "providers": 2,
        "hours_available_per_week": 75.0,
        "packages_startable_next_7_days": 4,
    }
    assert [(g["key"], g["hours_available_per_week"], g["packages_startable_next_7_days"])
            for g in body["by_council"]] == [
        ("E06000015", 60.0, 3), ("E10000007", 15.0, 1),
    ]  # fmt: skip
    # on 30 Oct CareCo's latest is still the 29 Oct snapshot: 10 hours, no package
    earlier = get(client, "/capacity/domiciliary", at="2026-10-30T12:00:00Z")
    assert earlier["totals"]["packages_startable_next_7_days"] == 3
    assert earlier["totals"]["hours_available_per_week"] == 70.0


def test_capacity_gaps(client: TestClient) -> None:
    body = get(client, "/capacity/gaps", at=T1)
    assert body["system"]["p1"] == {
        "demand": 1, "supply": 4, "gap": -3, "hours_available_per_week": 75.0,
    }  # fmt: skip
    assert body["system"]["p3"]["gap"] == -3
    derby, derbyshire = body["councils"]
    # Derby: S4 waits for P1 against Home Help's 3 packages; Willow Lodge has 1 bed
    assert (derby["local_authority_code"], derby["name"]) == ("E06000015", "Derby")
    assert derby["p1"] == {"demand": 1, "supply": 3, "gap": -2, "hours_available_per_week": 60.0}
    assert derby["p2"] == {"demand": 0, "supply": None, "gap": None}
    assert derby["p3"] == {
        "demand": 0, "supply": 1, "gap": -1, "supply_by_care_type": {"residential_dementia": 1},
    }  # fmt: skip
    # Derbyshire: S1 and S5 wait for P3 against Oak House's 4 beds (Elm Court is closed)
    assert derbyshire["p3"] == {
        "demand": 2, "supply": 4, "gap": -2,
        "supply_by_care_type": {"residential": 2, "nursing": 2},
    }  # fmt: skip
    assert derbyshire["p1"]["gap"] == -1


# --- patients -------------------------------------------------------------------------------


def test_delayed_patients(client: TestClient) -> None:
    body = get(client, "/patients/delayed", at=T1)
    assert body["count"] == 3
    assert body["as_of"] == "2026-10-31T09:00:00Z"
    s1, s5, s4 = body["patients"]  # longest past the DRD first
    assert s1 == {
        "spell_id": "S1",
        "local_patient_id": "P-S1",
        "site": "RXA01",
        "ward": "A1",
        "ward_name": "Ash",
        "age": 84,
        "admitted_at": "2026-10-10T13:00:00Z",  # 14:00 BST
        "length_of_stay": 21,
        "expected_discharge_date": "2026-10-17",
        "discharge_ready_date": "2026-10-20",
        "days_beyond_drd": 11,
        "pathway": 3,
        "delay_reason": {
            "code": "P3_NURSING",
            "label": "Awaiting nursing home placement (pathway 3)",
        },
        "agency": "both",
        "local_authority": "E10000007",
        "local_authority_name": "Derbyshire",
        "red_days": 12,  # 20–31 Oct, every one red (30 Oct recorded red)
        "site_name": "Northgate General",
        "internal_days": None,  # P3_NURSING is an external reason: no internal run
        "contributing_reasons": [],  # the scenario's feed has no contributing column
    }
    assert (s5["spell_id"], s5["days_beyond_drd"], s5["length_of_stay"], s5["red_days"]) == (
        "S5", 2, 7, 3,
    )  # fmt: skip
    assert s5["delay_reason"]["code"] == "DI" and s5["agency"] == "social_care"
    # S4: red on 25, 26, 27 (first period) and 30, 31 (second)
    assert (s4["spell_id"], s4["days_beyond_drd"], s4["discharge_ready_date"], s4["red_days"]) == (
        "S4", 1, "2026-10-30", 5,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("params", "spells"),
    [
        ({"site": SITE_A}, ["S1", "S4"]),
        ({"ward": "B1"}, ["S5"]),
        ({"pathway": 3}, ["S1", "S5"]),
        ({"reason": "DI"}, ["S5"]),
        ({"local_authority": DERBY}, ["S4"]),
        ({"agency": "both"}, ["S1", "S4"]),
        ({"agency": "nhs"}, []),
        ({"min_days": 2}, ["S1", "S5"]),
        ({"site": SITE_A, "min_days": 2}, ["S1"]),
    ],
)
def test_delayed_patients_filters(
    client: TestClient, params: dict[str, Any], spells: list[str]
) -> None:
    body = get(client, "/patients/delayed", at=T1, **params)
    assert [p["spell_id"] for p in body["patients"]] == spells


def journey_steps(client: TestClient, spell_id: str) -> list[tuple[str, str, str | None]]:
    events = get(client, f"/patients/{spell_id}/journey")["events"]
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    return [
        (e["date"], e["type"], e["new_value"])
        for e in events
        if e["type"] not in ("agency_changed", "council_changed", "edd_set")
    ]


def test_journey_of_a_ward_move_and_a_reason_change(client: TestClient) -> None:
    body = get(client, "/patients/S2/journey")
    assert body["spell"]["delayed_days"] == 4  # 27–30 Oct
    assert (body["spell"]["red_days"], body["spell"]["green_days"]) == (3, 1)
    assert body["spell"]["drd_at_discharge"] == "2026-10-27"
    assert journey_steps(client, "S2") == [
        ("2026-10-22", "admitted", "A1"),
        ("2026-10-22", "day_not_recorded", None),
        ("2026-10-23", "day_not_recorded", None),
        ("2026-10-24", "pathway_changed", "1"),  # the first census says pathway 1
        ("2026-10-24", "day_not_recorded", None),
        ("2026-10-25", "day_not_recorded", None),
        ("2026-10-26", "day_not_recorded", None),
        ("2026-10-27", "drd_set", "2026-10-27"),
        ("2026-10-27", "reason_changed", "P1_HOMECARE"),
        ("2026-10-27", "day_red", "P1_HOMECARE"),
        ("2026-10-28", "ward_changed", "A2"),
        ("2026-10-28", "day_green", None),
        ("2026-10-29", "reason_changed", "ASSESS_SOCIAL"),
        ("2026-10-29", "day_red", "ASSESS_SOCIAL"),
        ("2026-10-30", "day_red", "ASSESS_SOCIAL"),
        ("2026-10-31", "discharged", "usual_residence"),
    ]


def test_journey_of_a_late_drd_cleared_and_set_again(client: TestClient) -> None:
    steps = journey_steps(client, "S4")
    drd = [(day, kind, value) for day, kind, value in steps if kind.startswith("drd")]
    # recorded on the 26th for the 25th; cleared on the 28th; set again on the 30th
    assert drd == [
        ("2026-10-26", "drd_set", "2026-10-25"),
        ("2026-10-28", "drd_cleared", None),
        ("2026-10-30", "drd_set", "2026-10-30"),
    ]
    days = [(day, kind) for day, kind, _ in steps if kind.startswith("day_")]
    assert [kind for day, kind in days if day >= "2026-10-24"] == [
        "day_not_recorded",  # 24
        "day_red", "day_red", "day_red",  # 25–27: the late DRD reaches back to the 25th
        "day_not_recorded", "day_not_recorded",  # 28–29: cleared
        "day_red", "day_red",  # 30–31
    ]  # fmt: skip
    assert steps[-1] == ("2026-11-01", "discharged", "usual_residence")


def test_journey_of_an_unknown_spell_is_404(client: TestClient) -> None:
    response = client.get("/api/v1/patients/NOPE/journey")
    assert response.status_code == 404
    assert "NOPE" in response.json()["detail"]


# --- /trends/weekly -------------------------------------------------------------------------

# Weeks ending Sun 25 Oct and Sun 1 Nov. The first census is on 24 Oct, so a measure summed
# over a week has no value for the week of 19–25 Oct; one read at the end of Sunday does.
# Week of 26 Oct – 1 Nov: remaining 2+3+2+3+4+3+2 = 19; red 19 (S1 7, S2 3, S4 4, S5 4, S8 1)
# and green 4 (S2, S3, S6, S8); discharges S3 0, S6 0, S2 4, S4 2 days from DRD.
# At the end of Sunday: 25 Oct S1 (LOS 15) P3, S4 P1 (NCtR from the 25th); 1 Nov S1 (LOS 22)
# and S5 P3, no P1. Occupancy at the end of 1 Nov: (19 + 10 + 20) / (20 + 10 + 25); none
# before the first bed snapshot (30 Oct).
WEEKLY = {
    # emergency discharges 26 Oct – 1 Nov: S2 22 → 31 Oct (9 days), S4 20 Oct → 1 Nov (12);
    # S3 and S6 are elective, S7 left in the first (not wholly covered) week
    "overnight_emergency_los": [None, 10.5],
    "nctr_remaining": [None, approx(19 / 7)],
    "delayed_days": [None, 19.0],
    "pct_discharged_within_1_day": [None, 50.0],
    "super_stranded": [0.0, 1.0],
    "red_pct": [None, approx(19 / 23 * 100)],
    "ga_occupancy": [None, approx(49 / 55 * 100)],
    "p1_waiting": [1.0, 0.0],
    "p3_waiting": [1.0, 2.0],
    "discharges": [None, 4.0],
}


@pytest.mark.parametrize("metric", sorted(WEEKLY))
def test_weekly_trend(client: TestClient, metric: str) -> None:
    body = get(client, "/trends/weekly", metric=metric, weeks=2, end="2026-11-04")
    assert body["end"] == "2026-11-01"  # the Sunday on or before `end`
    assert [(p["week_start"], p["week_ending"]) for p in body["points"]] == [
        ("2026-10-19", "2026-10-25"),
        ("2026-10-26", "2026-11-01"),
    ]
    assert [p["value"] for p in body["points"]] == WEEKLY[metric]
    assert body["metric"]["slug"] == metric
    assert body["provisional"] is True  # fewer than 12 points


def test_weekly_trend_of_one_site(client: TestClient) -> None:
    body = get(client, "/trends/weekly", metric="delayed_days", weeks=2, end="2026-11-01",
               site=SITE_B)  # fmt: skip
    assert [p["value"] for p in body["points"]] == [None, 4.0]  # S5 29 Oct – Sun 1 Nov
    # with two values the XmR chart has limits: mean 1.5, mR̄ 1, limits 1.5 ± 2.66
    body = get(client, "/trends/weekly", metric="p3_waiting", weeks=2, end="2026-11-01")
    assert (body["mean"], body["upper_limit"]) == (1.5, approx(1.5 + 2.66))
    assert body["variation_icon"] == "common_cause"


def test_pathway_targets_and_contributing_reasons(client: TestClient) -> None:
    trends = get(client, "/trends/pathway-targets", weeks=2, end="2026-11-01")
    values = {t["metric"]["slug"]: [p["value"] for p in t["points"]] for t in trends}
    # week 26 Oct – 1 Nov, pathway 1: S2 DRD 27 Oct → 31 Oct (4 days), S4 DRD 30 Oct → 1 Nov
    # (2): mean 3.0, none within a day. S7 (P2, 24 Oct) is in the week the data does not
    # wholly cover; S5 (P3) leaves on 2 Nov, the week after.
    assert values == {
        "pathway_target_p1_mean_delay": [None, 3.0],
        "pathway_target_p1_within_1_day": [None, 0.0],
        "pathway_target_p2_mean_delay": [None, None],
        "pathway_target_p3_mean_delay": [None, None],
    }
    assert trends[0]["metric"]["target"] == 2.0
    # the scenario's feed has no contributing reasons: none, beside the 23 delayed days (§4.3)
    body = get(client, "/flow/contributing-reasons", start="2026-10-24", end="2026-11-02")
    assert (body["delayed_days"], body["reasons"]) == (23, [])


def test_metric_registry(client: TestClient) -> None:
    metrics = get(client, "/metrics")
    assert [m["slug"] for m in metrics] == [
        "nctr_remaining",
        "delayed_days",
        "pct_discharged_within_1_day",
        "super_stranded",
        "red_pct",
        "ga_occupancy",
        "p1_waiting",
        "p3_waiting",
        "discharges",
        "nctr_in_hospital",
        "nctr_discharged_today",
        "stays_7_plus",
        "p2_waiting",
        "community_beds_free",
        "community_occupancy",
        # the High Impact Change Model's evidence (app/metrics/hicm.toml)
        "edd_within_2_days",
        "pathway_0_1_pct",
        "weekend_discharge_rate",
        "assessment_delayed_days",
        "choice_delayed_days",
        "p3_delayed_days",
        "care_home_vacancies",
        "housing_delayed_days",
        # NHS England's 2025/26 asks (DESIGN §4.11)
        "overnight_emergency_los",
        "internal_delay_over_48h",
        "beyond_drd_21_in_hospital",
        "beyond_drd_21_discharge_pct",
    ]
    assert all(m["direction"] in ("increase", "decrease", "neutral") for m in metrics)
    assert all(m["definition"] and m["label"] and m["unit"] for m in metrics)
