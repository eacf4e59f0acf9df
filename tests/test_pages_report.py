"""The weekly report's words, its self-contained HTML file and its CSV (no browser)."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

from app.metrics.schemas import MetricInfo, TrendPoint, WeeklyTrend
from dashboards import report
from dashboards.weekly_view import figure

END = date(2026, 11, 15)  # a Sunday


def _trend(values: list[float], *, latest_type: str = "common", **flags: bool) -> WeeklyTrend:
    weeks = [END - timedelta(weeks=len(values) - 1 - i) for i in range(len(values))]
    points = []
    for i, (week, value) in enumerate(zip(weeks, values, strict=True)):
        last = i == len(values) - 1
        points.append(
            TrendPoint(
                week_start=week - timedelta(days=6),
                week_ending=week,
                value=value,
                mean=20.0,
                lower_limit=10.0,
                upper_limit=30.0,
                lower_near=13.3,
                upper_near=26.7,
                outside_limits=last and flags.get("outside_limits", False),
                run=last and flags.get("run", False),
                trend=last and flags.get("trend", False),
                two_of_three=last and flags.get("two_of_three", False),
                special_cause=last and latest_type != "common",
                point_type=latest_type if last else "common",
                side="high" if last and latest_type != "common" else None,
            )
        )
    return WeeklyTrend(
        metric=MetricInfo(
            slug="delayed_days",
            label="Delayed days (bed days lost)",
            unit="days",
            direction="decrease",
            definition="…",
        ),
        site=None,
        weeks=len(values),
        end=END,
        mean=20.0,
        lower_limit=10.0,
        upper_limit=30.0,
        lower_near=13.3,
        upper_near=26.7,
        provisional=len(values) < 12,
        variation_icon="special_cause_concern_high" if latest_type == "concern" else "common_cause",
        assurance_icon="none",
        points=points,
    )


def test_what_changed_names_a_special_cause_and_its_rules() -> None:
    trend = _trend([18, 21, 19, 35], latest_type="concern", outside_limits=True)
    sentences = report.what_changed([trend])
    assert sentences == [
        "Delayed days (bed days lost): 35 days in the week ending Sun 15 Nov 2026 (mean 20 "
        "days), special cause concern: a point outside the process limits."
    ]


def test_what_changed_lists_every_rule_broken() -> None:
    trend = _trend([18, 21, 19, 29], latest_type="concern", trend=True, two_of_three=True)
    (sentence,) = report.what_changed([trend])
    assert "a run of rising points" in sentence
    assert "two of three points close to a process limit" in sentence


def test_what_changed_says_so_when_nothing_changed() -> None:
    (sentence,) = report.what_changed([_trend([18, 21, 19, 22])])
    assert sentence.startswith("No measure shows special cause variation in the week ending")
    assert "Sun 15 Nov 2026" in sentence


def test_summary_text_gives_latest_value_mean_and_limits() -> None:
    text = report.summary_text(_trend([18, 21, 19, 22.5]))
    assert text == (
        "Week ending Sun 15 Nov 2026: 22.5 days. Mean 20 days; process limits 10 days to "
        "30 days. Limits are provisional (fewer than 12 weeks)."
    )


def test_tables_csv_has_a_row_per_group_with_formulas_neutralised() -> None:
    tables = [
        report.BreakdownTable(
            "Delayed days by reason",
            "Reason",
            [
                report.BreakdownRow("=cmd|' /C calc'!A0", 30, 0.75),
                report.BreakdownRow("P1", 10, 0.25),
            ],
        ),
        report.BreakdownTable("Delayed days by council", "Council", []),
    ]
    text = report.tables_csv(tables, scope="Whole system", period="9 to 15 Nov")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["area", "period", "breakdown", "group", "delayed_days", "share_pct"]
    assert rows[1] == [
        "Whole system",
        "9 to 15 Nov",
        "Delayed days by reason",
        "'=cmd|' /C calc'!A0",
        "30",
        "75.0",
    ]
    assert len(rows) == 3


def test_build_html_is_one_self_contained_document() -> None:
    trends = [_trend([18, 21, 19, 35], latest_type="concern", outside_limits=True)] * 2
    document = report.build_html(
        title="Weekly discharge flow report: Whole system",
        subtitle="Week 9 to 15 Nov",
        charts=[(trend, figure(trend)) for trend in trends],
        changes=report.what_changed(trends),
        tables=[report.BreakdownTable("Delayed days by reason", "Reason", [])],
        generated_at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
    )
    assert document.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in document
    # plotly.js inlined once, nothing fetched from elsewhere
    assert document.count("plotly.js v") >= 1
    assert len(re.findall(r"<script[^>]*>\s*/\*\*\s*\n?\s*\* plotly\.js", document)) <= 1
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?https?:", document)
    assert document.count('class="plotly-graph-div"') == 2
    assert "<svg" in document and "Special cause variation: concern" in document
    assert "What changed this week" in document
    assert "No delayed days in this week." in document


def test_a_card_with_no_data_says_so_instead_of_common_cause() -> None:
    from app.metrics.spc import xmr

    # two weeks without a value: nothing to judge (the "No data" card of issue #12)
    chart = xmr([(END - timedelta(weeks=1), None), (END, None)], direction="decrease")
    trend = _trend([20, 20]).model_copy(update={"variation_icon": chart.variation_icon})
    document = report.build_html(
        title="Weekly discharge flow report: Whole system",
        subtitle="Week 9 to 15 Nov",
        charts=[(trend, figure(trend))],
        changes=[],
        tables=[],
        generated_at=datetime(2026, 11, 16, 9, 0, tzinfo=UTC),
    )
    assert "No data, so no variation icon" in document
    assert "Common cause variation" not in document
