"""``spell_day_counts`` always equals ``spell_days`` counted afresh: after every batch of the
committed sample delivered in order, after a census delivered late (out of order, which
rewrites spells' history from an earlier day) and after a census redelivered reordered."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from ingest.day_counts import KEY_COLUMNS, DayTouches, rebuild
from ingest.loader import load_batch
from ingest.registry import load_reference_dir
from models import SpellDay, SpellDayCount, SpellDayDelayCount, SpellDayWardTotal
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


def _check(session: Session) -> None:
    session.expire_all()
    assert _rolled_up(session) == _recounted(session)
    assert _ward_totals(session) == _ward_recounted(session)
    assert _delay_splits(session) == _delay_recounted(session)
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

    before = _rolled_up(session), _ward_totals(session), _delay_splits(session)
    rebuild(session)
    session.commit()
    assert (_rolled_up(session), _ward_totals(session), _delay_splits(session)) == before


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
