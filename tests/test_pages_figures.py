"""The pure figure builders: what each chart draws, checked on small hand-made inputs."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

from dashboards import figures, theme

WEEKS = [date(2026, 9, 6) + timedelta(weeks=i) for i in range(4)]


def _points() -> list[dict]:
    values = [10.0, 12.0, 11.0, 25.0]
    types = ["common", "common", "common", "concern"]
    return [
        {
            "x": week,
            "value": value,
            "mean": 14.5,
            "lower_limit": 2.0,
            "upper_limit": 24.0,
            "point_type": kind,
        }
        for week, value, kind in zip(WEEKS, values, types, strict=True)
    ]


def _trace(fig, name: str):
    return next(trace for trace in fig.data if trace.name == name)


def test_spc_chart_draws_mean_solid_limits_dashed_and_colours_points_by_type() -> None:
    fig = figures.spc_chart(_points(), title="Delayed days", y_title="Days", target=20.0)
    mean = _trace(fig, "Mean")
    assert mean.line.dash is None and list(mean.y) == [14.5] * 4
    limits = [t for t in fig.data if t.name == "Process limits"]
    assert len(limits) == 2 and all(t.line.dash == "dash" for t in limits)
    assert [list(t.y) for t in limits] == [[24.0] * 4, [2.0] * 4]
    assert sum(t.showlegend is not False for t in limits) == 1
    common = _trace(fig, "Common cause")
    assert common.marker.color == theme.SPC_COMMON == "#a6a6a6"
    assert list(common.y) == [10.0, 12.0, 11.0]
    concern = _trace(fig, "Special cause: concern")
    assert concern.marker.color == theme.SPC_CONCERN == "#e46c0a"
    assert list(concern.x) == [WEEKS[3]] and list(concern.y) == [25.0]
    target = _trace(fig, "Target")
    assert list(target.y) == [20.0, 20.0]
    assert fig.layout.title.text == "Delayed days"
    assert fig.layout.yaxis.title.text == "Days"


def test_spc_chart_marks_provisional_limits_and_names_improvement_and_neutral() -> None:
    points = _points()
    points[0]["point_type"] = "improvement"
    points[1]["point_type"] = "neutral"
    fig = figures.spc_chart(points, title=None, y_title="%", provisional=True)
    assert _trace(fig, "Special cause: improvement").marker.color == "#00b0f0"
    assert _trace(fig, "Special cause: neither better nor worse").marker.color == "#490092"
    texts = [a.text for a in fig.layout.annotations]
    assert any("Provisional limits" in text for text in texts)
    assert not [t for t in fig.data if t.name == "Target"]


def test_spc_chart_without_values_says_so() -> None:
    points = [dict(p, value=None) for p in _points()]
    fig = figures.spc_chart(points, title="Red days", y_title="%")
    assert not fig.data
    assert fig.layout.annotations[0].text == "No data for this period"


def test_spc_chart_reads_objects_as_well_as_mappings() -> None:
    class Point:
        def __init__(self, **values: object) -> None:
            self.__dict__.update(values)

    fig = figures.spc_chart([Point(**p) for p in _points()], title=None, y_title="Days")
    assert list(_trace(fig, "Weekly value").y) == [10.0, 12.0, 11.0, 25.0]


def test_ranked_bars_put_the_largest_on_top_and_drop_zeros() -> None:
    fig = figures.ranked_bars(
        ["Awaiting P1", "Awaiting P3", "Transport", "Medicines"],
        [12, 40, 0, 3],
        title="By reason",
        x_title="Delayed bed days",
    )
    bar = fig.data[0]
    # Plotly draws the first category at the bottom: the largest comes last
    assert list(bar.y) == ["Medicines", "Awaiting P1", "Awaiting P3"]
    assert list(bar.x) == [3, 12, 40]
    assert list(bar.text) == ["3", "12", "40"]


def test_ranked_bars_can_keep_the_order_given_and_limit_the_count() -> None:
    fig = figures.ranked_bars(
        ["0", "1", "2-3"], [5, 0, 2], title="Bands", x_title="Patients", keep_order=True
    )
    assert list(fig.data[0].y) == ["2-3", "1", "0"]
    many = figures.ranked_bars(
        [f"r{i}" for i in range(20)], list(range(1, 21)), title="t", x_title="x", max_bars=5
    )
    assert list(many.data[0].x) == [16, 17, 18, 19, 20]


def test_ranked_bars_with_nothing_to_show() -> None:
    fig = figures.ranked_bars(["a"], [0], title="By council", x_title="Days")
    assert not fig.data and fig.layout.annotations[0].text == "No data for this period"


def test_waiting_vs_capacity_pairs_each_council() -> None:
    fig = figures.waiting_vs_capacity(
        ["Marlbridge", "Wyvern Vale"],
        [12, 5],
        [8, 9],
        title="Pathway 1",
        waiting_label="Waiting",
        capacity_label="Packages",
    )
    assert [t.name for t in fig.data] == ["Waiting", "Packages"]
    assert list(fig.data[0].x) == [12, 5] and list(fig.data[1].x) == [8, 9]
    assert fig.layout.barmode == "group"


def test_journey_timeline_shows_days_by_status_and_labelled_events() -> None:
    admitted = datetime(2026, 11, 1, 9, 30)
    days = [
        figures.TimelineDay(date(2026, 11, 1), "green"),
        figures.TimelineDay(date(2026, 11, 2), "red", "Awaiting P3"),
        figures.TimelineDay(date(2026, 11, 3), "red", "Awaiting P3"),
        figures.TimelineDay(date(2026, 11, 4), "not_recorded"),
    ]
    events = [
        figures.TimelineEvent(admitted, "Admitted", "admitted"),
        figures.TimelineEvent(datetime(2026, 11, 2, 8), "Discharge ready date set", "drd_set"),
    ]
    fig = figures.journey_timeline(days=days, events=events)
    bars = {t.name: t for t in fig.data if t.type == "bar"}
    assert set(bars) == {"Red day", "Green day", "Not recorded"}
    assert len(bars["Red day"].x) == 2
    assert bars["Red day"].marker.color == theme.RED_DAY
    assert [list(t.customdata) for t in fig.data if t.type == "scatter"] == [
        ["Admitted"],
        ["Discharge ready date set"],
    ]
    # each event has its own row, labelled in full with its moment, the first at the top
    assert list(fig.layout.yaxis.ticktext) == [
        "01 Nov 09:30 · Admitted",
        "02 Nov 08:00 · Discharge<br>ready date set",  # wrapped at 28 characters
    ]
    first, second = fig.layout.yaxis.tickvals
    assert first > second


def test_journey_labels_are_wrapped_never_cut() -> None:
    long_label = (
        "Delay reason: Awaiting availability of home care (pathway 1) → "
        "Awaiting nursing home placement (pathway 3)"
    )
    events = [
        figures.TimelineEvent(datetime(2026, 11, 1, 9, k), long_label, "reason_changed")
        for k in range(3)
    ]
    fig = figures.journey_timeline(days=[], events=events)
    ticks = list(fig.layout.yaxis.ticktext)
    assert len(ticks) == 3
    for k, tick in enumerate(ticks):
        lines = tick.split("<br>")
        assert all(len(line) <= figures.JOURNEY_LABEL_WIDTH for line in lines), lines
        assert " ".join(lines) == f"01 Nov 09:0{k} · {long_label}"
        assert "…" not in tick
    # rows far enough apart for every line: each label's rows never reach the next one's
    values = list(fig.layout.yaxis.tickvals)
    lines = len(ticks[0].split("<br>"))
    assert all(a - b >= lines for a, b in itertools.pairwise(values))


def test_wrap_words_keeps_every_word() -> None:
    assert figures.wrap_words("Awaiting nursing home placement (pathway 3)", 16) == [
        "Awaiting nursing",
        "home placement",
        "(pathway 3)",
    ]
    assert figures.wrap_words("Supercalifragilistic", 5) == ["Supercalifragilistic"]


def test_journey_timeline_without_anything() -> None:
    fig = figures.journey_timeline(days=[], events=[])
    assert fig.layout.annotations[0].text == "No journey recorded"


def test_daily_line_draws_one_line_per_series() -> None:
    days = [date(2026, 11, d) for d in (1, 2, 3)]
    fig = figures.daily_line(
        days, {"Remaining": [5, 6, 7], "Discharged": [1, 0, 2]}, title="NCtR", y_title="Patients"
    )
    assert [t.name for t in fig.data] == ["Remaining", "Discharged"]
    assert list(fig.data[0].y) == [5, 6, 7]
