"""Redelivering the sample changes no row: every file again as it was (a duplicate run), and
every file again with its rows in reverse order (new bytes, so it goes through validation and
the natural-key upserts and the census semantics all over again)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import models
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from models import IngestRun
from sample_data.generator import Manifest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "small"
CENSUSES = 3  # a day and a half of the committed sample: every feed, discharges, inferences
# bookkeeping of the deliveries themselves, not data: a redelivery is recorded there
BOOKKEEPING = {
    "ingest_runs",
    "ingest_notices",
    "quarantined_rows",
    "http_source_states",
    "scheduler_heartbeats",
    "scheduler_job_runs",
}


def _data(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every data row of the store, without which run wrote it (a redelivery may re-stamp it)."""
    dump: dict[str, list[tuple[object, ...]]] = {}
    with engine.connect() as conn:
        for table in models.Base.metadata.sorted_tables:
            if table.name in BOOKKEEPING:
                continue
            columns = [c for c in table.columns if c.name != "ingest_run_id"]
            if table.name == "spell_day_counts":  # a roll-up: its row ids are not data
                columns = [c for c in columns if c.name != "id"]
            rows = conn.execute(select(*columns)).all()
            dump[table.name] = sorted((tuple(r) for r in rows), key=repr)
    return dump


def _reversed_copy(path: Path, out: Path) -> Path:
    header, *rows = path.read_text(encoding="utf-8").splitlines()
    target = out / f"reversed_{path.name}"
    target.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    return target


@pytest.mark.skipif(not (SAMPLE / "manifest.json").exists(), reason="no committed sample")
def test_delivering_every_sample_file_again_changes_no_row(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    manifest = Manifest.read(SAMPLE)
    until = manifest.of_feed("patients")[CENSUSES - 1].snapshot_at
    files = [entry for entry in manifest if entry.snapshot_at <= until]
    load_reference_dir(session, SAMPLE / "reference")
    session.commit()
    for entry in files:
        assert load_batch(entry.feed, entry.path).status == "succeeded"
    before = _data(engine)
    assert len(before["spell_days"]) > 1000 and before["spell_events"]

    for entry in files:  # the same bytes: recognised, nothing done
        assert load_batch(entry.feed, entry.path).status == "duplicate"
    assert _data(engine) == before

    for entry in files:  # the same rows in another order: loaded again, nothing changes
        summary = load_batch(entry.feed, _reversed_copy(entry.path, tmp_path))
        assert summary.status == "succeeded", summary
        assert summary.rows_quarantined == 0
    assert _data(engine) == before
    runs = session.scalar(select(func.count()).select_from(IngestRun))
    assert runs == 3 * len(files)
