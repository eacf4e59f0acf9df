"""The patients feed applied to the store (DESIGN.md §3, §4.2–§4.6): census semantics, the
spell history and the per-day facts, on SQLite and PostgreSQL.

Scenarios are a few patients with known times (Europe/London wall-clock); every expected
value is worked out by hand in the comments.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

import models
from app.core.config import get_settings
from app.domain import nhs_number
from ingest.census import PatientBatchResult, apply_patient_batch
from ingest.contracts import PatientRow, ValidationContext
from ingest.notices import NoticeSink
from models import IngestRun, Spell, SpellDay, SpellEvent, SpellState
from models.spells import PatientCensus, SpellDayStatus

LONDON = ZoneInfo("Europe/London")
CONTEXT = ValidationContext(
    now=datetime(2030, 1, 1, tzinfo=UTC), tz=LONDON, future_tolerance=timedelta(minutes=15)
)
PATIENT_TABLES = (Spell, SpellState, SpellEvent, SpellDay, SpellDayStatus, PatientCensus)
D = date


def nhs(n: int) -> str:
    """A valid synthetic NHS number (999 000 000n + check digit)."""
    for first_nine in range(999_000_000 + n * 10, 999_999_999):
        digit = nhs_number.check_digit(str(first_nine))
        if digit is not None:
            return f"{first_nine}{digit}"
    raise AssertionError("no number")


def at(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


def row(
    spell_id: str,
    snapshot: str,
    *,
    site: str = "RXA01",
    ward: str = "W1",
    admitted: str = "2026-03-01T10:00",
    **values: Any,
) -> PatientRow:
    """A patients row as the contract parses it (times are Europe/London wall-clock)."""
    record: dict[str, Any] = {
        "snapshot_at": snapshot,
        "site_code": site,
        "ward_code": ward,
        "spell_id": spell_id,
        "local_patient_id": f"MRN-{spell_id}",
        "nhs_number": nhs(int("".join(c for c in spell_id if c.isdigit()) or 0)),
        "age": "82",
        "admitted_at": admitted,
        "admission_method": "emergency",
    }
    record.update({k: str(v) for k, v in values.items()})
    return PatientRow.model_validate(record, context=CONTEXT)


def apply(session: Session, rows: list[PatientRow]) -> tuple[PatientBatchResult, NoticeSink]:
    run = IngestRun(feed="patients", source="cli", started_at=datetime.now(UTC), status="running")
    session.add(run)
    session.flush()
    sink = NoticeSink()
    result = apply_patient_batch(session, run.id, [(i + 2, r) for i, r in enumerate(rows)], sink)
    session.commit()
    assert result.loaded + len(result.quarantined) == len(rows)
    return result, sink


def spell(session: Session, spell_id: str) -> Spell:
    found = session.scalars(select(Spell).where(Spell.spell_id == spell_id)).one()
    session.refresh(found)
    return found


def days(session: Session, spell_id: str) -> list[SpellDay]:
    pk = spell(session, spell_id).id
    query = select(SpellDay).where(SpellDay.spell_pk == pk).order_by(SpellDay.day)
    found = list(session.scalars(query))
    for d in found:
        session.refresh(d)
    return found


def events(session: Session, spell_id: str) -> list[tuple[datetime, str, str | None, str | None]]:
    pk = spell(session, spell_id).id
    query = (
        select(
            SpellEvent.event_at, SpellEvent.event_type, SpellEvent.old_value, SpellEvent.new_value
        )
        .where(SpellEvent.spell_pk == pk)
        .order_by(SpellEvent.event_at, SpellEvent.event_type)
    )
    return [tuple(r) for r in session.execute(query)]  # type: ignore[misc]


def table_contents(session: Session) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the patients tables, in a stable order."""
    contents = {}
    for model in PATIENT_TABLES:
        table = model.__table__
        order = list(table.primary_key.columns)  # type: ignore[attr-defined]
        contents[table.name] = [  # type: ignore[attr-defined]
            tuple(r) for r in session.execute(select(table).order_by(*order))
        ]
    return contents


# --- inferred discharges, discharge rows ---------------------------------------------------


