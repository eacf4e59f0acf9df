"""The metrics over the generated sample system, each checked against a count made another way.

Over the sample loaded once through ``load_batch``:

* the roll-ups ingest keeps (``spell_day_counts``, ``spell_day_ward_totals``,
  ``spell_day_delay_counts``, ``spell_discharge_counts``) and the period metrics that read them,
  against a recount written here straight from the fact rows (``spell_days``, ``spells``);
* each delay split against the ward totals;
* the headline numbers of ``app.metrics`` (daily sitrep, delayed days by reason, discharge
  delay bands, the summary at a moment) and the delayed list against the pandas baseline of
  ``bench/``, which recomputes them from the census CSV files alone — no store, no roll-ups;
* care-home supply against the care-home CSV files.

The committed sample (``sample_data/small``) is used when present, otherwise one is generated
(deterministically) into a temporary folder. To keep the suite quick only its first
``CENSUSES`` patient censuses are loaded, with the other feeds' files up to the last of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.metrics import capacity, flow, patient_level, timebase, trends
from bench import api, baseline
from models import (
    DelayReason,
    Spell,
    SpellDay,
    SpellDayCount,
    SpellDayDelayCount,
    SpellDayWardTotal,
    SpellDischargeCount,
)

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "small"
CENSUSES = 4
LONDON = ZoneInfo("Europe/London")


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


@dataclass(frozen=True)
class Loaded:
    """The store the sample was loaded into, and the files that went in, by feed."""

    engine: Engine
    files: dict[str, list[Path]]
    at: datetime  # the last census loaded


@pytest.fixture(scope="module")
def store(
    database_url: str, _engines: dict[str, Engine], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Loaded]:
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
        files: dict[str, list[Path]] = {}
        for entry in manifest:
            if entry.snapshot_at <= until:
                summary = load_batch(entry.feed, entry.path, engine=engine)
                assert summary.status == "succeeded", summary
                files.setdefault(entry.feed, []).append(entry.path)
        yield Loaded(engine, files, until.astimezone(UTC))
        reset_caches()


@pytest.fixture
def session(store: Loaded) -> Iterator[Session]:
    with Session(store.engine) as s:
        yield s


def _span(session: Session) -> tuple[date, date]:
    """Every day with a bed day in the store."""
    first, last = session.execute(select(func.min(SpellDay.day), func.max(SpellDay.day))).one()
    return first, last


def _period(session: Session) -> tuple[date, date]:
    """The bed days' span less its first day: a period that is not the whole store."""
    first, last = _span(session)
    return first + timedelta(days=1), last


def _tally(session: Session, *columns: Any, where: Any = None) -> Counter[tuple[Any, ...]]:
    """How many ``spell_days`` rows share each combination of ``columns``: the recount."""
    query = select(*columns) if where is None else select(*columns).where(where)
    return Counter(tuple(row) for row in session.execute(query))


def _rolled_up(
    session: Session, *columns: Any, n: Any, where: Any = None
) -> dict[tuple[Any, ...], int]:
    """A roll-up's rows as {key: n}; a key stored twice, or a stored zero, fails."""
    query = select(*columns, n) if where is None else select(*columns, n).where(where)
    found: dict[tuple[Any, ...], int] = {}
    for *key, count in session.execute(query):
        assert tuple(key) not in found, f"two roll-up rows for {key}"
        assert count > 0, f"a stored zero for {key}"
        found[tuple(key)] = int(count)
    return found


def test_the_sample_has_delays_and_discharges(session: Session, store: Loaded) -> None:
    delayed_days = select(func.count()).select_from(SpellDay).where(SpellDay.nctr.is_(True))
    assert (session.scalar(delayed_days) or 0) > 100
    nctr_discharges = select(func.count()).where(Spell.drd_at_discharge.is_not(None))
    assert (session.scalar(nctr_discharges) or 0) > 5
    assert flow.summary(session, at=store.at).total.nctr_in_hospital > 10


# --- the roll-ups against a recount of the fact rows ------------------------------------------

#: what the period metrics filter or group by, written out here rather than taken from ingest
DAY_KEY = (
    "day",
    "site_code",
    "ward_code",
    "local_authority_code",
    "nctr",
    "pathway",
    "delay_reason_code",
    "delay_attributable_to",
    "r2g_status",
    "r2g_reason_code",
)


def test_day_counts_are_the_spell_days_counted(session: Session) -> None:
    stored = _rolled_up(session, *(getattr(SpellDayCount, c) for c in DAY_KEY), n=SpellDayCount.n)
    assert stored == _tally(session, *(getattr(SpellDay, c) for c in DAY_KEY))


STATUSES = ("red", "green", "not_recorded")


