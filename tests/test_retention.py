"""Retention (ingest/retention.py) on hand-made data: old processed files go, recent ones and
failed ones stay; old capacity snapshots are thinned to each unit's latest of each local day,
which keeps what the metrics read of a past day."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from app.metrics import capacity
from app.metrics.timebase import day_end
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from ingest.retention import apply_retention, remove_processed_files, thin_snapshots
from models import BedSnapshot, CareHomeSnapshot, DomiciliarySnapshot
from tests.test_metrics_scenario import (
    BEDS_COLUMNS,
    CARE_HOMES_COLUMNS,
    DERBY,
    DOMICILIARY_COLUMNS,
    SITE_A,
)

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)  # keep 14 days: days before 11 Nov are thinned


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# (snapshot_at, home, care type, vacant accepting admissions)
CARE_HOMES = [
    ("2026-10-20T22:30:00Z", "1-101", "residential", 1),  # 23:30 on Tue 20 Oct (BST)
    ("2026-10-20T23:30:00Z", "1-101", "residential", 2),  # 00:30 on Wed 21 Oct (BST)
    ("2026-10-21T08:00:00Z", "1-101", "residential", 3),  # Wed 21 Oct
    ("2026-11-01T08:00:00Z", "1-101", "residential", 4),
    ("2026-11-01T08:00:00Z", "1-101", "nursing", 5),
    ("2026-11-01T12:00:00Z", "1-101", "residential", 6),
    ("2026-11-01T12:00:00Z", "1-101", "nursing", 7),
    ("2026-11-01T20:00:00Z", "1-101", "residential", 8),
    ("2026-11-02T09:00:00Z", "1-101", "residential", 9),
    ("2026-11-02T23:30:00Z", "1-101", "residential", 10),
    ("2026-11-20T10:00:00Z", "1-101", "residential", 11),  # within 14 days: all kept
    ("2026-11-20T11:00:00Z", "1-101", "residential", 12),
]
# Kept, by hand: 20 Oct local has only 22:30Z; 21 Oct local has 23:30Z (20th) and 08:00Z → the
# 08:00Z; 1 Nov: residential 20:00Z, nursing 12:00Z; 2 Nov: 23:30Z; 20 Nov: both.
KEPT_CARE_HOMES = {
    ("2026-10-20T22:30:00Z", "residential"),
    ("2026-10-21T08:00:00Z", "residential"),
    ("2026-11-01T20:00:00Z", "residential"),
    ("2026-11-01T12:00:00Z", "nursing"),
    ("2026-11-02T23:30:00Z", "residential"),
    ("2026-11-20T10:00:00Z", "residential"),
    ("2026-11-20T11:00:00Z", "residential"),
}
DOMICILIARY = [  # (snapshot_at, zone, packages)
    ("2026-11-01T09:00:00Z", "North", 1),
    ("2026-11-01T18:00:00Z", "North", 2),
    ("2026-11-01T09:00:00Z", "South", 3),
]
BEDS = [  # (snapshot_at, ward, occupied)
    ("2026-11-01T08:00:00Z", "W1", 20),
    ("2026-11-01T16:00:00Z", "W1", 22),
    ("2026-11-03T16:00:00Z", "W1", 23),
]


def _load(engine: Engine, tmp_path: Path) -> None:
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "sites.csv").write_text(
        f"site_code,site_name,trust_code,trust_name,kind\n{SITE_A},Northgate General,RXA,"
        "Northgate Trust,acute\n"
    )
    (reference / "councils.csv").write_text(f"local_authority_code,name\n{DERBY},Derby\n")
    with Session(engine) as session:
        load_reference_dir(session, reference)
        session.commit()
    deliveries = [
        (
            "care_homes",
            f"{CARE_HOMES_COLUMNS}\n{at},{home},Oak House,{DERBY},{kind},30,20,0,{vacant},true\n",
        )
        for at, home, kind, vacant in CARE_HOMES
    ]
    deliveries += [
        ("domiciliary", f"{DOMICILIARY_COLUMNS}\n{at},HC1,Home Help,{DERBY},{zone},10,{n}\n")
        for at, zone, n in DOMICILIARY
    ]
    deliveries += [
        (
            "beds",
            f"{BEDS_COLUMNS}\n{at},{SITE_A},{ward},Ward one,general_acute,30,0,{occupied},0\n",
        )
        for at, ward, occupied in BEDS
    ]
    for feed, body in deliveries:
        summary = load_batch(feed, body.encode(), fmt="csv", engine=engine)
        assert summary.status == "succeeded" and summary.rows_quarantined == 0, summary


def _kept(session: Session, model: type, *columns: str) -> set[tuple[str, ...]]:
    session.expire_all()
    return {
        (
            row.snapshot_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            *(str(getattr(row, c)) for c in columns),
        )
        for row in session.scalars(select(model))
    }


def test_old_snapshots_keep_each_units_latest_of_each_local_day(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    _load(engine, tmp_path)
    days = [_at("2026-10-20T12:00:00Z").date(), _at("2026-11-01T12:00:00Z").date()]
    before = [capacity.care_homes(session, at=day_end(day)).model_dump() for day in days]
    home_care_before = capacity.domiciliary(session, at=day_end(days[1])).model_dump()

    removed = thin_snapshots(session, keep_days=14, now=NOW)

    # care homes 12 − 7 kept = 5; home care North 09:00 = 1; beds W1 1 Nov 08:00 = 1
    assert removed == 5 + 1 + 1
    assert _kept(session, CareHomeSnapshot, "care_type") == KEPT_CARE_HOMES
    assert _kept(session, DomiciliarySnapshot, "zone") == {
        ("2026-11-01T18:00:00Z", "North"),
        ("2026-11-01T09:00:00Z", "South"),
    }
    assert _kept(session, BedSnapshot) == {("2026-11-01T16:00:00Z",), ("2026-11-03T16:00:00Z",)}
    # what the metrics read of a past day is unchanged
    after = [capacity.care_homes(session, at=day_end(day)).model_dump() for day in days]
    assert after == before
    assert capacity.domiciliary(session, at=day_end(days[1])).model_dump() == home_care_before
    # and a second run has nothing left to remove
    assert thin_snapshots(session, keep_days=14, now=NOW) == 0


def test_snapshot_retention_zero_keeps_everything(
    engine: Engine, session: Session, tmp_path: Path
) -> None:
    _load(engine, tmp_path)
    assert thin_snapshots(session, keep_days=0, now=NOW) == 0
    assert len(_kept(session, CareHomeSnapshot, "care_type")) == len(CARE_HOMES)


def _file(path: Path, *, modified: datetime, size: int = 10) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (modified.timestamp(), modified.timestamp()))
    return path


def test_old_processed_files_go_recent_and_failed_ones_stay(tmp_path: Path) -> None:
    feeds = tmp_path / "feeds"
    old = _file(feeds / "processed/beds/beds_1.csv", modified=_at("2026-11-10T12:00:00Z"))
    old2 = _file(
        feeds / "processed/care_homes/ch_1.csv", modified=_at("2026-11-01T00:00:00Z"), size=30
    )
    # 7 days before NOW is 18 Nov 12:00: one second younger is kept
    recent = _file(feeds / "processed/beds/beds_2.csv", modified=_at("2026-11-18T12:00:01Z"))
    failed = _file(feeds / "failed/beds/bad.csv", modified=_at("2026-10-01T00:00:00Z"))
    inbox = _file(feeds / "inbox/beds/waiting.csv", modified=_at("2026-10-01T00:00:00Z"))

    assert remove_processed_files(feeds, keep_days=7, now=NOW) == (2, 40)
    assert not old.exists() and not old2.exists()
    assert recent.exists() and failed.exists() and inbox.exists()
    assert remove_processed_files(feeds, keep_days=0, now=NOW) == (0, 0)
    assert recent.exists()


def test_apply_retention_does_both(engine: Engine, session: Session, tmp_path: Path) -> None:
    _load(engine, tmp_path)
    feeds = tmp_path / "feeds"
    _file(feeds / "processed/beds/beds_1.csv", modified=_at("2026-11-01T12:00:00Z"))
    result = apply_retention(session, feeds, processed_days=7, snapshot_days=14, now=NOW)
    assert (result.files_removed, result.snapshots_removed) == (1, 7)
    assert "removed 1 processed files" in result.describe()


def test_the_scheduler_runs_retention_daily_with_the_settings(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from apscheduler.schedulers.background import BackgroundScheduler

    from app.core.config import get_settings
    from ingest import scheduler

    sched = BackgroundScheduler(timezone=UTC)
    leadership = scheduler.Leadership(engine, tmp_path / "locks")
    try:
        scheduler.configure(sched, get_settings(), leadership=leadership)
    finally:
        leadership.release()
    job = sched.get_job("retention")
    assert job is not None and job.trigger.interval.total_seconds() == 24 * 3600

    # the job's body reads the settings: 1 day of processed files, snapshots kept (0)
    monkeypatch.setenv("HOMEWARD_PROCESSED_RETENTION_DAYS", "1")
    monkeypatch.setenv("HOMEWARD_SNAPSHOT_RETENTION_DAYS", "0")
    get_settings.cache_clear()
    try:
        settings = get_settings()
        old = _file(
            settings.feeds_dir / "processed/beds/old.csv", modified=datetime(2020, 1, 1, tzinfo=UTC)
        )
        message = scheduler.retention(settings)
    finally:
        get_settings.cache_clear()
    assert not old.exists()
    assert message.startswith("removed 1 processed files")
