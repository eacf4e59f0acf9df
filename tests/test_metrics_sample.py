"""Properties of the metrics over the generated sample system, loaded through ``load_batch``.

The committed sample (``sample_data/small``) is used when present, otherwise one is generated
(deterministically) into a temporary folder. To keep the suite quick only its first
``CENSUSES`` patient censuses are loaded, with the other feeds' files up to the last of them.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.domain.delay_bands import DELAY_BANDS
from app.metrics import capacity, flow, patients, timebase, trends
from models import CareHomeSnapshot, SpellDay
from models.patients import PatientCensus

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "small"
CENSUSES = 4


def _sample_dir(tmp: Path) -> Path:
    if (SAMPLE / "manifest.json").exists():
        return SAMPLE
    from sample_data.generator import GeneratorConfig, generate

    out = tmp / "sample"
    config = GeneratorConfig(
        days=2,
        end=datetime(2026, 11, 2, 6, 0),
        warmup_days=30,
        bed_interval_minutes=360,
        save_state=False,
    )
    generate(out, config)
    return out


@pytest.fixture(scope="module")
def store(
    database_url: str, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The sample's first censuses (and the capacity files up to them), loaded once."""
    from app.core.db import make_engine, reset_caches
    from ingest.loader import load_batch
    from ingest.reference import sync_reason_catalogue
    from ingest.registry import load_reference_dir
    from sample_data.generator import Manifest
    from tests.conftest import wipe

    tmp = tmp_path_factory.mktemp("sample-store")
    manifest = Manifest.read(_sample_dir(tmp_path_factory.getbasetemp()))
    censuses = manifest.of_feed("patients")[:CENSUSES]
    until = censuses[-1].snapshot_at
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOMEWARD_DATABASE_URL", database_url)
        mp.setenv("HOMEWARD_FEEDS_DIR", str(tmp / "feeds"))
        mp.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
        reset_caches()
        if database_url not in _engines:
            _engines[database_url] = make_engine(database_url)
        engine = _engines[database_url]
        wipe(engine)
        with Session(engine) as session:
            sync_reason_catalogue(session)
            for reference in manifest.reference:
                load_reference_dir(session, reference.parent)
            session.commit()
        for entry in manifest:
            if entry.snapshot_at <= until:
                summary = load_batch(entry.feed, entry.path, engine=engine)
                assert summary.status == "succeeded", summary
        yield engine
        reset_caches()


@pytest.fixture
def session(store: Engine) -> Iterator[Session]:
    with Session(store) as s:
        yield s


def _span(session: Session) -> tuple[date, date]:
    """Every day with a bed day in the store."""
    first, last = session.execute(select(func.min(SpellDay.day), func.max(SpellDay.day))).one()
    return first, last


def _last_census(session: Session) -> datetime:
    last = session.scalar(select(func.max(PatientCensus.snapshot_at)))
    assert last is not None
    return last


def test_the_sample_has_delays(session: Session) -> None:
    start, end = _span(session)
    assert flow.delayed_days(session, start=start, end=end).total > 100
    assert flow.summary(session, at=_last_census(session)).total.nctr_in_hospital > 10


def test_nctr_is_discharged_plus_remaining_and_remaining_sums_to_delayed_days(
    session: Session,
) -> None:
    start, end = _span(session)
    days = flow.nctr_daily(session, start=start, end=end)
    assert len(days) == (end - start).days + 1
    for day in days:
        assert day.nctr == day.discharged + day.remaining
        assert day.discharged == day.discharged_by_1700 + day.discharged_after_1700
    total = flow.delayed_days(session, start=start, end=end).total
    assert sum(day.remaining for day in days) == total


def test_delayed_days_add_up_over_any_split(session: Session) -> None:
    start, end = _span(session)
    total = flow.delayed_days(session, start=start, end=end).total
    rng = random.Random(7)
    for _ in range(3):
        cuts = sorted(rng.sample(range(1, (end - start).days + 1), 2))
        bounds = [start, start + timedelta(days=cuts[0]), start + timedelta(days=cuts[1])]
        parts = [
            flow.delayed_days(session, start=a, end=b - timedelta(days=1)).total
            for a, b in itertools.pairwise(bounds)
        ]
        parts.append(flow.delayed_days(session, start=bounds[-1], end=end).total)
        assert sum(parts) == total


