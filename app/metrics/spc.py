"""XmR statistical process control in the NHS England "Making Data Count" style (DESIGN.md §4.10).

Pure functions over plain lists; the logic follows NHSRplotthedots, the NHS-R Community's
reference implementation (``ptd_spc``):

- The mean is taken over the baseline values; moving ranges ``|xᵢ − xᵢ₋₁|`` are screened once
  (a moving range ``≥ 3.267 · mR̄`` is dropped and mR̄ recomputed); process limits are
  ``mean ± 2.66 · mR̄`` and the near limits ``mean ± (2/3 · 2.66) · mR̄``.
- Rules, all judged against those limits for every point: a point outside the limits (strictly
  beyond); a run of ``run_length`` points on one side of the mean (a point on the mean breaks
  it); a trend of ``trend_length`` points each strictly above (or below) the one before (an
  equal value breaks it); two of three consecutive points beyond the near limit, all three on
  the same side of the mean. As in NHSRplotthedots, "beyond the near limit" means between the
  near limit and the process limit: a point outside the limits is flagged by the first rule and
  does not count towards two-of-three.

Missing values (``None``, NaN, ``pandas.NA``) keep their position in the output, with every flag
false, but are otherwise left out: the moving range and the rules run over the values that are
present, so a missing week neither breaks nor extends a run.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any, Literal

import pandas as pd

Direction = Literal["increase", "decrease", "neutral"]
PointType = Literal["improvement", "concern", "neutral", "common"]
Side = Literal["high", "low"]
VariationIcon = Literal[
    "none",  # no value to judge
    "common_cause",
    "special_cause_improvement_high",
    "special_cause_improvement_low",
    "special_cause_concern_high",
    "special_cause_concern_low",
    "special_cause_neutral_high",
    "special_cause_neutral_low",
]
AssuranceIcon = Literal["pass", "fail", "hit_and_miss", "none"]
#: what a measure can take: (lowest, highest), None where it is unbounded
ValueRange = tuple[float | None, float | None]
UNBOUNDED: ValueRange = (None, None)

DIRECTIONS: tuple[Direction, ...] = ("increase", "decrease", "neutral")
LIMIT_FACTOR = 2.66
NEAR_LIMIT_FACTOR = LIMIT_FACTOR * 2 / 3  # 1.7733…, "two thirds of the way to a limit"
SCREENING_FACTOR = 3.267
MIN_POINTS_FOR_FIRM_LIMITS = 12


@dataclass(frozen=True, slots=True)
class SpcPoint:
    """One point of an XmR chart, with the rules it breaks and what that means."""

    x: Any
    value: float | None
    mean: float | None
    lower_limit: float | None
    upper_limit: float | None
    lower_near: float | None
    upper_near: float | None
    outside_limits: bool = False
    run: bool = False
    trend: bool = False
    two_of_three: bool = False
    special_cause: bool = False
    point_type: PointType = "common"
    side: Side | None = None  # which way the winning special cause points; None if common

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (dates as ISO strings)."""
        return {
            "x": self.x.isoformat() if isinstance(self.x, date) else self.x,
            "value": self.value,
            "mean": self.mean,
            "lower_limit": self.lower_limit,
            "upper_limit": self.upper_limit,
            "lower_near": self.lower_near,
            "upper_near": self.upper_near,
            "outside_limits": self.outside_limits,
            "run": self.run,
            "trend": self.trend,
            "two_of_three": self.two_of_three,
            "special_cause": self.special_cause,
            "point_type": self.point_type,
            "side": self.side,
        }