def _days_in(session: Session, start: date, end: date, *where: Any) -> list[Any]:
    """The ``spell_days`` rows of ``start``–``end`` (meeting ``where``)."""
    query = select(*SpellDay.__table__.c).where(SpellDay.day.between(start, end), *where)
    return list(session.execute(query))


def _day_totals(rows: list[Any], key: Any) -> dict[Any, tuple[int, ...]]:
    """Per ``key(row)``: bed days, NCtR days, then red, green and not-recorded days."""
    found: dict[Any, list[int]] = {}
    for row in rows:
        counts = found.setdefault(key(row), [0, 0, 0, 0, 0])
        counts[0] += 1
        counts[1] += bool(row.nctr)
        counts[2 + STATUSES.index(row.r2g_status)] += 1
    return {k: tuple(v) for k, v in found.items()}


def test_ward_totals_are_the_spell_days_counted(session: Session) -> None:
    totals = SpellDayWardTotal
    stored = {
        tuple(row[:3]): tuple(row[3:])
        for row in session.execute(
            select(
                totals.day,
                totals.site_code,
                totals.ward_code,
                totals.bed_days,
                totals.nctr_days,
                totals.red_days,
                totals.green_days,
                totals.not_recorded_days,
            )
        )
    }
    rows = _days_in(session, *_span(session))
    assert stored == _day_totals(rows, lambda r: (r.day, r.site_code, r.ward_code))


#: each split of delayed days, and the ``spell_days`` column it splits by
DELAY_SPLITS: dict[str, InstrumentedAttribute[Any]] = {
    "reason": SpellDay.delay_reason_code,
    "agency": SpellDay.delay_attributable_to,
    "local_authority": SpellDay.local_authority_code,
    "pathway": SpellDay.pathway,
    "ward": SpellDay.ward_code,
}


@pytest.mark.parametrize("dimension", DELAY_SPLITS)
def test_each_delay_split_is_the_delayed_days_counted_and_the_ward_totals_nctr(
    session: Session, dimension: str
) -> None:
    split = SpellDayDelayCount
    stored = _rolled_up(
        session,
        split.day,
        split.site_code,
        split.value,
        n=split.n,
        where=split.dimension == dimension,
    )
    delayed = _tally(
        session,
        SpellDay.day,
        SpellDay.site_code,
        DELAY_SPLITS[dimension],
        where=SpellDay.nctr.is_(True),
    )
    # the split stores a value as text (pathway 2 as "2"), one not recorded as NULL
    assert stored == {
        (day, site, None if value is None else str(value)): n
        for (day, site, value), n in delayed.items()
    }
    # against the ward totals: the NCtR days of each ward (split by ward), else of each site
    wards = session.execute(
        select(
            SpellDayWardTotal.day,
            SpellDayWardTotal.site_code,
            SpellDayWardTotal.ward_code,
            SpellDayWardTotal.nctr_days,
        )
    ).all()
    if dimension == "ward":
        assert stored == {(d, s, w): n for d, s, w, n in wards if n}
    else:
        by_site: Counter[tuple[Any, ...]] = Counter()
        for (day, site, _), n in stored.items():
            by_site[(day, site)] += n
        nctr_days: Counter[tuple[Any, ...]] = Counter()
        for day, site, _, n in wards:
            nctr_days[(day, site)] += n
        assert by_site == +nctr_days  # (unary + drops the sites with no NCtR day)


BAND_EDGES = [-1, 0, 1, 3, 6, 13, 20, 10**6]  # (-1, 0] is "0", (0, 1] is "1", (1, 3] "2-3"…
BAND_NAMES = ["0", "1", "2-3", "4-6", "7-13", "14-20", "21+"]


def test_discharge_counts_are_the_spells_counted(session: Session) -> None:
    """Per discharge day and site: the band of days from the DRD in force at discharge,
    whether NCtR then, and whether (NCtR and) out by 17:00 local — recounted in pandas."""
    spells = pd.DataFrame(
        session.execute(
            select(
                Spell.discharge_date,
                Spell.site_code,
                Spell.drd_at_discharge,
                Spell.discharged_at,
            ).where(Spell.discharge_date.is_not(None))
        ).all(),
        columns=["day", "site", "drd", "out"],
    )
    nctr = spells["drd"].notna()
    waited = pd.to_datetime(spells["day"]) - pd.to_datetime(spells["drd"])
    spells["delay"] = waited.dt.days.clip(lower=0).fillna(0).astype(int)
    spells["band"] = pd.cut(spells["delay"], BAND_EDGES, labels=BAND_NAMES).astype(str)
    local = pd.to_datetime(spells["out"], utc=True).dt.tz_convert(LONDON)
    spells["nctr"] = nctr
    spells["by_cutoff"] = nctr & (local.dt.time < time(17, 1))
    grouped = spells.groupby(["day", "site", "band", "nctr", "by_cutoff"])["delay"].agg(
        ["size", "sum"]
    )
    recount = {
        (day, site, band, bool(n), bool(c)): (int(size), int(total))
        for (day, site, band, n, c), size, total in zip(
            grouped.index, grouped["size"], grouped["sum"], strict=True
        )
    }
    counts = SpellDischargeCount
    stored = {
        (day, site, band, bool(n), bool(c)): (count, delay)
        for day, site, band, n, c, count, delay in session.execute(
            select(
                counts.discharge_date,
                counts.site_code,
                counts.band,
                counts.nctr,
                counts.by_cutoff,
                counts.n,
                counts.delay_days,
            )
        )
    }
    assert stored == recount


