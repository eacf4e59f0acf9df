"""The weekly report's data: the registry's weekly SPC series and the week's delayed days."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from app.metrics import actions as metric_actions
from app.metrics import contributing, flow, pathway_targets, timebase, trends, windows
from app.metrics.cache import cached
from app.metrics.forecast.schemas import Forecast
from app.metrics.schemas import ActionMark, ActionsThisWeek, WeeklyTrend, WhatMoved
from dashboards import figures, forecast_view, formats, report

REPORT_METRICS = (
    "nctr_remaining",
    "delayed_days",
    "pct_discharged_within_1_day",
    "super_stranded",
    "red_pct",
    "ga_occupancy",
    "p1_waiting",
    "p3_waiting",
    # NHS England's 2025/26 discharge asks (DESIGN §4.11)
    "internal_delay_over_48h",
    "beyond_drd_21_in_hospital",
    "beyond_drd_21_discharge_pct",
    "overnight_emergency_los",
)
WEEK_CHOICES = 52
SPAN_CHOICES = (12, 26, 52)
DEFAULT_SPAN = 26
SYSTEM = "system"
BREAKDOWNS = (
    ("reason", "By reason", "Reason"),
    ("agency", "By who must act", "Agency responsible"),
    ("local_authority", "By council", "Council"),
)


@dataclass
class WeeklyReport:
    week_end: date
    site: str | None
    area_name: str
    weeks: int
    trends: list[WeeklyTrend]
    tables: list[report.BreakdownTable]
    # the next days from the latest census, for the "Coming days" section (None: unavailable)
    coming_days: Forecast | None = None
    actions: ActionsThisWeek | None = None
    what_moved: WhatMoved | None = None
    # the local targets by pathway, each a weekly chart judged against its target
    pathway_targets: list[WeeklyTrend] = field(default_factory=list)
    # delayed days where each reason contributed, beside its days as the delay reason
    contributing: list[report.ContributingRow] = field(default_factory=list)

    @property
    def week_start(self) -> date:
        return windows.week_ending(self.week_end).start

    @property
    def title(self) -> str:
        return f"Weekly discharge flow report: {self.area_name}"

    @property
    def period(self) -> str:
        return f"{formats.day(self.week_start)} to {formats.day(self.week_end)}"

    @property
    def subtitle(self) -> str:
        return (
            f"Week {self.period}; charts show the {self.weeks} weeks to "
            f"{formats.day(self.week_end)} (weeks end on Sunday)."
        )


def gather(
    session: Any, *, week_end: date, site: str | None, weeks: int, with_trends: bool = True
) -> WeeklyReport:
    area_name = "Whole system"
    if site:
        area_name = cached(session, flow.summary, now_bound=True, at=None, site=site).total.name
    weekly = (
        [
            cached(
                session,
                trends.weekly,
                now_bound=False,
                metric=slug,
                weeks=weeks,
                site=site,
                end=week_end,
            )
            for slug in REPORT_METRICS
        ]
        if with_trends
        else []
    )
    week = windows.week_ending(week_end)
    tables = []
    for group_by, title, heading in BREAKDOWNS:
        delayed = cached(
            session,
            flow.delayed_days,
            now_bound=False,
            start=week.start,
            end=week.end,
            site=site,
            group_by=group_by,
        )
        tables.append(
            report.BreakdownTable(
                title=f"Delayed days {title.lower()}",
                heading=heading,
                rows=[
                    report.BreakdownRow(g.label, g.delayed_days, g.share) for g in delayed.groups
                ],
            )
        )
    coming = (
        forecast_view.forecast_or_none(
            lambda: forecast_view.pathway_forecast(session, days=forecast_view.PAGE_DAYS, site=site)
        )
        if with_trends
        else None
    )
    actions = cached(
        session, metric_actions.this_week, now_bound=False, week_end=week_end, site=site
    )
    moved = (
        cached(session, metric_actions.what_moved, now_bound=False, end=week_end, site=site)
        if with_trends
        else None
    )
    targets = (
        cached(
            session,
            pathway_targets.weekly,
            now_bound=False,
            weeks=weeks,
            site=site,
            end=week_end,
        )
        if with_trends
        else []
    )
    contributed = cached(
        session,
        contributing.contributing_reasons,
        now_bound=False,
        start=week.start,
        end=week.end,
        site=site,
    )
    contributing_rows = [
        report.ContributingRow(r.label, r.contributed_days, r.primary_days)
        for r in contributed.reasons
    ]
    return WeeklyReport(
        week_end,
        site,
        area_name,
        weeks,
        weekly,
        tables,
        coming_days=coming,
        actions=actions,
        what_moved=moved,
        pathway_targets=targets,
        contributing=contributing_rows,
    )


def figure(trend: WeeklyTrend) -> Any:
    """The SPC chart of a trend, starting at its first week with a value."""
    unit = trend.metric.unit
    first = next((i for i, p in enumerate(trend.points) if p.value is not None), 0)
    return figures.spc_chart(
        [
            {
                "x": p.week_ending,
                "value": p.value,
                "mean": p.mean,
                "lower_limit": p.lower_limit,
                "upper_limit": p.upper_limit,
                "point_type": p.point_type,
            }
            for p in trend.points[first:]
        ],
        title=None,  # the panel's heading names the measure
        y_title="Per cent" if unit == "%" else unit.capitalize(),
        target=trend.metric.target,
        provisional=trend.provisional,
        value_format=".1f",
        actions=[(mark.raised_on, action_words(mark)) for mark in trend.actions],
    )


def action_words(mark: ActionMark) -> str:
    """The hover text of an action's marker: what, who, when raised, where it stands."""
    return (
        f"Action raised {formats.day(mark.raised_on)}: {mark.title} "
        f"({mark.organisation}, {mark.owner}; {mark.status})"
    )


def read_week(value: str | None, latest: date) -> date:
    try:
        chosen = date.fromisoformat(value) if value else latest
    except ValueError:
        chosen = latest
    return timebase.sunday_on_or_before(min(chosen, latest))


def read_span(value: Any) -> int:
    try:
        span = int(value)
    except (TypeError, ValueError):
        return DEFAULT_SPAN
    return span if span in SPAN_CHOICES else DEFAULT_SPAN


# --- the returns of the week (docs/returns.md) ----------------------------------------------

RETURNS_API = "/api/v1/returns"


@dataclass(frozen=True)
class ReturnLink:
    """A download of a return: its words and the API address that writes it as CSV."""

    label: str
    href: str


def _return_href(name: str, **params: str) -> str:
    return f"{RETURNS_API}/{name}?{urlencode({**params, 'format': 'csv'})}"


def sitrep_links(week_end: date, level: str = "trust") -> list[ReturnLink]:
    """The daily acute discharge sitrep of each day of the week ending ``week_end``."""
    week = windows.week_ending(week_end)
    days = [week.start + timedelta(days=k) for k in range((week.end - week.start).days + 1)]
    return [
        ReturnLink(formats.day(day), _return_href("sitrep", date=day.isoformat(), level=level))
        for day in days
    ]


def discharge_delay_links(week_end: date, level: str = "trust") -> list[ReturnLink]:
    """The monthly discharge-delay measures of the month(s) the week falls in."""
    week = windows.week_ending(week_end)
    months = sorted({week.start.strftime("%Y-%m"), week.end.strftime("%Y-%m")})
    return [
        ReturnLink(
            date.fromisoformat(f"{month}-01").strftime("%B %Y"),
            _return_href("discharge-delays", month=month, level=level),
        )
        for month in months
    ]
