"""Actions in the weekly report, without a browser: the SPC figure marks each action with a
vertical line and a hover marker, and the offline HTML file has the "actions this week" and
"what moved after an action" sections, worded from the metric's numbers."""

from __future__ import annotations

from datetime import date

from app.metrics.schemas import (
    ActionBrief,
    ActionEffect,
    ActionMark,
    ActionsThisWeek,
    MetricInfo,
    WhatMoved,
)
from dashboards import report
from dashboards.weekly_view import figure
from tests.test_pages_report import END, _trend

OCCUPANCY = MetricInfo(
    slug="ga_occupancy", label="G&A bed occupancy", unit="%", direction="decrease", definition="…"
)


def _mark() -> ActionMark:
    return ActionMark(
        id=3,
        title="Open the discharge lounge at 08:00",
        status="open",
        organisation="RXA",
        owner="Ana Patel",
        raised_on=date(2026, 11, 4),
        week_ending=date(2026, 11, 8),
        closed_on=None,
    )


def _effect(**changes: object) -> ActionEffect:
    effect = ActionEffect(
        id=3,
        title="Open the discharge lounge at 08:00",
        status="done",
        organisation="RXA",
        metric=OCCUPANCY,
        site=None,
        raised_on=date(2026, 10, 28),
        action_week_ending=date(2026, 11, 1),
        weeks_before=8,
        weeks_after=4,
        mean_before=95.5,
        mean_after=89.5,
        change=-6.0,
        moved="improved",
        improvement_signal=True,
        concern_signal=False,
    )
    return effect.model_copy(update=changes)


def test_the_spc_figure_marks_each_action() -> None:
    trend = _trend([20.0] * 10).model_copy(update={"actions": [_mark()]})
    fig = figure(trend)
    marker = [t for t in fig.data if t.name == "Action raised"]
    assert len(marker) == 1
    assert list(marker[0].x) == [date(2026, 11, 4)]
    assert "Open the discharge lounge at 08:00" in marker[0].hovertext[0]
    assert "Wed 4 Nov 2026" in marker[0].hovertext[0]
    lines = [s for s in fig.layout.shapes if s.x0 == date(2026, 11, 4)]
    assert len(lines) == 1 and lines[0].yref == "paper"


def test_no_action_no_marker() -> None:
    fig = figure(_trend([20.0] * 10))
    assert all(t.name != "Action raised" for t in fig.data)


def test_what_moved_in_words() -> None:
    line = report.effect_line(_effect())
    assert "mean 95.5% over 8 weeks before, 89.5% over 4 weeks after (-6.0%)" in line
    assert line.endswith("improved. A special cause of improvement followed.")
    worse = report.effect_line(
        _effect(mean_after=97.0, change=1.5, moved="worsened", improvement_signal=False)
    )
    assert "(+1.5%): worsened. No special cause of improvement followed." in worse
    empty = WhatMoved(end=END, weeks_before=8, weeks_after=4, site=None, effects=[])
    assert "4 whole weeks" in report.what_moved(empty)[0]


def test_actions_this_week_and_the_wall_sees_no_due_date() -> None:
    brief = ActionBrief(
        id=1,
        title="Chase P1 slots",
        status="open",
        organisation="E06000901",
        owner="Sam Reid",
        metric="p1_waiting",
        due_date=date(2026, 11, 20),
        raised_on=date(2026, 11, 10),
        closed_on=None,
        overdue=True,
    )
    week = ActionsThisWeek(
        week_start=date(2026, 11, 23), week_end=date(2026, 11, 29), raised=[], closed=[],
        overdue=[brief],
    )  # fmt: skip
    groups = dict(report.actions_this_week(week))
    assert groups["Raised this week"] == ["None."]
    assert groups["Open past their due date at the end of the week"] == [
        "Chase P1 slots — E06000901, Sam Reid; due Fri 20 Nov 2026; open (overdue)"
    ]
    wall = dict(report.actions_this_week(week, with_due=False))
    assert wall["Open past their due date at the end of the week"] == [
        "Chase P1 slots — E06000901, Sam Reid; open (overdue)"
    ]


def test_the_offline_html_has_both_sections() -> None:
    trend = _trend([20.0] * 10).model_copy(update={"actions": [_mark()]})
    from datetime import UTC, datetime

    document = report.build_html(
        title="Weekly",
        subtitle="…",
        charts=[(trend, figure(trend))],
        changes=["none"],
        tables=[],
        generated_at=datetime(2026, 11, 30, 9, tzinfo=UTC),
        actions=[("Raised this week", ["A &lt; thing"])],
        moved=[report.effect_line(_effect())],
    )
    assert "<h2>Actions this week</h2>" in document
    assert "<h2>What moved after an action</h2>" in document
    assert "A &amp;lt; thing" in document  # escaped
    assert "Action raised" in document  # the marker trace travels in the figure's JSON
