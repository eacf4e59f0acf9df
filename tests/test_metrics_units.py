"""The small parts of the metrics: London days and weeks, the SQL day helpers on both
databases, escalation scoring and its configuration, the registry."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import Date, Engine, literal, select

from app.core.config import get_settings
from app.domain import delay_bands
from app.metrics import escalation, ratios, timebase
from app.metrics.errors import InvalidParameter
from app.metrics.registry import METRICS, get_metric

# --- London days ----------------------------------------------------------------------------


def test_days_start_at_london_midnight_across_the_clock_change() -> None:
    # Sun 25 Oct 2026 runs from 00:00 BST (23:00 UTC the day before) to 00:00 GMT: 25 hours
    assert timebase.day_start(date(2026, 10, 25)) == datetime(2026, 10, 24, 23, tzinfo=UTC)
    assert timebase.day_end(date(2026, 10, 25)) == datetime(2026, 10, 26, 0, tzinfo=UTC)
    assert timebase.local_date(datetime(2026, 10, 24, 23, 30, tzinfo=UTC)) == date(2026, 10, 25)
    assert timebase.local_date(datetime(2026, 10, 26, 23, 30, tzinfo=UTC)) == date(2026, 10, 26)


def test_a_naive_at_is_london_time() -> None:
    assert timebase.resolve_at(datetime(2026, 7, 1, 9, 0)) == datetime(2026, 7, 1, 8, tzinfo=UTC)
    assert timebase.resolve_at(datetime(2026, 12, 1, 9, 0)) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert timebase.resolve_at(None).tzinfo is UTC


def test_weeks_end_on_sunday() -> None:
    assert timebase.sunday_on_or_before(date(2026, 11, 1)) == date(2026, 11, 1)  # a Sunday
    assert timebase.sunday_on_or_before(date(2026, 11, 7)) == date(2026, 11, 1)
    assert timebase.week_ends(3, date(2026, 11, 4)) == [
        date(2026, 10, 18),
        date(2026, 10, 25),
        date(2026, 11, 1),
    ]


def test_a_range_is_checked() -> None:
    timebase.check_range(date(2026, 1, 1), date(2026, 1, 1))
    timebase.check_range(date(2021, 11, 2), date(2026, 11, 1))  # five years
    with pytest.raises(InvalidParameter, match=r"^start: "):
        timebase.check_range(date(2026, 1, 2), date(2026, 1, 1))
    with pytest.raises(InvalidParameter, match=r"^end: .*longer than 5 years"):
        timebase.check_range(date(2020, 1, 1), date(2026, 1, 1))


def test_day_helpers_in_sql(engine: Engine) -> None:
    """``days_between``, the delay bands and per-day local instants, on each database."""
    day = literal(date(2026, 11, 2), Date())
    with engine.connect() as conn:
        for earlier, days, band in [
            (date(2026, 11, 2), 0, "0"),
            (date(2026, 11, 1), 1, "1"),
            (date(2026, 10, 29), 4, "4-6"),  # across the month end
            (date(2026, 10, 20), 13, "7-13"),
            (date(2025, 11, 2), 365, "21+"),
        ]:
            delay = timebase.days_between(day, literal(earlier, Date()))
            assert conn.execute(select(delay, delay_bands.band_of(delay))).one() == (days, band)
        cutoff = timebase.local_instant_case(
            day, [date(2026, 10, 24), date(2026, 11, 2)], at_time=delay_bands.DISCHARGE_CUTOFF
        )
        assert conn.execute(select(cutoff)).scalar() == datetime(2026, 11, 2, 17, 1, tzinfo=UTC)


# --- escalation -----------------------------------------------------------------------------


def test_score_counts_the_thresholds_reached() -> None:
    thresholds = [92.0, 95.0, 98.0]
    assert [escalation.score(v, thresholds) for v in (50, 92, 94.9, 95, 98, 120)] == [
        1,
        2,
        2,
        3,
        4,
        4,
    ]
    assert escalation.score(None, thresholds) is None


def test_the_highest_score_sets_the_level_and_names_the_driver() -> None:
    values = {
        "occupancy_pct": 96.0,
        "nctr_pct_of_occupied": 21.0,
        "super_stranded_pct_of_occupied": 3.0,
    }
    site = escalation.escalate(values, scope="site")
    # occupancy 96 → 3, NCtR 21% → 4, super-stranded 3 % → 1; system-wide ones left out
    assert [(p.name, p.score) for p in site.parameters] == [
        ("occupancy_pct", 3),
        ("nctr_pct_of_occupied", 4),
        ("super_stranded_pct_of_occupied", 1),
    ]
    assert (site.level, site.driver, site.combination) == (4, "nctr_pct_of_occupied", "highest")
    quiet = escalation.escalate({"occupancy_pct": 80.0}, scope="system")
    # unknown values (None) score nothing; all-normal is level 1 with no driver
    assert (quiet.level, quiet.driver) == (1, None)
    assert [p.score for p in quiet.parameters] == [1, None, None, None, None, None]


def test_thresholds_scale_with_size() -> None:
    """A 300-bed and a 1,200-bed site with the same ratios get the same scores (§4.8)."""

    # small: 282 of 300 beds occupied (94 %); 37 NCtR (13.1 %); 36 in 21+ days (12.8 %)
    # large: 1,128 of 1,200 (94 %); 148 NCtR (13.1 %); 144 in 21+ days (12.8 %)
    # thresholds: occupancy 92/95/98 → 2; NCtR 10/15/18 → 2; super-stranded 12/16/20 → 2
    def site(occupied: int, open_beds: int, nctr: int, super_stranded: int) -> list[int | None]:
        values = {
            "occupancy_pct": ratios.pct(occupied, open_beds),
            "nctr_pct_of_occupied": ratios.nctr_pct_of_occupied(nctr, occupied),
            "super_stranded_pct_of_occupied": ratios.super_stranded_pct_of_occupied(
                super_stranded, occupied
            ),
        }
        return [p.score for p in escalation.escalate(values, scope="site").parameters]

    assert site(282, 300, 37, 36) == site(1128, 1200, 148, 144) == [2, 2, 2]
    # 40 super-stranded was level 4 for any site under the old absolute thresholds (20/30/40);
    # now it is 40/1,128 = 3.5 % on the large site → 1, and 40/282 = 14.2 % on the small → 2
    assert site(1128, 1200, 148, 40)[2] == 1
    assert site(282, 300, 37, 40)[2] == 2
    assert site(282, 300, 37, 50)[2] == 3  # 50/282 = 17.7 %


def test_pathway_gaps_are_a_share_of_the_demand() -> None:
    # P3: 20 waiting, 17 vacancies → gap 3 = 15 % → 2; 200 waiting, 170 vacancies → the same
    assert ratios.gap_pct_of_demand(3, 20) == ratios.gap_pct_of_demand(30, 200) == 15.0
    # spare capacity is a negative gap; no supply figure, or nobody waiting, is no value
    assert ratios.gap_pct_of_demand(-5, 10) == -50.0
    assert ratios.gap_pct_of_demand(None, 10) is None
    assert ratios.gap_pct_of_demand(-4, 0) is None
    result = escalation.escalate(
        {"p1_gap_pct_of_demand": 30.0, "p3_gap_pct_of_demand": 15.0}, scope="system"
    )
    scores = {p.name: p.score for p in result.parameters}
    # thresholds 10/25/40: 30 % → 3; 15 % → 2
    assert (scores["p1_gap_pct_of_demand"], scores["p3_gap_pct_of_demand"]) == (3, 2)


def test_an_absolute_count_setting_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.toml"
    old.write_text("[parameters.occupancy_pct]\nsystem_thresholds = [60, 90, 120]\n")
    with pytest.raises(ValueError, match="system_thresholds"):
        escalation.load_config(old)


def test_a_local_file_overrides_the_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    local = tmp_path / "escalation.toml"
    local.write_text(
        'combination = "mean"\n'
        "[parameters.occupancy_pct]\nthresholds = [80.0, 85.0, 90.0]\n"
        "[parameters.stale_feeds]\nenabled = false\n"
    )
    monkeypatch.setenv("HOMEWARD_ESCALATION_CONFIG_FILE", str(local))
    get_settings.cache_clear()
    try:
        config = escalation.get_config()
        assert config.parameters["occupancy_pct"].thresholds == [80.0, 85.0, 90.0]
        assert config.parameters["occupancy_pct"].label == "G&A bed occupancy (%)"  # kept
        result = escalation.escalate(
            {"occupancy_pct": 91.0, "nctr_pct_of_occupied": 5.0, "stale_feeds": 4.0},
            scope="system",
        )
    finally:
        get_settings.cache_clear()
    # mean of occupancy 4 and NCtR 1 = 2.5 → 3 (half up); stale feeds switched off
    assert [p.name for p in result.parameters if p.name == "stale_feeds"] == []
    assert (result.level, result.combination, result.driver) == (3, "mean", "occupancy_pct")


def test_a_broken_configuration_is_refused(tmp_path: Path) -> None:
    unknown = tmp_path / "unknown.toml"
    unknown.write_text("[parameters.weather]\nlabel = 'Rain'\nthresholds = [1, 2, 3]\n")
    with pytest.raises(ValidationError, match="unknown parameters weather"):
        escalation.load_config(unknown)
    descending = tmp_path / "descending.toml"
    descending.write_text("[parameters.p1_gap]\nthresholds = [20, 10, 1]\n")
    with pytest.raises(ValidationError, match="ascending"):
        escalation.load_config(descending)


# --- the registry ---------------------------------------------------------------------------


def test_every_metric_has_words_and_a_weekly_series() -> None:
    for slug, metric in METRICS.items():
        assert metric.slug == slug
        assert metric.direction in ("increase", "decrease", "neutral")
        assert callable(metric.weekly) and metric.definition.endswith(".")
    assert get_metric("ga_occupancy").target == 92.0
    with pytest.raises(InvalidParameter, match=r"^metric: unknown metric 'x'"):
        get_metric("x")