@pytest.mark.parametrize("group_by", flow.DELAYED_DAYS_GROUPS)
def test_every_grouping_sums_to_the_total(session: Session, group_by: str) -> None:
    start, end = _span(session)
    body = flow.delayed_days(session, start=start, end=end, group_by=group_by)
    assert sum(g.delayed_days for g in body.groups) == body.total
    assert len({g.key for g in body.groups}) == len(body.groups)


def test_sites_and_wards_add_up_to_the_system(session: Session) -> None:
    start, end = _span(session)
    at = _last_census(session)
    total = flow.delayed_days(session, start=start, end=end).total
    sites = flow.by_site(session, start=start, end=end, at=at).rows
    assert sum(s.delayed_days for s in sites) == total
    r2g = flow.red2green(session, start=start, end=end)
    for group_by in flow.RED2GREEN_GROUPS:
        groups = flow.red2green(session, start=start, end=end, group_by=group_by).groups
        assert sum(g.red for g in groups) == r2g.totals.red
        assert sum(g.green for g in groups) == r2g.totals.green
        assert sum(g.not_recorded for g in groups) == r2g.totals.not_recorded
    summary = flow.summary(session, at=at)
    for site in sites:
        wards = flow.by_ward(session, site=site.site_code, start=start, end=end, at=at).rows
        assert sum(w.delayed_days for w in wards) == site.delayed_days
        assert sum(w.nctr_in_hospital for w in wards) == site.nctr_in_hospital
    assert sum(s.nctr_in_hospital for s in summary.sites) == summary.total.nctr_in_hospital
    assert sum(s.in_hospital for s in summary.sites) == summary.total.in_hospital
    for band in DELAY_BANDS:
        assert sum(s.delay_bands[band] for s in summary.sites) == summary.total.delay_bands[band]


def test_the_delayed_list_matches_the_summary(session: Session) -> None:
    at = _last_census(session)
    listed = patients.delayed(session, at=at)
    summary = flow.summary(session, at=at).total
    assert listed.count == summary.nctr_in_hospital
    days = [p.days_beyond_drd for p in listed.patients]
    assert days == sorted(days, reverse=True)
    assert sum(p.days_beyond_drd >= 21 for p in listed.patients) == summary.delay_bands["21+"]
    assert sum(p.days_beyond_drd == 0 for p in listed.patients) == summary.delay_bands["0"]
    pathway_1 = patients.delayed(session, at=at, pathway=1)
    assert pathway_1.count == summary.waiting_by_pathway.p1.demand


def test_discharge_bands_add_up(session: Session) -> None:
    start, end = _span(session)
    body = flow.discharge_delays(session, start=start, end=end)
    assert body.discharges > 0
    assert sum(b.count for b in body.bands) == body.discharges
    assert sum(b.bed_days for b in body.bands) == body.bed_days_lost


def test_care_home_supply_counts_only_homes_accepting_admissions(session: Session) -> None:
    at = _last_census(session)
    homes = capacity.care_homes(session, at=at)
    closed = [h for h in homes.homes if not h.accepting_admissions]
    assert closed, "the sample should have homes closed to admissions"
    assert homes.totals.beds_available == sum(
        h.vacant_accepting_admissions for h in homes.homes if h.accepting_admissions
    )
    gaps = capacity.gaps(session, at=at)
    assert gaps.system.p3.supply == homes.totals.beds_available
    assert sum(c.p3.supply or 0 for c in gaps.councils) == homes.totals.beds_available
    # one row per home and care type, each its latest snapshot at or before `at`
    latest = session.execute(
        select(
            CareHomeSnapshot.cqc_location_id,
            CareHomeSnapshot.care_type,
            func.max(CareHomeSnapshot.snapshot_at),
        )
        .where(CareHomeSnapshot.snapshot_at <= at)
        .group_by(CareHomeSnapshot.cqc_location_id, CareHomeSnapshot.care_type)
    ).all()
    assert {(h.cqc_location_id, h.care_type, h.snapshot_at) for h in homes.homes} == set(latest)


def test_weekly_delayed_days_are_the_weeks_delayed_days(session: Session) -> None:
    _, end = _span(session)
    sunday = timebase.sunday_on_or_before(end)
    trend = trends.weekly(session, metric="delayed_days", weeks=3, end=sunday)
    first_census = timebase.local_date(
        session.scalar(select(func.min(PatientCensus.snapshot_at)))  # type: ignore[arg-type]
    )
    for point in trend.points:
        if point.week_start < first_census:
            assert point.value is None  # the week started before the data
        else:
            week = flow.delayed_days(session, start=point.week_start, end=point.week_ending)
            assert point.value == week.total