# --- the period metrics against the recount ---------------------------------------------------


def _reason_dtoc(session: Session) -> dict[str, str]:
    return {
        code: dtoc
        for code, dtoc in session.execute(select(DelayReason.code, DelayReason.dtoc_code))
    }


def _delayed_day_key(session: Session, group_by: str) -> Any:
    """A function from a delayed ``spell_days`` row to its group's key in ``delayed_days``."""
    dtoc = _reason_dtoc(session)
    keys = {
        "reason": lambda r: r.delay_reason_code,
        "dtoc_code": lambda r: dtoc.get(r.delay_reason_code),
        "agency": lambda r: r.delay_attributable_to,
        "local_authority": lambda r: r.local_authority_code,
        "site": lambda r: r.site_code,
        "ward": lambda r: f"{r.site_code}/{r.ward_code}",
        "pathway": lambda r: None if r.pathway is None else str(r.pathway),
    }
    return keys[group_by]


@pytest.mark.parametrize("group_by", flow.DELAYED_DAYS_GROUPS)
def test_delayed_days_by_each_grouping_are_the_spell_days_counted(
    session: Session, group_by: str
) -> None:
    start, end = _period(session)
    key = _delayed_day_key(session, group_by)
    delayed = _days_in(session, start, end, SpellDay.nctr.is_(True))
    body = flow.delayed_days(session, start=start, end=end, group_by=group_by)
    assert {g.key: g.delayed_days for g in body.groups} == Counter(key(r) for r in delayed)
    assert body.total == len(delayed)


@pytest.mark.parametrize("group_by", flow.RED2GREEN_GROUPS)
def test_red2green_by_each_grouping_is_the_spell_days_counted(
    session: Session, group_by: str
) -> None:
    start, end = _period(session)
    key = {
        "site": lambda r: r.site_code,
        "ward": lambda r: f"{r.site_code}/{r.ward_code}",
        "reason": lambda r: r.r2g_reason_code,
    }[group_by]
    recount = Counter((key(r), r.r2g_status) for r in _days_in(session, start, end))
    body = flow.red2green(session, start=start, end=end, group_by=group_by)
    found = {(g.key, status): getattr(g, status) for g in body.groups for status in STATUSES}
    assert +Counter(found) == recount


def test_by_site_and_by_ward_are_the_spell_days_counted(session: Session, store: Loaded) -> None:
    start, end = _period(session)
    rows = _days_in(session, start, end)

    def period(body: Any, key: Any) -> dict[Any, tuple[int, ...]]:
        """Delayed, red, green and not-recorded days of each row with any bed day."""
        return {
            key(r): (r.delayed_days, r.red, r.green, r.not_recorded)
            for r in body.rows
            if r.red or r.green or r.not_recorded
        }

    def recount(key: Any) -> dict[Any, tuple[int, ...]]:
        return {k: counts[1:] for k, counts in _day_totals(rows, key).items()}

    sites = flow.by_site(session, start=start, end=end, at=store.at)
    assert period(sites, lambda r: r.site_code) == recount(lambda r: r.site_code)
    wards: dict[Any, tuple[int, ...]] = {}
    for site in sites.rows:
        body = flow.by_ward(session, site=site.site_code, start=start, end=end, at=store.at)
        wards.update(period(body, lambda r: (r.site_code, r.ward_code)))
    assert wards == recount(lambda r: (r.site_code, r.ward_code))


def test_weekly_delayed_days_are_the_weeks_spell_days_counted(session: Session) -> None:
    _, last = _span(session)
    # the week ending on the Sunday on or after the last bed day starts on or after the first
    # census's day (a Monday in the committed sample); the two before it started before the
    # data, so they have no value rather than a misleading count
    sunday = timebase.sunday_on_or_before(last + timedelta(days=6))
    trend = trends.weekly(session, metric="delayed_days", weeks=3, end=sunday)
    weeks = [sunday - timedelta(weeks=w) for w in (2, 1, 0)]
    assert [p.week_ending for p in trend.points] == weeks
    assert [p.value for p in trend.points[:2]] == [None, None]
    week = trend.points[-1]
    delayed = _days_in(session, week.week_start, week.week_ending, SpellDay.nctr.is_(True))
    assert week.week_start == sunday - timedelta(days=6)
    assert week.value == len(delayed) > 0


