"""The weekly report as words, one self-contained HTML file, and CSV (pure functions).

CSV cells go through ``app.security.csv_safety`` (spreadsheet formulas neutralised).

The HTML file opens offline: plotly.js is inlined once, styles are inline, icons are inline
SVG; it references nothing outside itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from html import escape

import plotly.graph_objects as go

from app.metrics.schemas import ActionBrief, ActionEffect, ActionsThisWeek, WeeklyTrend, WhatMoved
from app.security import csv_safety
from dashboards import formats, icons, theme

POINT_WORDS = {
    "improvement": "special cause improvement",
    "concern": "special cause concern",
    "neutral": "special cause variation (neither better nor worse)",
}


@dataclass(frozen=True)
class BreakdownRow:
    label: str
    delayed_days: int
    share: float | None  # fraction 0–1


@dataclass(frozen=True)
class BreakdownTable:
    title: str
    heading: str  # the first column's heading
    rows: Sequence[BreakdownRow]


def value_text(value: float | None, unit: str) -> str:
    """A measure's value with its unit (``92.4%``, ``31.6 patients``)."""
    if value is None:
        return formats.MISSING
    if unit == "%":
        return formats.percent(value)
    decimals = 0 if float(value).is_integer() else 1
    return f"{formats.number(value, decimals)} {unit}"


def _rules(point: object) -> list[str]:
    rules = []
    if getattr(point, "outside_limits", False):
        rules.append("a point outside the process limits")
    if getattr(point, "run", False):
        rules.append("a run of points on one side of the mean")
    if getattr(point, "trend", False):
        side = getattr(point, "side", None)
        rules.append(f"a run of {'rising' if side == 'high' else 'falling'} points")
    if getattr(point, "two_of_three", False):
        rules.append("two of three points close to a process limit")
    return rules


def what_changed(trends: Sequence[WeeklyTrend]) -> list[str]:
    """Sentences about the latest week, written from the special-cause flags."""
    sentences = []
    week_end: date | None = None
    for trend in trends:
        latest = next((p for p in reversed(trend.points) if p.value is not None), None)
        if latest is None:
            continue
        week_end = latest.week_ending
        if not latest.special_cause:
            continue
        rules = _rules(latest)
        mean = value_text(trend.mean, trend.metric.unit)
        sentences.append(
            f"{trend.metric.label}: {value_text(latest.value, trend.metric.unit)} in the week "
            f"ending {formats.day(latest.week_ending)} (mean {mean}), "
            f"{POINT_WORDS.get(latest.point_type, 'special cause variation')}"
            + (f": {', '.join(rules)}." if rules else ".")
        )
    if not sentences:
        when = f" in the week ending {formats.day(week_end)}" if week_end else ""
        sentences.append(
            f"No measure shows special cause variation{when}: every change is within the "
            "range the process usually produces (common cause variation)."
        )
    return sentences


def summary_text(trend: WeeklyTrend) -> str:
    """One line a reader can take without the chart: latest value, mean and limits."""
    latest = next((p for p in reversed(trend.points) if p.value is not None), None)
    unit = trend.metric.unit
    if latest is None:
        return "No data for these weeks."
    text = (
        f"Week ending {formats.day(latest.week_ending)}: {value_text(latest.value, unit)}. "
        f"Mean {value_text(trend.mean, unit)}; "
    )
    if trend.lower_limit is None or trend.upper_limit is None:
        return text + "too few weeks yet for process limits."
    text += (
        f"process limits {value_text(trend.lower_limit, unit)} to "
        f"{value_text(trend.upper_limit, unit)}."
    )
    if trend.provisional:
        text += " Limits are provisional (fewer than 12 weeks)."
    return text


MOVED_WORDS = {
    "improved": "improved",
    "worsened": "worsened",
    "unchanged": "no change",
    "no_direction": "changed (this measure has no better direction)",
    "no_data": "not enough data to say",
}
STATUS_WORDS = {"open": "open", "done": "done", "dropped": "dropped"}


