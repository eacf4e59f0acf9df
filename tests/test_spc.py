"""XmR / Making Data Count rules: every expected number is worked out by hand in the comments."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from datetime import date, timedelta

import pytest

from app.metrics.spc import SpcResult, xmr

FIRST_WEEK_ENDING = date(2025, 1, 5)

# A steady baseline used by most rule tests, always with baseline=12 so that the points added
# after it are judged against limits they do not move.
#   values 12, 10, 12, 10, … (12 points, indices 0–11; index 11 is 10)
#   mean = (6·12 + 6·10) / 12 = 132 / 12 = 11
#   moving ranges: eleven of |10 − 12| = 2 → mR̄ = 2; screening cut-off 3.267·2 = 6.534, none cut
#   limits = 11 ± 2.66·2 = 11 ± 5.32 → 5.68 and 16.32
#   near limits = 11 ± (2/3·2.66)·2 = 11 ± 3.54667 → 7.45333 and 14.54667
# Every baseline point is common cause: sides alternate (no run), steps alternate (no trend),
# nothing goes past 7.45 or 14.55.
BASE = [12.0, 10.0] * 6


def weekly(values: Sequence[float | None]) -> list[tuple[date, float | None]]:
    """(week ending, value) pairs, one week apart."""
    return [(FIRST_WEEK_ENDING + timedelta(weeks=i), value) for i, value in enumerate(values)]


def indices(result: SpcResult, flag: str) -> list[int]:
    """Positions of the points where a flag is true."""
    return [i for i, point in enumerate(result.points) if getattr(point, flag)]


def types_from(result: SpcResult, start: int) -> list[str]:
    return [point.point_type for point in result.points[start:]]


# --- mean, moving ranges, screening, limits ---------------------------------------------------


def test_mean_moving_range_and_limits_of_a_small_series() -> None:
    # 10, 12, 11, 15, 13: mean = 61 / 5 = 12.2
    # moving ranges 2, 1, 4, 2 → mR̄ = 9 / 4 = 2.25; cut-off 3.267·2.25 = 7.35, none cut
    # limits 12.2 ± 2.66·2.25 = 12.2 ± 5.985 → 6.215 and 18.185
    # near   12.2 ± 1.77333·2.25 = 12.2 ± 3.99 → 8.21 and 16.19
    result = xmr(weekly([10, 12, 11, 15, 13]), direction="increase")

    assert result.mean == pytest.approx(12.2)
    assert result.mr_bar == pytest.approx(2.25)
    assert result.lower_limit == pytest.approx(6.215)
    assert result.upper_limit == pytest.approx(18.185)
    assert result.lower_near == pytest.approx(8.21)
    assert result.upper_near == pytest.approx(16.19)
    assert result.baseline_count == 5
    assert [p.point_type for p in result.points] == ["common"] * 5
    assert all(p.upper_limit == pytest.approx(18.185) for p in result.points)
    assert result.variation_icon == "common_cause"


def test_screening_drops_an_outsized_moving_range_once() -> None:
    # 10, 12, 10, 12, 10, 30: mean = 84 / 6 = 14
    # moving ranges 2, 2, 2, 2, 20 → mR̄ = 28 / 5 = 5.6; cut-off 3.267·5.6 = 18.2952
    # 20 ≥ 18.2952 is dropped → mR̄ = 8 / 4 = 2 (unscreened it would be 5.6)
    # limits 14 ± 5.32 → 8.68 and 19.32; 30 is beyond the upper limit
    result = xmr(weekly([10, 12, 10, 12, 10, 30]), direction="increase")

    assert result.mean == pytest.approx(14)
    assert result.mr_bar == pytest.approx(2)
    assert result.lower_limit == pytest.approx(8.68)
    assert result.upper_limit == pytest.approx(19.32)
    assert result.points[5].outside_limits
    assert result.points[5].point_type == "improvement"


def test_a_constant_series_has_limits_on_its_mean_and_no_special_cause() -> None:
    # twelve 10s: mean 10, every moving range 0 → mR̄ 0 (nothing screened), limits 10 and 10
    # every point sits on the mean: no run, equal steps: no trend, none strictly outside
    result = xmr(weekly([10.0] * 12), direction="increase")

    assert (result.mean, result.mr_bar) == (10, 0)
    assert (result.lower_limit, result.upper_limit) == (10, 10)
    assert indices(result, "run") == []
    assert indices(result, "trend") == []
    assert not any(p.special_cause for p in result.points)
    assert result.variation_icon == "common_cause"


def test_baseline_fixes_the_limits_on_the_first_points() -> None:
    # baseline 4: 10, 12, 10, 12 → mean 44 / 4 = 11, moving ranges 2, 2, 2 → mR̄ 2
    # limits 5.68 and 16.32, untouched by the 30s that follow, which are all outside
    result = xmr(weekly([10, 12, 10, 12, 30, 30, 30]), direction="increase", baseline=4)

    assert result.mean == pytest.approx(11)
    assert result.mr_bar == pytest.approx(2)
    assert result.upper_limit == pytest.approx(16.32)
    assert result.baseline_count == 4
    assert indices(result, "outside_limits") == [4, 5, 6]


def test_baseline_counts_positions_including_missing_ones() -> None:
    # baseline 3 covers positions 0–2: 10, None, 12 → values 10 and 12
    # mean 11; one moving range |12 − 10| = 2 → mR̄ 2
    result = xmr(weekly([10, None, 12, 10, 30]), direction="increase", baseline=3)

    assert result.baseline_count == 2
    assert result.mean == pytest.approx(11)
    assert result.mr_bar == pytest.approx(2)


# --- rule 1: outside the limits ---------------------------------------------------------------


def test_a_point_beyond_the_upper_limit_is_special_cause() -> None:
    # 16.5 > 16.32
    result = xmr(weekly([*BASE, 16.5]), direction="increase", baseline=12)

    assert indices(result, "outside_limits") == [12]
    assert indices(result, "special_cause") == [12]
    assert result.points[12].side == "high"
    assert result.variation_icon == "special_cause_improvement_high"


def test_a_point_just_inside_the_upper_limit_is_common_cause() -> None:
    # 16.3 < 16.32: inside. It is past the near limit 14.55, but alone: the windows ending on
    # it are (12, 10, 16.3) and (10, 16.3) — sides of the mean mixed, so no two-of-three.
    result = xmr(weekly([*BASE, 16.3]), direction="increase", baseline=12)

    assert indices(result, "special_cause") == []
    assert result.variation_icon == "common_cause"


def test_a_point_beyond_the_lower_limit_is_special_cause() -> None:
    # 5.5 < 5.68; low is a concern when higher is better
    result = xmr(weekly([*BASE, 5.5]), direction="increase", baseline=12)

    assert indices(result, "outside_limits") == [12]
    assert result.points[12].point_type == "concern"
    assert result.variation_icon == "special_cause_concern_low"


# --- rule 2: a run on one side of the mean ----------------------------------------------------

# index 11 is 10 (below the mean 11); then six points above 11, alternating so there is no trend
SIX_ABOVE = [11.5, 12.5, 11.5, 12.5, 11.5, 12.5]


def test_six_points_above_the_mean_are_not_a_run_of_seven() -> None:
    result = xmr(weekly([*BASE, *SIX_ABOVE]), direction="increase", baseline=12)

    assert indices(result, "run") == []
    assert indices(result, "special_cause") == []


def test_six_points_above_the_mean_are_a_run_when_run_length_is_six() -> None:
    result = xmr(weekly([*BASE, *SIX_ABOVE]), direction="increase", baseline=12, run_length=6)

    assert indices(result, "run") == [12, 13, 14, 15, 16, 17]
    assert types_from(result, 12) == ["improvement"] * 6
    assert result.run_length == 6


def test_seven_points_above_the_mean_are_a_run_and_all_are_flagged() -> None:
    result = xmr(weekly([*BASE, *SIX_ABOVE, 11.5]), direction="increase", baseline=12)

    assert indices(result, "run") == [12, 13, 14, 15, 16, 17, 18]
    assert indices(result, "special_cause") == [12, 13, 14, 15, 16, 17, 18]
    assert result.variation_icon == "special_cause_improvement_high"


def test_a_point_on_the_mean_breaks_a_run() -> None:
    # 11.5, 12.5, 11.5 | 11 (on the mean) | 12.5, 11.5, 12.5, 11.5: runs of 3 and 4, not 7
    values = [*BASE, 11.5, 12.5, 11.5, 11.0, 12.5, 11.5, 12.5, 11.5]
    result = xmr(weekly(values), direction="increase", baseline=12)

    assert indices(result, "run") == []


# --- rule 3: a trend --------------------------------------------------------------------------

# from index 11 (10): 10, 10.4, 10.8, 11.2, 11.6, 12.0, 12.4 — seven points each above the last.
# Sides: 10, 10.4, 10.8 below (3 points), the rest above (4): no run; none near a limit.
RISE = [10.4, 10.8, 11.2, 11.6, 12.0, 12.4]


def test_seven_increasing_points_are_a_trend_and_all_are_flagged() -> None:
    result = xmr(weekly([*BASE, *RISE]), direction="increase", baseline=12)

    assert indices(result, "trend") == [11, 12, 13, 14, 15, 16, 17]
    assert indices(result, "run") == []
    assert types_from(result, 11) == ["improvement"] * 7
    assert result.variation_icon == "special_cause_improvement_high"


def test_six_increasing_points_are_not_a_trend_of_seven_but_are_of_six() -> None:
    # 10, 10.4, 10.8, 11.2, 11.6, 12.0: six points (indices 11–16)
    values = [*BASE, *RISE[:-1]]
    assert indices(xmr(weekly(values), direction="increase", baseline=12), "trend") == []

    result = xmr(weekly(values), direction="increase", baseline=12, trend_length=6)
    assert indices(result, "trend") == [11, 12, 13, 14, 15, 16]
    assert result.trend_length == 6


def test_an_equal_step_breaks_a_trend() -> None:
    # 10, 10.4, 10.8, 10.8, 11.2, 11.6, 12.0, 12.4: the repeated 10.8 splits it into 3 + 5
    # sides: 10, 10.4, 10.8, 10.8 below (4), the rest above (4): no run either
    values = [*BASE, 10.4, 10.8, 10.8, 11.2, 11.6, 12.0, 12.4]
    result = xmr(weekly(values), direction="increase", baseline=12)

    assert indices(result, "trend") == []
    assert indices(result, "special_cause") == []


def test_a_flat_stretch_after_a_rise_leaves_the_rise_whole() -> None:
    # the rise 10 … 12.4 (indices 11–17) then six more 12.4s: equal steps are no trend, and the
    # rise keeps its last point
    result = xmr(weekly([*BASE, *RISE, *[12.4] * 6]), direction="increase", baseline=12)

    assert indices(result, "trend") == list(range(11, 18))


# --- rule 4: two of three beyond the near limit -----------------------------------------------


def test_two_of_three_beyond_the_near_limit_flags_those_two() -> None:
    # 15, 12, 15: 15 lies between the near limit 14.547 and the limit 16.32; 12 is above the
    # mean but not near. All three above the mean, two near → the two 15s are flagged.
    result = xmr(weekly([*BASE, 15, 12, 15]), direction="increase", baseline=12)

    assert indices(result, "two_of_three") == [12, 14]
    assert types_from(result, 12) == ["improvement", "common", "improvement"]
    assert result.variation_icon == "special_cause_improvement_high"


def test_two_of_three_below_the_lower_near_limit() -> None:
    # 7, 10, 7: 7 lies between 5.68 and the near limit 7.453; all three below the mean 11
    result = xmr(weekly([*BASE, 7, 10, 7]), direction="increase", baseline=12)

    assert indices(result, "two_of_three") == [12, 14]
    assert result.variation_icon == "special_cause_concern_low"


def test_two_of_three_needs_all_three_on_the_same_side_of_the_mean() -> None:
    # 15, 10, 15: the 10 in between is below the mean (NHSRplotthedots issue #143)
    result = xmr(weekly([*BASE, 15, 10, 15]), direction="increase", baseline=12)

    assert indices(result, "two_of_three") == []


def test_two_near_points_four_apart_are_not_two_of_three() -> None:
    # 15, 12, 12, 15: every window of three holds only one near point
    result = xmr(weekly([*BASE, 15, 12, 12, 15]), direction="increase", baseline=12)

    assert indices(result, "two_of_three") == []


def test_a_point_outside_the_limits_does_not_count_towards_two_of_three() -> None:
    # 17 (outside, > 16.32), 15 (near), 12: only one point *near*, so 15 stays common cause
    result = xmr(weekly([*BASE, 17, 15, 12]), direction="increase", baseline=12)

    assert indices(result, "outside_limits") == [12]
    assert indices(result, "two_of_three") == []
    assert types_from(result, 12) == ["improvement", "common", "common"]


# --- improvement direction --------------------------------------------------------------------


def test_decrease_direction_swaps_improvement_and_concern() -> None:
    high = weekly([*BASE, 16.5])
    low = weekly([*BASE, 5.5])

    assert xmr(high, direction="increase", baseline=12).points[12].point_type == "improvement"
    assert xmr(high, direction="decrease", baseline=12).points[12].point_type == "concern"
    assert xmr(low, direction="increase", baseline=12).points[12].point_type == "concern"
    assert xmr(low, direction="decrease", baseline=12).points[12].point_type == "improvement"

    assert xmr(high, direction="decrease", baseline=12).variation_icon == (
        "special_cause_concern_high"
    )
    assert xmr(low, direction="decrease", baseline=12).variation_icon == (
        "special_cause_improvement_low"
    )


def test_an_increasing_trend_is_a_concern_when_lower_is_better() -> None:
    result = xmr(weekly([*BASE, *RISE]), direction="decrease", baseline=12)

    assert types_from(result, 11) == ["concern"] * 7
    assert result.variation_icon == "special_cause_concern_high"


def test_neutral_direction_marks_special_causes_neutral() -> None:
    high = xmr(weekly([*BASE, 16.5]), direction="neutral", baseline=12, target=14)
    low = xmr(weekly([*BASE, 5.5]), direction="neutral", baseline=12)

    assert high.points[12].point_type == "neutral"
    assert high.variation_icon == "special_cause_neutral_high"
    assert low.variation_icon == "special_cause_neutral_low"
    assert high.assurance_icon == "none"
    assert high.points[0].point_type == "common"


# --- precedence -------------------------------------------------------------------------------

# from index 12: 14.4, 14.0, 13.6, 13.2, 12.8, 12.4, 12.0 — seven points falling (index 11 is
# 10, so the fall starts at 12), and all seven above the mean 11 (index 11 below): a run *and*
# a trend on the same points; none past the near limit 14.547.
FALL_ABOVE_MEAN = [14.4, 14.0, 13.6, 13.2, 12.8, 12.4, 12.0]


def test_a_decreasing_trend_above_the_mean_counts_as_low() -> None:
    # run says "high", trend says "low": the trend wins (NHSRplotthedots precedence)
    result = xmr(weekly([*BASE, *FALL_ABOVE_MEAN]), direction="increase", baseline=12)

    assert indices(result, "run") == list(range(12, 19))
    assert indices(result, "trend") == list(range(12, 19))
    assert {result.points[i].side for i in range(12, 19)} == {"low"}
    assert types_from(result, 12) == ["concern"] * 7
    assert result.variation_icon == "special_cause_concern_low"

    decrease = xmr(weekly([*BASE, *FALL_ABOVE_MEAN]), direction="decrease", baseline=12)
    assert types_from(decrease, 12) == ["improvement"] * 7
    assert decrease.variation_icon == "special_cause_improvement_low"


def test_outside_the_limits_wins_over_a_trend() -> None:
    # 17 (> 16.32) starts the falling trend 17, 14.0, …, 12.0: outside says "high" for it
    values = [*BASE, 17.0, *FALL_ABOVE_MEAN[1:]]
    result = xmr(weekly(values), direction="increase", baseline=12)

    assert result.points[12].outside_limits and result.points[12].trend
    assert result.points[12].side == "high"
    assert types_from(result, 12) == ["improvement"] + ["concern"] * 6


def test_the_peak_between_a_rise_and_a_fall_takes_the_later_trend() -> None:
    # 10, 10.4 … 12.4 (indices 11–17, rising) then 12.0 … 10.0 (indices 18–23, falling):
    # two trends sharing the peak 12.4 at index 17, which takes the fall's direction
    values = [*BASE, *RISE, 12.0, 11.6, 11.2, 10.8, 10.4, 10.0]
    result = xmr(weekly(values), direction="increase", baseline=12)

    assert indices(result, "trend") == list(range(11, 24))
    assert result.points[16].side == "high"
    assert result.points[17].side == "low"
    assert types_from(result, 11) == ["improvement"] * 6 + ["concern"] * 7


# --- provisional limits -----------------------------------------------------------------------


def test_fewer_than_twelve_points_give_provisional_limits() -> None:
    eleven = xmr(weekly(BASE[:11]), direction="increase")
    twelve = xmr(weekly(BASE), direction="increase")

    assert eleven.provisional
    assert eleven.upper_limit is not None  # still computed
    assert not twelve.provisional


def test_provisional_counts_the_values_the_limits_rest_on() -> None:
    # twenty points, but a baseline of 11; then twelve positions of which one is missing
    assert xmr(weekly(BASE + BASE[:8]), direction="increase", baseline=11).provisional
    assert xmr(weekly([None, *BASE[1:]]), direction="increase").provisional


# --- assurance --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("direction", "target", "icon"),
    [
        # limits 5.68 and 16.32
        ("increase", 5.0, "pass"),  # 5 ≤ 5.68: every common-cause value meets it
        ("increase", 17.0, "fail"),  # 17 > 16.32: no common-cause value reaches it
        ("increase", 11.0, "hit_and_miss"),
        ("decrease", 17.0, "pass"),  # 17 ≥ 16.32
        ("decrease", 5.0, "fail"),  # 5 < 5.68
        ("decrease", 11.0, "hit_and_miss"),
        ("neutral", 11.0, "none"),
        ("increase", None, "none"),
    ],
)
def test_assurance_icon(direction: str, target: float | None, icon: str) -> None:
    assert xmr(weekly(BASE), direction=direction, target=target).assurance_icon == icon


def test_a_target_exactly_on_a_limit() -> None:
    # 9.5, 10.5, … (12 points): mean 10, eleven moving ranges of 1 → mR̄ 1
    # limits 10 ± 2.66 → 7.34 and 12.66
    # on the near-side limit every value within the limits meets the target → pass;
    # on the far-side limit only a value exactly on it would → hit and miss, not fail
    series = weekly([9.5, 10.5] * 6)
    assert xmr(series, direction="increase", target=7.34).assurance_icon == "pass"
    assert xmr(series, direction="increase", target=12.66).assurance_icon == "hit_and_miss"
    assert xmr(series, direction="decrease", target=12.66).assurance_icon == "pass"
    assert xmr(series, direction="decrease", target=7.34).assurance_icon == "hit_and_miss"


# --- missing values, tiny series --------------------------------------------------------------


def test_missing_values_keep_their_place_and_are_skipped() -> None:
    # present: 10, 12, 14 → mean 12; moving ranges |12 − 10| = 2, |14 − 12| = 2 → mR̄ 2
    # limits 12 ± 5.32 → 6.68 and 17.32
    result = xmr(weekly([10, None, 12, math.nan, 14]), direction="increase")

    assert result.mean == pytest.approx(12)
    assert result.mr_bar == pytest.approx(2)
    assert result.upper_limit == pytest.approx(17.32)
    assert [p.value for p in result.points] == [10, None, 12, None, 14]
    assert result.points[1].special_cause is False
    assert result.points[3].point_type == "common"
    assert result.points[3].mean == pytest.approx(12)


def test_a_missing_week_neither_breaks_nor_extends_a_run() -> None:
    # seven present values above the mean with a gap after the second
    values = [*BASE, 11.5, 12.5, None, 11.5, 12.5, 11.5, 12.5, 11.5]
    result = xmr(weekly(values), direction="increase", baseline=12)

    assert indices(result, "run") == [12, 13, 15, 16, 17, 18, 19]


def test_the_variation_icon_comes_from_the_latest_value() -> None:
    # the last week is missing: the icon describes 16.5 (outside, high)
    result = xmr(weekly([*BASE, 16.5, None]), direction="increase", baseline=12)

    assert result.points[13].point_type == "common"
    assert result.variation_icon == "special_cause_improvement_high"


def test_no_points() -> None:
    result = xmr([], direction="increase", target=5)

    assert result.points == []
    assert (result.mean, result.lower_limit, result.upper_limit, result.mr_bar) == (
        None,
        None,
        None,
        None,
    )
    assert result.provisional
    # nothing to judge: no variation icon, not "common cause"
    assert (result.variation_icon, result.assurance_icon) == ("none", "none")


def test_one_point_has_a_mean_but_no_limits() -> None:
    result = xmr(weekly([5.0]), direction="increase", target=3)

    assert result.mean == 5
    assert result.upper_limit is None and result.lower_near is None
    assert result.points[0].point_type == "common"
    assert (result.variation_icon, result.assurance_icon) == ("common_cause", "none")


def test_only_missing_values() -> None:
    result = xmr(weekly([None, None]), direction="decrease")

    assert result.mean is None
    assert [p.point_type for p in result.points] == ["common", "common"]
    assert result.variation_icon == "none"


# --- validation and serialisation -------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"direction": "up"},
        {"direction": "Increase"},
        {"direction": "increase", "run_length": 1},
        {"direction": "increase", "trend_length": 1},
        {"direction": "increase", "baseline": 1},
    ],
)
def test_bad_arguments_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        xmr(weekly(BASE), **kwargs)  # type: ignore[arg-type]


def test_an_infinite_value_is_refused() -> None:
    with pytest.raises(ValueError):
        xmr(weekly([1.0, math.inf]), direction="increase")


def test_to_dict_is_json_ready() -> None:
    result = xmr(weekly([*BASE, 16.5, None]), direction="increase", baseline=12, target=5)
    payload = json.loads(json.dumps(result.to_dict()))

    assert payload["variation_icon"] == "special_cause_improvement_high"
    assert payload["assurance_icon"] == "pass"
    assert payload["provisional"] is False
    assert payload["upper_near"] == pytest.approx(14.546667, abs=1e-6)
    assert payload["points"][0]["x"] == "2025-01-05"
    assert payload["points"][12] == {
        "x": "2025-03-30",  # 5 January + 12 weeks
        "value": 16.5,
        "mean": pytest.approx(11),
        "lower_limit": pytest.approx(5.68),
        "upper_limit": pytest.approx(16.32),
        "lower_near": pytest.approx(7.453333, abs=1e-6),
        "upper_near": pytest.approx(14.546667, abs=1e-6),
        "outside_limits": True,
        "run": False,
        "trend": False,
        "two_of_three": False,
        "special_cause": True,
        "point_type": "improvement",
        "side": "high",
    }
    assert payload["points"][13]["value"] is None


# --- limits within what the measure can take (DESIGN §4.10) --------------------------------
# Counts 0, 4, 0, 4: mean 2; moving ranges 4, 4, 4 → mR̄ 4 (cut-off 13.07, none cut)
#   limits 2 ± 2.66·4 = 2 ± 10.64 → −8.64 and 12.64; near limits 2 ± 1.77333·4 → −5.0933, 9.0933
# A count cannot be below 0, so the lower limit and the lower near limit are drawn at 0.
SMALL_COUNTS = [0.0, 4.0, 0.0, 4.0]


def test_a_lower_limit_below_zero_for_a_count_is_drawn_at_zero() -> None:
    unbounded = xmr(weekly(SMALL_COUNTS), direction="decrease")
    assert unbounded.lower_limit == pytest.approx(-8.64)
    counted = xmr(weekly(SMALL_COUNTS), direction="decrease", value_range=(0.0, None))
    assert counted.lower_limit == 0.0
    assert counted.lower_near == 0.0
    assert counted.upper_limit == pytest.approx(12.64)
    assert counted.upper_near == pytest.approx(9.09333, abs=1e-4)
    assert all(point.lower_limit == 0.0 for point in counted.points)
    # the points are judged the same: all common cause either way
    assert types_from(counted, 0) == types_from(unbounded, 0) == ["common"] * 4


def test_an_upper_limit_over_100_for_a_percentage_is_drawn_at_100() -> None:
    # 90, 99, 90, 99: mean 94.5; mR̄ 9 → limits 94.5 ± 23.94 → 70.56 and 118.44 → 100
    result = xmr(weekly([90.0, 99.0, 90.0, 99.0]), direction="increase", value_range=(0.0, 100.0))
    assert result.upper_limit == 100.0
    assert result.lower_limit == pytest.approx(70.56)


def test_a_target_of_zero_passes_when_the_count_cannot_go_lower() -> None:
    # increase, target 0: every count within the drawn limits (0 to 12.64) is ≥ 0 → pass; with
    # the unbounded lower limit (−8.64) the target would sit inside the limits: hit and miss
    bounded = xmr(weekly(SMALL_COUNTS), direction="increase", target=0.0, value_range=(0.0, None))
    assert bounded.assurance_icon == "pass"
    unbounded = xmr(weekly(SMALL_COUNTS), direction="increase", target=0.0)
    assert unbounded.assurance_icon == "hit_and_miss"


def test_the_registry_bounds_percentages_and_counts() -> None:
    from app.metrics.registry import METRICS

    ranges = {m.unit: m.value_range for m in METRICS.values()}
    assert ranges == {
        "%": (0.0, 100.0),
        "patients": (0.0, None),
        "days": (0.0, None),
        "beds": (0.0, None),
        # weekend discharges per day as a % of a weekday's: no upper bound (a weekend can
        # discharge more than a weekday)
        "% of a weekday": (0.0, None),
    }
