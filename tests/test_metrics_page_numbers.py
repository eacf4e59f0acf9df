"""The numbers the pages used to work out themselves, now metrics: the periods they name, open
beds, the NCtR share, the escalation-driver sentence and the NCtR change since yesterday and
last week. Every expected value is worked out by hand beside it.

The NCtR changes are checked on a small system loaded through the real ingest path (three
censuses at 09:00 local; Europe/London is on GMT in November, so local time is UTC):

    census        Mon 2 Nov            Sun 8 Nov               Mon 9 Nov
    P1 A (A1)     NCtR (DRD 30 Oct)    NCtR                    NCtR
    P2 A (A1)     in, no DRD           NCtR (DRD 7 Nov)        NCtR
    P3 B (B1)     NCtR (DRD 1 Nov)     discharged Thu 5 Nov    –
    P4 B (B1)     –                    – (admitted 14:00)      NCtR (DRD 9 Nov)

NCtR in hospital at 12:00 on each day:  A 1 · B 1 · all 2 | A 2 · B 0 · all 2 | A 2 · B 1 · all 3
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics import comparisons, escalation, flow, timebase, windows
from app.metrics.schemas import (
    AreaFlow,
    Escalation,
    EscalationParameter,
    LongStays,
    NctrChange,
    Occupancy,
    WaitingByPathway,
)
from dashboards import formats
from ingest.loader import load_batch
from ingest.registry import load_reference_dir

# --- the periods ----------------------------------------------------------------------------


def test_the_seven_days_to_a_day() -> None:
    # Wed 18 Nov and the six days before it: Thu 12 Nov … Wed 18 Nov
    assert windows.days_ending(date(2026, 11, 18)) == windows.Period(
        date(2026, 11, 12), date(2026, 11, 18)
    )
    # 28 days to Wed 18 Nov start on Thu 22 Oct (18 − 27 = −9: 31 − 9 = 22 Oct)
    assert windows.days_ending(date(2026, 11, 18), 28).start == date(2026, 10, 22)


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 18), date(2026, 11, 16)),  # a Wednesday: Monday two days before
        (date(2026, 11, 16), date(2026, 11, 16)),  # a Monday: that day alone
        (date(2026, 11, 22), date(2026, 11, 16)),  # a Sunday: the Monday six days before
        (date(2026, 11, 2), date(2026, 11, 2)),  # Monday 2 Nov: not the October week
    ],
)
def test_the_week_to_date_starts_on_monday(day: date, monday: date) -> None:
    assert windows.week_to_date(day) == windows.Period(monday, day)


def test_the_week_ending_a_sunday_and_the_last_complete_week() -> None:
    # Sun 15 Nov ends the week Mon 9 – Sun 15 Nov
    assert windows.week_ending(date(2026, 11, 15)) == windows.Period(
        date(2026, 11, 9), date(2026, 11, 15)
    )
    # on Monday 16 Nov, the week that ended yesterday is complete
    assert windows.last_complete_week_end(date(2026, 11, 16)) == date(2026, 11, 15)
    # on Wednesday 18 Nov, still the week ending Sunday 15 Nov
    assert windows.last_complete_week_end(date(2026, 11, 18)) == date(2026, 11, 15)
    # on Sunday 22 Nov the week is not over yet: the last complete one ended on the 15th
    assert windows.last_complete_week_end(date(2026, 11, 22)) == date(2026, 11, 15)


# --- the response models' computed fields ---------------------------------------------------


def test_open_beds_are_core_and_escalation() -> None:
    # 490 core + 10 escalation = 500 beds open
    assert Occupancy(occupied=482, core_open=490, escalation_open=10).open_beds == 500
    assert Occupancy().open_beds == 0


def _area(nctr: int, occupied: int) -> AreaFlow:
    return AreaFlow(
        site_code="RXA01",
        name="Northgate General",
        kind="acute",
        occupancy=Occupancy(occupied=occupied, core_open=50),
        in_hospital=occupied,
        nctr_in_hospital=nctr,
        long_stays=LongStays(),
        delay_bands={},
        waiting_by_pathway=WaitingByPathway(),
        escalation=_escalation(1, []),
    )


def test_nctr_share_of_occupied_beds() -> None:
    # 12 NCtR of 48 occupied beds = 25%
    assert _area(12, 48).nctr_pct_of_occupied == 25.0
    # no bed occupied: no share, as with every ratio over zero
    assert _area(0, 0).nctr_pct_of_occupied is None
    assert _area(12, 48).model_dump()["nctr_pct_of_occupied"] == 25.0  # the API carries it


def test_nctr_change_is_now_minus_then() -> None:
    change = NctrChange(site_code=None, nctr_in_hospital=40, day_before=43, week_before=31)
    # 40 − 43 = −3 since yesterday; 40 − 31 = +9 since last week
    assert (change.change_since_yesterday, change.change_since_last_week) == (-3, 9)
    unknown = NctrChange(site_code="RXB01", nctr_in_hospital=4, day_before=None, week_before=4)
    assert (unknown.change_since_yesterday, unknown.change_since_last_week) == (None, 0)


# --- the escalation-driver sentence ---------------------------------------------------------


def _parameter(name: str, label: str, value: float, score: int) -> EscalationParameter:
    return EscalationParameter(
        name=name, label=label, value=value, score=score, thresholds=[1.0, 2.0, 3.0]
    )


def _escalation(
    level: int, parameters: list[EscalationParameter], combination: str = "highest"
) -> Escalation:
    return Escalation(
        level=level,
        parameters=parameters,
        driver=None,
        combination=combination,
        note="Local settings.",
    )


OCCUPANCY = _parameter("occupancy_pct", "G&A bed occupancy (%)", 96.4, 3)
STRANDED = _parameter("super_stranded", "Super-stranded", 31.0, 3)
P1_GAP = _parameter("p1_gap", "P1 gap", 4.0, 2)
STALE = _parameter("stale_feeds", "Feeds stale or failing", 0.0, 1)


def test_the_drivers_are_the_parameters_at_the_level() -> None:
    level_3 = _escalation(3, [OCCUPANCY, P1_GAP, STRANDED, STALE])
    assert escalation.drivers(level_3) == [OCCUPANCY, STRANDED]
    # 96.4 keeps its decimal; 31.0 is a whole number and is written without one
    assert escalation.driver_sentence(level_3) == (
        "G&A bed occupancy (%): 96.4 (level 3); Super-stranded: 31 (level 3)"
    )
    assert escalation.driver_sentence(level_3, label_end="") == (
        "G&A bed occupancy (%) 96.4 (level 3); Super-stranded 31 (level 3)"
    )


def test_level_one_has_no_driver() -> None:
    normal = _escalation(1, [STALE])
    assert escalation.drivers(normal) == []
    assert escalation.driver_sentence(normal) == "every parameter is at level 1 (normal)"


def test_a_mean_level_no_parameter_scores_is_driven_by_those_above_one() -> None:
    # scores 3 and 1 → mean 2 (level 2), which no parameter scores: the one above 1 drives it
    mean = _escalation(2, [OCCUPANCY, STALE], combination="mean")
    assert escalation.drivers(mean) == [OCCUPANCY]


# --- times in the configured zone -----------------------------------------------------------


def test_times_follow_the_configured_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    winter = datetime(2026, 11, 24, 9, 15, tzinfo=UTC)
    monkeypatch.setenv("HOMEWARD_TIMEZONE", "America/New_York")
    get_settings.cache_clear()
    try:
        # New York is UTC−5 in November: 09:15 UTC is 04:15 there
        assert formats.date_time(winter) == "04:15 Tue 24 Nov 2026"
        assert formats.time_of_day(winter) == "04:15"
        # 02:00 UTC on Tue 24 Nov is still Monday evening (21:00) in New York
        assert formats.day(datetime(2026, 11, 24, 2, 0, tzinfo=UTC)) == "Mon 23 Nov 2026"
    finally:
        monkeypatch.delenv("HOMEWARD_TIMEZONE")
        get_settings.cache_clear()
    assert formats.date_time(winter) == "09:15 Tue 24 Nov 2026"  # Europe/London: GMT


# --- the NCtR change since yesterday and last week, from the store --------------------------

SITE_A, SITE_B = "RXA01", "RXB01"
DERBY = "E06000015"
PATIENT_COLUMNS = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination"
)


def _row(
    census: str,
    spell: str,
    site: str,
    ward: str,
    admitted: str,
    drd: str = "",
    *,
    discharged: str = "",
) -> str:
    reason = "P1_HOMECARE" if drd else ""
    pathway = "1" if drd else "0"
    destination = "usual_residence" if discharged else ""
    return (
        f"{census},{site},{ward},{spell},P-{spell},,80,{admitted},emergency,,{drd},{pathway},"
        f"{reason},,{DERBY},,,{discharged},{destination}"
    )


CENSUSES = [
    [
        _row("2026-11-02T09:00:00", "P1", SITE_A, "A1", "2026-10-20T10:00:00", "2026-10-30"),
        _row("2026-11-02T09:00:00", "P2", SITE_A, "A1", "2026-11-01T10:00:00"),
        _row("2026-11-02T09:00:00", "P3", SITE_B, "B1", "2026-10-25T10:00:00", "2026-11-01"),
    ],
    [
        _row("2026-11-08T09:00:00", "P1", SITE_A, "A1", "2026-10-20T10:00:00", "2026-10-30"),
        _row("2026-11-08T09:00:00", "P2", SITE_A, "A1", "2026-11-01T10:00:00", "2026-11-07"),
        _row(
            "2026-11-08T09:00:00",
            "P3",
            SITE_B,
            "B1",
            "2026-10-25T10:00:00",
            "2026-11-01",
            discharged="2026-11-05T10:00:00",
        ),
    ],
    [
        _row("2026-11-09T09:00:00", "P1", SITE_A, "A1", "2026-10-20T10:00:00", "2026-10-30"),
        _row("2026-11-09T09:00:00", "P2", SITE_A, "A1", "2026-11-01T10:00:00", "2026-11-07"),
        _row("2026-11-09T09:00:00", "P4", SITE_B, "B1", "2026-11-08T14:00:00", "2026-11-09"),
    ],
]
NOW = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)  # Monday noon


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Engine:
    # the system is dated: never refuse it as "in the future", whatever today is
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    get_settings.cache_clear()
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "sites.csv").write_text(
        "site_code,site_name,trust_code,trust_name,kind\n"
        f"{SITE_A},Northgate General,RXA,Northgate Trust,acute\n"
        f"{SITE_B},Southfield Hospital,RXB,Southfield Trust,acute\n"
    )
    (reference / "councils.csv").write_text(f"local_authority_code,name\n{DERBY},Derby\n")
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    for rows in CENSUSES:
        body = "\n".join([PATIENT_COLUMNS, *rows]) + "\n"
        summary = load_batch("patients", body.encode(), fmt="csv", engine=engine)
        assert summary.status == "succeeded", summary
        assert summary.rows_quarantined == 0, summary
    return engine


def test_nctr_changes_since_yesterday_and_last_week(loaded: Engine) -> None:
    with Session(loaded) as session:
        current = flow.summary(session, at=NOW)
        changes = comparisons.nctr_changes(session, current)
    assert changes.at == NOW
    assert changes.week_before_date == date(2026, 11, 2)  # Mon 9 Nov − 7 days
    # all: 3 now, 2 on Sunday noon, 2 last Monday noon → +1 and +1
    assert (changes.total.nctr_in_hospital, changes.total.day_before) == (3, 2)
    assert changes.total.week_before == 2
    assert (changes.total.change_since_yesterday, changes.total.change_since_last_week) == (1, 1)
    site_a, site_b = changes.of(SITE_A), changes.of(SITE_B)
    assert site_a is not None and site_b is not None
    # A: P1, P2 now and yesterday; P1 alone a week ago (P2 had no DRD) → 0 and +1
    assert (site_a.change_since_yesterday, site_a.change_since_last_week) == (0, 1)
    # B: P4 now; nobody yesterday (P3 gone, P4 not yet in); P3 a week ago → +1 and 0
    assert (site_b.day_before, site_b.week_before) == (0, 1)
    assert (site_b.change_since_yesterday, site_b.change_since_last_week) == (1, 0)
    assert changes.of(None) == changes.total
    assert changes.of("RZZ99") is None


def test_nctr_changes_of_one_site(loaded: Engine) -> None:
    with Session(loaded) as session:
        changes = comparisons.nctr_changes(session, flow.summary(session, at=NOW, site=SITE_B))
    assert (changes.total.nctr_in_hospital, changes.total.day_before) == (1, 0)
    assert [s.site_code for s in changes.sites] == [SITE_B]


def test_the_latest_complete_week_of_the_data(loaded: Engine) -> None:
    # the newest data is the census of Mon 9 Nov: the week ending Sun 8 Nov is complete
    with Session(loaded) as session:
        assert windows.latest_complete_week_end(session) == date(2026, 11, 8)


def test_the_latest_complete_week_with_no_data(engine: Engine) -> None:
    # no data: the rule applies to today; the Sunday strictly before today is weekday() + 1
    # days back (Monday: 1, Sunday: 7)
    today = timebase.local_date(timebase.now_utc())
    with Session(engine) as session:
        latest = windows.latest_complete_week_end(session)
    assert latest == today - timedelta(days=today.weekday() + 1)