def test_a_spell_missing_from_the_next_census_is_discharged_at_it(session: Session) -> None:
    # Census 2 Mar 08:00 lists S1 and S2 (both admitted 1 Mar); census 3 Mar 08:00 lists only
    # S1 and has no discharge row for S2 → S2 discharged at 3 Mar 08:00, inferred.
    first, _ = apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    # bed days so far: 1 and 2 Mar for each (2 Mar provisional) = 4 rows
    assert first.days_written == 4
    result, sink = apply(session, [row("S1", "2026-03-03T08:00")])

    assert result.discharges_inferred == 1
    s2 = spell(session, "S2")
    assert (s2.discharged_at, s2.discharge_date, s2.discharge_inferred) == (
        at(2026, 3, 3),
        D(2026, 3, 3),
        True,
    )
    assert s2.drd_at_discharge is None  # never NCtR
    # S2's bed days: 1 and 2 Mar (discharge date 3 Mar − admission 1 Mar = 2)
    assert [d.day for d in days(session, "S2")] == [D(2026, 3, 1), D(2026, 3, 2)]
    assert [d.day for d in days(session, "S1")] == [D(2026, 3, 1), D(2026, 3, 2), D(2026, 3, 3)]
    assert (at(2026, 3, 3), "discharge_inferred", None, None) in events(session, "S2")
    inferences = sink.messages("inference")
    assert len(inferences) == 1
    assert "S2" in inferences[0] and "2026-03-03 08:00" in inferences[0]


