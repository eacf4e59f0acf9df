"""The batch loader, one bad input at a time, on both databases.

Every test checks the run's arithmetic (rows in = loaded + quarantined) and, where the batch
has good rows, that they were kept. Expected values come from the small CSV written in each
test.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

import models
from ingest.loader import RunSummary, load_batch
from models import (
    BedSnapshot,
    CareHome,
    CareHomeSnapshot,
    DomiciliarySnapshot,
    IngestNotice,
    IngestRun,
    QuarantinedRow,
    Ward,
)

BEDS_HEADER = (
    "snapshot_at,site_code,ward_code,ward_name,bed_base,core_beds_open,"
    "escalation_beds_open,beds_occupied,beds_closed\n"
)
CARE_HOMES_HEADER = (
    "snapshot_at,cqc_location_id,home_name,local_authority_code,care_type,max_capacity,"
    "occupied,vacant_reserved,vacant_accepting_admissions,accepting_admissions\n"
)
AT = "2025-01-15T08:00"  # London time in winter = UTC
AT_UTC = datetime(2025, 1, 15, 8, 0, tzinfo=UTC)


def beds(*rows: str, header: str = BEDS_HEADER) -> bytes:
    return (header + "".join(r + "\n" for r in rows)).encode()


def bed_row(
    ward: str = "W1", core: str = "20", esc: str = "2", occ: str = "18", at: str = AT
) -> str:
    return f"{at},RXA01,{ward},Ward {ward[1:]},general_acute,{core},{esc},{occ},0"


def load(engine: Engine, feed: str, body: bytes, **kw: Any) -> RunSummary:
    """Load a batch; the summary and the recorded run agree and rows in = loaded + quarantined."""
    summary = load_batch(feed, body, engine=engine, **kw)
    assert summary.rows_in == summary.rows_loaded + summary.rows_quarantined
    with Session(engine) as session:
        run = session.get(IngestRun, summary.run_id)
        assert run is not None
        assert (run.status, run.rows_in, run.rows_loaded, run.rows_quarantined) == (
            summary.status,
            summary.rows_in,
            summary.rows_loaded,
            summary.rows_quarantined,
        )
        assert run.warnings == summary.warnings and run.finished_at is not None
    return summary


def run_row(session: Session, run_id: int) -> IngestRun:
    session.expire_all()
    run = session.get(IngestRun, run_id)
    assert run is not None
    assert run.rows_in == run.rows_loaded + run.rows_quarantined
    return run


def quarantined(session: Session, run_id: int) -> list[tuple[int | None, str | None, str]]:
    rows = session.execute(
        select(QuarantinedRow.line_number, QuarantinedRow.column, QuarantinedRow.reason)
        .where(QuarantinedRow.ingest_run_id == run_id)
        .order_by(QuarantinedRow.line_number)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def notices(session: Session, run_id: int, kind: str) -> list[tuple[int | None, str]]:
    rows = session.execute(
        select(IngestNotice.line_number, IngestNotice.message)
        .where(IngestNotice.ingest_run_id == run_id, IngestNotice.kind == kind)
        .order_by(IngestNotice.id)
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def bed_state(session: Session) -> dict[str, tuple[int, int, int, int]]:
    rows = session.execute(
        select(
            Ward.ward_code,
            BedSnapshot.core_beds_open,
            BedSnapshot.escalation_beds_open,
            BedSnapshot.beds_occupied,
            BedSnapshot.beds_closed,
        ).join(Ward, Ward.id == BedSnapshot.ward_id)
    ).all()
    return {w: (c, e, o, cl) for w, c, e, o, cl in rows}


def test_good_batch_loads_with_counts_snapshot_and_registration(
    engine: Engine, session: Session
) -> None:
    body = beds(bed_row("W1"), bed_row("W2", core="10", esc="0", occ="9"))
    s = load(engine, "beds", body, source_kind="api", source_name="trust-a", file_name="b.csv")
    assert (s.status, s.rows_in, s.rows_loaded, s.rows_quarantined) == ("succeeded", 2, 2, 0)
    assert s.snapshot_at == AT_UTC
    assert bed_state(session) == {"W1": (20, 2, 18, 0), "W2": (10, 0, 9, 0)}
    run = run_row(session, s.run_id)
    assert (run.status, run.source, run.source_name, run.file_name) == (
        "succeeded",
        "api",
        "trust-a",
        "b.csv",
    )
    assert run.snapshot_at == AT_UTC and run.finished_at is not None
    assert run.content_hash is not None and len(run.content_hash) == 64


def test_missing_or_misspelled_required_column_fails_the_run(
    engine: Engine, session: Session
) -> None:
    header = BEDS_HEADER.replace("beds_occupied", "beds_ocupied")
    s = load(engine, "beds", beds(bed_row("W1"), bed_row("W2"), header=header))
    assert s.status == "failed"
    assert s.error is not None
    assert "'beds_occupied'" in s.error
    assert "'beds_ocupied' looks like a misspelling of 'beds_occupied'" in s.error
    # a file-level error: the rows are counted, none loaded, one entry says why
    assert (s.rows_in, s.rows_loaded, s.rows_quarantined) == (2, 0, 2)
    assert quarantined(session, s.run_id) == [(1, "beds_occupied", s.error)]
    assert run_row(session, s.run_id).error == s.error
    assert bed_state(session) == {}
    missing = load(
        engine, "beds", beds(bed_row("W1"), header=BEDS_HEADER.replace(",beds_closed", ""))
    )
    assert missing.status == "failed" and "'beds_closed'" in (missing.error or "")


def test_unknown_extra_columns_are_kept_out_and_warned_once(
    engine: Engine, session: Session
) -> None:
    header = BEDS_HEADER.strip() + ",notes,Matron\n"
    body = beds(bed_row("W1") + ",busy,Ann", bed_row("W2") + ",,Bob", header=header)
    s = load(engine, "beds", body)
    assert (s.status, s.rows_loaded, s.rows_quarantined) == ("succeeded", 2, 0)
    warned = notices(session, s.run_id, "warning")
    assert warned == [
        (None, "column(s) 'notes', 'Matron' are not part of the beds contract and were ignored")
    ]
    assert s.warnings == 1 and run_row(session, s.run_id).warnings == 1
    assert set(bed_state(session)) == {"W1", "W2"}


def test_a_file_that_is_not_utf8_fails_with_line_and_byte(engine: Engine, session: Session) -> None:
    line2 = bed_row("W1").encode()
    line3 = "2025-01-15T08:00,RXA01,W2,Caf\xe9 ward,general_acute,1,0,1,0".encode("cp1252")
    body = BEDS_HEADER.encode() + line2 + b"\n" + line3 + b"\n"
    s = load(engine, "beds", body)
    assert s.status == "failed"
    byte = len(BEDS_HEADER.encode()) + len(line2) + 1 + line3.index(b"\xe9") + 1
    assert f"line 3, byte {byte} is 0xE9 ('é' in Windows-1252)" in (s.error or "")
    assert "CSV UTF-8" in (s.error or "")
    assert quarantined(session, s.run_id)[0][0] == 3
    assert bed_state(session) == {}  # the run failed whole: nothing of it is kept


def test_a_bom_is_accepted(engine: Engine, session: Session) -> None:
    s = load(engine, "beds", b"\xef\xbb\xbf" + beds(bed_row("W1")))
    assert (s.status, s.rows_loaded) == ("succeeded", 1)


def test_an_empty_file_fails_and_a_header_only_file_loads_nothing(
    engine: Engine, session: Session
) -> None:
    empty = load(engine, "beds", b"")
    assert empty.status == "failed"
    assert empty.error == "the file is empty — send the header row and one row per record"
    assert (empty.rows_in, empty.rows_quarantined) == (0, 0)
    blank = load(engine, "beds", b"\n\n  \n")
    assert blank.status == "failed" and blank.error == empty.error
    header_only = load(engine, "beds", BEDS_HEADER.encode())
    assert (header_only.status, header_only.rows_in, header_only.warnings) == ("succeeded", 0, 1)
    assert "no rows" in notices(session, header_only.run_id, "warning")[0][1]


def test_a_truncated_last_line_is_quarantined_and_the_rest_kept(
    engine: Engine, session: Session
) -> None:
    body = beds(bed_row("W1"), bed_row("W2")) + b"2025-01-15T08:00,RXA01,W3,Ward 3,gener"
    s = load(engine, "beds", body)
    assert (s.status, s.rows_in, s.rows_loaded, s.rows_quarantined) == ("succeeded", 3, 2, 1)
    [(line, column, reason)] = quarantined(session, s.run_id)
    assert (line, column) == (4, None)
    assert reason == (
        "the row has 5 field(s) but the header has 9 — the line looks cut short; send the whole row"
    )
    assert set(bed_state(session)) == {"W1", "W2"}


def test_text_in_a_number_field(engine: Engine, session: Session) -> None:
    s = load(engine, "beds", beds(bed_row("W1"), bed_row("W2", core="abc"), bed_row("W3")))
    assert (s.rows_in, s.rows_loaded, s.rows_quarantined) == (3, 2, 1)
    assert quarantined(session, s.run_id) == [
        (
            3,
            "core_beds_open",
            "core_beds_open: 'abc' is not a whole number — send the core beds open, e.g. 28",
        )
    ]
    value, raw = session.execute(select(QuarantinedRow.value, QuarantinedRow.raw)).one()
    assert value == "abc" and json.loads(raw or "{}")["ward_code"] == "W2"
    assert set(bed_state(session)) == {"W1", "W3"}


def test_negative_bed_counts_are_rejected(engine: Engine, session: Session) -> None:
    s = load(engine, "beds", beds(bed_row("W1", occ="-3"), bed_row("W2")))
    assert (s.rows_in, s.rows_loaded, s.rows_quarantined) == (2, 1, 1)
    assert quarantined(session, s.run_id) == [
        (
            2,
            "beds_occupied",
            "beds_occupied: '-3' is negative — send the beds occupied (0 or more), e.g. 27",
        )
    ]
    assert set(bed_state(session)) == {"W2"}


def test_occupied_above_open_beds_is_accepted_with_a_warning(
    engine: Engine, session: Session
) -> None:
    s = load(engine, "beds", beds(bed_row("W1", core="20", esc="2", occ="23"), bed_row("W2")))
    assert (s.status, s.rows_loaded, s.rows_quarantined, s.warnings) == ("succeeded", 2, 0, 1)
    assert notices(session, s.run_id, "warning") == [
        (
            2,
            "beds_occupied 23 is more than the beds open (20 core + 2 escalation) — accepted; "
            "check the open beds are up to date",
        )
    ]
    assert bed_state(session)["W1"] == (20, 2, 23, 0)


def test_occupied_above_care_home_capacity_is_accepted_with_a_warning(
    engine: Engine, session: Session
) -> None:
    body = (
        CARE_HOMES_HEADER
        + f"{AT},1-101,Oak Lodge,E06000015,residential,30,31,0,0,false\n"
        + f"{AT},1-101,Oak Lodge,E06000015,nursing,10,8,1,1,TRUE\n"
    ).encode()
    s = load(engine, "care_homes", body)
    assert (s.rows_loaded, s.rows_quarantined, s.warnings) == (2, 0, 1)
    assert notices(session, s.run_id, "warning")[0][0] == 2
    got = session.execute(
        select(CareHomeSnapshot.care_type, CareHomeSnapshot.accepting_admissions).order_by(
            CareHomeSnapshot.care_type
        )
    ).all()
    assert [tuple(g) for g in got] == [("nursing", True), ("residential", False)]


def test_timestamps_beyond_the_future_tolerance_are_rejected(
    engine: Engine, session: Session
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    soon = (now + timedelta(minutes=5)).isoformat()  # within the 15 minutes allowed
    later = (now + timedelta(hours=2)).isoformat()
    s = load(engine, "beds", beds(bed_row("W1", at=soon), bed_row("W2", at=later)))
    assert (s.rows_in, s.rows_loaded, s.rows_quarantined) == (2, 1, 1)
    [(line, column, reason)] = quarantined(session, s.run_id)
    assert (line, column) == (3, "snapshot_at")
    assert "minutes in the future (more than the 15 minutes allowed)" in reason
    assert set(bed_state(session)) == {"W1"}


def test_a_new_ward_is_registered_with_a_notice_and_named_later(
    engine: Engine, session: Session
) -> None:
    first = load(engine, "beds", beds(bed_row("W1")))
    assert notices(session, first.run_id, "notice") == [
        (
            None,
            "new site RXA01 registered (acute, named 'RXA01') — load the reference sites "
            "file to give it its name and kind",
        ),
        (None, "new ward RXA01/W1 'Ward 1' registered (general_acute)"),
    ]
    renamed = bed_row("W1", at="2025-01-15T09:00").replace("Ward 1", "Elm Ward")
    second = load(engine, "beds", beds(renamed))
    assert notices(session, second.run_id, "notice") == [
        (None, "ward RXA01/W1 updated: ward name 'Ward 1' → 'Elm Ward'")
    ]
    assert session.scalars(select(Ward.ward_name)).all() == ["Elm Ward"]


def test_a_new_care_home_is_registered_with_a_notice(engine: Engine, session: Session) -> None:
    body = (
        CARE_HOMES_HEADER + f"{AT},1-555,Birch House,E06000015,nursing,12,10,0,2,yes\n"
    ).encode()
    s = load(engine, "care_homes", body)
    assert (s.rows_loaded, s.rows_quarantined) == (1, 0)
    assert (None, "new care home 1-555 'Birch House' registered (council E06000015)") in notices(
        session, s.run_id, "notice"
    )
    home = session.get(CareHome, "1-555")
    assert home is not None and home.local_authority_code == "E06000015"


def test_duplicate_rows_inside_one_batch(engine: Engine, session: Session) -> None:
    body = beds(
        bed_row("W1"),  # line 2: loaded
        bed_row("W2"),  # line 3: loaded
        bed_row("W1"),  # line 4: the same again
        bed_row("W1", occ="5"),  # line 5: the same ward and time, other values
        bed_row("W1", at="2025-01-15T09:00"),  # line 6: another time: loaded
    )
    s = load(engine, "beds", body)
    assert (s.rows_in, s.rows_loaded, s.rows_quarantined) == (5, 3, 2)
    assert quarantined(session, s.run_id) == [
        (4, None, "exact duplicate of line 2 — send each row once"),
        (
            5,
            None,
            "duplicate of line 2: the same ward and snapshot_at with different values — "
            "send one row per ward and snapshot_at",
        ),
    ]
    count = session.scalar(select(func.count()).select_from(BedSnapshot))
    assert count == 3
    assert bed_state(session)["W2"] == (20, 2, 18, 0)


def _all_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    out = {}
    with engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            rows = conn.execute(table.select()).all()
            out[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return out


def test_the_same_batch_twice_changes_nothing(engine: Engine, session: Session) -> None:
    body = beds(bed_row("W1"), bed_row("W2", occ="bad"), bed_row("W3", occ="30"))
    first = load(engine, "beds", body)
    assert (first.status, first.rows_loaded, first.rows_quarantined) == ("succeeded", 2, 1)
    before = _all_tables(engine)
    second = load(engine, "beds", body, source_kind="folder")
    assert second.status == "duplicate" and second.duplicate_of_run_id == first.run_id
    assert (second.rows_in, second.rows_loaded, second.rows_quarantined) == (0, 0, 0)
    after = _all_tables(engine)
    runs_before, runs_after = before.pop("ingest_runs"), after.pop("ingest_runs")
    assert after == before
    assert len(runs_after) == len(runs_before) + 1
    run = run_row(session, second.run_id)
    assert (run.status, run.duplicate_of_run_id, run.content_hash) == (
        "duplicate",
        first.run_id,
        run_row(session, first.run_id).content_hash,
    )


def test_a_row_sent_again_in_other_bytes_replaces_the_first(
    engine: Engine, session: Session
) -> None:
    load(engine, "beds", beds(bed_row("W1", occ="18"), bed_row("W2")))
    again = load(engine, "beds", beds(bed_row("W1", occ="19")))  # another file, same key
    assert again.status == "succeeded"
    assert bed_state(session) == {"W1": (20, 2, 19, 0), "W2": (20, 2, 18, 0)}
    assert session.scalar(select(func.count()).select_from(BedSnapshot)) == 2
    latest_run = session.scalar(
        select(BedSnapshot.ingest_run_id)
        .join(Ward, Ward.id == BedSnapshot.ward_id)
        .where(Ward.ward_code == "W1")
    )
    assert latest_run == again.run_id


def test_a_json_body_that_is_not_a_list_of_objects_fails(engine: Engine, session: Session) -> None:
    obj = load(engine, "beds", b'{"rows": []}', fmt="json")
    assert obj.status == "failed"
    assert (obj.error or "").startswith(
        "the JSON body is not a list of objects: the body is a JSON object, not a list"
    )
    numbers = load(engine, "beds", b"[1, 2]", fmt="json")
    assert "item 1 is a JSON number" in (numbers.error or "")
    cut = load(engine, "beds", b'[{"snapshot_at": "2025-01-15T08:00"', fmt="json")
    assert "the JSON is malformed" in (cut.error or "")
    assert session.scalar(select(func.count()).select_from(QuarantinedRow)) == 3
    assert bed_state(session) == {}


def test_a_json_batch_loads_with_row_level_quarantine(engine: Engine, session: Session) -> None:
    items = [
        {
            "snapshot_at": "2025-01-15T08:00:00Z",
            "provider_id": "HC1",
            "provider_name": "Caring Hands",
            "local_authority_code": "E06000015",
            "zone": zone,
            "hours_available_per_week": hours,
            "packages_startable_next_7_days": packages,
        }
        for zone, hours, packages in (("North", 37.5, 2), ("South", "lots", 1), ("East", 0, 0))
    ]
    s = load(engine, "domiciliary", json.dumps(items).encode())  # format sniffed
    assert (s.status, s.rows_in, s.rows_loaded, s.rows_quarantined) == ("succeeded", 3, 2, 1)
    [(item, column, reason)] = quarantined(session, s.run_id)
    assert (item, column) == (2, "hours_available_per_week")
    assert reason.startswith("hours_available_per_week: 'lots' is not a number")
    zones = session.scalars(select(DomiciliarySnapshot.zone).order_by(DomiciliarySnapshot.zone))
    assert list(zones) == ["East", "North"]


def test_capacity_tracker_layout_maps_onto_the_contract(engine: Engine, session: Session) -> None:
    body = (
        b"Last Updated,Location ID,Location Name,LA Code,Bed Type,Total Beds,Occupied Beds,"
        b"Vacant Beds Reserved,Vacant Beds Accepting Admissions,Accepting Admissions,Region\n"
        b"15/07/2025 09:30,1-777,Ash Court,E06000015,Nursing Dementia,30,27,1,2,Yes,Midlands\n"
        b"15/07/2025 09:30,1-777,Ash Court,E06000015,Residential,10,10,0,0,No,Midlands\n"
        b"2025-07-15,1-778,Cedar View,E06000015,Residential,10,10,0,0,No,Midlands\n"
    )
    s = load(engine, "care_homes", body)  # the layout is recognised from the header
    assert (s.status, s.rows_loaded, s.rows_quarantined) == ("succeeded", 2, 1)
    assert "notice: columns read with the 'capacity_tracker' layout" in s.notices
    [(line, column, reason)] = quarantined(session, s.run_id)
    assert (line, column) == (4, "snapshot_at")
    assert reason.startswith("snapshot_at: '2025-07-15' is not an ISO 8601 date and time")
    got = session.execute(
        select(
            CareHomeSnapshot.snapshot_at,
            CareHomeSnapshot.care_type,
            CareHomeSnapshot.max_capacity,
            CareHomeSnapshot.accepting_admissions,
        ).order_by(CareHomeSnapshot.care_type)
    ).all()
    summer = datetime(2025, 7, 15, 8, 30, tzinfo=UTC)  # 09:30 British Summer Time
    assert [tuple(g) for g in got] == [
        (summer, "nursing_dementia", 30, True),
        (summer, "residential", 10, False),
    ]
    explicit = load(
        engine, "care_homes", body.replace(b"Region", b"Area"), layout="capacity_tracker"
    )
    assert explicit.status == "succeeded"
    unknown = load(engine, "care_homes", body, layout="nope")
    assert unknown.status == "failed"
    assert unknown.error == (
        "there is no column layout 'nope' for care_homes — known layouts: capacity_tracker"
    )


def test_progress_reports_bytes_read(engine: Engine) -> None:
    body = beds(*(bed_row(f"W{i}") for i in range(5)))
    seen: list[int] = []
    load(engine, "beds", body, progress=seen.append)
    assert seen and seen[-1] == len(body)


def test_no_table_holds_the_batch_of_a_failed_run(engine: Engine, session: Session) -> None:
    """A file-level failure leaves only the run and its one quarantine entry."""
    s = load(engine, "beds", beds(bed_row("W1"), header=BEDS_HEADER.replace("site_code", "site")))
    assert s.status == "failed"
    with engine.connect() as conn:
        for table in ("bed_snapshots", "wards", "sites", "ingest_notices"):
            assert conn.execute(text(f"SELECT count(*) FROM {table}")).scalar() == 0
    assert len(quarantined(session, s.run_id)) == 1


def test_unknown_feed_is_refused(engine: Engine) -> None:
    with pytest.raises(ValueError, match="'bedz' is not a feed"):
        load_batch("bedz", b"", engine=engine)


PATIENTS_HEADER = (
    "snapshot_at,site_code,ward_code,spell_id,local_patient_id,nhs_number,age,admitted_at,"
    "admission_method,expected_discharge_date,discharge_ready_date,pathway,delay_reason_code,"
    "delay_attributable_to,local_authority_code,day_status,red_reason_code,discharged_at,"
    "discharge_destination\n"
)


def test_patient_rows_are_checked_then_handed_to_the_patients_loader(
    engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The raw NHS number of a rejected row is stored nowhere; valid rows reach the
    patients loader (a stand-in here) normalised, in the batch's transaction."""
    import sys
    import types

    received: list[tuple[int, Any]] = []
    rejected_spells: list[set[str]] = []

    def apply_patient_batch(
        session: Session, run_id: int, rows: Any, notices: Any, *, quarantined_spell_ids: Any
    ) -> Any:
        received.extend(rows)
        rejected_spells.append(set(quarantined_spell_ids))
        notices.inference(None, "stand-in: nothing inferred")
        return types.SimpleNamespace(
            loaded=len(rows) - 1, quarantined=[(4, "site_code", "RXB01", "spell moved site")]
        )

    stub = types.ModuleType("ingest.census")
    stub.apply_patient_batch = apply_patient_batch  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "ingest.census", stub)
    ok = (
        "2025-01-15T08:00,RXA01,W1,SP{n},MRN{n},{nhs},80,2025-01-10T09:00,emergency,,{drd},,"
        "{reason},,,,,,"
    )
    rows = [
        ok.format(n=1, nhs="999 000 0018", drd="2025-01-14", reason="e"),  # line 2
        ok.format(n=2, nhs="999 000 0017", drd="", reason=""),  # line 3: check digit wrong
        ok.format(n=3, nhs="", drd="", reason=""),  # line 4
        ok.format(n=4, nhs="9990000018", drd="2025-01-14", reason=""),  # line 5: no reason
    ]
    body = (PATIENTS_HEADER + "\n".join(rows) + "\n").encode()
    s = load(engine, "patients", body)
    assert (s.status, s.rows_in, s.rows_loaded, s.rows_quarantined) == ("succeeded", 4, 1, 3)
    assert [(line, row.spell_id, row.nhs_number) for line, row in received] == [
        (2, "SP1", "9990000018"),
        (4, "SP3", None),
    ]
    assert received[0][1].delay_attributable_to == "social_care"
    assert rejected_spells == [{"SP2", "SP4"}]  # still in the census: no inferred discharge
    assert quarantined(session, s.run_id) == [
        (
            3,
            "nhs_number",
            "nhs_number: '999 *** ****' is not a valid NHS number (10 digits whose last is the "
            "modulus 11 check digit) — check it was copied correctly, or leave it empty",
        ),
        (4, "site_code", "spell moved site"),
        (5, "delay_reason_code", quarantined(session, s.run_id)[2][2]),
    ]
    assert notices(session, s.run_id, "inference") == [(None, "stand-in: nothing inferred")]
    everything = json.dumps(_all_tables(engine), default=str)
    for digits in ("9990000017", "999 000 0017", "9990000018", "999 000 0018"):
        assert digits not in everything
    assert "999 *** ****" in everything
