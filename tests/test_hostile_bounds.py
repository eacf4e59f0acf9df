"""The bounds of DESIGN §3 at their edges, worked out by hand; the bounds are settings; and
the readers stay bounded on a long line. No database: the contract and the readers only."""

from __future__ import annotations

import io
import tracemalloc
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.core.config import Settings
from ingest.contracts import ValidationContext, validate_row
from ingest.readers import CsvTable, FileProblem, HashingStream, JsonTable
from tests.hostile.corpus import good_row

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
CONTEXT = ValidationContext(now=NOW, tz=LONDON, future_tolerance=timedelta(minutes=15))


def _codes(feed: str, **values: object) -> list[tuple[str, str | None]]:
    outcome = validate_row(feed, dict(good_row(feed, "edge", 1), **values), CONTEXT)
    return [(p.code, p.column) for p in outcome.rejections]


def test_counts_and_hours_stop_at_their_bounds() -> None:
    assert _codes("beds", beds_occupied="10000") == []  # the bound itself is allowed
    assert _codes("beds", beds_occupied="10001") == [("implausible_number", "beds_occupied")]
    assert _codes("beds", beds_occupied="10000.0") == []  # a whole number written as a decimal
    assert _codes("beds", beds_occupied=2_000_000_000) == [("implausible_number", "beds_occupied")]
    column = "hours_available_per_week"
    assert _codes("domiciliary", **{column: "100000"}) == []
    assert _codes("domiciliary", **{column: "100000.01"}) == [("implausible_number", column)]
    assert _codes("domiciliary", **{column: 1e308}) == [("implausible_number", column)]
    assert _codes("domiciliary", **{column: 10**400}) == [("not_number", column)]  # no float
    assert _codes("patients", age="130") == []
    assert _codes("patients", age="131") == [("not_allowed", "age")]


def test_timestamps_start_in_1990_and_never_overflow() -> None:
    # 1990-01-01T00:00 London (winter, UTC+0) is the earliest instant; a minute before is not
    assert _codes("beds", snapshot_at="1990-01-01T00:00") == []
    assert _codes("beds", snapshot_at="1989-12-31T23:59") == [("implausible_time", "snapshot_at")]
    # 23:30 on 31 Dec 1989 at UTC-01:00 is 00:30 UTC on 1 Jan 1990: allowed
    assert _codes("beds", snapshot_at="1989-12-31T23:30-01:00") == []
    for extreme in ("0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "9999-12-31T23:59"):
        assert _codes("beds", snapshot_at=extreme) == [("implausible_time", "snapshot_at")]
    # dates: from 1990 to one longest spell (1,826 days) after 15 Jan 2025 = 15 Jan 2030
    # (365 + 365 + 365 + 366 (29 Feb 2028) + 365 days)
    assert _codes("patients", expected_discharge_date="2030-01-15") == []
    column = "expected_discharge_date"
    assert _codes("patients", **{column: "2030-01-16"}) == [("implausible_date", column)]
    assert _codes("patients", **{column: "1989-12-31"}) == [("implausible_date", column)]


def test_a_spell_may_last_five_years_and_no_longer() -> None:
    # the census is 2025-01-15T08:00 UTC; 5 years of 365.25 days = 1,826 days before it is
    # 2020-01-16T08:00 (16 Jan 2020 to 15 Jan 2025 crosses 29 Feb 2020 and 29 Feb 2024:
    # 5 × 365 + 2 − 1 = 1,826 days)
    assert _codes("patients", admitted_at="2020-01-16T08:00") == []
    assert _codes("patients", admitted_at="2020-01-16T07:59") == [("spell_too_long", "admitted_at")]
    # a discharge row: the spell ends at the discharge, 1,825 days after the admission
    # (2019: 365, 2020: 366, 2021 and 2022: 365 each, then 364 days to 31 Dec 2023)
    discharge = {
        "admitted_at": "2019-01-01T08:00",
        "discharged_at": "2023-12-31T08:00",
        "discharge_destination": "usual_residence",
    }
    assert _codes("patients", **discharge) == []
    # the same admission still in hospital at the census: 2,206 days
    assert _codes("patients", admitted_at="2019-01-01T08:00") == [("spell_too_long", "admitted_at")]


def test_digits_are_ascii_only() -> None:
    assert _codes("beds", core_beds_open="２０") == [("not_integer", "core_beds_open")]
    assert _codes("beds", core_beds_open="1_000") == [("not_integer", "core_beds_open")]
    assert _codes("patients", nhs_number="999 000 0018") == []  # valid: check digit 8
    assert _codes("patients", nhs_number="999000001⁸") == [("bad_nhs_number", "nhs_number")]
    assert _codes("care_homes", local_authority_code="E0600001٥") == [
        ("bad_council_code", "local_authority_code")
    ]


def test_the_bounds_are_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOMEWARD_MAX_COUNT", "50")
    monkeypatch.setenv("HOMEWARD_EARLIEST_TIMESTAMP", "2020-01-01")
    monkeypatch.setenv("HOMEWARD_MAX_SPELL_YEARS", "1")
    context = ValidationContext.from_settings(Settings(), now=NOW)
    bed = dict(good_row("beds", "set", 1), core_beds_open="51")
    assert [p.code for p in validate_row("beds", bed, context).rejections] == ["implausible_number"]
    bed = dict(good_row("beds", "set", 1), snapshot_at="2019-12-31T23:00")  # winter: UTC
    assert [p.code for p in validate_row("beds", bed, context).rejections] == ["implausible_time"]
    # one year of 365.25 days, rounded: 365; the census is 2025-01-15T08:00 (winter: UTC)
    patient = dict(good_row("patients", "set", 1), admitted_at="2024-01-16T08:00")  # 365 days
    assert validate_row("patients", patient, context).rejections == []
    patient["admitted_at"] = "2024-01-14T08:00"  # 367 days (2024 is a leap year)
    assert [p.code for p in validate_row("patients", patient, context).rejections] == [
        "spell_too_long"
    ]


def _read_csv(body: bytes, limit: int) -> list[int]:
    return [line for line, _ in CsvTable(HashingStream(io.BytesIO(body)), max_chars=limit)]


def test_a_long_line_is_refused_after_the_limit_not_the_line() -> None:
    header = b"a,b\n"
    # a 16 MiB line on line 3, after one good line: refused at line 3, with line 2 read
    body = header + b"1,2\n" + b"x" * (16 * 1024 * 1024) + b",3\n4,5\n"
    seen: list[int] = []
    tracemalloc.start()
    with pytest.raises(FileProblem) as raised:
        for line, _ in CsvTable(HashingStream(io.BytesIO(body)), max_chars=64 * 1024):
            seen.append(line)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert (raised.value.code, raised.value.line_number, seen) == ("line_too_long", 3, [2])
    # the reader held about the limit (64 KiB) and a chunk or two, not the 16 MiB line
    assert peak < 2 * 1024 * 1024, peak
    # a line of exactly the limit is read (64 KiB of 'x' then ",3")
    exact = header + b"x" * (64 * 1024 - 2) + b",3\n"
    assert _read_csv(exact, 64 * 1024) == [2]
    item = b'[{"a": "' + b"y" * (200 * 1024) + b'"}]'
    with pytest.raises(FileProblem) as raised:
        JsonTable(HashingStream(io.BytesIO(item)), max_chars=64 * 1024)
    assert raised.value.code == "line_too_long"
