"""The faster code paths of a census load give exactly what the plain paths give."""

from __future__ import annotations

import csv
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from app.domain import nhs_number
from ingest.contracts import FEED_MODELS, ValidationContext, validate_row
from ingest.contracts.fast_path import FAST_PATHS
from ingest.contracts.problems import problems_of

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data" / "small" / "patients"
NOW = datetime(2031, 1, 1, tzinfo=UTC)


def _sample_records(limit: int = 3_000) -> list[dict[str, str]]:
    records: list[dict[str, str]] = []
    for path in sorted(SAMPLE.glob("*.csv"))[:4]:
        with path.open(newline="", encoding="utf-8") as fh:
            records.extend(csv.DictReader(fh))
    return records[:limit]


def _spoiled(records: list[dict[str, str]]) -> list[dict[str, Any]]:
    """Every kind of value the contract rejects or repairs, spread over real rows."""
    rng = random.Random(3)
    changes: list[dict[str, Any]] = [
        {"nhs_number": "9990000019"},  # bad check digit
        {"nhs_number": "999 000 0018"},
        {"nhs_number": ""},
        {"admitted_at": "2026-13-40T99:00"},
        {"admitted_at": "2026-10-01T10:00"},  # no offset: local time
        {"snapshot_at": "2099-01-01T08:00"},  # in the future
        {"age": "abc"},
        {"age": " 81 "},
        {"age": "131"},
        {"spell_id": ""},
        {"spell_id": "x" * 65},
        {"pathway": "7"},
        {"pathway": "P2"},
        {"site_code": "rxa01"},
        {"day_status": "RED"},
        {"delay_reason_code": "NOPE"},
        {"discharge_ready_date": "2000-01-01"},  # before admission
        {"discharge_ready_date": "2026-01-01", "delay_reason_code": ""},
        {"discharged_at": "2000-01-01T00:00"},  # before admission
        {"admission_method": "Emergency"},
        {"local_authority_code": "X1"},
        {"age": 84},  # JSON values: the model path
        {"nhs_number": None},
    ]
    spoiled: list[dict[str, Any]] = []
    for record in records[:400]:
        spoiled.append(record | rng.choice(changes))
    missing = dict(records[0])
    del missing["ward_code"]
    spoiled.append(missing)
    return spoiled


def _by_model(feed: str, record: dict[str, Any], context: ValidationContext) -> Any:
    from pydantic import ValidationError

    try:
        return FEED_MODELS[feed].model_validate(record, context=context)
    except ValidationError as exc:
        return [p.message for p in problems_of(feed, record, exc)]