def test_the_first_census_of_a_site_infers_nothing(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00", site="RXA01")])
    # a first census of another site does not discharge S1 (a census speaks for its sites)
    result, _ = apply(session, [row("S5", "2026-03-03T08:00", site="RXB02")])
    assert result.discharges_inferred == 0
    assert spell(session, "S1").discharged_at is None


def test_discharge_rows(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00")])
    result, _ = apply(
        session,
        [
            # S1 went home at 16:00 on 2 Mar
            row(
                "S1",
                "2026-03-03T08:00",
                discharged_at="2026-03-02T16:00",
                discharge_destination="usual_residence",
            ),
            row("S3", "2026-03-03T08:00", admitted="2026-03-02T12:00"),
            # S9 was never in a census: admitted 27 Feb, DRD 1 Mar, left 2 Mar 20:00
            row(
                "S9",
                "2026-03-03T08:00",
                admitted="2026-02-27T09:00",
                discharge_ready_date="2026-03-01",
                pathway="1",
                delay_reason_code="E",
                discharged_at="2026-03-02T20:00",
                discharge_destination="care_home",
            ),
        ],
    )
    assert result.discharges_inferred == 0
    s1 = spell(session, "S1")
    assert (s1.discharged_at, s1.discharge_date, s1.discharge_inferred) == (
        at(2026, 3, 2, 16),
        D(2026, 3, 2),
        False,
    )
    assert s1.discharge_destination == "usual_residence"
    # the provisional 2 Mar row went: discharged on 2 Mar, so 1 Mar is the only bed day
    assert [d.day for d in days(session, "S1")] == [D(2026, 3, 1)]

    s9 = spell(session, "S9")
    assert (s9.admitted_at, s9.discharged_at) == (at(2026, 2, 27, 9), at(2026, 3, 2, 20))
    # bed days 27, 28 Feb and 1 Mar (2026 is not a leap year); delayed: 1 Mar only,
    # = discharge date 2 Mar − DRD 1 Mar = 1
    s9_days = days(session, "S9")
    assert [(d.day, d.nctr) for d in s9_days] == [
        (D(2026, 2, 27), False),
        (D(2026, 2, 28), False),
        (D(2026, 3, 1), True),
    ]
    assert (s9_days[2].delay_reason_code, s9_days[2].delay_attributable_to) == ("E", "social_care")
    assert (s9.drd_at_discharge, s9.pathway_at_discharge, s9.delay_reason_at_discharge) == (
        D(2026, 3, 1),
        1,
        "E",
    )
    assert [e[1] for e in events(session, "S9")][:1] == ["admitted"]
    assert (at(2026, 3, 2, 20), "discharged", None, "care_home") in events(session, "S9")


def test_a_discharge_row_replaces_an_inferred_discharge(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    apply(session, [row("S1", "2026-03-03T08:00")])  # S2 inferred at 3 Mar 08:00
    # the next census carries S2's discharge row: it left at 2 Mar 18:00
    apply(
        session,
        [
            row("S1", "2026-03-04T08:00"),
            row(
                "S2",
                "2026-03-04T08:00",
                discharged_at="2026-03-02T18:00",
                discharge_destination="usual_residence",
            ),
        ],
    )
    s2 = spell(session, "S2")
    assert (s2.discharged_at, s2.discharge_inferred) == (at(2026, 3, 2, 18), False)
    assert [d.day for d in days(session, "S2")] == [D(2026, 3, 1)]  # left on 2 Mar


def test_a_spell_back_in_a_census_after_an_inferred_discharge_is_undischarged(
    session: Session,
) -> None:
    apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    apply(session, [row("S1", "2026-03-03T08:00")])  # S2 left out: inferred
    result, sink = apply(session, [row("S1", "2026-03-04T08:00"), row("S2", "2026-03-04T08:00")])
    s2 = spell(session, "S2")
    assert (s2.discharged_at, s2.discharge_date, s2.discharge_inferred) == (None, None, False)
    # back in hospital throughout: bed days 1..4 Mar again
    assert [d.day.day for d in days(session, "S2")] == [1, 2, 3, 4]
    assert any("withdrawn" in m and "S2" in m for m in sink.messages("notice"))
    assert (at(2026, 3, 4), "discharge_withdrawn", "2026-03-03", None) in events(session, "S2")
    assert result.discharges_inferred == 0


def test_a_spell_listed_after_its_reported_discharge_is_quarantined(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    apply(
        session,
        [
            row("S1", "2026-03-03T08:00", discharged_at="2026-03-02T15:00"),
            row("S2", "2026-03-03T08:00"),
        ],
    )
    result, _ = apply(session, [row("S1", "2026-03-04T08:00"), row("S2", "2026-03-04T08:00")])
    assert result.loaded == 1
    [(line, column, value, reason)] = result.quarantined
    assert (line, column, value) == (2, "spell_id", "S1")
    assert "discharged at 2026-03-02 15:00" in reason and "new spell_id" in reason
    assert spell(session, "S1").discharged_at == at(2026, 3, 2, 15)


# --- history and the per-day facts ---------------------------------------------------------


def test_a_late_drd_rewrites_the_earlier_days(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00")])
    apply(session, [row("S1", "2026-03-03T08:00")])
    # the 4 Mar census says the patient has been ready since 2 Mar (awaiting home care)
    result, _ = apply(
        session,
        [
            row(
                "S1",
                "2026-03-04T08:00",
                discharge_ready_date="2026-03-02",
                delay_reason_code="P1_HOMECARE",
                pathway="1",
            )
        ],
    )
    # rows rewritten from the DRD: 2, 3 and 4 Mar
    assert result.days_written == 3
    facts = [
        (d.day.day, d.nctr, d.discharge_ready_date, d.delay_reason_code, d.delay_attributable_to)
        for d in days(session, "S1")
    ]
    assert facts == [
        (1, False, None, None, None),
        (2, True, D(2026, 3, 2), "P1_HOMECARE", "social_care"),  # catalogue default agency
        (3, True, D(2026, 3, 2), "P1_HOMECARE", "social_care"),
        (4, True, D(2026, 3, 2), "P1_HOMECARE", "social_care"),
    ]
    drd_events = [e for e in events(session, "S1") if e[1] == "drd_set"]
    assert drd_events == [(at(2026, 3, 4), "drd_set", None, "2026-03-02")]
    assert session.scalar(select(SpellEvent.detail).where(SpellEvent.event_type == "drd_set")) == (
        "recorded 2 days after the DRD"
    )


def test_history_rows_only_when_the_state_changes(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00", expected_discharge_date="2026-03-06")])
    apply(session, [row("S1", "2026-03-03T08:00", expected_discharge_date="2026-03-06")])
    apply(session, [row("S1", "2026-03-04T08:00", ward="W7", expected_discharge_date="2026-03-08")])
    states = session.execute(
        select(
            SpellState.observed_at, SpellState.ward_code, SpellState.expected_discharge_date
        ).order_by(SpellState.observed_at)
    ).all()
    # 3 censuses, 2 states: the 3 Mar census repeated the 2 Mar state
    assert [tuple(s) for s in states] == [
        (at(2026, 3, 2), "W1", D(2026, 3, 6)),
        (at(2026, 3, 4), "W7", D(2026, 3, 8)),
    ]
    assert (at(2026, 3, 4), "ward_changed", "W1", "W7") in events(session, "S1")
    assert (at(2026, 3, 4), "edd_set", "2026-03-06", "2026-03-08") in events(session, "S1")
    assert [d.ward_code for d in days(session, "S1")] == ["W1", "W1", "W1", "W7"]


def test_reapplying_a_census_changes_nothing(session: Session) -> None:
    first = [
        row("S1", "2026-03-02T08:00", discharge_ready_date="2026-03-02", delay_reason_code="A"),
        row("S2", "2026-03-02T08:00", day_status="red", red_reason_code="DIAGNOSTICS"),
    ]
    second = [
        row("S1", "2026-03-03T08:00", discharge_ready_date="2026-03-02", delay_reason_code="A")
    ]
    apply(session, first)
    apply(session, second)
    before = table_contents(session)
    for batch in (second, first):  # the latest again, then an older one again
        result, sink = apply(session, batch)
        assert (result.spells_touched, result.days_written, result.discharges_inferred) == (0, 0, 0)
        assert sink.items == []
        assert table_contents(session) == before


def test_an_older_census_does_not_overwrite_the_current_state(session: Session) -> None:
    # The 3 Mar census arrives first: ward W2, DRD 3 Mar (reason E). Then the 2 Mar census
    # arrives late: ward W1, no DRD.
    apply(
        session,
        [
            row(
                "S1",
                "2026-03-03T08:00",
                ward="W2",
                discharge_ready_date="2026-03-03",
                delay_reason_code="E",
            )
        ],
    )
    apply(session, [row("S1", "2026-03-02T08:00", ward="W1")])
    s1 = spell(session, "S1")
    assert (s1.ward_code, s1.discharge_ready_date, s1.last_census_at) == (
        "W2",
        D(2026, 3, 3),
        at(2026, 3, 3),
    )
    states = session.execute(
        select(
            SpellState.observed_at, SpellState.ward_code, SpellState.discharge_ready_date
        ).order_by(SpellState.observed_at)
    ).all()
    assert [tuple(s) for s in states] == [
        (at(2026, 3, 2), "W1", None),
        (at(2026, 3, 3), "W2", D(2026, 3, 3)),
    ]
    # 1 Mar: before the first census → its ward, now W1; 2 Mar W1; 3 Mar W2 and delayed
    assert [(d.day.day, d.ward_code, d.nctr) for d in days(session, "S1")] == [
        (1, "W1", False),
        (2, "W1", False),
        (3, "W2", True),
    ]
    # the events are regenerated from the history: the move to W2 now shows
    changes = [e[1:] for e in events(session, "S1") if e[0] == at(2026, 3, 3)]
    assert sorted(changes) == [
        ("agency_changed", None, "social_care"),
        ("drd_set", None, "2026-03-03"),
        ("reason_changed", None, "E"),
        ("ward_changed", "W1", "W2"),
    ]


def test_an_older_census_brings_forward_an_inferred_discharge(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    apply(session, [row("S1", "2026-03-04T08:00")])  # S2 inferred at 4 Mar
    # the 3 Mar census arrives late, without S2: it had left by then
    result, _ = apply(session, [row("S1", "2026-03-03T08:00")])
    assert result.discharges_inferred == 1
    s2 = spell(session, "S2")
    assert (s2.discharged_at, s2.discharge_inferred) == (at(2026, 3, 3), True)
    assert [d.day.day for d in days(session, "S2")] == [1, 2]
    assert [e[0] for e in events(session, "S2") if e[1] == "discharge_inferred"] == [at(2026, 3, 3)]


def test_a_second_census_without_changes_writes_only_the_new_days(session: Session) -> None:
    def at_time(snapshot: str) -> list[PatientRow]:
        return [
            row("S1", snapshot, discharge_ready_date="2026-03-02", delay_reason_code="E"),
            row("S2", snapshot),
            row("S3", snapshot, admitted="2026-03-02T07:00"),
        ]

    # first census 2 Mar: S1, S2 have 1 and 2 Mar, S3 has 2 Mar → 5 rows
    assert apply(session, at_time("2026-03-02T08:00"))[0].days_written == 5
    result, _ = apply(session, at_time("2026-03-03T08:00"))
    assert (result.days_written, result.spells_touched) == (3, 3)  # one new day each
    assert session.scalar(select(text("count(*)")).select_from(SpellDay)) == 8
    # a second census the same day: nothing new to write
    result, _ = apply(session, at_time("2026-03-03T14:00"))
    assert result.days_written == 0
    # 4 Mar: S1's reason changes (same DRD) → S1 rewrites only 4 Mar; the others add 4 Mar
    changed = at_time("2026-03-04T08:00")
    changed[0] = changed[0].model_copy(update={"delay_reason_code": "DII"})
    result, _ = apply(session, changed)
    assert result.days_written == 3
    assert [(d.day.day, d.delay_reason_code) for d in days(session, "S1")] == [
        (1, None),
        (2, "E"),
        (3, "E"),
        (4, "DII"),
    ]


def test_recorded_day_status_latest_non_empty_wins(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00", day_status="red", red_reason_code="DIAGNOSTICS")])
    apply(session, [row("S1", "2026-03-02T14:00")])  # an empty status does not clear it
    [day1, day2] = days(session, "S1")
    assert (day2.day_status_recorded, day2.r2g_status, day2.r2g_reason_code) == (
        "red",
        "red",
        "DIAGNOSTICS",
    )
    assert day1.r2g_status == "not_recorded"
    apply(session, [row("S1", "2026-03-02T18:00", day_status="green")])
    day2 = days(session, "S1")[1]
    assert (day2.day_status_recorded, day2.r2g_status, day2.r2g_reason_code) == (
        "green",
        "green",
        None,
    )
    # an older census of the day arriving late does not override the later status
    apply(session, [row("S1", "2026-03-02T10:00", day_status="red", red_reason_code="THERAPY")])
    assert days(session, "S1")[1].r2g_status == "green"


def test_an_nctr_day_without_a_status_is_red_with_the_delay_reason(session: Session) -> None:
    apply(
        session,
        [row("S1", "2026-03-02T08:00", discharge_ready_date="2026-03-02", delay_reason_code="DII")],
    )
    assert [(d.r2g_status, d.r2g_reason_code) for d in days(session, "S1")] == [
        ("not_recorded", None),
        ("red", "DII"),
    ]


# --- several censuses and sites in one batch ----------------------------------------------


def test_a_batch_of_several_censuses_and_sites(session: Session) -> None:
    # One batch: 2 Mar census of sites A and B, 3 Mar census of site A only (listed first in
    # the file: censuses are applied in time order). A2 is absent on 3 Mar → inferred; B1 is
    # not in the 3 Mar census, but that census does not name site B → stays in.
    result, _ = apply(
        session,
        [
            row("A1", "2026-03-03T08:00", site="RXA01"),
            row("A1", "2026-03-02T08:00", site="RXA01"),
            row("A2", "2026-03-02T08:00", site="RXA01"),
            row("B1", "2026-03-02T08:00", site="RXB02"),
        ],
    )
    assert result.discharges_inferred == 1
    assert spell(session, "A2").discharged_at == at(2026, 3, 3)
    assert spell(session, "B1").discharged_at is None
    censuses = session.execute(
        select(PatientCensus.site_code, PatientCensus.snapshot_at).order_by(
            PatientCensus.snapshot_at, PatientCensus.site_code
        )
    ).all()
    assert [tuple(c) for c in censuses] == [
        ("RXA01", at(2026, 3, 2)),
        ("RXB02", at(2026, 3, 2)),
        ("RXA01", at(2026, 3, 3)),
    ]


# --- cross-row problems --------------------------------------------------------------------


def test_the_same_spell_twice_in_a_census_keeps_the_first(session: Session) -> None:
    result, sink = apply(
        session,
        [
            row("S1", "2026-03-02T08:00", ward="W1"),
            row("S1", "2026-03-02T08:00", ward="W9"),
            row("S2", "2026-03-02T08:00"),
            row("S2", "2026-03-02T08:00"),
        ],
    )
    # rows in 4 = loaded 3 (S1, S2, S2's identical repeat, ignored with a warning) + 1
    assert result.loaded == 3
    [(line, column, value, reason)] = result.quarantined
    assert (line, column, value) == (3, "spell_id", "S1")
    assert reason == (
        "spell S1 appears twice in the census of 2026-03-02 08:00 (first on line 2) — send one "
        "row per spell per census"
    )
    assert spell(session, "S1").ward_code == "W1"
    assert len(sink.messages("warning")) == 1


def test_a_spell_at_another_site_is_quarantined(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00", site="RXA01")])
    result, _ = apply(
        session,
        [row("S1", "2026-03-03T08:00", site="RXB02"), row("S2", "2026-03-03T08:00", site="RXB02")],
    )
    [(line, column, value, reason)] = result.quarantined
    assert (line, column, value) == (2, "site_code", "RXB02")
    assert "spell S1 is a spell of site RXA01" in reason
    assert spell(session, "S1").site_code == "RXA01"


def test_contract_rejected_spells_are_not_inferred_discharged(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00"), row("S2", "2026-03-02T08:00")])
    run = IngestRun(feed="patients", source="cli", started_at=datetime.now(UTC), status="running")
    session.add(run)
    session.flush()
    result = apply_patient_batch(
        session,
        run.id,
        [(2, row("S1", "2026-03-03T08:00"))],
        NoticeSink(),
        quarantined_spell_ids={"S2"},  # S2's row of this census was rejected by the contract
    )
    session.commit()
    assert result.discharges_inferred == 0
    assert spell(session, "S2").discharged_at is None


# --- identifiers ---------------------------------------------------------------------------


def test_the_nhs_number_is_stored_only_as_a_pseudonym(engine: Engine, session: Session) -> None:
    raw = nhs(7)
    apply(session, [row("S7", "2026-03-02T08:00")])
    assert spell(session, "S7").nhs_number_pseudonym == nhs_number.pseudonymise(
        raw, get_settings().pseudonym_key
    )
    dump: list[str] = []
    for table in models.Base.metadata.sorted_tables:
        dump.extend(repr(tuple(r)) for r in session.execute(select(table)))
    text_dump = "\n".join(dump)
    assert "S7" in text_dump  # the dump did read the spell
    assert raw not in text_dump and f"{raw[:3]} {raw[3:6]} {raw[6:]}" not in text_dump
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        assert database is not None
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(FULL)")
        for suffix in ("", "-wal"):
            try:
                with open(database + suffix, "rb") as fh:
                    content = fh.read()
            except FileNotFoundError:
                continue
            assert raw.encode() not in content


def test_censuses_arriving_out_of_order_infer_at_the_right_census(session: Session) -> None:
    # The censuses of 2, 3 and 4 Mar arrive as 4, 2, 3.
    # 4 Mar (first known census of the site): S1 only — nothing to compare with.
    # 2 Mar (older): S1, S2 and S3. There is a later census (4 Mar) and S2, S3 are absent
    #   from it → both discharged at 4 Mar (the census after 2 Mar).
    # 3 Mar (between): S1 and S3. S2 is absent → its discharge is brought forward to 3 Mar;
    #   S3 is present, and still absent from 4 Mar → stays discharged at 4 Mar.
    apply(session, [row("S1", "2026-03-04T08:00")])
    result, _ = apply(
        session,
        [
            row("S1", "2026-03-02T08:00"),
            row("S2", "2026-03-02T08:00"),
            row("S3", "2026-03-02T08:00"),
        ],
    )
    assert result.discharges_inferred == 2
    assert spell(session, "S2").discharged_at == at(2026, 3, 4)
    result, _ = apply(session, [row("S1", "2026-03-03T08:00"), row("S3", "2026-03-03T08:00")])
    assert result.discharges_inferred == 1
    assert spell(session, "S2").discharged_at == at(2026, 3, 3)
    assert spell(session, "S3").discharged_at == at(2026, 3, 4)
    # bed days: S2 1–2 Mar (left 3 Mar), S3 1–3 Mar (left 4 Mar), S1 1–4 Mar
    assert [d.day.day for d in days(session, "S2")] == [1, 2]
    assert [d.day.day for d in days(session, "S3")] == [1, 2, 3]
    assert [d.day.day for d in days(session, "S1")] == [1, 2, 3, 4]
    assert spell(session, "S1").last_census_at == at(2026, 3, 4)


def test_a_discharge_row_without_a_drd_does_not_end_the_delay(session: Session) -> None:
    # NCtR since 2 Mar (reason E); the discharge row (left 3 Mar 15:00) leaves the DRD empty.
    # The DRD in force at discharge is still 2 Mar: delayed days = 3 Mar − 2 Mar = 1.
    apply(
        session,
        [row("S1", "2026-03-02T08:00", discharge_ready_date="2026-03-02", delay_reason_code="E")],
    )
    apply(
        session,
        [
            row("S1", "2026-03-04T08:00", discharged_at="2026-03-03T15:00"),
            row("S2", "2026-03-04T08:00"),
        ],
    )
    s1 = spell(session, "S1")
    assert (s1.drd_at_discharge, s1.delay_reason_at_discharge) == (D(2026, 3, 2), "E")
    assert [(d.day.day, d.nctr) for d in days(session, "S1")] == [(1, False), (2, True)]
    assert "drd_cleared" not in [e[1] for e in events(session, "S1")]


def test_a_cleared_drd_stops_the_count(session: Session) -> None:
    # DRD 2 Mar from the 2 Mar census; the 4 Mar census clears it; 5 Mar census: still clear.
    # Delayed: 2 and 3 Mar only.
    apply(
        session,
        [row("S1", "2026-03-02T08:00", discharge_ready_date="2026-03-02", delay_reason_code="A")],
    )
    apply(session, [row("S1", "2026-03-04T08:00")])
    apply(session, [row("S1", "2026-03-05T08:00")])
    assert [(d.day.day, d.nctr) for d in days(session, "S1")] == [
        (1, False),
        (2, True),
        (3, True),
        (4, False),
        (5, False),
    ]
    assert (at(2026, 3, 4), "drd_cleared", "2026-03-02", None) in events(session, "S1")
    assert spell(session, "S1").discharge_ready_date is None


def test_the_first_census_of_a_spell_writes_its_admission_and_state_events(
    session: Session,
) -> None:
    apply(
        session,
        [
            row(
                "S1",
                "2026-03-02T08:00",
                expected_discharge_date="2026-03-05",
                discharge_ready_date="2026-03-02",
                delay_reason_code="P2_BED",
                pathway="2",
            )
        ],
    )
    assert [e[1:] for e in events(session, "S1")] == [
        ("admitted", None, "W1"),
        ("agency_changed", None, "nhs"),
        ("drd_set", None, "2026-03-02"),
        ("edd_set", None, "2026-03-05"),
        ("pathway_changed", None, "2"),
        ("reason_changed", None, "P2_BED"),
    ]


def test_a_status_survives_a_discharge_that_is_withdrawn(session: Session) -> None:
    # 2 Mar 08:00: S2 red (DIAGNOSTICS). 2 Mar 14:00: S2 left out → inferred discharged at
    # 14:00, so 2 Mar is no longer a bed day and its row goes; the status is kept aside.
    # 3 Mar: S2 is back → 2 Mar is a bed day again, with its recorded status.
    apply(
        session,
        [
            row("S1", "2026-03-02T08:00"),
            row("S2", "2026-03-02T08:00", day_status="red", red_reason_code="DIAGNOSTICS"),
        ],
    )
    apply(session, [row("S1", "2026-03-02T14:00")])
    assert [d.day.day for d in days(session, "S2")] == [1]
    parked = session.execute(select(SpellDayStatus.day, SpellDayStatus.day_status)).all()
    assert [tuple(p) for p in parked] == [(D(2026, 3, 2), "red")]
    apply(session, [row("S1", "2026-03-03T08:00"), row("S2", "2026-03-03T08:00")])
    s2_days = days(session, "S2")
    assert [(d.day.day, d.r2g_status, d.r2g_reason_code) for d in s2_days] == [
        (1, "not_recorded", None),
        (2, "red", "DIAGNOSTICS"),
        (3, "not_recorded", None),
    ]
    assert s2_days[1].day_status_recorded_at == at(2026, 3, 2)


def test_a_bed_days_status_lives_on_its_row(session: Session) -> None:
    apply(session, [row("S1", "2026-03-02T08:00", day_status="green")])
    apply(session, [row("S1", "2026-03-03T08:00", day_status="red")])
    assert [(d.day.day, d.day_status_recorded) for d in days(session, "S1")] == [
        (1, None),
        (2, "green"),
        (3, "red"),
    ]
    # nothing parked: every status has its bed day
    assert session.scalar(select(text("count(*)")).select_from(SpellDayStatus)) == 0