def action_line(action: ActionBrief, *, with_due: bool = True) -> str:
    """One action of "actions this week" in words (the wall sees no due date: titles, owners
    and status only)."""
    due = f"due {formats.day(action.due_date)}; " if with_due else ""
    text = (
        f"{action.title} — {action.organisation}, {action.owner}; {due}"
        + (STATUS_WORDS[action.status])
    )
    if action.overdue:
        text += " (overdue)"
    return text


def actions_this_week(
    week: ActionsThisWeek | None, *, with_due: bool = True
) -> list[tuple[str, list[str]]]:
    """The week's actions as (heading, lines): raised, closed, open past due."""
    if week is None:
        return []
    groups = (
        ("Raised this week", week.raised),
        ("Closed this week (done or dropped)", week.closed),
        ("Open past their due date at the end of the week", week.overdue),
    )
    return [
        (heading, [action_line(a, with_due=with_due) for a in actions] or ["None."])
        for heading, actions in groups
    ]


def effect_line(effect: ActionEffect) -> str:
    """What moved after one action, in words (the numbers are the metric's)."""
    unit = effect.metric.unit
    where = effect.site or "the whole system"
    text = (
        f"{effect.title} ({effect.organisation}, raised {formats.day(effect.raised_on)}, "
        f"{STATUS_WORDS[effect.status]}): {effect.metric.label} at {where} — mean "
        f"{value_text(effect.mean_before, unit)} over {effect.weeks_before} weeks before, "
        f"{value_text(effect.mean_after, unit)} over {effect.weeks_after} weeks after"
    )
    if effect.change is not None:
        sign = "+" if effect.change > 0 else ""
        text += f" ({sign}{value_text(effect.change, unit)})"
    text += f": {MOVED_WORDS[effect.moved]}."
    if effect.improvement_signal:
        text += " A special cause of improvement followed."
    elif effect.concern_signal:
        text += " A special cause of concern followed."
    else:
        text += " No special cause of improvement followed."
    return text


def what_moved(moved: WhatMoved | None) -> list[str]:
    if moved is None:
        return []
    if not moved.effects:
        return [
            f"No action on a measure is yet {moved.weeks_after} whole weeks old "
            "(or every such action was dropped)."
        ]
    return [effect_line(effect) for effect in moved.effects]


@dataclass(frozen=True)
class TargetRow:
    """One local target by pathway, in words: the latest week against the target, with the
    chart's icons (what the metrics returned, only formatted)."""

    slug: str
    label: str
    latest: str
    target: str
    variation: icons.Icon
    assurance: icons.Icon


def target_rows(targets: Sequence[WeeklyTrend]) -> list[TargetRow]:
    rows = []
    for trend in targets:
        unit = trend.metric.unit
        latest = next((p for p in reversed(trend.points) if p.value is not None), None)
        sign = "≤" if trend.metric.direction == "decrease" else "≥"
        rows.append(
            TargetRow(
                slug=trend.metric.slug,
                label=trend.metric.label,
                latest=(
                    f"{value_text(latest.value, unit)} (week ending "
                    f"{formats.day(latest.week_ending)})"
                    if latest
                    else formats.MISSING
                ),
                target=f"{sign} {value_text(trend.metric.target, unit)}",
                variation=icons.variation(trend.variation_icon),
                assurance=icons.assurance(trend.assurance_icon),
            )
        )
    return rows


CONTRIBUTING_NOTE = (
    "Delayed days on which the census listed the reason as contributing (not as the delay "
    "reason of the day), once per patient and day, beside the days attributed to it as the "
    "delay reason. The two are never added: a day with several contributing reasons counts "
    "for each, so this column has no total."
)


@dataclass(frozen=True)
class ContributingRow:
    label: str
    contributed_days: int
    primary_days: int