@dataclass(frozen=True, slots=True)
class SpcResult:
    """An XmR chart: its limits, its points and the two Making Data Count icons.

    ``provisional`` is true when the limits rest on fewer than 12 values (NHSRplotthedots warns
    below 12 points): the limits are still computed and drawn, but marked as such.
    """

    points: list[SpcPoint]
    direction: Direction
    target: float | None
    mean: float | None
    lower_limit: float | None
    upper_limit: float | None
    lower_near: float | None
    upper_near: float | None
    mr_bar: float | None
    baseline_count: int  # values the mean and limits were computed from
    provisional: bool
    variation_icon: VariationIcon
    assurance_icon: AssuranceIcon
    run_length: int
    trend_length: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, points included."""
        return {
            "direction": self.direction,
            "target": self.target,
            "mean": self.mean,
            "lower_limit": self.lower_limit,
            "upper_limit": self.upper_limit,
            "lower_near": self.lower_near,
            "upper_near": self.upper_near,
            "mr_bar": self.mr_bar,
            "baseline_count": self.baseline_count,
            "provisional": self.provisional,
            "variation_icon": self.variation_icon,
            "assurance_icon": self.assurance_icon,
            "run_length": self.run_length,
            "trend_length": self.trend_length,
            "points": [point.to_dict() for point in self.points],
        }


@dataclass(frozen=True, slots=True)
class _Limits:
    mean: float
    mr_bar: float
    lower: float
    upper: float
    lower_near: float
    upper_near: float


def xmr(
    points: Sequence[tuple[Any, float | None]],
    *,
    direction: str,
    target: float | None = None,
    baseline: int | None = None,
    run_length: int = 7,
    trend_length: int = 7,
    value_range: ValueRange = UNBOUNDED,
) -> SpcResult:
    """An XmR chart of ``(x, value)`` points, in order, with Making Data Count rules and icons.

    ``baseline`` fixes the mean and limits on the first ``baseline`` points (positions, missing
    ones included); by default every point is in the baseline. Either way the rules judge every
    point against those limits.

    When rules disagree on a point's side, precedence follows NHSRplotthedots
    (``ptd_special_cause_type``): outside the limits, then trend, then two-of-three, then run.
    The side is the point's side of the mean, except for a trend, where it is the trend's
    direction: a decreasing trend ending above the mean is "low" (a concern when higher is
    better) even if the same points also make a run above the mean; a point outside the upper
    limit is "high" even inside a decreasing trend. A point shared by two trends (the peak
    between a rise and a fall) takes the later trend's direction, as NHSRplotthedots does.
    With a "neutral" direction every special cause is ``neutral`` (high or low).

    The variation icon describes the latest point that has a value (``none`` when no point has
    one). The assurance icon compares
    the target with the limits: ``pass`` when every value within the limits meets it (increase:
    target ≤ lower limit; decrease: target ≥ upper limit), ``fail`` when none can (increase:
    target > upper limit; decrease: target < lower limit), ``hit_and_miss`` otherwise, ``none``
    without a target, without limits or with a neutral direction. (NHSRplotthedots compares
    strictly, so a target exactly on a limit is "inconsistent" there; here it passes, since
    every value within the limits meets it.)

    Fewer than two baseline values give no limits: every point is common cause. A series whose
    baseline never moves (mR̄ = 0) has limits equal to its mean. ``value_range`` is what the
    measure can take (``(0, None)`` for a count, ``(0, 100)`` for a percentage): a limit beyond
    it is drawn at the bound, and the assurance icon is judged against the limits so drawn.
    """
    checked_direction = _checked_direction(direction)
    _check_length("run_length", run_length)
    _check_length("trend_length", trend_length)
    if baseline is not None and (isinstance(baseline, bool) or baseline < 2):
        raise ValueError(f"baseline must be at least 2 points, got {baseline!r}")
    improvement_sign = {"increase": 1, "decrease": -1, "neutral": 0}[checked_direction]
    target = _clean(target)

    xs = [x for x, _ in points]
    values = [_clean(raw) for _, raw in points]
    baseline_end = len(values) if baseline is None else baseline
    baseline_values = [v for i, v in enumerate(values) if v is not None and i < baseline_end]
    limits = _limits(baseline_values, value_range)

    if limits is None:
        mean = math.fsum(baseline_values) / len(baseline_values) if baseline_values else None
        verdicts: Iterator[_Verdict] = iter(())
    else:
        mean = limits.mean
        present = [v for v in values if v is not None]
        verdicts = iter(_verdicts(present, limits, run_length, trend_length))
    spc_points = [
        _point(
            x,
            value,
            mean,
            limits,
            next(verdicts) if limits is not None and value is not None else None,
            improvement_sign,
        )
        for x, value in zip(xs, values, strict=True)
    ]

    return SpcResult(
        points=spc_points,
        direction=checked_direction,
        target=target,
        mean=mean,
        lower_limit=limits.lower if limits else None,
        upper_limit=limits.upper if limits else None,
        lower_near=limits.lower_near if limits else None,
        upper_near=limits.upper_near if limits else None,
        mr_bar=limits.mr_bar if limits else None,
        baseline_count=len(baseline_values),
        provisional=len(baseline_values) < MIN_POINTS_FOR_FIRM_LIMITS,
        variation_icon=_variation_icon(spc_points),
        assurance_icon=_assurance_icon(checked_direction, target, limits),
        run_length=run_length,
        trend_length=trend_length,
    )


@dataclass(frozen=True, slots=True)
class _Verdict:
    outside_limits: bool
    run: bool
    trend: bool
    two_of_three: bool
    sign: int  # +1 high, -1 low, 0 common cause, after precedence


def _checked_direction(direction: str) -> Direction:
    for known in DIRECTIONS:
        if direction == known:
            return known
    raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}; got {direction!r}")


def _check_length(name: str, length: int) -> None:
    if isinstance(length, bool) or not isinstance(length, int) or length < 2:
        raise ValueError(f"{name} must be a whole number of at least 2, got {length!r}")


def _clean(raw: float | None) -> float | None:
    """A finite float, or None for a missing value (None, NaN, pandas NA/NaT)."""
    if raw is None or (pd.api.types.is_scalar(raw) and pd.isna(raw)):
        return None
    value = float(raw)
    if math.isnan(value):
        return None
    if math.isinf(value):
        raise ValueError(f"SPC values must be finite, got {raw!r}")
    return value


def _within(value: float, value_range: ValueRange) -> float:
    """``value`` moved onto the nearest bound of ``value_range`` when it lies beyond it."""
    lowest, highest = value_range
    if lowest is not None and value < lowest:
        return lowest
    if highest is not None and value > highest:
        return highest
    return value


def _limits(baseline_values: list[float], value_range: ValueRange) -> _Limits | None:
    """Mean, screened mR̄ and limits of the baseline; None below two values. Limits beyond
    what the measure can take (a count below 0, a percentage over 100) are drawn at that bound
    (DESIGN §4.10): no value can lie beyond one, so the rules judge every point the same."""
    if len(baseline_values) < 2:
        return None
    mean = math.fsum(baseline_values) / len(baseline_values)
    moving_ranges = [abs(b - a) for a, b in pairwise(baseline_values)]
    mr_bar = math.fsum(moving_ranges) / len(moving_ranges)
    # Screen once: an outsized moving range would widen the limits it should be judged by.
    # When mR̄ is 0 nothing is screened (every range would be "≥ 0").
    kept = [mr for mr in moving_ranges if mr < SCREENING_FACTOR * mr_bar]
    if kept:
        mr_bar = math.fsum(kept) / len(kept)
    return _Limits(
        mean=mean,
        mr_bar=mr_bar,
        lower=_within(mean - LIMIT_FACTOR * mr_bar, value_range),
        upper=_within(mean + LIMIT_FACTOR * mr_bar, value_range),
        lower_near=_within(mean - NEAR_LIMIT_FACTOR * mr_bar, value_range),
        upper_near=_within(mean + NEAR_LIMIT_FACTOR * mr_bar, value_range),
    )


def _sign(number: float) -> int:
    return (number > 0) - (number < 0)


def _streaks(items: list[int]) -> Iterator[tuple[int, int, int]]:
    """Maximal stretches of equal items, as (start, stop, item), stop exclusive."""
    start = 0
    for i in range(1, len(items) + 1):
        if i == len(items) or items[i] != items[start]:
            yield start, i, items[start]
            start = i


def _verdicts(
    ys: list[float], limits: _Limits, run_length: int, trend_length: int
) -> list[_Verdict]:
    """Rule flags and the winning side for each present value, in order."""
    n = len(ys)
    side_of_mean = [_sign(y - limits.mean) for y in ys]
    outside = [y > limits.upper or y < limits.lower for y in ys]
    near = [
        not out and (y > limits.upper_near or y < limits.lower_near)
        for y, out in zip(ys, outside, strict=True)
    ]

    run = [False] * n
    for start, stop, side in _streaks(side_of_mean):
        if side != 0 and stop - start >= run_length:
            run[start:stop] = [True] * (stop - start)

    # Trend direction per point; streaks come in order, so a point shared by a rise and a
    # fall ends up with the later one (NHSRplotthedots "if part of a trend either side, use
    # right side").
    trend_sign = [0] * n
    steps = [_sign(b - a) for a, b in pairwise(ys)]
    for start, stop, step in _streaks(steps):
        if step != 0 and stop - start >= trend_length - 1:
            trend_sign[start : stop + 1] = [step] * (stop + 1 - start)

    two_of_three = [False] * n
    for start in range(n - 2):
        window = range(start, start + 3)
        side = side_of_mean[start]
        same_side = side != 0 and all(side_of_mean[i] == side for i in window)
        if same_side and sum(near[i] for i in window) >= 2:
            for i in window:
                two_of_three[i] = two_of_three[i] or near[i]

    verdicts = []
    for i in range(n):
        if outside[i]:
            sign = side_of_mean[i]
        elif trend_sign[i]:
            sign = trend_sign[i]
        elif two_of_three[i] or run[i]:
            sign = side_of_mean[i]
        else:
            sign = 0
        verdicts.append(
            _Verdict(
                outside_limits=outside[i],
                run=run[i],
                trend=trend_sign[i] != 0,
                two_of_three=two_of_three[i],
                sign=sign,
            )
        )
    return verdicts


def _point(
    x: Any,
    value: float | None,
    mean: float | None,
    limits: _Limits | None,
    verdict: _Verdict | None,
    improvement_sign: int,
) -> SpcPoint:
    """A chart point; a missing value, or a chart without limits, gives a common-cause point."""
    sign = verdict.sign if verdict else 0
    point_type: PointType
    if sign == 0:
        point_type = "common"
    elif improvement_sign == 0:
        point_type = "neutral"
    elif sign == improvement_sign:
        point_type = "improvement"
    else:
        point_type = "concern"
    return SpcPoint(
        x=x,
        value=value,
        mean=mean,
        lower_limit=limits.lower if limits else None,
        upper_limit=limits.upper if limits else None,
        lower_near=limits.lower_near if limits else None,
        upper_near=limits.upper_near if limits else None,
        outside_limits=verdict.outside_limits if verdict else False,
        run=verdict.run if verdict else False,
        trend=verdict.trend if verdict else False,
        two_of_three=verdict.two_of_three if verdict else False,
        special_cause=sign != 0,
        point_type=point_type,
        side=None if sign == 0 else ("high" if sign > 0 else "low"),
    )


_VARIATION_ICONS: dict[tuple[PointType, Side], VariationIcon] = {
    ("improvement", "high"): "special_cause_improvement_high",
    ("improvement", "low"): "special_cause_improvement_low",
    ("concern", "high"): "special_cause_concern_high",
    ("concern", "low"): "special_cause_concern_low",
    ("neutral", "high"): "special_cause_neutral_high",
    ("neutral", "low"): "special_cause_neutral_low",
}


def _variation_icon(points: list[SpcPoint]) -> VariationIcon:
    latest = next((p for p in reversed(points) if p.value is not None), None)
    if latest is None:
        return "none"  # "No data" is not "common cause": nothing was judged
    if latest.side is None:
        return "common_cause"
    return _VARIATION_ICONS[(latest.point_type, latest.side)]


def _assurance_icon(
    direction: Direction, target: float | None, limits: _Limits | None
) -> AssuranceIcon:
    if target is None or limits is None or direction == "neutral":
        return "none"
    if direction == "increase":
        if target <= limits.lower:
            return "pass"
        return "fail" if target > limits.upper else "hit_and_miss"
    if target >= limits.upper:
        return "pass"
    return "fail" if target < limits.lower else "hit_and_miss"
