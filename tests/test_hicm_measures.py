"""The High Impact Change Model's own measures (app/metrics/hicm_measures.py) over the small
system of ``tests/hicm_scenario.py``, each expected value worked out by hand below; both
databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.metrics import trends
from app.metrics.registry import METRICS
from tests import hicm_scenario as scenario

WEEKS = [scenario.WEEK_1, scenario.WEEK_2]


@pytest.fixture
def loaded(engine: Engine, tmp_path: Path) -> Iterator[Session]:
    scenario.load(engine, tmp_path / "reference")
    with Session(engine) as session:
        yield session


def series(session: Session, slug: str, site: str | None = None) -> list[float | None]:
    return METRICS[slug].weekly(session, WEEKS, site)


def test_edd_within_two_days_of_emergency_admissions(loaded: Session) -> None:
    # week 1: emergency admissions E1 (EDD on its admission day: yes), E2 (admitted Mon 2,
    # first EDD Thu 5 = day + 3: no), E4 (admitted Wed 4, first EDD Fri 6 = day + 2: yes);
    # E3 is elective, left out. 2 of 3 = 66.67 %.
    # week 2: E5 (never an EDD): 0 of 1 = 0 %.
    assert series(loaded, "edd_within_2_days") == [pytest.approx(200 / 3), 0.0]


def test_discharged_on_pathways_0_and_1(loaded: Session) -> None:
    # week 1: E1 (pathway 0), E2 (pathway 1): 2 of 2 = 100 %.
    # week 2: E3 (pathway 3), E4 (pathway 0), E5 (pathway 2): 1 of 3 = 33.33 %.
    assert series(loaded, "pathway_0_1_pct") == [100.0, pytest.approx(100 / 3)]


def test_weekend_discharges_against_weekdays(loaded: Session) -> None:
    # week 1: weekdays E1 (Wed) = 1 in 5 days = 0.2 a day; weekend E2 (Sat) = 1 in 2 days =
    # 0.5 a day: 0.5 / 0.2 = 250 %.
    # week 2: weekdays E3 (Tue), E4 (Thu) = 0.4 a day; weekend E5 (Sun) = 0.5 a day: 125 %.
    assert series(loaded, "weekend_discharge_rate") == [
        pytest.approx(250.0),
        pytest.approx(125.0),
    ]


def test_delayed_days_by_reason_category(loaded: Session) -> None:
    # E2 CHOICE, DRD Thu 5, discharged Sat 7: the ends of 5 and 6 Nov = 2, in week 1.
    assert series(loaded, "choice_delayed_days") == [2.0, 0.0]
    # E3 P3_NURSING, DRD Wed 4, discharged Tue 10: ends of 4–8 Nov = 5 (week 1), 9 Nov = 1.
    assert series(loaded, "p3_delayed_days") == [5.0, 1.0]
    # E4 HOUSING, DRD Mon 9, discharged Thu 12: ends of 9, 10, 11 Nov = 3, in week 2.
    assert series(loaded, "housing_delayed_days") == [0.0, 3.0]
    # nobody waits for an assessment
    assert series(loaded, "assessment_delayed_days") == [0.0, 0.0]


def test_a_site_with_no_patients_has_none_of_them(loaded: Session) -> None:
    assert series(loaded, "edd_within_2_days", site="RXZ99") == [None, None]
    assert series(loaded, "housing_delayed_days", site="RXZ99") == [0.0, 0.0]


def test_weeks_before_the_first_census_have_no_value(loaded: Session) -> None:
    # the week of Mon 26 Oct – Sun 1 Nov ends before the first census (Mon 2 Nov)
    earlier = [scenario.WEEK_1.replace(day=1), *WEEKS]
    assert METRICS["pathway_0_1_pct"].weekly(loaded, earlier, None)[0] is None
    assert METRICS["choice_delayed_days"].weekly(loaded, earlier, None)[0] is None


def test_each_measure_is_a_trend_with_spc_icons(loaded: Session) -> None:
    trend = trends.weekly(loaded, metric="housing_delayed_days", weeks=2, end=scenario.WEEK_2)
    assert [p.value for p in trend.points] == [0.0, 3.0]
    assert trend.provisional  # fewer than 12 points
    assert trend.variation_icon == "common_cause"
