"""Pure figure builders: plain values in, a Plotly figure out (no database, no Dash).

Every chart states what it shows in its title and axis titles; colour is never the only
carrier of meaning (SPC point types are named in the legend and the hover text, red and
green days are labelled).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from dashboards import theme

POINT_TYPE_WORDS = {
    "common": "Common cause",
    "improvement": "Special cause: improvement",
    "concern": "Special cause: concern",
    "neutral": "Special cause: neither better nor worse",
}

_NO_DATA_LAYOUT: dict[str, Any] = {
    "xaxis": {"visible": False},
    "yaxis": {"visible": False},
}


def empty_figure(title: str, message: str = "No data for this period") -> go.Figure:
    """A figure that says plainly there is nothing to draw."""
    fig = go.Figure()
    fig.update_layout(
        title=title,
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 16, "color": theme.NHS_GREY_1},
            }
        ],
        **_NO_DATA_LAYOUT,
    )
    return fig


def _value(point: Mapping[str, Any] | Any, key: str) -> Any:
    if isinstance(point, Mapping):
        return point.get(key)
    return getattr(point, key, None)


def spc_chart(
    points: Sequence[Mapping[str, Any] | Any],
    *,
    title: str | None,
    y_title: str,
    target: float | None = None,
    provisional: bool = False,
    value_format: str = ",.1f",
    x_title: str = "Week ending",
    actions: Sequence[tuple[date, str]] = (),
) -> go.Figure:
    """An XmR chart in the Making Data Count style.

    Points carry ``x``, ``value``, ``mean``, ``lower_limit``, ``upper_limit`` and
    ``point_type`` (common | improvement | concern | neutral). The mean is a solid line, the
    process limits dashed, each point coloured by its type and named in the legend.
    ``actions`` are ``(day raised, words)``: each a dotted vertical line with a marker at the
    top whose hover text is the words ("Action raised" in the legend).
    """
    rows = [p for p in points if _value(p, "value") is not None]
    if not rows:
        return empty_figure(title or "")
    xs = [_value(p, "x") for p in points]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[_value(p, "value") for p in points],
            mode="lines",
            line={"color": theme.SPC_COMMON, "width": 2},
            name="Weekly value",
            hoverinfo="skip",
            showlegend=False,
            connectgaps=False,
        )
    )
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=[_value(p, "mean") for p in points],
            mode="lines",
            line={"color": theme.NHS_BLACK, "width": 2},
            name="Mean",
            hovertemplate=f"Mean %{{y:{value_format}}}<extra></extra>",
        )
    )
    for key, words in (
        ("upper_limit", "Upper process limit"),
        ("lower_limit", "Lower process limit"),
    ):
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=[_value(p, key) for p in points],
                mode="lines",
                line={"color": theme.NHS_GREY_1, "width": 1.5, "dash": "dash"},
                name="Process limits",
                legendgroup="limits",
                showlegend=key == "upper_limit",
                hovertemplate=f"{words} %{{y:{value_format}}}<extra></extra>",
            )
        )
    if target is not None:
        fig.add_trace(
            go.Scatter(
                x=[xs[0], xs[-1]],
                y=[target, target],
                mode="lines",
                line={"color": theme.NHS_RED, "width": 2, "dash": "dot"},
                name="Target",
                hovertemplate=f"Target %{{y:{value_format}}}<extra></extra>",
            )
        )
    for point_type in ("common", "improvement", "concern", "neutral"):
        chosen = [p for p in rows if (_value(p, "point_type") or "common") == point_type]
        if not chosen:
            continue
        words = POINT_TYPE_WORDS[point_type]
        fig.add_trace(
            go.Scatter(
                x=[_value(p, "x") for p in chosen],
                y=[_value(p, "value") for p in chosen],
                mode="markers",
                marker={
                    "color": theme.SPC_POINT_COLOURS[point_type],
                    "size": 10 if point_type == "common" else 12,
                    "line": {"color": theme.WHITE, "width": 1},
                    "symbol": "circle" if point_type == "common" else "diamond",
                },
                name=words,
                hovertemplate=f"%{{x}}<br>%{{y:{value_format}}}<br>{words}<extra></extra>",
            )
        )
    if actions:
        _mark_actions(fig, actions, rows)
    annotations = []
    if provisional:
        annotations.append(
            {
                "text": "Provisional limits: fewer than 12 points",
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0,
                "y": 1.06,
                "xanchor": "left",
                "font": {"size": 13, "color": theme.NHS_GREY_1},
            }
        )
    step = max(1, math.ceil(len(xs) / 13))  # at most 13 labelled weeks
    fig.update_xaxes(tickmode="array", tickvals=xs[::-1][::step][::-1], tickformat="%-d %b")
    fig.update_layout(
        title=title,
        xaxis_title=x_title,
        yaxis_title=y_title,
        annotations=annotations,
        height=380,
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50 if title else 30},
    )
    return fig


def wrap_words(text: str, width: int = 28) -> list[str]:
    """``text`` broken into lines of at most ``width`` characters at spaces (a longer word is
    kept whole): labels are wrapped, never cut short."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}" if line else word
    if line:
        lines.append(line)
    return lines or [""]