def _contributing_html(rows: Sequence[ContributingRow]) -> str:
    body = "".join(
        f"<tr><td>{escape(r.label)}</td><td class='num'>{r.contributed_days:,}</td>"
        f"<td class='num'>{r.primary_days:,}</td></tr>"
        for r in rows
    )
    if not body:
        body = "<tr><td colspan='3'>No contributing reasons recorded in this week.</td></tr>"
    return (
        f"<p class='note'>{escape(CONTRIBUTING_NOTE)}</p>"
        "<table><caption>Delayed days where this reason contributed</caption><thead><tr>"
        "<th scope='col'>Reason</th><th scope='col' class='num'>Days it contributed</th>"
        "<th scope='col' class='num'>Days as the delay reason</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )


TARGETS_NOTE = (
    "Local targets agreed by the system (a configuration file, not national standards), each "
    "among the week's discharges on its pathway. The assurance icon says whether the process, "
    "as its limits stand, will meet the target every week (pass), never (fail) or sometimes "
    "(hit and miss)."
)


def _targets_html(rows: Sequence[TargetRow]) -> str:
    body = "".join(
        f"<tr><td>{escape(r.label)}</td><td class='num'>{escape(r.latest)}</td>"
        f"<td class='num'>{escape(r.target)}</td>"
        f"<td><span class='icon'>{r.variation.svg()} {escape(r.variation.words)}</span></td>"
        f"<td><span class='icon'>{r.assurance.svg()} {escape(r.assurance.words)}</span></td>"
        "</tr>"
        for r in rows
    )
    if not body:
        body = "<tr><td colspan='5'>No local targets are configured.</td></tr>"
    return (
        "<h2>Local targets by pathway</h2>"
        f"<p class='note'>{escape(TARGETS_NOTE)}</p>"
        "<table><caption>Local targets by pathway</caption><thead><tr>"
        "<th scope='col'>Target</th><th scope='col' class='num'>Latest week</th>"
        "<th scope='col' class='num'>Target</th><th scope='col'>Variation</th>"
        f"<th scope='col'>Assurance</th></tr></thead><tbody>{body}</tbody></table>"
    )


def tables_csv(tables: Sequence[BreakdownTable], *, scope: str, period: str) -> str:
    """The breakdown tables as one CSV: a row per group, with the table it belongs to."""
    return csv_safety.to_csv(
        ["area", "period", "breakdown", "group", "delayed_days", "share_pct"],
        (
            [
                scope,
                period,
                table.title,
                row.label,
                row.delayed_days,
                None if row.share is None else round(row.share * 100, 1),
            ]
            for table in tables
            for row in table.rows
        ),
    )


SERIES_HEADER = (
    "area",
    "measure",
    "measure_label",
    "unit",
    "week_start",
    "week_ending",
    "value",
    "mean",
    "lower_limit",
    "upper_limit",
    "provisional_limits",
    "special_cause",
    "point_type",
    "outside_limits",
    "run",
    "trend",
    "two_of_three",
)


def series_csv(trends: Sequence[WeeklyTrend], *, scope: str) -> str:
    """The charts' series as one CSV: a row per measure and week with the value, the mean and
    the limits as drawn (already held within what the measure can take, DESIGN §4.10), whether
    the limits are provisional, and the special-cause flags of the point."""
    return csv_safety.to_csv(
        SERIES_HEADER,
        (
            [
                scope,
                trend.metric.slug,
                trend.metric.label,
                trend.metric.unit,
                point.week_start.isoformat(),
                point.week_ending.isoformat(),
                point.value,
                point.mean,
                point.lower_limit,
                point.upper_limit,
                trend.provisional,
                point.special_cause,
                point.point_type,
                point.outside_limits,
                point.run,
                point.trend,
                point.two_of_three,
            ]
            for trend in trends
            for point in trend.points
        ),
    )


_STYLE = f"""
body {{ font-family: Arial, Helvetica, sans-serif; color: {theme.NHS_BLACK}; margin: 2rem;
  max-width: 1200px; }}
h1 {{ color: {theme.NHS_DARK_BLUE}; }}
h2 {{ border-bottom: 3px solid {theme.NHS_BLUE}; padding-bottom: 0.2rem; margin-top: 2rem; }}
.icons {{ display: flex; gap: 1rem; align-items: center; flex-wrap: wrap; }}
.icon {{ display: inline-flex; gap: 0.4rem; align-items: center; font-weight: 600; }}
table {{ border-collapse: collapse; margin: 1rem 0; min-width: 28rem; }}
caption {{ text-align: left; font-weight: 700; padding-bottom: 0.3rem; }}
th, td {{ border-bottom: 1px solid {theme.NHS_GREY_4}; padding: 0.3rem 0.6rem; text-align: left; }}
th {{ background: {theme.NHS_GREY_5}; }}
td.num, th.num {{ text-align: right; }}
.note {{ color: {theme.NHS_GREY_1}; }}
.forecast-label {{ background: {theme.NHS_PURPLE}; color: {theme.WHITE}; padding: 0.1rem 0.5rem;
  border-radius: 4px; font-size: 0.8em; }}
"""


def _table_html(table: BreakdownTable) -> str:
    rows = "".join(
        f"<tr><td>{escape(r.label)}</td><td class='num'>{r.delayed_days:,}</td>"
        f"<td class='num'>{formats.fraction_percent(r.share)}</td></tr>"
        for r in table.rows
    )
    if not rows:
        rows = "<tr><td colspan='3'>No delayed days in this week.</td></tr>"
    return (
        f"<table><caption>{escape(table.title)}</caption><thead><tr>"
        f"<th scope='col'>{escape(table.heading)}</th><th scope='col' class='num'>Delayed days"
        f"</th><th scope='col' class='num'>Share</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def build_html(
    *,
    title: str,
    subtitle: str,
    charts: Sequence[tuple[WeeklyTrend, go.Figure]],
    changes: Sequence[str],
    tables: Sequence[BreakdownTable],
    generated_at: datetime,
    coming_days: str | None = None,
    actions: Sequence[tuple[str, Sequence[str]]] = (),
    moved: Sequence[str] = (),
    targets: Sequence[TargetRow] = (),
    contributing: Sequence[ContributingRow] | None = None,
) -> str:
    """The whole report as one HTML document with plotly.js inlined once."""
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en-GB"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p>{escape(subtitle)}</p>",
        f"<p class='note'>Generated {escape(formats.date_time(generated_at))} by Homeward. "
        "Charts are NHS Making Data Count XmR charts: grey points are common cause "
        "variation, blue special cause improvement, orange special cause concern, purple "
        "special cause neither better nor worse; the mean is solid, the process limits "
        "dashed.</p>",
        "<h2>What changed this week</h2><ul>",
        *(f"<li>{escape(sentence)}</li>" for sentence in changes),
        "</ul>",
    ]
    for index, (trend, figure) in enumerate(charts):
        variation = icons.variation(trend.variation_icon)
        assurance = icons.assurance(trend.assurance_icon)
        parts.extend(
            [
                f"<h2>{escape(trend.metric.label)}</h2>",
                "<div class='icons'>",
                f"<span class='icon'>{variation.svg()} {escape(variation.words)}</span>",
                f"<span class='icon'>{assurance.svg()} {escape(assurance.words)}</span>",
                "</div>",
                f"<p>{escape(summary_text(trend))}</p>",
                figure.to_html(
                    full_html=False,
                    include_plotlyjs=index == 0,
                    config={"displaylogo": False, "responsive": True},
                ),
            ]
        )
    parts.append(_targets_html(targets))
    parts.append("<h2>Delayed days this week</h2>")
    parts.extend(_table_html(table) for table in tables)
    if contributing is not None:
        parts.append(_contributing_html(contributing))
    if coming_days:  # the forecast's section, already HTML (dashboards.forecast_view)
        parts.append(coming_days)
    if actions:
        parts.append("<h2>Actions this week</h2>")
        for heading, lines in actions:
            parts.append(f"<h3>{escape(heading)}</h3><ul>")
            parts.extend(f"<li>{escape(line)}</li>" for line in lines)
            parts.append("</ul>")
    if moved:
        parts.append("<h2>What moved after an action</h2><ul>")
        parts.extend(f"<li>{escape(line)}</li>" for line in moved)
        parts.append("</ul>")
    parts.append("</body></html>")
    return "\n".join(parts)