@pytest.mark.parametrize("spoil", [False, True])
def test_fast_validation_equals_the_model(spoil: bool) -> None:
    records: list[dict[str, Any]] = _sample_records()
    if spoil:
        records = _spoiled(records)
    fast_context = ValidationContext.from_settings(Settings(), now=NOW)
    model_context = ValidationContext.from_settings(Settings(), now=NOW)
    taken = 0
    for record in records:
        expected = _by_model("patients", record, model_context)
        fast = FAST_PATHS["patients"](record, fast_context)
        outcome = validate_row("patients", record, fast_context)
        if isinstance(expected, list):
            assert fast is None
            assert outcome.row is None
            assert [p.message for p in outcome.rejections] == expected
            continue
        assert outcome.row == expected
        assert outcome.row.__dict__ == expected.__dict__
        assert [type(v) for v in outcome.row.__dict__.values()] == [
            type(v) for v in expected.__dict__.values()
        ]
        assert outcome.row.model_fields_set == expected.model_fields_set
        assert hash(outcome.row) == hash(expected)
        taken += fast is not None
    assert taken > (0 if spoil else len(records) // 2)
    assert fast_context.memo  # repeated values were parsed once


def test_fast_validation_of_other_feeds() -> None:
    context = ValidationContext.from_settings(Settings(), now=NOW)
    record = {
        "snapshot_at": "2025-01-15T08:00",
        "site_code": "rxa01",
        "ward_code": "W1",
        "ward_name": "Ward 1",
        "bed_base": "General Acute",
        "core_beds_open": "20",
        "escalation_beds_open": "2",
        "beds_occupied": "25",
        "beds_closed": "0",
    }
    fast = validate_row("beds", record, context)
    expected = FEED_MODELS["beds"].model_validate(record, context=context)
    assert fast.row == expected
    assert [w.code for w in fast.warnings] == ["occupied_over_open"]
    bad = validate_row("beds", record | {"beds_closed": "-1"}, context)
    assert bad.row is None and bad.rejections[0].column == "beds_closed"


def _reference_check_digit(first_nine: str) -> int | None:
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - (total % 11)
    return 0 if digit == 11 else None if digit == 10 else digit


def test_check_digit_equals_the_reference() -> None:
    rng = random.Random(11)
    for _ in range(20_000):
        nine = f"{rng.randrange(10**9):09d}"
        assert nhs_number.check_digit(nine) == _reference_check_digit(nine)
    for wrong in ("12345678", "1234567890", "12345678x"):
        with pytest.raises(ValueError):
            nhs_number.check_digit(wrong)


@pytest.mark.parametrize(
    "key", ["", "k", "homeward-demo-pseudonym-key-change-me", "x" * 64, "y" * 65, "ключ" * 40]
)
def test_pseudonym_is_hmac_sha256(key: str) -> None:
    import hashlib
    import hmac

    for number in ("9990743576", "999 074 3576", "999-074-3576"):
        expected = hmac.new(
            key.encode(), number.replace(" ", "").replace("-", "").encode(), hashlib.sha256
        )
        assert nhs_number.pseudonymise(number, key) == expected.hexdigest()


# --- the bulk writes (one statement per chunk on PostgreSQL, executemany elsewhere) ---------


def _two_spells(session: Any) -> list[int]:
    from sqlalchemy import select

    from models.spells import Spell
    from tests.test_ingest_patients import apply, row

    census = "2026-03-03T08:00"
    apply(
        session,
        [
            row("S1", census),
            row("S2", census, discharge_ready_date="2026-03-02", delay_reason_code="P1_HOMECARE"),
        ],
    )
    return list(session.scalars(select(Spell.id).order_by(Spell.spell_id)))


def _days(session: Any) -> list[tuple[Any, ...]]:
    from sqlalchemy import select

    from models.spells import SpellDay

    query = select(SpellDay.spell_pk, SpellDay.day, SpellDay.ward_code, SpellDay.nctr)
    return [tuple(r) for r in session.execute(query.order_by(SpellDay.spell_pk, SpellDay.day))]


def test_bulk_writes_do_what_one_row_at_a_time_does(session: Any) -> None:
    from datetime import date

    from sqlalchemy import select

    from ingest import bulk
    from ingest.census import records
    from models.spells import Spell

    first, second = _two_spells(session)
    before = _days(session)
    assert {pk for pk, *_ in before} == {first, second}
    names = ("spell_pk", "day", "site_code", "ward_code", "nctr", "r2g_status")
    rows = [
        (first, date(2026, 3, 10), "RXA01", "A", False, "not_recorded"),
        (first, date(2026, 3, 10), "RXA01", "B", True, "red"),  # the same key: the last wins
        (second, date(2026, 3, 1), "RXA01", "C", False, "green"),  # an existing day: updated
    ]
    bulk.write_rows(session, records.SPELL_DAYS, names, rows, key=("spell_pk", "day"))
    after = {(pk, day): (ward, nctr) for pk, day, ward, nctr in _days(session)}
    assert after[(first, date(2026, 3, 10))] == ("B", True)
    assert after[(second, date(2026, 3, 1))] == ("C", False)
    assert len(after) == len(before) + 1

    bulk.delete_from_day(
        session, records.SPELL_DAYS, [(first, date(2026, 3, 3)), (first, date(2026, 3, 5))]
    )
    left = _days(session)
    assert all(day < date(2026, 3, 3) for pk, day, *_ in left if pk == first)
    assert any(day >= date(2026, 3, 3) for pk, day, *_ in left if pk == second)

    bulk.update_rows(
        session, records.SPELLS, ["id", "age"], [(first, 90), (second, 91), (first, 92)]
    )
    ages = dict(session.execute(select(Spell.id, Spell.age)).all())
    assert ages == {first: 92, second: 91}
    session.rollback()


def test_read_rows_converts_as_sqlalchemy_does(session: Any) -> None:
    from sqlalchemy import select

    from ingest import bulk
    from ingest.census import records
    from models.spells import Spell, SpellDay

    _two_spells(session)
    for columns in (records.SPELL_SELECT, [c for c in SpellDay.__table__.c]):
        expected = [tuple(r) for r in session.execute(select(*columns)).all()]
        got = bulk.read_rows(session, columns)
        assert got == expected
        assert [[type(v) for v in r] for r in got] == [[type(v) for v in r] for r in expected]
    assert bulk.read_rows(session, [Spell.__table__.c.id], Spell.__table__.c.id < 0) == []
