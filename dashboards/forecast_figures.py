"""The fan chart: recorded days as a solid line, the forecast as a dashed P50 inside its shaded
P10–P90 band, and a what-if scenario beside it (pure: plain values in, a Plotly figure out).

A forecast is never drawn like a fact: it is dashed, shaded, sits in a region labelled
"Forecast" and is named "Forecast" in the legend and the hover text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import plotly.graph_objects as go

from dashboards import theme

BASELINE_BAND = "rgba(0, 94, 184, 0.18)"  # NHS blue, light: the baseline's P10–P90
SCENARIO_BAND = "rgba(0, 164, 153, 0.22)"  # aqua green, light: the what-if's P10–P90
FORECAST_REGION = "rgba(240, 244, 245, 0.9)"  # grey 5 behind the forecast days


@dataclass(frozen=True, slots=True)
class FanDay:
    """One forecast day's quantiles, as the forecasting module returns them."""

    day: date
    p10: float
    p50: float
    p90: float


@dataclass(frozen=True, slots=True)
class FanSeries:
    """A named forecast (the baseline or a what-if) to draw as a band and a dashed line."""

    name: str
    days: Sequence[FanDay]
    line_colour: str = theme.NHS_DARK_BLUE
    band_colour: str = BASELINE_BAND
    dash: str = "dash"


def _band(series: FanSeries, value_format: str) -> list[go.Scatter]:
    days = [d.day for d in series.days]
    group = series.name
    upper = go.Scatter(
        x=days,
        y=[d.p90 for d in series.days],
        mode="lines",
        line={"width": 0, "color": series.band_colour},
        legendgroup=group,
        showlegend=False,
        name=f"{series.name} P90",
        hovertemplate=f"{series.name} P90 %{{y:{value_format}}}<extra></extra>",
    )
    lower = go.Scatter(
        x=days,
        y=[d.p10 for d in series.days],
        mode="lines",
        line={"width": 0, "color": series.band_colour},
        fill="tonexty",
        fillcolor=series.band_colour,
        legendgroup=group,
        name=f"{series.name}: P10–P90 band",
        hovertemplate=f"{series.name} P10 %{{y:{value_format}}}<extra></extra>",
    )
    median = go.Scatter(
        x=days,
        y=[d.p50 for d in series.days],
        mode="lines+markers",
        line={"color": series.line_colour, "width": 3, "dash": series.dash},
        marker={"size": 7, "symbol": "circle-open", "color": series.line_colour},
        legendgroup=group,
        name=f"{series.name}: P50",
        hovertemplate=f"%{{x|%a %d %b}}<br>{series.name} P50 %{{y:{value_format}}}<extra></extra>",
    )
    return [upper, lower, median]


def fan_chart(
    *,
    history_days: Sequence[date],
    history_values: Sequence[float | None],
    forecasts: Sequence[FanSeries],
    title: str | None,
    y_title: str,
    history_name: str = "Recorded",
    value_format: str = ",.0f",
    height: int = 340,
) -> go.Figure:
    """History solid; each forecast a shaded P10–P90 band around a dashed P50; the forecast
    days on a grey ground headed "Forecast"."""
    fig = go.Figure()
    forecast_days = sorted({d.day for series in forecasts for d in series.days})
    if forecast_days:
        fig.add_vrect(
            x0=forecast_days[0],
            x1=forecast_days[-1],
            fillcolor=FORECAST_REGION,
            line_width=0,
            layer="below",
            annotation_text="Forecast",
            annotation_position="top left",
            annotation_font={"size": 15, "color": theme.NHS_BLACK},
        )
    if history_days:
        fig.add_trace(
            go.Scatter(
                x=list(history_days),
                y=list(history_values),
                mode="lines",
                line={"color": theme.NHS_BLACK, "width": 3},
                name=history_name,
                hovertemplate=f"%{{x|%a %d %b}}<br>{history_name} %{{y:{value_format}}}"
                "<extra></extra>",
            )
        )
    for series in forecasts:
        fig.add_traces(_band(series, value_format))
    fig.update_xaxes(tickformat="%a %-d %b", title_text="Day")
    fig.update_layout(
        title=title,
        yaxis_title=y_title,
        height=height,
        hovermode="x unified",
        legend={"orientation": "h", "y": -0.28},
        margin={"t": 50 if title else 30},
    )
    fig.update_yaxes(rangemode="tozero")
    return fig
