"""NHS England's 2025/26 discharge asks (DESIGN.md §4.11): internal delays over 48 hours and the
21+ days beyond DRD cohort, over a small system worked out by hand below; both databases.

One acute site RXA01, ward A1; November 2026 is GMT, so local time is UTC. Daily censuses at
09:00 from Mon 16 Nov to Sun 22 Nov (C16 … C22), then one on Sun 29 Nov (C29). Internal
reasons (catalogue 2025.1): DIAGNOSTICS, TTO, MEDICAL_DECISION, TRANSPORT, THERAPY; external:
P1_HOMECARE, P3_NURSING, P3_RESIDENTIAL, P2_BED, CHOICE.

The internal delays — a day counts under the reason it ends with (the census of that day, or the
latest before it):

    day          16   17   18   19   20   21   22   23…28  29
    M  (Derby)   .    Di   Di   Di   Di   Di   Di   Di     (discharged 25 Nov 10:00)
    W  (Derby)   Tt   Tt   P1   Md   Md   Tr   Tr   Tr     P1      reason switches
    C  (Dshire)  Th   Th   .    Th   Th   Th   Th   Th     Th      DRD cleared by C18, set
                                                                  again by C19 (DRD 19 Nov)
    (Di DIAGNOSTICS, Tt TTO, Md MEDICAL_DECISION, Tr TRANSPORT, Th THERAPY — internal;
     P1 P1_HOMECARE — external; "." not a delayed day)

  M's DRD is 17 Nov (NCtR from 00:00 on the 17th), first sent by C17:
    T = Wed 18 Nov 23:00 (47 hours): run back from the 17th = 1 day → not over 48 hours;
    T = Thu 19 Nov 01:00 (49 hours): run back from the 18th = 18, 17 = 2 days → over.
  W at T = 18 Nov 08:00 (C17 in force: TTO): run 17, 16 = 2 → over;
    at 18 Nov 12:00 (C18: P1_HOMECARE, external) → not, though the two days before were
    internal; at 19 Nov 12:00 (Md) run from the 18th: 18 ended external → 0 → not;
    20 Nov 12:00: 19 → 1 → not; 21 Nov 12:00: 20, 19 → 2 → over;
    22 Nov 12:00: 21, 20, 19 (Md → Tr is internal to internal) → 3.
  C at 18 Nov 08:00 (C17: THERAPY): 17, 16 → 2 → over; 18 Nov 12:00 (cleared) → not NCtR;
    20 Nov 12:00: 19, then the 18th is no delayed day → 1 → not; 21 Nov 12:00: 20, 19 → 2;
    22 Nov 12:00: 21, 20, 19 → 3.
  At 22 Nov 12:00: M (17–21: 5), C (3), W (3) — three, longest first, ties by spell id.
  End of Sunday 22 Nov (weekly): each of M, W, C ends the 22nd, 21st and 20th internal → 3.
  End of Sunday 29 Nov: M discharged; W's 29th ends P1_HOMECARE (external) → not; C's 29th,
    28th, 27th end THERAPY → 1.

The 21+ cohort (time beyond DRD, §4.4):

    S1  DRD 20 Oct, P3_NURSING, in throughout    end of 22 Nov: 33 days; end of 29 Nov: 40
    S3  DRD  1 Nov, P3_NURSING, in throughout    end of 21 Nov: 20; 22 Nov: 21 (counted); 29: 28
    D1  DRD 28 Oct, P3_RESIDENTIAL, discharged Tue 24 Nov 11:00   22 Nov: 25 (in hospital)
    D2  DRD  3 Nov, P2_BED,         discharged Thu 26 Nov 15:00   22 Nov: 19
    D4  DRD  6 Nov, P3_NURSING,     discharged Fri 27 Nov 12:00   22 Nov: 16
    D5  DRD  7 Nov, P3_NURSING,     discharged Fri 27 Nov 14:00   22 Nov: 15
    D6  DRD 25 Oct, P3_NURSING,     discharged Thu 19 Nov 15:00
    D7  admitted 18 Nov; DRD 20 Nov (C20, CHOICE); discharged Fri 20 Nov 16:00
    D8  admitted 17 Nov, never ready; discharged Fri 20 Nov 18:00
    D3  admitted 20 Nov, never ready; discharged Fri 27 Nov 12:00
    (M, W, C: DRDs of 16–19 Nov, never near 21 days)

  In hospital 21+ at the end of Sun 22 Nov: S1, D1, S3 = 3; at the end of Sun 29 Nov: S1, S3 = 2.
  At Sat 21 Nov 12:00: S1 (32), D1 (24), S3 (20: not yet) = 2.
  Discharges 16–22 Nov: D6 (19 Nov − 25 Oct = 25 days), D7 (0), D8 (no DRD: 0) = 3; 21+: D6
    → 1 of 3, bed days lost 25.
  Discharges 23–29 Nov: D1 (24 Nov − 28 Oct = 27), D2 (26 Nov − 3 Nov = 23), D4 (27 Nov −
    6 Nov = 21), D5 (27 Nov − 7 Nov = 20), M (25 Nov − 17 Nov = 8), D3 (0) = 6; 21+: D1, D2,
    D4 = 3 → share 3/6 = 0.5, bed days lost 27 + 23 + 21 = 71.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.core.db import reset_caches
from app.domain.discharge_asks import internal_run
from app.domain.reason_catalogue import CatalogueError, reason_catalogue
from app.domain.scopes import Scope
from app.metrics import discharge_asks
from app.metrics.registry import get_metric
from ingest.loader import load_batch
from ingest.reference import sync_reason_catalogue
from ingest.registry import load_reference_dir
from models import DelayReason
from tests.security_helpers import build_secure_app, fast_password_hashing, sign_in

__all__ = ["fast_password_hashing"]

SITE = "RXA01"
DERBY, DERBYSHIRE = "E06000015", "E10000007"
PATIENT_COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)
CENSUS_DAYS = [date(2026, 11, d) for d in range(16, 23)] + [date(2026, 11, 29)]
S22, S29 = date(2026, 11, 22), date(2026, 11, 29)


@dataclass
class Stay:
    spell_id: str
    admitted_at: str
    #: census day → (DRD, reason) from that census on ("" DRD: not ready)
    states: dict[int, tuple[str, str]]
    discharged_at: str | None = None
    la: str = DERBY


STAYS = [
    Stay(
        "M",
        "2026-11-14T10:00:00",
        {16: ("", ""), 17: ("2026-11-17", "DIAGNOSTICS")},
        "2026-11-25T10:00:00",
    ),
    Stay(
        "W",
        "2026-11-10T10:00:00",
        {
            16: ("2026-11-16", "TTO"),
            18: ("2026-11-16", "P1_HOMECARE"),
            19: ("2026-11-16", "MEDICAL_DECISION"),
            21: ("2026-11-16", "TRANSPORT"),
            29: ("2026-11-16", "P1_HOMECARE"),
        },
    ),
    Stay(
        "C",
        "2026-11-10T10:00:00",
        {16: ("2026-11-16", "THERAPY"), 18: ("", ""), 19: ("2026-11-19", "THERAPY")},
        la=DERBYSHIRE,
    ),
    Stay("S1", "2026-10-01T10:00:00", {16: ("2026-10-20", "P3_NURSING")}),
    Stay("S3", "2026-10-20T10:00:00", {16: ("2026-11-01", "P3_NURSING")}),
    Stay(
        "D1", "2026-10-20T10:00:00", {16: ("2026-10-28", "P3_RESIDENTIAL")}, "2026-11-24T11:00:00"
    ),
    Stay("D2", "2026-11-01T10:00:00", {16: ("2026-11-03", "P2_BED")}, "2026-11-26T15:00:00"),
    Stay("D4", "2026-11-02T10:00:00", {16: ("2026-11-06", "P3_NURSING")}, "2026-11-27T12:00:00"),
    Stay("D5", "2026-11-02T10:00:00", {16: ("2026-11-07", "P3_NURSING")}, "2026-11-27T14:00:00"),
    Stay("D6", "2026-10-15T10:00:00", {16: ("2026-10-25", "P3_NURSING")}, "2026-11-19T15:00:00"),
    Stay(
        "D7",
        "2026-11-18T10:00:00",
        {19: ("", ""), 20: ("2026-11-20", "CHOICE")},
        "2026-11-20T16:00:00",
    ),
    Stay("D8", "2026-11-17T12:00:00", {16: ("", "")}, "2026-11-20T18:00:00"),
    Stay("D3", "2026-11-20T10:00:00", {16: ("", "")}, "2026-11-27T12:00:00"),
]


def _state(stay: Stay, day: date) -> tuple[str, str]:
    found = ("", "")
    for start in sorted(stay.states):
        if start <= day.day:
            found = stay.states[start]
    return found


def _row(stay: Stay, census: datetime, day: date, *, discharged: bool) -> str:
    drd, reason = _state(stay, day)
    pathway = "" if not drd else ("1" if reason.startswith("P1") else "3")
    return ",".join(
        [
            census.isoformat(),
            SITE,
            "A1",
            stay.spell_id,
            f"L-{stay.spell_id}",
            "",
            "80",
            stay.admitted_at,
            "emergency",
            "",
            drd,
            pathway,
            reason,
            "",  # the agency responsible: the catalogue's default
            stay.la,
            "",
            "",
            stay.discharged_at if discharged else "",
            "usual_residence" if discharged else "",
        ]
    )


def _census(index: int) -> bytes:
    day = CENSUS_DAYS[index]
    at = datetime(day.year, day.month, day.day, 9, 0)
    previous = None
    if index:
        before = CENSUS_DAYS[index - 1]
        previous = datetime(before.year, before.month, before.day, 9, 0)
    lines = [PATIENT_COLUMNS]
    for stay in STAYS:
        if datetime.fromisoformat(stay.admitted_at) > at:
            continue
        out = datetime.fromisoformat(stay.discharged_at) if stay.discharged_at else None
        if out is None or out > at:
            lines.append(_row(stay, at, day, discharged=False))
        elif previous is not None and previous < out <= at:
            lines.append(_row(stay, at, day, discharged=True))
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def asks(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    reset_caches()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        "RXA01,Northgate General,RXA,Northgate Trust,acute\n"
    )
    (reference / "councils.csv").write_text(
        f"local_authority_code,name\n{DERBY},Derby\n{DERBYSHIRE},Derbyshire\n"
    )
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    for index in range(len(CENSUS_DAYS)):
        summary = load_batch("patients", _census(index), fmt="csv", engine=engine)
        assert (summary.status, summary.rows_quarantined) == ("succeeded", 0), summary
    return engine


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)  # November: local time is UTC


def over_48h(session: Session, at: str, **kwargs: object) -> list[tuple[str, int]]:
    found = discharge_asks.internal_delays(session, at=utc(at), **kwargs)  # type: ignore[arg-type]
    assert found.count == len(found.patients)
    return [(p.spell_id, p.internal_days) for p in found.patients]


# --- the rule itself ------------------------------------------------------------------------


def test_internal_run_counts_back_from_the_day_before() -> None:
    d = date(2026, 11, 20)
    assert internal_run(set(), d) == 0
    assert internal_run({d}, d) == 0  # the day of T itself never counts
    assert internal_run({d - timedelta(days=1), d - timedelta(days=2)}, d) == 2
    # a gap (a day not delayed, or ended external) stops it
    assert internal_run({d - timedelta(days=1), d - timedelta(days=3)}, d) == 1


def test_the_catalogue_says_which_delays_are_internal_and_why() -> None:
    catalogue = reason_catalogue()
    internal = {code for code, r in catalogue.items() if r.internal}
    # DESIGN §5: a medical decision or review, diagnostics, medicines to take home, transport,
    # the discharge summary, an internal assessment; and no reason recorded at all
    assert internal == {
        "MEDICAL_DECISION",
        "DIAGNOSTICS",
        "THERAPY",
        "SPECIALIST_REVIEW",
        "TRANSPORT",
        "TTO",
        "NO_REASON",
    }
    assert all(r.internal_why for r in catalogue.values())
    # the historic DTOC codes are all external; the flag is a version of its own
    assert not any(catalogue[c].internal for c in "ABCEFGHIO")
    assert {r.catalogue_version for r in catalogue.values()} == {"2025.1"}


def test_a_change_of_flag_must_be_a_new_version(session: Session) -> None:
    stored = session.scalar(select(DelayReason).where(DelayReason.code == "TRANSPORT"))
    assert stored is not None and stored.internal is True
    stored.internal = False  # as if the store held TRANSPORT external under 2025.1
    session.flush()
    with pytest.raises(CatalogueError, match="TRANSPORT: the internal flag changed"):
        sync_reason_catalogue(session)
    session.rollback()
    stored = session.scalar(select(DelayReason).where(DelayReason.code == "TRANSPORT"))
    assert stored is not None
    stored.internal, stored.catalogue_version = False, "2024.1"  # an older version: updated
    session.flush()
    assert sync_reason_catalogue(session) == 1
    assert stored.internal is True and stored.catalogue_version == "2025.1"
    session.rollback()


# --- internal delays over 48 hours ---------------------------------------------------------


def test_crossing_midnight_at_47_and_49_hours(asks: Engine) -> None:
    with Session(asks) as session:
        assert ("M", 1) not in over_48h(session, "2026-11-18T23:00:00")
        assert "M" not in dict(over_48h(session, "2026-11-18T23:00:00"))
        assert dict(over_48h(session, "2026-11-19T01:00:00"))["M"] == 2


def test_a_delay_switching_between_internal_and_external(asks: Engine) -> None:
    with Session(asks) as session:
        assert dict(over_48h(session, "2026-11-18T08:00:00")).get("W") == 2
        for at in ("2026-11-18T12:00:00", "2026-11-19T12:00:00", "2026-11-20T12:00:00"):
            assert "W" not in dict(over_48h(session, at)), at
        assert dict(over_48h(session, "2026-11-21T12:00:00")).get("W") == 2
        assert dict(over_48h(session, "2026-11-22T12:00:00")).get("W") == 3


def test_a_delay_cleared_and_set_again(asks: Engine) -> None:
    with Session(asks) as session:
        assert dict(over_48h(session, "2026-11-18T08:00:00")).get("C") == 2
        for at in ("2026-11-18T12:00:00", "2026-11-19T12:00:00", "2026-11-20T12:00:00"):
            assert "C" not in dict(over_48h(session, at)), at
        assert dict(over_48h(session, "2026-11-21T12:00:00")).get("C") == 2
        assert dict(over_48h(session, "2026-11-22T12:00:00")).get("C") == 3


def test_the_list_gives_reason_run_and_who_must_act_within_the_scope(asks: Engine) -> None:
    with Session(asks) as session:
        found = discharge_asks.internal_delays(session, at=utc("2026-11-22T12:00:00"))
        rows = [
            (p.spell_id, p.delay_reason.code if p.delay_reason else None, p.internal_days, p.agency)
            for p in found.patients
        ]
        assert rows == [
            ("M", "DIAGNOSTICS", 5, "nhs"),
            ("C", "THERAPY", 3, "nhs"),
            ("W", "TRANSPORT", 3, "nhs"),
        ]
        assert found.patients[0].days_beyond_drd == 5  # 22 Nov − 17 Nov
        # a Derby coordinator does not see C, a Derbyshire resident
        derby = Scope("council", (DERBY,))
        assert over_48h(session, "2026-11-22T12:00:00", scope=derby) == [("M", 5), ("W", 3)]
        assert over_48h(session, "2026-11-22T12:00:00", local_authority=DERBYSHIRE) == [("C", 3)]
        # the count (aggregates, never scoped)
        counts = discharge_asks.discharge_asks(session, at=utc("2026-11-22T12:00:00"))
        assert counts.internal_over_48h == 3 and counts.internal_over_48h_target == 0


def test_the_coordinator_grid_filters_to_the_internal_delays(asks: Engine) -> None:
    from app.metrics import patient_level

    with Session(asks) as session:
        at = utc("2026-11-22T12:00:00")
        held = patient_level.delayed(session, at=at, internal_over_48h=True)
        # longest past DRD first, as the grid always is: W (16 Nov: 6), M (17 Nov: 5), C (3)
        assert [(p.spell_id, p.days_beyond_drd) for p in held.patients] == [
            ("W", 6),
            ("M", 5),
            ("C", 3),
        ]
        # at noon on the 18th W is external and C cleared: nobody
        assert (
            patient_level.delayed(
                session, at=utc("2026-11-18T12:00:00"), internal_over_48h=True
            ).count
            == 0
        )
        # every internal delay carries its run; others none: at noon on the 20th W's run is 1
        # (19th; the 18th ended external), C's 1 (19th; the 18th not delayed), M's 3
        runs = {
            p.spell_id: p.internal_days
            for p in patient_level.delayed(session, at=utc("2026-11-20T12:00:00")).patients
        }
        assert runs == {
            "W": 1,
            "C": 1,
            "M": 3,
            "S1": None,
            "S3": None,
            "D1": None,
            "D2": None,
            "D4": None,
            "D5": None,
            "D7": None,
        }
        # the 21+ preset is the minimum days filter at 21: S1 (33), D1 (25), S3 (21)
        beyond = patient_level.delayed(session, at=at, min_days=21)
        assert [p.spell_id for p in beyond.patients] == ["S1", "D1", "S3"]


def test_weekly_internal_count_at_the_end_of_each_sunday(asks: Engine) -> None:
    metric = get_metric("internal_delay_over_48h")
    assert (metric.target, metric.direction) == (0.0, "decrease")
    with Session(asks) as session:
        assert metric.weekly(session, [S22, S29], None) == [3.0, 1.0]
        # before the first census: no value rather than a zero
        assert metric.weekly(session, [date(2026, 11, 15), S22], None) == [None, 3.0]


# --- 21+ days beyond DRD --------------------------------------------------------------------


def test_beyond_21_days_in_hospital_and_at_discharge(asks: Engine) -> None:
    with Session(asks) as session:
        week1 = discharge_asks.discharge_asks(
            session, at=utc("2026-11-21T12:00:00"), start=date(2026, 11, 16), end=S22
        ).beyond_drd_21
        assert week1.in_hospital == 2  # S1, D1; S3 is at 20 days
        assert (week1.discharges, week1.all_discharges, week1.bed_days_lost) == (1, 3, 25)
        assert week1.share == pytest.approx(1 / 3)
        week2 = discharge_asks.discharge_asks(
            session, at=utc("2026-11-22T12:00:00"), start=date(2026, 11, 23), end=S29
        ).beyond_drd_21
        assert week2.in_hospital == 3  # S1, D1, S3 (21 days exactly)
        assert (week2.discharges, week2.all_discharges, week2.bed_days_lost) == (3, 6, 71)
        assert week2.share == 0.5
        in_hospital = get_metric("beyond_drd_21_in_hospital").weekly(session, [S22, S29], None)
        assert in_hospital == [3.0, 2.0]
        share = get_metric("beyond_drd_21_discharge_pct").weekly(session, [S22, S29], None)
        assert share == [pytest.approx(100 / 3), 50.0]


def test_the_api_serves_the_counts_to_all_and_the_list_to_coordinators(asks: Engine) -> None:
    app = build_secure_app()
    with TestClient(app) as coordinator, TestClient(app) as wall:
        sign_in(coordinator, "coordinator")
        sign_in(wall, "wall")
        listed = coordinator.get(
            "/api/v1/patients/internal-delays", params={"at": "2026-11-22T12:00:00"}
        )
        assert listed.status_code == 200, listed.text
        body = listed.json()
        assert [(p["spell_id"], p["internal_days"]) for p in body["patients"]] == [
            ("M", 5),
            ("C", 3),
            ("W", 3),
        ]
        assert wall.get("/api/v1/patients/internal-delays").status_code == 403
        grid = coordinator.get(
            "/api/v1/patients/delayed",
            params={"at": "2026-11-22T12:00:00", "internal_over_48h": "true"},
        )
        assert [p["spell_id"] for p in grid.json()["patients"]] == ["W", "M", "C"]
        counts = wall.get(
            "/api/v1/flow/discharge-asks",
            params={"at": "2026-11-22T12:00:00", "start": "2026-11-23", "end": "2026-11-29"},
        )
        assert counts.status_code == 200, counts.text
        assert counts.json()["internal_over_48h"] == 3
        assert counts.json()["beyond_drd_21"] == {
            "in_hospital": 3,
            "discharges": 3,
            "all_discharges": 6,
            "share": 0.5,
            "bed_days_lost": 71,
        }
        assert "spell_id" not in counts.text
