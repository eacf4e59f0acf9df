"""Weekly trends of the registry's metrics as Making Data Count XmR charts (DESIGN.md §4.10)."""

from __future__ import annotations

import math
from datetime import date, timedelta

from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics import actions as action_marks
from app.metrics import spc
from app.metrics.errors import InvalidParameter
from app.metrics.queries import require_site
from app.metrics.registry import get_metric
from app.metrics.schemas import MetricInfo, TrendPoint, WeeklyTrend
from app.metrics.timebase import MAX_RANGE_DAYS, week_ends, yesterday

MAX_WEEKS = MAX_RANGE_DAYS // 7


def baseline_target(values: list[float | None], below: float) -> tuple[int | None, float | None]:
    """A chart's baseline (its first ``HOMEWARD_LOS_BASELINE_WEEKS`` weeks, counted from its
    first week with a value; None: every week) and the target ``below`` their mean (None
    without a value in the baseline)."""
    first = next((i for i, v in enumerate(values) if v is not None), len(values))
    end = first + get_settings().los_baseline_weeks
    baseline_values = [v for v in values[first:end] if v is not None]
    if not baseline_values:
        return None, None
    return (end if end < len(values) else None), math.fsum(baseline_values) / len(
        baseline_values
    ) - below


def weekly(
    session: Session,
    *,
    metric: str,
    weeks: int = 26,
    site: str | None = None,
    end: date | None = None,
) -> WeeklyTrend:
    """``weeks`` weekly points of a metric up to the week ending on the Sunday on or before
    ``end`` (default: the last complete week), with its XmR chart."""
    definition = get_metric(metric)
    if not 1 <= weeks <= MAX_WEEKS:
        raise InvalidParameter("weeks", f"must be between 1 and {MAX_WEEKS}")
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    sundays = week_ends(weeks, end or yesterday())
    values = definition.weekly(session, sundays, code)
    info = definition.info()
    baseline: int | None = None
    if definition.target_below_baseline is not None:
        baseline, target = baseline_target(values, definition.target_below_baseline)
        info = info.model_copy(update={"target": target})
    trend = chart_trend(
        info, sundays, values, site=code, baseline=baseline, value_range=definition.value_range
    )
    # the actions raised on this measure and place in the chart's weeks (DESIGN §4.13)
    trend.actions = action_marks.marks(
        session,
        metric=definition.slug,
        site=code,
        start=sundays[0] - timedelta(days=6),
        end=sundays[-1],
    )
    return trend


def chart_trend(
    info: MetricInfo,
    sundays: list[date],
    values: list[float | None],
    *,
    site: str | None,
    baseline: int | None = None,
    value_range: spc.ValueRange = spc.UNBOUNDED,
) -> WeeklyTrend:
    """A weekly series (one value per week ending on ``sundays``) as an XmR chart with its
    icons, judged against ``info.target``."""
    chart = spc.xmr(
        list(zip(sundays, values, strict=True)),
        direction=info.direction,
        target=info.target,
        baseline=baseline,
        value_range=value_range,
    )
    return WeeklyTrend(
        metric=info,
        site=site,
        weeks=len(sundays),
        end=sundays[-1],
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
                week_start=point.x - timedelta(days=6),
                week_ending=point.x,
                value=point.value,
                mean=point.mean,
                lower_limit=point.lower_limit,
                upper_limit=point.upper_limit,
                lower_near=point.lower_near,
                upper_near=point.upper_near,
                outside_limits=point.outside_limits,
                run=point.run,
                trend=point.trend,
                two_of_three=point.two_of_three,
                special_cause=point.special_cause,
                point_type=point.point_type,
                side=point.side,
            )
            for point in chart.points
        ],
    )