# --- the headline numbers against the pandas baseline of bench/ -------------------------------


@pytest.fixture(scope="module")
def pandas_spells(store: Loaded) -> baseline.Spells:
    """The baseline's spells, rebuilt from the census CSV files that were loaded."""
    return baseline.build_spells(baseline.read_patients(store.files["patients"]))


def _homeward(session: Session, at: datetime, start: date, end: date) -> dict[str, Any]:
    """``app.metrics``'s headline numbers, in the shape ``bench.baseline.headline`` returns."""
    by_reason = flow.delayed_days(session, start=start, end=end, group_by="reason")
    delays = flow.discharge_delays(session, start=start, end=end)
    total = flow.summary(session, at=at).total
    return {
        "nctr_daily": [
            d.model_dump(mode="json") for d in flow.nctr_daily(session, start=start, end=end)
        ],
        "delayed_days_total": by_reason.total,
        "delayed_days_by_reason": {str(g.key): g.delayed_days for g in by_reason.groups},
        "discharges": delays.discharges,
        "discharge_bands": {band.band: band.count for band in delays.bands},
        "summary": {
            "in_hospital": total.in_hospital,
            "nctr_in_hospital": total.nctr_in_hospital,
            **total.long_stays.model_dump(),
            "delay_bands": total.delay_bands,
        },
    }


def test_the_headline_numbers_are_the_pandas_baselines(
    session: Session, store: Loaded, pandas_spells: baseline.Spells
) -> None:
    """Over every day of the censuses loaded (the benchmark leaves out the first census's day,
    which may miss patients who left before it; here both sides see the same files)."""
    start = baseline.local_day_of(pandas_spells.census["snapshot_at"].min())
    end = baseline.local_day_of(store.at)
    theirs = baseline.headline(store.files["patients"], store.at, start, end)
    ours = _homeward(session, store.at, start, end)
    assert [d["date"] for d in ours["nctr_daily"]] == [d["date"] for d in theirs["nctr_daily"]]
    assert api.differences(ours, theirs) == []
    assert theirs["delayed_days_total"] > 50 and theirs["discharges"] > 5


def test_the_delayed_list_and_each_sites_census_are_the_pandas_baselines(
    session: Session, store: Loaded, pandas_spells: baseline.Spells
) -> None:
    now = baseline.in_hospital_at(pandas_spells, store.at)
    beyond = baseline.days_beyond_drd(now, store.at)
    listed = patient_level.delayed(session, at=store.at)
    assert {p.spell_id: p.days_beyond_drd for p in listed.patients} == dict(
        zip(now.loc[beyond.index, "spell_id"], beyond.tolist(), strict=True)
    )
    assert listed.count == len(beyond)
    days = [p.days_beyond_drd for p in listed.patients]
    assert days == sorted(days, reverse=True)  # longest past the DRD first

    in_hospital = now.groupby("site_code").size()
    nctr = now.loc[beyond.index].groupby("site_code").size()
    expected = {site: (int(n), int(nctr.get(site, 0))) for site, n in in_hospital.items()}
    summary = flow.summary(session, at=store.at)
    assert {
        s.site_code: (s.in_hospital, s.nctr_in_hospital) for s in summary.sites if s.in_hospital
    } == expected
    _, end = _span(session)
    sites = flow.by_site(session, start=end, end=end, at=store.at).rows
    assert {s.site_code: s.nctr_in_hospital for s in sites if s.nctr_in_hospital} == {
        site: n for site, (_, n) in expected.items() if n
    }


def test_care_home_supply_is_the_files_latest_vacancies_accepting_admissions(
    session: Session, store: Loaded
) -> None:
    files = store.files["care_homes"]
    snapshots = pd.concat(
        pd.read_csv(p, dtype={"accepting_admissions": str}, parse_dates=["snapshot_at"])
        for p in files
    )
    snapshots = snapshots[snapshots["snapshot_at"] <= pd.Timestamp(store.at)]
    latest = snapshots.groupby(["cqc_location_id", "care_type"])["snapshot_at"].transform("max")
    current = snapshots[snapshots["snapshot_at"] == latest]
    accepting = current["accepting_admissions"].str.lower() == "true"
    assert (~accepting).any(), "the sample should have homes closed to admissions"
    supply = int(current.loc[accepting, "vacant_accepting_admissions"].sum())

    homes = capacity.care_homes(session, at=store.at)
    assert {(h.cqc_location_id, h.care_type) for h in homes.homes} == set(
        zip(current["cqc_location_id"], current["care_type"], strict=True)
    )
    assert homes.totals.beds_available == supply
    gaps = capacity.gaps(session, at=store.at)
    assert gaps.system.p3.supply == supply
    assert sum(c.p3.supply or 0 for c in gaps.councils) == supply
