"""Community bed occupancy and community beds free (DESIGN §4.1 on the community bed base, §4.7
P2 supply), the sitrep's partial day, and the weekly values of the live tiles' own registry
entries — every expected number worked out by hand below.

Beds scenario (November 2026 is GMT, local time = UTC): an acute site RXA01 with a G&A ward A1
and a community ward CW, and a community site RYC01 with one community ward R1.

    14 Nov 10:00  A1  general_acute  20 core, 0 escalation, 18 occupied  (never counted here)
    14 Nov 10:00  CW  community      12 core, 0 escalation,  9 occupied
    14 Nov 11:00  R1  community      10 core, 2 escalation, 13 occupied  (over-full by one)
    20 Nov 10:00  CW  community      12 core, 0 escalation, 12 occupied
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.db import reset_caches
from app.metrics import capacity, flow
from app.metrics.occupancy import community_beds
from app.metrics.registry import get_metric
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from tests.test_metrics_one_place import SUNDAYS, end_of, system  # noqa: F401

BEDS_COLUMNS = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,escalation_beds_open,"
    "beds_occupied,beds_closed"
)
BEDS = [
    ("2026-11-14T10:00:00Z", "RXA01", "A1", "Ash", "general_acute", 20, 0, 18),
    ("2026-11-14T10:00:00Z", "RXA01", "CW", "Cedar", "community", 12, 0, 9),
    ("2026-11-14T11:00:00Z", "RYC01", "R1", "Rowan", "community", 10, 2, 13),
    ("2026-11-20T10:00:00Z", "RXA01", "CW", "Cedar", "community", 12, 0, 12),
]
REFERENCE = {
    "sites.csv": (
        "site_code,site_name,trust_code,trust_name,kind\n"
        "RXA01,Northgate General,RXA,Northgate Trust,acute\n"
        "RYC01,Ryecroft Community Hospital,RYC,Ryecroft Trust,community\n"
    ),
    "councils.csv": "local_authority_code,name\nE06000015,Derby\n",
}


@pytest.fixture
def beds(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    reset_caches()
    reference = tmp_path / "reference"
    reference.mkdir()
    for name, text in REFERENCE.items():
        (reference / name).write_text(text)
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    for at, site, ward, name, base, core, escalation, occupied in BEDS:
        row = f"{at},{site},{ward},{name},{base},{core},{escalation},{occupied},0"
        body = f"{BEDS_COLUMNS}\n{row}\n"
        summary = load_batch("beds", body.encode(), fmt="csv", engine=engine)
        assert (summary.status, summary.rows_quarantined) == ("succeeded", 0)
    return engine


def test_community_beds_at_moments(beds: Engine) -> None:
    with Session(beds) as session:
        # before any community snapshot: no community beds to speak of
        assert community_beds(session, datetime(2026, 11, 14, 9, 0, tzinfo=UTC)) is None
        # 10:30 on the 14th: CW only — 9 of 12 = 75 %, 3 free, one ward
        early = community_beds(session, datetime(2026, 11, 14, 10, 30, tzinfo=UTC))
        assert early is not None
        assert (early.occupancy.occupied, early.occupancy.open_beds) == (9, 12)
        assert (early.occupancy.pct, early.beds_free, early.wards) == (75.0, 3, 1)
        # end of Sunday 15th: CW 9 of 12 and R1 13 of 12 → 22 of 24 = 91.67 %; free beds are
        # counted per ward (CW 3, R1 over-full counts 0) = 3, not 24 − 22 = 2
        s15 = community_beds(session, end_of(date(2026, 11, 15)))
        assert s15 is not None
        assert (s15.occupancy.occupied, s15.occupancy.open_beds, s15.wards) == (22, 24, 2)
        assert s15.occupancy.pct == pytest.approx(100 * 22 / 24)
        assert s15.beds_free == 3
        # the G&A ward A1 is never part of it; by site: RYC01 13 of 12, none free
        ryc = community_beds(session, end_of(date(2026, 11, 15)), site="RYC01")
        assert ryc is not None
        assert ryc.occupancy.pct == pytest.approx(100 * 13 / 12) and ryc.beds_free == 0
        rxa = community_beds(session, end_of(date(2026, 11, 15)), site="RXA01")
        assert rxa is not None and (rxa.occupancy.pct, rxa.beds_free) == (75.0, 3)
        # the P2 supply is the same number, from the same function
        assert capacity.supply(session, end_of(date(2026, 11, 15))).p2_beds == 3
        # end of Sunday 22nd: CW now 12 of 12 → 25 of 24 = 104.17 %, none free
        s22 = community_beds(session, end_of(date(2026, 11, 22)))
        assert s22 is not None
        assert s22.occupancy.pct == pytest.approx(100 * 25 / 24) and s22.beds_free == 0


def test_community_weekly_values_are_the_end_of_sunday_values(beds: Engine) -> None:
    with Session(beds) as session:
        occupancy = get_metric("community_occupancy").weekly(session, SUNDAYS, None)
        free = get_metric("community_beds_free").weekly(session, SUNDAYS, None)
        by_site = get_metric("community_occupancy").weekly(session, SUNDAYS, "RYC01")
    assert occupancy == [pytest.approx(100 * 22 / 24), pytest.approx(100 * 25 / 24)]
    assert free == [3.0, 0.0]
    assert by_site == [pytest.approx(100 * 13 / 12), pytest.approx(100 * 13 / 12)]


def test_the_sitrep_marks_the_day_not_over_as_partial(system: Engine) -> None:  # noqa: F811
    with Session(system) as session:
        days = flow.nctr_daily(
            session,
            start=date(2026, 11, 20),
            end=date(2026, 11, 22),
            at=datetime(2026, 11, 22, 12, 0, tzinfo=UTC),  # noon on the 22nd
        )
        assert [(d.date.day, d.partial) for d in days] == [(20, False), (21, False), (22, True)]
        after = flow.nctr_daily(
            session,
            start=date(2026, 11, 20),
            end=date(2026, 11, 22),
            at=datetime(2026, 11, 23, 0, 30, tzinfo=UTC),  # the 22nd is over
        )
        assert [d.partial for d in after] == [False, False, False]


def test_the_live_tiles_entries_have_hand_worked_weekly_values(system: Engine) -> None:  # noqa: F811
    """The one-place scenario (tests/test_metrics_one_place.py) at the end of S15 and S22.

    NCtR in hospital: S15 P2, P3, P4 (DRDs 14, 10, 13 Nov) = 3; S22 P2, P5 = 2 (P4 cleared,
    P3 gone). Stays 7+ (LOS from the admission day): S15 P1 29, P2 18, P3 21 (P4 3) = 3;
    S22 P2 25, P4 10 (P5 2) = 2. NCtR discharged in the week: S15's week starts before the
    first census (no value); S22's: P3 on 18 Nov while NCtR = 1 (P1 was never ready).
    Pathway 2: nobody, both weeks.
    """
    with Session(system) as session:

        def series(slug: str) -> list[float | None]:
            return get_metric(slug).weekly(session, SUNDAYS, None)

        assert series("nctr_in_hospital") == [3.0, 2.0]
        assert series("stays_7_plus") == [3.0, 2.0]
        assert series("nctr_discharged_today") == [None, 1.0]
        assert series("p2_waiting") == [0.0, 0.0]
        # the point-in-time values at the same moments agree
        for sunday, nctr, los_7 in zip(SUNDAYS, (3, 2), (3, 2), strict=True):
            area = flow.summary(session, at=end_of(sunday)).total
            assert (area.nctr_in_hospital, area.long_stays.los_7) == (nctr, los_7)