def _mark_actions(fig: go.Figure, actions: Sequence[tuple[date, str]], rows: Sequence[Any]) -> None:
    """Dotted vertical lines on the days actions were raised, a marker atop each with its
    words on hover."""
    tops = [
        float(v)
        for p in rows
        for v in (_value(p, "value"), _value(p, "upper_limit"))
        if v is not None
    ]
    top = max(tops) if tops else 0.0
    for day, _words in actions:
        fig.add_shape(
            type="line",
            x0=day,
            x1=day,
            xref="x",
            yref="paper",
            y0=0,
            y1=1,
            line={"color": theme.NHS_PURPLE, "width": 1.5, "dash": "dot"},
        )
    fig.add_trace(
        go.Scatter(
            x=[day for day, _ in actions],
            y=[top for _ in actions],
            mode="markers",
            marker={"color": theme.NHS_PURPLE, "size": 13, "symbol": "triangle-down"},
            name="Action raised",
            hovertext=[words for _, words in actions],
            hovertemplate="%{hovertext}<extra></extra>",
        )
    )


def ranked_bars(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    x_title: str,
    colour: str = theme.NHS_BLUE,
    max_bars: int = 12,
    value_format: str = ",.0f",
    keep_order: bool = False,
    label_width: int = 24,
) -> go.Figure:
    """Horizontal bars, largest at the top (or in the order given), labelled with their values.

    Category labels are wrapped onto lines (never cut with "…") and the left margin grows to
    fit them; the value axis keeps its tick labels level; the height follows the bars and
    the lines of their labels, so a chart of two bars is short and one of eight is not squashed.
    """
    pairs = list(zip(labels, values, strict=True))
    if not keep_order:
        pairs = sorted(pairs, key=lambda pair: pair[1], reverse=True)
        pairs = [pair for pair in pairs if pair[1]]
    pairs = pairs[:max_bars]
    if not any(value for _, value in pairs):
        pairs = []
    if not pairs:
        return empty_figure(title)
    shown = list(reversed(pairs))  # Plotly draws the first category at the bottom
    wrapped = [wrap_words(label, label_width) for label, _ in shown]
    fig = go.Figure(
        go.Bar(
            y=["<br>".join(lines) for lines in wrapped],
            x=[value for _, value in shown],
            orientation="h",
            marker={"color": colour},
            text=[f"{value:{value_format}}" for _, value in shown],
            textposition="outside",
            cliponaxis=False,
            customdata=[label for label, _ in shown],
            hovertemplate=f"%{{customdata}}: %{{x:{value_format}}}<extra></extra>",
        )
    )
    # categories are evenly spaced: each bar's slot must hold the longest label's lines
    slot_px = 15 * max(len(label_lines) for label_lines in wrapped) + 10
    title_lines = wrap_words(title, 32)  # a phone's width: the title wraps, never runs off
    fig.update_layout(
        title={"text": "<br>".join(title_lines)},
        xaxis={"title": x_title, "tickangle": 0, "automargin": True, "nticks": 4},
        yaxis={"automargin": True, "ticksuffix": " "},
        height=max(200, 80 + 22 * len(title_lines) + slot_px * len(shown)),
        margin={"l": 10, "r": 50, "t": 30 + 22 * len(title_lines), "b": 50},
        showlegend=False,
        bargap=0.25,
    )
    return fig


