"""The patients feed end to end: CSV text through ``ingest.loader.load_batch`` into the store.

Times in the files are Europe/London wall-clock (no offset); expected values by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.contracts import FEED_COLUMNS
from ingest.loader import RunSummary, load_batch
from models import IngestNotice, QuarantinedRow, Spell, SpellDay

LONDON = ZoneInfo("Europe/London")
HEADER = ",".join(FEED_COLUMNS["patients"]) + "\n"
# synthetic numbers (999 range, valid check digits)
NHS = {"SP1": "9990000018", "SP2": "9990000026", "SP3": "9990000034"}


def line(
    snapshot: str,
    spell_id: str,
    *,
    ward: str = "W1",
    admitted: str = "2026-03-01T10:00",
    drd: str = "",
    reason: str = "",
    status: str = "",
    discharged: str = "",
    destination: str = "",
) -> str:
    values = {
        "snapshot_at": snapshot,
        "site_code": "RXA01",
        "ward_code": ward,
        "spell_id": spell_id,
        "local_patient_id": f"MRN-{spell_id}",
        "nhs_number": NHS[spell_id],
        "age": "79",
        "admitted_at": admitted,
        "admission_method": "emergency",
        "discharge_ready_date": drd,
        "delay_reason_code": reason,
        "local_authority_code": "E06000015",
        "day_status": status,
        "discharged_at": discharged,
        "discharge_destination": destination,
    }
    return ",".join(values.get(c, "") for c in FEED_COLUMNS["patients"]) + "\n"


def load(engine: Engine, *lines: str) -> RunSummary:
    summary = load_batch("patients", (HEADER + "".join(lines)).encode(), engine=engine)
    assert summary.status == "succeeded", summary.error
    assert summary.rows_in == summary.rows_loaded + summary.rows_quarantined
    return summary


def at(y: int, m: int, d: int, hh: int = 8, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=LONDON).astimezone(UTC)


def test_censuses_through_the_loader(engine: Engine, session: Session) -> None:
    # 2 Mar: SP1 (DRD 2 Mar, awaiting home care) and SP2 on W1.
    first = load(
        engine,
        line("2026-03-02T08:00", "SP1", drd="2026-03-02", reason="P1_HOMECARE"),
        line("2026-03-02T08:00", "SP2", status="red"),
    )
    assert (first.rows_in, first.rows_loaded, first.rows_quarantined) == (2, 2, 0)
    # the site, the ward and the council were registered on the way
    assert any("new ward RXA01/W1" in n for n in first.notices)

    # 3 Mar: SP2 is gone without a discharge row; SP3 arrives; one row breaks the contract
    # (a DRD with no reason) — its spell SP1 is then simply not in the usable census.
    second = load(
        engine,
        line("2026-03-03T08:00", "SP1", drd="2026-03-02"),
        line("2026-03-03T08:00", "SP3", admitted="2026-03-02T22:00"),
    )
    assert (second.rows_in, second.rows_loaded, second.rows_quarantined) == (2, 1, 1)
    quarantined = session.scalars(
        select(QuarantinedRow.column).where(QuarantinedRow.ingest_run_id == second.run_id)
    ).all()
    assert quarantined == ["delay_reason_code"]
    inferences = session.scalars(
        select(IngestNotice.message).where(
            IngestNotice.ingest_run_id == second.run_id, IngestNotice.kind == "inference"
        )
    ).all()
    # only SP2: SP1's row was rejected, but a rejected row still says SP1 is in the census,
    # so the loader passes its spell id on and no discharge is inferred for it
    assert len(inferences) == 1 and "SP2" in inferences[0]
    sp2 = session.scalars(select(Spell).where(Spell.spell_id == "SP2")).one()
    assert (sp2.discharged_at, sp2.discharge_inferred) == (at(2026, 3, 3), True)
    sp1_after_rejection = session.scalars(select(Spell).where(Spell.spell_id == "SP1")).one()
    assert sp1_after_rejection.discharged_at is None

    # 4 Mar: SP1's row is accepted again; it was never discharged
    load(
        engine,
        line("2026-03-04T08:00", "SP1", drd="2026-03-02", reason="P1_HOMECARE"),
        line("2026-03-04T08:00", "SP3", admitted="2026-03-02T22:00"),
    )
    sp1 = session.scalars(select(Spell).where(Spell.spell_id == "SP1")).one()
    session.refresh(sp1)
    assert sp1.discharged_at is None
    # SP1 delayed since 2 Mar: 2, 3 and 4 Mar (4 Mar provisional) → 3 delayed days
    delayed = session.scalar(
        select(func.count()).select_from(SpellDay).where(SpellDay.spell_pk == sp1.id, SpellDay.nctr)
    )
    assert delayed == 3
    # bed days in the store: SP1 1–4 Mar (4), SP2 1–2 Mar (2), SP3 2–4 Mar (3) = 9
    assert session.scalar(select(func.count()).select_from(SpellDay)) == 9
    sp2_day2 = select(SpellDay.r2g_status).where(
        SpellDay.spell_pk == sp2.id, SpellDay.day == date(2026, 3, 2)
    )
    assert session.scalar(sp2_day2) == "red"  # recorded by the board round


def test_the_same_file_twice_is_a_duplicate_run(engine: Engine, session: Session) -> None:
    body = line("2026-03-02T08:00", "SP1")
    load(engine, body)
    again = load_batch("patients", (HEADER + body).encode(), engine=engine)
    assert again.status == "duplicate"
    assert session.scalar(select(func.count()).select_from(SpellDay)) == 2
