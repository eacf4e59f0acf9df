"""One implementation per number: the weekly "end of Sunday" value of super-stranded, waiting by
pathway, G&A occupancy and P3 supply is the point-in-time value at the end of that Sunday, and
both are the numbers worked out by hand below.

A small system loaded through the real ingest path: one acute site RXA01 with G&A wards A1, A2
and a community ward CW; councils Derby and Derbyshire. November 2026 is GMT throughout (the
clocks went back on 25 Oct), so local time is UTC. Censuses at 09:00 on Sun 15 Nov (C1) and
Sun 22 Nov (C2); the Sundays asked about are S15 = 15 Nov and S22 = 22 Nov.

    P1  admitted Sat 17 Oct 10:00 (BST), never ready; discharged Fri 20 Nov 10:00.
    P2  admitted Wed 28 Oct 12:00; DRD 14 Nov, pathway 1, on both censuses.
    P3  admitted Sun 25 Oct 23:30 (GMT); DRD 10 Nov, pathway 3; discharged Wed 18 Nov 11:00.
    P4  admitted Thu 12 Nov 08:00; DRD 13 Nov, pathway 3, on C1; cleared by C2.
    P5  admitted Fri 20 Nov 14:00; first seen on C2 with a DRD of 21 Nov, pathway 1.

No DRD is recorded late for a Sunday, and nobody is admitted on a Sunday after its census:
those are the two cases where the figure as in force that day (the weekly series, from
``spell_days``) and the figure as the feeds had said it by then (the point-in-time one) differ
by design (docs/metrics.md, "Conventions").
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.db import reset_caches
from app.domain.days import day_end
from app.metrics import capacity, flow, weekly
from app.metrics.registry import get_metric
from ingest.loader import load_batch
from ingest.registry import load_reference_dir

SITE = "RXA01"
DERBY, DERBYSHIRE = "E06000015", "E10000007"
S15, S22 = date(2026, 11, 15), date(2026, 11, 22)
SUNDAYS = [S15, S22]

PATIENT_COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)
REASON = {1: "P1_HOMECARE", 3: "P3_NURSING"}


def _patient(
    census: str,
    spell: str,
    admitted: str,
    *,
    pathway: int,
    drd: str = "",
    discharged: str = "",
) -> str:
    reason = REASON[pathway] if drd else ""
    destination = "usual_residence" if discharged else ""
    return (
        f"{census},{SITE},A1,{spell},L-{spell},,80,{admitted},emergency,,{drd},{pathway},"
        f"{reason},,{DERBY},,,{discharged},{destination}"
    )


C1 = "2026-11-15T09:00:00"
C2 = "2026-11-22T09:00:00"
CENSUSES = [
    [
        _patient(C1, "P1", "2026-10-17T10:00:00", pathway=0),
        _patient(C1, "P2", "2026-10-28T12:00:00", pathway=1, drd="2026-11-14"),
        _patient(C1, "P3", "2026-10-25T23:30:00", pathway=3, drd="2026-11-10"),
        _patient(C1, "P4", "2026-11-12T08:00:00", pathway=3, drd="2026-11-13"),
    ],
    [
        _patient(C2, "P1", "2026-10-17T10:00:00", pathway=0, discharged="2026-11-20T10:00:00"),
        _patient(C2, "P2", "2026-10-28T12:00:00", pathway=1, drd="2026-11-14"),
        _patient(
            C2,
            "P3",
            "2026-10-25T23:30:00",
            pathway=3,
            drd="2026-11-10",
            discharged="2026-11-18T11:00:00",
        ),
        _patient(C2, "P4", "2026-11-12T08:00:00", pathway=3),
        _patient(C2, "P5", "2026-11-20T14:00:00", pathway=1, drd="2026-11-21"),
    ],
]

BEDS_COLUMNS = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,escalation_beds_open,"
    "beds_occupied,beds_closed"
)
# (snapshot_at, ward, name, bed base, core, escalation, occupied), one delivery each
BED_SNAPSHOTS = [
    ("2026-11-12T08:00:00Z", "A2", "Beech", "general_acute", 10, 0, 9),
    ("2026-11-14T10:00:00Z", "A1", "Ash", "general_acute", 20, 0, 18),
    ("2026-11-14T10:00:00Z", "CW", "Community", "community", 12, 0, 9),
    ("2026-11-15T23:00:00Z", "A1", "Ash", "general_acute", 20, 2, 21),
    ("2026-11-16T01:00:00Z", "A1", "Ash", "general_acute", 20, 0, 10),  # after S15 ends
    ("2026-11-21T12:00:00Z", "A1", "Ash", "general_acute", 20, 0, 16),
]

CARE_HOMES_COLUMNS = (
    "snapshot_at,cqc_location_id,home_name,local_authority_code,care_type,max_capacity,"
    "occupied,vacant_reserved,vacant_accepting_admissions,accepting_admissions"
)
# (snapshot_at, home, name, council, care type, vacancies accepting admissions, accepting)
CARE_HOME_SNAPSHOTS = [
    ("2026-11-13T10:00:00Z", "1-201", "Oak House", DERBY, "residential", 3, "true"),
    ("2026-11-13T10:00:00Z", "1-201", "Oak House", DERBY, "nursing", 2, "true"),
    ("2026-11-13T10:00:00Z", "1-202", "Elm Court", DERBYSHIRE, "nursing", 4, "false"),
    ("2026-11-16T00:30:00Z", "1-203", "Willow Lodge", DERBY, "residential_dementia", 5, "true"),
    ("2026-11-21T10:00:00Z", "1-201", "Oak House", DERBY, "residential", 1, "true"),
    ("2026-11-21T10:00:00Z", "1-202", "Elm Court", DERBYSHIRE, "nursing", 2, "true"),
]


def _deliveries() -> list[tuple[str, bytes]]:
    out = [
        ("beds", f"{BEDS_COLUMNS}\n{at},{SITE},{ward},{name},{base},{c},{e},{o},0\n".encode())
        for at, ward, name, base, c, e, o in BED_SNAPSHOTS
    ]
    out += [
        (
            "care_homes",
            f"{CARE_HOMES_COLUMNS}\n{at},{home},{name},{la},{kind},30,20,0,{free},{open_}\n".encode(),
        )
        for at, home, name, la, kind, free, open_ in CARE_HOME_SNAPSHOTS
    ]
    out += [
        ("patients", ("\n".join([PATIENT_COLUMNS, *rows]) + "\n").encode()) for rows in CENSUSES
    ]
    return out


REFERENCE = {
    "sites.csv": (
        "site_code,site_name,trust_code,trust_name,kind\n"
        f"{SITE},Northgate General,RXA,Northgate Trust,acute\n"
    ),
    "councils.csv": f"local_authority_code,name\n{DERBY},Derby\n{DERBYSHIRE},Derbyshire\n",
}


@pytest.fixture
def system(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    """The scenario, loaded delivery by delivery; each must load whole."""
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    reset_caches()
    reference = tmp_path / "reference"
    reference.mkdir()
    for name, text in REFERENCE.items():
        (reference / name).write_text(text)
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    loaded = [
        (feed, load_batch(feed, body, fmt="csv", engine=engine)) for feed, body in _deliveries()
    ]
    assert [(f, s.status, s.rows_quarantined) for f, s in loaded] == [
        (f, "succeeded", 0) for f, _ in loaded
    ]
    return engine


def end_of(sunday: date) -> datetime:
    """The last instant of a Sunday: what "at the end of Sunday" reads."""
    return day_end(sunday) - timedelta(microseconds=1)


def test_weekly_values_are_the_point_in_time_values_at_the_end_of_sunday(
    system: Engine,
) -> None:
    with Session(system) as session:
        now = {sunday: flow.summary(session, at=end_of(sunday)).total for sunday in SUNDAYS}
        homes = {sunday: capacity.care_homes(session, at=end_of(sunday)) for sunday in SUNDAYS}

        def series(slug: str) -> list[float | None]:
            return get_metric(slug).weekly(session, SUNDAYS, None)

        # Super-stranded: LOS ≥ 21 on day D ⇔ admitted before the start of D − 20.
        #   S15 (before 26 Oct 00:00): P1 (17 Oct), P3 (25 Oct 23:30, LOS 21); P2 (28 Oct)
        #       is at 18 days, P4 at 3 → 2.
        #   S22 (before 2 Nov): P2 (LOS 25); P1 and P3 have gone, P4 and P5 are new → 1.
        assert series("super_stranded") == [2.0, 1.0]
        assert [now[s].long_stays.los_21 for s in SUNDAYS] == [2, 1]

        # Waiting (NCtR, by pathway):
        #   S15: pathway 1 P2 (DRD 14 Nov); pathway 3 P3 (DRD 10 Nov), P4 (DRD 13 Nov).
        #   S22: pathway 1 P2, P5 (DRD 21 Nov); pathway 3 none (P3 gone, P4's DRD cleared).
        assert series("p1_waiting") == [1.0, 2.0]
        assert series("p3_waiting") == [2.0, 0.0]
        waits = [now[s].waiting_by_pathway for s in SUNDAYS]
        assert [w.p1.demand for w in waits] == [1, 2]
        assert [w.p3.demand for w in waits] == [2, 0]

        # G&A occupancy from each ward's latest snapshot at or before the end of Sunday (CW is
        # community, not G&A):
        #   S15: A1 15 Nov 23:00 21 of 20 + 2 (its 16 Nov 01:00 snapshot is after), A2 12 Nov
        #        9 of 10 → 30 / 32 = 93.75 %.
        #   S22: A1 21 Nov 16 of 20, A2 9 of 10 → 25 / 30.
        assert series("ga_occupancy") == [93.75, pytest.approx(25 / 30 * 100)]
        assert [now[s].occupancy.pct for s in SUNDAYS] == [93.75, pytest.approx(25 / 30 * 100)]
        assert (now[S15].occupancy.occupied, now[S15].occupancy.core_open) == (30, 30)

        # P3 supply: vacancies accepting admissions in homes accepting admissions, each home's
        # latest snapshot per care type:
        #   S15: Oak House residential 3 + nursing 2; Elm Court is closed (its 4 do not count);
        #        Willow Lodge's first snapshot is on 16 Nov → 5.
        #   S22: Oak House 1 + 2, Elm Court now open 2, Willow Lodge 5 → 10.
        assert weekly.weekly_p3_supply(session, SUNDAYS, None) == [5.0, 10.0]
        assert [w.p3.supply for w in waits] == [5, 10]
        assert [homes[s].totals.beds_available for s in SUNDAYS] == [5, 10]
        # ... and the same rule by care type (S22: nursing Oak House 2 + Elm Court 2) and by
        # council (Derby: Oak House 3, Willow Lodge 5; Derbyshire: Elm Court 2)
        assert waits[1].p3.supply_by_care_type == {
            "residential": 1,
            "nursing": 4,
            "residential_dementia": 5,
        }
        by_council = {g.key: g.beds_available for g in homes[S22].by_council}
        assert by_council == {DERBY: 8, DERBYSHIRE: 2}
        gaps = {
            c.local_authority_code: c.p3 for c in capacity.gaps(session, at=end_of(S22)).councils
        }
        assert (gaps[DERBY].supply, gaps[DERBYSHIRE].supply) == (8, 2)


def test_a_site_has_the_same_end_of_sunday_values(system: Engine) -> None:
    with Session(system) as session:
        site_now = [flow.summary(session, at=end_of(s), site=SITE).total for s in SUNDAYS]
        # one site holds every patient and ward: the numbers above, and no P3 supply of its own
        assert get_metric("super_stranded").weekly(session, SUNDAYS, SITE) == [2.0, 1.0]
        assert [a.long_stays.los_21 for a in site_now] == [2, 1]
        assert get_metric("p1_waiting").weekly(session, SUNDAYS, SITE) == [1.0, 2.0]
        assert [a.waiting_by_pathway.p1.demand for a in site_now] == [1, 2]
        assert get_metric("ga_occupancy").weekly(session, SUNDAYS, SITE)[0] == 93.75
        assert site_now[0].occupancy.pct == 93.75
        assert weekly.weekly_p3_supply(session, SUNDAYS, SITE) == [None, None]
        assert site_now[0].waiting_by_pathway.p3.supply is None