def waiting_vs_capacity(
    categories: Sequence[str],
    waiting: Sequence[float],
    capacity: Sequence[float],
    *,
    title: str,
    waiting_label: str,
    capacity_label: str,
) -> go.Figure:
    """Grouped horizontal bars: patients waiting beside the capacity that could take them."""
    if not categories:
        return empty_figure(title)
    fig = go.Figure()
    for name, values, colour in (
        (waiting_label, waiting, theme.NHS_DARK_RED),
        (capacity_label, capacity, theme.NHS_BLUE),
    ):
        fig.add_trace(
            go.Bar(
                y=list(categories),
                x=list(values),
                name=name,
                orientation="h",
                marker={"color": colour},
                text=[f"{v:,.0f}" for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate=f"%{{y}}<br>{name}: %{{x:,.0f}}<extra></extra>",
            )
        )
    fig.update_layout(
        title=title,
        barmode="group",
        height=max(240, 90 + 60 * len(categories)),
        yaxis={"autorange": "reversed"},
        margin={"l": 20, "r": 60, "t": 50, "b": 40},
        legend={"orientation": "h", "y": 1.02, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    )
    return fig


def daily_line(
    days: Sequence[date],
    series: Mapping[str, Sequence[float | None]],
    *,
    title: str,
    y_title: str,
) -> go.Figure:
    """One line per named series over days."""
    if not days:
        return empty_figure(title)
    fig = go.Figure()
    for name, values in series.items():
        fig.add_trace(
            go.Scatter(
                x=list(days),
                y=list(values),
                mode="lines+markers",
                name=name,
                hovertemplate=f"%{{x|%a %d %b}}<br>{name}: %{{y:,.0f}}<extra></extra>",
            )
        )
    fig.update_layout(title=title, yaxis_title=y_title, height=320, xaxis_title="Day")
    return fig


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """A labelled moment of a patient's journey."""

    at: datetime | date
    label: str
    kind: str  # admitted | edd_set | drd_set | drd_cleared | reason_changed | … | discharged


@dataclass(frozen=True, slots=True)
class TimelineDay:
    """A bed day and its Red2Green status (red | green | not_recorded)."""

    day: date
    status: str
    reason: str | None = None
    nctr: bool = False


_EVENT_STYLE: dict[str, tuple[str, str]] = {
    "admitted": (theme.NHS_DARK_BLUE, "square"),
    "discharged": (theme.NHS_DARK_BLUE, "square"),
    "discharge_inferred": (theme.NHS_GREY_1, "square-open"),
    "drd_set": (theme.NHS_DARK_RED, "triangle-down"),
    "drd_cleared": (theme.NHS_GREEN, "triangle-up"),
    "edd_set": (theme.NHS_BLUE, "diamond"),
}

_DAY_WORDS = {"red": "Red day", "green": "Green day", "not_recorded": "Not recorded"}
_DAY_COLOURS = {
    "red": theme.RED_DAY,
    "green": theme.GREEN_DAY,
    "not_recorded": theme.NOT_RECORDED_DAY,
}


#: characters per line of an event's label on the journey chart (wrapped, never cut)
JOURNEY_LABEL_WIDTH = 28
_LINE_PX = 16  # one line of 12 px label text, with its leading
_EVENT_GAP = 0.7  # lines of space between two events' labels


def journey_timeline(
    *,
    days: Sequence[TimelineDay],
    events: Sequence[TimelineEvent],
    title: str = "Journey: events and board-round days",
) -> go.Figure:
    """A patient's stay on one time line: each event on its own row above, labelled in full
    at the left (wrapped onto lines, so labels never overlap and are never cut), with its
    marker at its moment; each day's Red2Green status in a band below."""
    if not days and not events:
        return empty_figure(title, "No journey recorded")
    # each event gets rows for the lines of its label: the first event at the top
    labels: list[str] = []
    rows: list[float] = []
    used = 0.0
    for event in events:
        moment = _as_datetime(event.at)
        lines = wrap_words(f"{moment:%d %b %H:%M} · {event.label}", JOURNEY_LABEL_WIDTH)
        rows.append(-(used + len(lines) / 2))
        used += len(lines) + _EVENT_GAP
        labels.append("<br>".join(lines))
    events_px = max(60, int(used * _LINE_PX) + 20)
    days_px = 70
    fig = make_subplots(
        rows=2,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.0,
        row_heights=[events_px, days_px],
    )
    for kind in dict.fromkeys(e.kind for e in events):
        numbers = [n for n, e in enumerate(events) if e.kind == kind]
        colour, symbol = _EVENT_STYLE.get(kind, (theme.NHS_PURPLE, "circle"))
        fig.add_trace(
            go.Scatter(
                x=[_as_datetime(events[n].at) for n in numbers],
                y=[rows[n] for n in numbers],
                mode="markers",
                marker={"color": colour, "symbol": symbol, "size": 12},
                customdata=[events[n].label for n in numbers],
                name=events[numbers[0]].label.split(":")[0],
                hovertemplate="%{x|%a %d %b %H:%M}<br>%{customdata}<extra></extra>",
                showlegend=False,
                cliponaxis=False,
            ),
            row=1,
            col=1,
        )
    for status in ("red", "green", "not_recorded"):
        chosen = [d for d in days if d.status == status]
        if not chosen:
            continue
        fig.add_trace(
            go.Bar(
                x=[
                    datetime.combine(d.day, datetime.min.time()) + timedelta(hours=12)
                    for d in chosen
                ],
                y=[1] * len(chosen),
                base=[0] * len(chosen),
                width=[86_400_000 * 0.9] * len(chosen),
                marker={"color": _DAY_COLOURS[status]},
                name=_DAY_WORDS[status],
                customdata=[
                    [
                        _DAY_WORDS[status],
                        d.reason or "",
                        "No criteria to reside" if d.nctr else "Meets criteria to reside",
                    ]
                    for d in chosen
                ],
                hovertemplate="%{x|%a %d %b}<br>%{customdata[0]} %{customdata[1]}"
                "<br>%{customdata[2]}<extra></extra>",
            ),
            row=2,
            col=1,
        )
    ticks = _three_dates(days, events)
    span = [ticks[0] - timedelta(hours=12), ticks[-1] + timedelta(hours=36)]
    fig.update_layout(
        title=title,
        barmode="overlay",
        bargap=0,
        height=events_px + days_px + 150,
        legend={"orientation": "h", "y": -0.12, "yanchor": "top"},
        margin={"l": 10, "r": 30, "t": 50, "b": 40},
        yaxis={
            "range": [-used, 0.2],
            "tickvals": rows,
            "ticktext": labels,
            "tickfont": {"size": 12, "color": theme.NHS_BLACK},
            "ticksuffix": " ",
            "showgrid": True,
            "gridcolor": theme.NHS_GREY_5,
            "zeroline": False,
            "fixedrange": True,
            "automargin": True,
        },
        yaxis2={
            "range": [0, 1],
            "tickvals": [0.5],
            "ticktext": ["Board round"],
            "ticksuffix": " ",
            "showgrid": False,
            "fixedrange": True,
            "automargin": True,
        },
        xaxis2={
            "type": "date",
            "title": "Date",
            "tickangle": 0,
            "tickformat": "%d %b",
            # three dates (first, middle, last): on a phone's narrow chart they never run
            # together; each event's own label carries its date
            "tickvals": ticks,
            # the axis spans the journey, so the three dates spread across the chart
            "range": span,
            "automargin": True,
        },
        xaxis={"type": "date", "showgrid": True, "range": span},
    )
    return fig


def _three_dates(days: Sequence[TimelineDay], events: Sequence[TimelineEvent]) -> list[datetime]:
    """Midnights of the first day of the journey, its middle and its last day."""
    dates = [d.day for d in days] + [
        e.at.date() if isinstance(e.at, datetime) else e.at for e in events
    ]
    first = datetime.combine(min(dates), datetime.min.time())
    last = datetime.combine(max(dates), datetime.min.time())
    middle = first + timedelta(days=(last - first).days // 2)
    return list(dict.fromkeys([first, middle, last]))


def _as_datetime(value: datetime | date) -> datetime:
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, datetime.min.time())
