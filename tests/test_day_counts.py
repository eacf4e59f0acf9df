"""``spell_day_counts`` always equals ``spell_days`` counted afresh: after every batch of the
committed sample delivered in order, after a census delivered late (out of order, which
rewrites spells' history from an earlier day) and after a census redelivered reordered."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from app.core import migrations
from app.domain.days import local_instant
from app.domain.delay_bands import DISCHARGE_CUTOFF
from ingest.day_counts import KEY_COLUMNS, DayTouches, rebuild
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from models import (
    Spell,
    SpellDay,
    SpellDayCount,
    SpellDayDelayCount,
    SpellDayWardTotal,
    SpellDischargeCount,
)
from sample_data.generator import Manifest

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "small"


def _rolled_up(session: Session) -> dict[tuple[object, ...], int]:
    rows = session.execute(
        select(*(getattr(SpellDayCount, c) for c in KEY_COLUMNS), SpellDayCount.n)
    ).all()
    counts: dict[tuple[object, ...], int] = {}
    for *key, n in rows:
        assert tuple(key) not in counts, f"two roll-up rows for {key}"
        assert n > 0
        counts[tuple(key)] = n
    return counts


def _recounted(session: Session) -> dict[tuple[object, ...], int]:
    keys = [getattr(SpellDay, c) for c in KEY_COLUMNS]
    rows = session.execute(select(*keys, func.count()).group_by(*keys)).all()
    return {tuple(key): n for *key, n in rows}


def _ward_totals(session: Session) -> dict[tuple[object, ...], tuple[int, ...]]:
    rows = session.execute(
        select(
            SpellDayWardTotal.day,
            SpellDayWardTotal.site_code,
            SpellDayWardTotal.ward_code,
            SpellDayWardTotal.bed_days,
            SpellDayWardTotal.nctr_days,
            SpellDayWardTotal.red_days,
            SpellDayWardTotal.green_days,
            SpellDayWardTotal.not_recorded_days,
        )
    ).all()
    return {tuple(r[:3]): tuple(r[3:]) for r in rows}


def _ward_recounted(session: Session) -> dict[tuple[object, ...], tuple[int, ...]]:
    """Straight from spell_days, in Python: bed days, NCtR, red, green, not recorded."""
    totals: dict[tuple[object, ...], list[int]] = {}
    for day, site, ward, nctr, status in session.execute(
        select(
            SpellDay.day, SpellDay.site_code, SpellDay.ward_code, SpellDay.nctr, SpellDay.r2g_status
        )
    ):
        t = totals.setdefault((day, site, ward), [0, 0, 0, 0, 0])
        t[0] += 1
        t[1] += bool(nctr)
        t[2 + ("red", "green", "not_recorded").index(status)] += 1
    return {key: tuple(t) for key, t in totals.items()}


def _delay_splits(session: Session) -> dict[tuple[object, ...], int]:
    rows = session.execute(
        select(
            SpellDayDelayCount.dimension,
            SpellDayDelayCount.day,
            SpellDayDelayCount.site_code,
            SpellDayDelayCount.value,
            SpellDayDelayCount.n,
        )
    ).all()
    found = {tuple(r[:4]): r[4] for r in rows}
    assert len(found) == len(rows), "two rows for one split"
    return found


def _delay_recounted(session: Session) -> dict[tuple[object, ...], int]:
    """Delayed days straight from spell_days, in Python, split by each attribute."""
    columns = {
        "reason": SpellDay.delay_reason_code,
        "agency": SpellDay.delay_attributable_to,
        "local_authority": SpellDay.local_authority_code,
        "pathway": SpellDay.pathway,
        "ward": SpellDay.ward_code,
    }
    found: dict[tuple[object, ...], int] = {}
    for dimension, column in columns.items():
        for day, site, value in session.execute(
            select(SpellDay.day, SpellDay.site_code, column).where(SpellDay.nctr.is_(True))
        ):
            key = (dimension, day, site, None if value is None else str(value))
            found[key] = found.get(key, 0) + 1
    return found


BANDS = ((0, "0"), (1, "1"), (3, "2-3"), (6, "4-6"), (13, "7-13"), (20, "14-20"))


def _discharge_counts(session: Session) -> dict[tuple[object, ...], tuple[int, int]]:
    rows = session.execute(
        select(
            SpellDischargeCount.discharge_date,
            SpellDischargeCount.site_code,
            SpellDischargeCount.band,
            SpellDischargeCount.nctr,
            SpellDischargeCount.by_cutoff,
            SpellDischargeCount.n,
            SpellDischargeCount.delay_days,
        )
    ).all()
    found = {(r[0], r[1], r[2], bool(r[3]), bool(r[4])): (r[5], r[6]) for r in rows}
    assert len(found) == len(rows), "two rows for one discharge group"
    return found


def _discharges_recounted(session: Session) -> dict[tuple[object, ...], tuple[int, int]]:
    """The discharges straight from spells, in Python: delay, band, NCtR, 17:00 cut-off."""
    found: dict[tuple[object, ...], list[int]] = {}
    for day, site, drd, discharged_at in session.execute(
        select(
            Spell.discharge_date, Spell.site_code, Spell.drd_at_discharge, Spell.discharged_at
        ).where(Spell.discharge_date.is_not(None))
    ):
        delay = (day - drd).days if drd is not None and drd < day else 0
        band = next((name for most, name in BANDS if delay <= most), "21+")
        by_cutoff = drd is not None and discharged_at < local_instant(day, DISCHARGE_CUTOFF)
        counts = found.setdefault((day, site, band, drd is not None, by_cutoff), [0, 0])
        counts[0] += 1
        counts[1] += delay
    return {key: (n, d) for key, (n, d) in found.items()}


def _everything(session: Session) -> tuple[object, ...]:
    return (
        _rolled_up(session),
        _ward_totals(session),
        _delay_splits(session),
        _discharge_counts(session),
    )


def _check(session: Session) -> None:
    session.expire_all()
    assert _rolled_up(session) == _recounted(session)
    assert _ward_totals(session) == _ward_recounted(session)
    assert _delay_splits(session) == _delay_recounted(session)
    assert _discharge_counts(session) == _discharges_recounted(session)
    session.rollback()  # end the read transaction before the next load writes


@pytest.mark.skipif(not (SAMPLE / "manifest.json").exists(), reason="no committed sample")
def test_counts_follow_every_batch_in_order_late_and_reordered(
    engine: Engine, session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOMEWARD_FUTURE_TOLERANCE_MINUTES", str(20 * 366 * 24 * 60))
    manifest = Manifest.read(SAMPLE)
    censuses = manifest.of_feed("patients")[:6]
    late = censuses[2]  # held back, then delivered after the later ones
    load_reference_dir(session, SAMPLE / "reference")
    session.commit()
    for entry in censuses:
        if entry is late:
            continue
        assert load_batch("patients", entry.path).status == "succeeded"
        _check(session)
    total_before = session.scalar(select(func.sum(SpellDayCount.n)))
    assert total_before == session.scalar(select(func.count()).select_from(SpellDay))
    assert total_before and total_before > 5000

    assert load_batch("patients", late.path).status == "succeeded"
    _check(session)

    header, *rows = censuses[-1].path.read_text(encoding="utf-8").splitlines()
    reordered = tmp_path / f"reordered_{censuses[-1].path.name}"
    reordered.write_text("\n".join([header, *reversed(rows)]) + "\n", encoding="utf-8")
    assert load_batch("patients", reordered).status == "succeeded"
    _check(session)

    before = _everything(session)
    assert before[3], "the sample has discharges"
    rebuild(session)
    session.commit()
    assert _everything(session) == before

    # the migration that made the roll-ups counts an existing store's history the same way
    session.close()
    url = engine.url.render_as_string(hide_password=False)
    migrations.downgrade(url, "0002")
    migrations.upgrade(url)
    assert _everything(session) == before
    session.rollback()


def test_touches_group_sites_by_the_days_they_touched() -> None:
    touches = DayTouches()
    assert not touches
    touches.add("RXA01", date(2026, 11, 2))
    touches.add("RXB01", date(2026, 11, 2))
    touches.add("RXC01", date(2026, 11, 2))
    touches.add("RXC01", date(2026, 10, 20))
    touches.add_from("RXC01", date(2026, 10, 25))
    touches.add_from("RXC01", date(2026, 10, 28))  # the earliest from-day wins
    assert touches
    assert touches.groups() == {
        (frozenset({date(2026, 11, 2)}), None): ["RXA01", "RXB01"],
        # 2 November is on or after the from-day, so only 20 October is listed on its own
        (frozenset({date(2026, 10, 20)}), date(2026, 10, 25)): ["RXC01"],
    }


def test_a_from_day_touch_is_listed_as_its_days_up_to_the_last() -> None:
    touches = DayTouches()
    touches.add("RXA01", date(2026, 11, 2))
    touches.add_from("RXA01", date(2026, 10, 30))
    assert touches.groups(date(2026, 11, 2)) == {
        (
            frozenset(date(2026, 10, d) for d in (30, 31)) | {date(2026, 11, 1), date(2026, 11, 2)},
            None,
        ): ["RXA01"],
    }
    # a span of 400 days or more stays a range
    assert touches.groups(date(2027, 12, 4)) == {(frozenset(), date(2026, 10, 30)): ["RXA01"]}
