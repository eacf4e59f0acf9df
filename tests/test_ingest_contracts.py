"""Row contracts: parsing and the per-row rules, checked on single rows (no database)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from app.core.config import Settings
from ingest.contracts import (
    FEED_COLUMNS,
    FEED_MODELS,
    BedRow,
    PatientRow,
    ValidationContext,
    mask_nhs_number,
    validate_row,
)

NOW = datetime(2025, 7, 15, 12, 0, tzinfo=UTC)  # 13:00 British Summer Time
CTX = ValidationContext.from_settings(Settings(), now=NOW)
VALID_NHS = "999 000 0018"  # check digit 8 is right
BAD_CHECK_DIGIT = "999 000 0017"


def patient(**changes: Any) -> dict[str, Any]:
    row = {
        "snapshot_at": "2025-07-15T08:00",
        "site_code": "RXA01",
        "ward_code": "W12",
        "spell_id": "SP1",
        "local_patient_id": "MRN1",
        "nhs_number": VALID_NHS,
        "age": "84",
        "admitted_at": "2025-07-10T22:30",
        "admission_method": "emergency",
        "expected_discharge_date": "",
        "discharge_ready_date": "",
        "pathway": "",
        "delay_reason_code": "",
        "delay_attributable_to": "",
        "local_authority_code": "",
        "day_status": "",
        "red_reason_code": "",
        "discharged_at": "",
        "discharge_destination": "",
    }
    row.update(changes)
    return row


def reasons(feed: str, record: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    outcome = validate_row(feed, record, CTX)
    assert outcome.row is None
    return [(p.code, p.column, p.message) for p in outcome.rejections]


def test_contract_columns_are_those_of_the_design() -> None:
    assert FEED_COLUMNS["beds"] == (
        "snapshot_at",
        "site_code",
        "ward_code",
        "ward_name",
        "bed_base",
        "core_beds_open",
        "escalation_beds_open",
        "beds_occupied",
        "beds_closed",
    )
    assert len(FEED_COLUMNS["care_homes"]) == 10
    assert len(FEED_COLUMNS["domiciliary"]) == 7
    assert len(FEED_COLUMNS["patients"]) == 20  # contributing_reason_codes may be left out
    assert set(FEED_MODELS) == {"beds", "care_homes", "domiciliary", "patients"}


def test_a_valid_patient_row_is_parsed_and_normalised() -> None:
    outcome = validate_row(
        "patients",
        patient(
            nhs_number=" 999-000-0018 ",
            admission_method="Emergency",
            discharge_ready_date="2025-07-14",
            delay_reason_code="p1_homecare",
            pathway="P1",
            local_authority_code="e06000015",
            day_status="RED",
            red_reason_code="dii",
        ),
        CTX,
    )
    row = outcome.row
    assert isinstance(row, PatientRow) and outcome.rejections == []
    assert row.nhs_number == "9990000018"  # normalised, for pseudonymise()
    assert row.snapshot_at == datetime(2025, 7, 15, 7, 0, tzinfo=UTC)  # 08:00 BST
    assert row.admitted_at == datetime(2025, 7, 10, 21, 30, tzinfo=UTC)
    assert (row.delay_reason_code, row.red_reason_code) == ("P1_HOMECARE", "DII")
    assert row.delay_attributable_to == "social_care"  # the catalogue's default for P1_HOMECARE
    assert (row.pathway, row.local_authority_code, row.day_status) == (1, "E06000015", "red")


def test_an_explicit_agency_is_kept_and_dtoc_codes_are_catalogue_codes() -> None:
    outcome = validate_row(
        "patients",
        patient(
            discharge_ready_date="2025-07-15",
            delay_reason_code="E",
            delay_attributable_to="Both",
        ),
        CTX,
    )
    row = outcome.row
    assert isinstance(row, PatientRow)
    assert (row.delay_reason_code, row.delay_attributable_to) == ("E", "both")


def test_an_nhs_number_failing_its_check_digit_is_rejected_and_masked() -> None:
    [(code, column, message)] = reasons("patients", patient(nhs_number=BAD_CHECK_DIGIT))
    assert (code, column) == ("bad_nhs_number", "nhs_number")
    assert message.startswith("nhs_number: '999 *** ****' is not a valid NHS number")
    assert "4765918" not in message and "476 5918" not in message
    assert mask_nhs_number("9990000017") == "999 *** ****"
    # an empty NHS number is allowed (not every patient has one)
    assert validate_row("patients", patient(nhs_number=""), CTX).row is not None


def test_drd_before_admission_is_rejected() -> None:
    [(code, column, message)] = reasons(
        "patients", patient(discharge_ready_date="2025-07-09", delay_reason_code="E")
    )
    assert (code, column) == ("drd_before_admission", "discharge_ready_date")
    assert message == (
        "discharge_ready_date: '2025-07-09' is before the admission date 2025-07-10 — check "
        "both dates"
    )
    # the admission date is the London date: 23:30 BST on the 10th is still the 10th
    ok = patient(admitted_at="2025-07-10T22:30:00Z", discharge_ready_date="2025-07-10")
    assert validate_row("patients", ok | {"delay_reason_code": "E"}, CTX).row is not None


def test_discharged_before_admitted_is_rejected() -> None:
    [(code, column, _)] = reasons("patients", patient(discharged_at="2025-07-09T10:00"))
    assert (code, column) == ("discharged_before_admitted", "discharged_at")


def test_an_unknown_delay_reason_is_quarantined_not_guessed() -> None:
    [(code, column, message)] = reasons(
        "patients", patient(discharge_ready_date="2025-07-14", delay_reason_code="P1_HOMCARE")
    )
    assert (code, column) == ("unknown_reason_code", "delay_reason_code")
    assert message.startswith("delay_reason_code: 'P1_HOMCARE' is not a code of the reason")
    [(code, column, _)] = reasons("patients", patient(red_reason_code="WAITING"))
    assert (code, column) == ("unknown_reason_code", "red_reason_code")


def test_a_reason_is_required_when_nctr_and_still_in_hospital() -> None:
    # DRD on the census date (London): NCtR, so a reason is required
    [(code, column, message)] = reasons("patients", patient(discharge_ready_date="2025-07-15"))
    assert (code, column) == ("reason_required", "delay_reason_code")
    assert "discharge_ready_date 2025-07-15 is on or before the census date 2025-07-15" in message
    # a DRD after the census date: not NCtR yet, no reason needed
    assert validate_row("patients", patient(discharge_ready_date="2025-07-16"), CTX).row
    # discharged: no reason needed
    gone = patient(discharge_ready_date="2025-07-14", discharged_at="2025-07-15T07:30")
    assert validate_row("patients", gone, CTX).row is not None


def test_text_in_a_number_field_says_what_to_send() -> None:
    [(code, column, message)] = reasons("patients", patient(age="abc"))
    assert (code, column) == ("not_integer", "age")
    assert message == "age: 'abc' is not a whole number — send the patient's age in years, e.g. 84"


def test_every_problem_of_a_row_is_reported() -> None:
    found = reasons(
        "patients",
        patient(site_code="R", age="-1", admission_method="walk-in", pathway="5", day_status="x"),
    )
    assert [(c, col) for c, col, _ in found] == [
        ("bad_site_code", "site_code"),
        ("negative", "age"),
        ("not_allowed", "admission_method"),
        ("not_allowed", "pathway"),
        ("not_allowed", "day_status"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-15T08:00", datetime(2025, 1, 15, 8, 0, tzinfo=UTC)),  # GMT
        ("2025-07-15T08:00:00", datetime(2025, 7, 15, 7, 0, tzinfo=UTC)),  # BST
        ("2025-07-15 08:00", datetime(2025, 7, 15, 7, 0, tzinfo=UTC)),
        ("2025-07-15T08:00:00Z", datetime(2025, 7, 15, 8, 0, tzinfo=UTC)),
        ("2025-07-15T08:00:00+02:00", datetime(2025, 7, 15, 6, 0, tzinfo=UTC)),
    ],
)
def test_timestamps_without_offset_are_london_time(text: str, expected: datetime) -> None:
    record = {
        "snapshot_at": text,
        "site_code": "rxa01",
        "ward_code": "W1",
        "ward_name": "Ward 1",
        "bed_base": "General Acute",
        "core_beds_open": "10",
        "escalation_beds_open": 0,
        "beds_occupied": "9.0",
        "beds_closed": "0",
    }
    row = validate_row("beds", record, CTX).row
    assert isinstance(row, BedRow)
    assert row.snapshot_at == expected
    assert (row.site_code, row.bed_base, row.beds_occupied) == ("RXA01", "general_acute", 9)


@pytest.mark.parametrize(
    ("column", "value", "code"),
    [
        ("snapshot_at", "15/01/2025 08:00", "not_timestamp"),
        ("snapshot_at", "2025-07-15T14:00", "future_timestamp"),  # 13:00 BST + 60 min
        ("cqc_location_id", "CQC-1", "bad_cqc_id"),
        ("local_authority_code", "Derby", "bad_council_code"),
        ("care_type", "hotel", "not_allowed"),
        ("accepting_admissions", "maybe", "not_boolean"),
        ("vacant_accepting_admissions", "-1", "negative"),
        ("home_name", "", "required"),
        ("home_name", "x" * 201, "too_long"),
    ],
)
def test_care_home_rejections(column: str, value: str, code: str) -> None:
    record = {
        "snapshot_at": "2025-07-15T08:00",
        "cqc_location_id": "1-123456789",
        "home_name": "Oak Lodge",
        "local_authority_code": "E06000015",
        "care_type": "residential",
        "max_capacity": "40",
        "occupied": "36",
        "vacant_reserved": "1",
        "vacant_accepting_admissions": "3",
        "accepting_admissions": "true",
    }
    assert validate_row("care_homes", record, CTX).row is not None
    found = reasons("care_homes", record | {column: value})
    assert [(c, col) for c, col, _ in found] == [(code, column)]


def test_booleans_accept_the_usual_spellings() -> None:
    base = {
        "snapshot_at": "2025-07-15T08:00",
        "cqc_location_id": "1-1",
        "home_name": "H",
        "local_authority_code": "E06000015",
        "care_type": "nursing",
        "max_capacity": 1,
        "occupied": 1,
        "vacant_reserved": 0,
        "vacant_accepting_admissions": 0,
    }
    for text, expected in (
        ("TRUE", True),
        ("1", True),
        ("yes", True),
        ("no", False),
        (False, False),
    ):
        row = validate_row("care_homes", base | {"accepting_admissions": text}, CTX).row
        assert row is not None and row.accepting_admissions is expected  # type: ignore[attr-defined]


def test_json_values_that_are_not_scalars_are_rejected() -> None:
    record = patient(age={"years": 84})
    [(code, column, message)] = reasons("patients", record)
    assert (code, column) == ("not_scalar", "age")
    assert "is a JSON object" in message


def test_dates_must_be_iso() -> None:
    [(code, column, message)] = reasons("patients", patient(expected_discharge_date="17/07/2025"))
    assert (code, column) == ("not_date", "expected_discharge_date")
    assert message == (
        "expected_discharge_date: '17/07/2025' is not a date — send YYYY-MM-DD, e.g. 2025-01-17"
    )
    row = validate_row("patients", patient(expected_discharge_date="2025-07-17"), CTX).row
    assert row is not None and row.expected_discharge_date == date(2025, 7, 17)  # type: ignore[attr-defined]
