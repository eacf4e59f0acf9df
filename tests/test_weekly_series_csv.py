"""The weekly report's chart-series CSV against a hand-computed XmR chart (DESIGN §4.10)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from app.metrics import spc
from app.metrics.schemas import MetricInfo, TrendPoint, WeeklyTrend
from dashboards import report

END = date(2026, 11, 15)  # a Sunday


def _trend(values: list[float | None], *, baseline: int) -> WeeklyTrend:
    """A weekly trend whose chart is the real XmR code's, a count bounded below by 0."""
    sundays = [END - timedelta(weeks=len(values) - 1 - i) for i in range(len(values))]
    chart = spc.xmr(
        list(zip(sundays, values, strict=True)),
        direction="decrease",
        baseline=baseline,
        value_range=(0, None),
    )
    return WeeklyTrend(
        metric=MetricInfo(
            slug="p3_waiting",
            label="P3 waiting",
            unit="patients",
            direction="decrease",
            definition="…",
        ),
        site=None,
        weeks=len(values),
        end=END,
        mean=chart.mean,
        lower_limit=chart.lower_limit,
        upper_limit=chart.upper_limit,
        lower_near=chart.lower_near,
        upper_near=chart.upper_near,
        provisional=chart.provisional,
        variation_icon=chart.variation_icon,
        assurance_icon=chart.assurance_icon,
        points=[
            TrendPoint(
                week_start=p.x - timedelta(days=6),
                week_ending=p.x,
                value=p.value,
                mean=p.mean,
                lower_limit=p.lower_limit,
                upper_limit=p.upper_limit,
                lower_near=p.lower_near,
                upper_near=p.upper_near,
                outside_limits=p.outside_limits,
                run=p.run,
                trend=p.trend,
                two_of_three=p.two_of_three,
                special_cause=p.special_cause,
                point_type=p.point_type,
                side=p.side,
            )
            for p in chart.points
        ],
    )


def test_series_csv_has_value_mean_limits_as_drawn_and_flags() -> None:
    # Baseline 2, 6, 2, 6, 2: mean 18 / 5 = 3.6; moving ranges 4, 4, 4, 4 → mR̄ 4 (none
    # ≥ 3.267 × 4 = 13.07 is screened). Upper limit 3.6 + 2.66 × 4 = 14.24; lower limit
    # 3.6 − 10.64 = −7.04, a count: drawn at 0. Week 6 (20) is above 14.24: outside the
    # limits, and more P3 waiting is worse (decrease improves): special cause concern. Five
    # baseline points < 12: provisional. Week 7 has no value.
    trend = _trend([2, 6, 2, 6, 2, 20, None], baseline=5)
    rows = list(csv.DictReader(io.StringIO(report.series_csv([trend], scope="Whole system"))))

    assert len(rows) == 7
    assert list(rows[0]) == list(report.SERIES_HEADER)
    assert [r["week_ending"] for r in rows] == [
        "2026-10-04",
        "2026-10-11",
        "2026-10-18",
        "2026-10-25",
        "2026-11-01",
        "2026-11-08",
        "2026-11-15",
    ]
    assert rows[0]["week_start"] == "2026-09-28"
    assert [r["value"] for r in rows] == ["2.0", "6.0", "2.0", "6.0", "2.0", "20.0", ""]
    for row in rows:
        assert row["area"] == "Whole system"
        assert row["measure"] == "p3_waiting"
        assert row["unit"] == "patients"
        assert float(row["mean"]) == pytest.approx(3.6)
        assert float(row["upper_limit"]) == pytest.approx(14.24)
        assert float(row["lower_limit"]) == 0.0  # −7.04 drawn at the bound
        assert row["provisional_limits"] == "True"
    assert [r["special_cause"] for r in rows] == ["False"] * 5 + ["True", "False"]
    assert [r["outside_limits"] for r in rows] == ["False"] * 5 + ["True", "False"]
    assert rows[5]["point_type"] == "concern"
    assert {r["point_type"] for r in rows[:5]} == {"common"}
    assert {r["run"] for r in rows} == {r["trend"] for r in rows} == {"False"}


def test_series_csv_rows_per_measure_and_week_with_firm_limits_after_twelve() -> None:
    # Twelve points alternating 10, 12: mean 11, mR̄ 2 → limits 11 ± 5.32 = 5.68 to 16.32,
    # firm (12 baseline points); a second measure adds its own rows after the first's.
    firm = _trend([10, 12] * 6, baseline=12)
    other = _trend([2, 6, 2, 6, 2, 20, None], baseline=5)
    rows = list(csv.DictReader(io.StringIO(report.series_csv([firm, other], scope="Site A"))))
    assert len(rows) == 12 + 7
    assert float(rows[0]["lower_limit"]) == pytest.approx(5.68)
    assert float(rows[0]["upper_limit"]) == pytest.approx(16.32)
    assert rows[0]["provisional_limits"] == "False"
    assert rows[12]["provisional_limits"] == "True"


def test_series_csv_neutralises_a_formula_in_a_label() -> None:
    trend = _trend([2, 6, 2, 6, 2, 20, None], baseline=5)
    trend = trend.model_copy(update={"metric": trend.metric.model_copy(update={"label": "=1+1"})})
    rows = list(csv.DictReader(io.StringIO(report.series_csv([trend], scope="=cmd"))))
    assert rows[0]["measure_label"] == "'=1+1"
    assert rows[0]["area"] == "'=cmd"
