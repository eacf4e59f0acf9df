"""Contributing reasons (DESIGN §3, §4.3): the optional patients column, validated against the
catalogue, carried onto each delayed day from the census row in force, and counted as "delayed
days where this reason contributed" beside — never added to — the primary attribution.
Worked out by hand below; daily censuses at 09:00 GMT, Mon 2 – Fri 6 Nov 2026.

    C1  DRD 2 Nov on the 2 Nov census, primary P1_HOMECARE.
          2 Nov census: contributing "EQUIPMENT;P1_HOMECARE" — the primary listed again is
                        dropped: EQUIPMENT
          3 Nov census: "equipment; ASSESS_SOCIAL" (any case, spaces): EQUIPMENT;ASSESS_SOCIAL
          4 Nov census: primary EQUIPMENT, contributing "EQUIPMENT;ASSESS_SOCIAL" → ASSESS_SOCIAL
          5 Nov census: primary EQUIPMENT, none listed
        Delayed days 2–5 Nov: 2 Nov P1_HOMECARE (+EQUIPMENT), 3 Nov P1_HOMECARE (+EQUIPMENT,
        +ASSESS_SOCIAL), 4 Nov EQUIPMENT (+ASSESS_SOCIAL), 5 Nov EQUIPMENT.
    C2  no DRD on the 2 Nov census; the 4 Nov census records a DRD of 2 Nov (late), primary
        ASSESS_SOCIAL, contributing HOUSING; discharged Thu 5 Nov 08:30.
        Delayed days 2, 3, 4 Nov (the late DRD reaches back; the days it reaches over take the
        row that first recorded it): ASSESS_SOCIAL (+HOUSING) each.

Period 2–5 Nov: delayed days 4 + 3 = 7; primary P1_HOMECARE 2, EQUIPMENT 2, ASSESS_SOCIAL 3.
Contributed: HOUSING 3, ASSESS_SOCIAL 2 (C1 3 and 4 Nov), EQUIPMENT 2 (C1 2 and 3 Nov; not
4–5 Nov, where it is the primary).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.metrics import contributing, flow
from ingest.contracts import HEADER_COLUMNS, ValidationContext, validate_row
from ingest.mapping import bind_header
from models import SpellDay
from tests.test_ingest_patients import apply, row, spell

LONDON = ZoneInfo("Europe/London")
CONTEXT = ValidationContext(
    now=datetime(2030, 1, 1, tzinfo=UTC), tz=LONDON, future_tolerance=timedelta(minutes=15)
)
START, END = date(2026, 11, 2), date(2026, 11, 5)
C1 = {
    "2026-11-02": ("P1_HOMECARE", "EQUIPMENT;P1_HOMECARE"),
    "2026-11-03": ("P1_HOMECARE", "equipment; ASSESS_SOCIAL"),
    "2026-11-04": ("EQUIPMENT", "EQUIPMENT;ASSESS_SOCIAL"),
    "2026-11-05": ("EQUIPMENT", ""),
    "2026-11-06": ("EQUIPMENT", ""),
}


def _load(session: Session) -> None:
    for day, (primary, listed) in C1.items():
        snapshot = f"{day}T09:00"
        rows = [
            row(
                "C1",
                snapshot,
                admitted="2026-11-01T10:00",
                discharge_ready_date="2026-11-02",
                delay_reason_code=primary,
                contributing_reason_codes=listed,
            )
        ]
        if day < "2026-11-04":
            rows.append(row("C2", snapshot, admitted="2026-11-01T11:00"))
        elif day == "2026-11-04":
            rows.append(
                row(
                    "C2",
                    snapshot,
                    admitted="2026-11-01T11:00",
                    discharge_ready_date="2026-11-02",
                    delay_reason_code="ASSESS_SOCIAL",
                    contributing_reason_codes="HOUSING",
                )
            )
        elif day == "2026-11-05":
            rows.append(
                row(
                    "C2",
                    snapshot,
                    admitted="2026-11-01T11:00",
                    discharge_ready_date="2026-11-02",
                    delay_reason_code="ASSESS_SOCIAL",
                    contributing_reason_codes="HOUSING",
                    discharged_at="2026-11-05T08:30",
                    discharge_destination="usual_residence",
                )
            )
        apply(session, rows)


def test_the_codes_are_stored_on_each_delayed_day(session: Session) -> None:
    _load(session)
    c1 = spell(session, "C1")
    days = session.execute(
        select(SpellDay.day, SpellDay.delay_reason_code, SpellDay.contributing_reason_codes)
        .where(SpellDay.spell_pk == c1.id)
        .order_by(SpellDay.day)
    ).all()
    assert [tuple(d) for d in days if d[0] >= START] == [
        (date(2026, 11, 2), "P1_HOMECARE", "EQUIPMENT"),
        (date(2026, 11, 3), "P1_HOMECARE", "EQUIPMENT;ASSESS_SOCIAL"),
        (date(2026, 11, 4), "EQUIPMENT", "ASSESS_SOCIAL"),
        (date(2026, 11, 5), "EQUIPMENT", None),
        (date(2026, 11, 6), "EQUIPMENT", None),
    ]
    assert c1.contributing_reason_codes is None  # the latest census lists none
    c2 = spell(session, "C2")
    reached_back = session.execute(
        select(SpellDay.day, SpellDay.contributing_reason_codes).where(SpellDay.spell_pk == c2.id)
    ).all()
    assert sorted(tuple(d) for d in reached_back if d[0] >= START) == [
        (date(2026, 11, 2), "HOUSING"),
        (date(2026, 11, 3), "HOUSING"),
        (date(2026, 11, 4), "HOUSING"),
    ]


def test_contributed_days_beside_the_primary_attribution(session: Session) -> None:
    _load(session)
    found = contributing.contributing_reasons(session, start=START, end=END)
    assert found.delayed_days == 7
    assert [(r.code, r.contributed_days, r.primary_days) for r in found.reasons] == [
        ("HOUSING", 3, 0),
        ("ASSESS_SOCIAL", 2, 3),
        ("EQUIPMENT", 2, 2),
    ]
    # the primary attribution is unchanged by the contributing codes: 2 + 2 + 3 = 7
    by_reason = flow.delayed_days(session, start=START, end=END, group_by="reason")
    assert {g.key: g.delayed_days for g in by_reason.groups} == {
        "P1_HOMECARE": 2,
        "EQUIPMENT": 2,
        "ASSESS_SOCIAL": 3,
    }
    assert by_reason.total == 7


def test_once_per_spell_and_day_and_never_on_a_primary_day() -> None:
    # one row per spell and day: (primary, listed); the same code listed twice counts once
    counted = contributing.contributed_days(
        [("A", "A;B"), ("A", "B;B"), ("C", None), ("C", "A"), (None, "")]
    )
    assert counted == {"B": 2, "A": 1}


def test_an_unknown_code_quarantines_the_row() -> None:
    record = {
        "snapshot_at": "2026-11-02T09:00",
        "site_code": "RXA01",
        "ward_code": "W1",
        "spell_id": "X1",
        "local_patient_id": "MRN-X1",
        "nhs_number": "",
        "age": "80",
        "admitted_at": "2026-11-01T10:00",
        "admission_method": "emergency",
        "contributing_reason_codes": "EQUIPMENT;NOT_A_CODE",
    }
    outcome = validate_row("patients", record, CONTEXT)
    assert outcome.row is None
    (problem,) = outcome.rejections
    assert problem.code == "unknown_contributing_code"
    assert problem.column == "contributing_reason_codes"
    assert "'NOT_A_CODE'" in problem.message


def test_the_column_may_be_left_out_of_a_header() -> None:
    assert "contributing_reason_codes" not in HEADER_COLUMNS["patients"]
    binding = bind_header("patients", list(HEADER_COLUMNS["patients"]), layouts={})
    assert "contributing_reason_codes" not in [c for _, c in binding.positions]
    record = {
        "snapshot_at": "2026-11-02T09:00",
        "site_code": "RXA01",
        "ward_code": "W1",
        "spell_id": "X1",
        "local_patient_id": "MRN-X1",
        "age": "80",
        "admitted_at": "2026-11-01T10:00",
        "admission_method": "emergency",
    }
    outcome = validate_row("patients", record, CONTEXT)
    assert outcome.row is not None and outcome.row.contributing_reason_codes is None


def test_the_weekly_report_shows_them_beside_the_reasons(session: Session) -> None:
    from dashboards import report
    from dashboards import weekly_view as view

    _load(session)
    # the week Mon 2 – Sun 8 Nov also holds C1's provisional 6 Nov day: EQUIPMENT as the
    # delay reason on 4, 5 and 6 Nov (3), contributing on 2 and 3 Nov (2)
    data = view.gather(session, week_end=date(2026, 11, 8), site=None, weeks=1, with_trends=False)
    assert [(r.label, r.contributed_days, r.primary_days) for r in data.contributing] == [
        ("Housing or homelessness - no suitable place to go", 3, 0),
        ("Awaiting social care (Care Act) assessment", 2, 3),
        ("Awaiting community equipment or home adaptations", 2, 3),
    ]
    document = report.build_html(
        title="t",
        subtitle="s",
        charts=[],
        changes=[],
        tables=data.tables,
        generated_at=datetime(2026, 11, 9, tzinfo=UTC),
        contributing=data.contributing,
    )
    assert "<caption>Delayed days where this reason contributed</caption>" in document
    assert "<td>Housing or homelessness - no suitable place to go</td><td class='num'>3</td>" in (
        document
    )


def test_the_coordinator_list_and_the_patient_page_show_them(session: Session) -> None:
    from app.metrics import patient_level
    from dashboards import patient_grid

    _load(session)
    # 3 Nov 12:00: the 3 Nov census is in force for C1; C2 has no DRD yet
    found = patient_level.delayed(session, at=datetime(2026, 11, 3, 12, tzinfo=UTC))
    (c1,) = found.patients
    assert [r.code for r in c1.contributing_reasons] == ["EQUIPMENT", "ASSESS_SOCIAL"]
    (grid_row,) = patient_grid.rows(found.patients)
    assert grid_row["contributing"] == (
        "Awaiting community equipment or home adaptations; "
        "Awaiting social care (Care Act) assessment"
    )
    journey = patient_level.journey(session, spell_id="C2")
    assert [r.code for r in journey.spell.contributing_reasons] == ["HOUSING"]
