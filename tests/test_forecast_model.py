"""The forecast's maths on small hand-made series (no store): a constant series forecasts
itself, a weekly pattern is recovered, bands widen with the horizon, a what-if of zero is the
baseline, more capacity never lengthens the queue, and the back-test on series whose answer
is known. Every expected number is worked out in the comment beside it."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from app.metrics.forecast.build import backtest_history, forecast_from, what_if_from
from app.metrics.forecast.history import Census, History, Key
from app.metrics.forecast.model import (
    BLEND_MIN_ORIGINS,
    CapacityChanges,
    choose_weight,
    fit_series,
    naive_path,
    run_queue,
)
from app.metrics.forecast.schemas import CapacityChange, WhatIfRequest
from app.metrics.forecast.simulate import Inputs, blend_weights, simulate

ORIGIN = date(2026, 11, 30)  # a Monday
COUNCIL = "E06000015"
SEED = 7


def history(series: dict[Key, tuple[list[float], list[float]]], days: int) -> History:
    """``days`` days ending on ORIGIN; each key's (remaining, discharged), repeated cyclically."""
    all_days = [ORIGIN - timedelta(days=days - 1 - i) for i in range(days)]
    keys = sorted(series)
    remaining = np.array([[series[k][0][i % len(series[k][0])] for i in range(days)] for k in keys])
    discharged = np.array(
        [[series[k][1][i % len(series[k][1])] for i in range(days)] for k in keys]
    )
    return History(all_days, keys, remaining.astype(float), discharged.astype(float))


def constant_inputs(waiting: int = 20, per_day: int = 5, pathway: int = 1) -> Inputs:
    """60 days of a queue of ``waiting`` with ``per_day`` new NCtR and discharges every day;
    today's census: ``waiting`` patients, each 3 days beyond DRD."""
    key = (COUNCIL, pathway)
    hist = history({key: ([waiting], [per_day])}, 60)
    return Inputs(ORIGIN, hist, {key: Census(waiting_days={3: waiting})})


def p50s(days: list, field: str) -> list[float]:
    return [getattr(day, field).p50 for day in days]


def test_a_constant_series_forecasts_itself() -> None:
    forecast = forecast_from(constant_inputs(), census_at=None, days=10, seed=SEED, sims=200)
    assert forecast.label == "Forecast"
    total = next(p for p in forecast.pathways if p.pathway == 1 and p.local_authority is None)
    assert total.today.nctr_in_hospital == 20
    assert total.today.days_waiting["2-3"] == 20
    for day in total.days:
        # arrivals = diff(remaining) + discharged = 0 + 5; no scatter: every run is the mean
        assert (day.new_nctr.p10, day.new_nctr.p50, day.new_nctr.p90) == (5, 5, 5)
        assert (day.discharges.p10, day.discharges.p90) == (5, 5)
        assert (day.nctr_in_hospital.p10, day.nctr_in_hospital.p90) == (20, 20)
    # bed days lost, cumulative: 20 a day
    assert p50s(total.days, "bed_days_lost") == [20.0 * h for h in range(1, 11)]
    # days beyond DRD: 20 waiting, 3 days each = 60; tonight they are 80 days older in all
    # and 20 of the 25 there were (20 + 5 new at 0 days) stay: 80 × 20/25 = 64 → mean 3.2;
    # D+2: (64 + 20) × 0.8 = 67.2 → 3.36 (shown to 1 decimal: 3.4)
    assert p50s(total.days, "days_beyond_drd")[:2] == [3.2, 3.4]
    # pathway 0 has no history here: zeros, and no capacity
    p0 = next(p for p in forecast.pathways if p.pathway == 0 and p.local_authority is None)
    assert p50s(p0.days, "nctr_in_hospital") == [0.0] * 10
    assert p0.days[0].capacity_expected is None and p0.worst_gap_day is None


def test_a_weekly_pattern_is_recovered() -> None:
    # Monday … Sunday new NCtR 2, 4, 6, 8, 10, 3, 1 (mean 34/7); 8 weeks ending on a Monday
    pattern = [2, 4, 6, 8, 10, 3, 1]
    days = [ORIGIN - timedelta(days=55 - i) for i in range(56)]
    values = np.array([[pattern[d.weekday()] for d in days]], dtype=float)
    model = fit_series(values, days)
    ahead = [ORIGIN + timedelta(days=i) for i in range(1, 8)]  # Tuesday … Monday
    assert model.mean(ahead)[0].tolist() == pytest.approx([4, 6, 8, 10, 3, 1, 2])
    assert model.slope[0] == 0 and model.variance[0] == pytest.approx(0)


def test_a_significant_trend_is_followed() -> None:
    # 1 more each day: the line continues (value on day i is i; the last day, i = 55)
    days = [ORIGIN - timedelta(days=55 - i) for i in range(56)]
    values = np.arange(56, dtype=float)[None, :]
    model = fit_series(values, days)
    assert model.mean([ORIGIN + timedelta(days=3)])[0, 0] == pytest.approx(58)


def noisy_inputs(seed: int = 3) -> Inputs:
    """70 days of a P1 queue around 40 with Poisson new NCtR and discharges of mean 8."""
    rng = np.random.default_rng(seed)
    discharged = rng.poisson(8, 70).astype(float)
    arrivals = rng.poisson(8, 70).astype(float)
    remaining = np.maximum(0, 40 + np.cumsum(arrivals - discharged))
    key = (COUNCIL, 1)
    days = [ORIGIN - timedelta(days=69 - i) for i in range(70)]
    hist = History(days, [key], remaining[None, :], discharged[None, :])
    return Inputs(ORIGIN, hist, {key: Census(waiting_days={2: int(remaining[-1])})})


def test_bands_widen_with_the_horizon() -> None:
    forecast = forecast_from(noisy_inputs(), census_at=None, days=10, seed=SEED, sims=2000)
    total = next(p for p in forecast.pathways if p.pathway == 1 and p.local_authority is None)
    width = [d.nctr_in_hospital.p90 - d.nctr_in_hospital.p10 for d in total.days]
    assert 0 < width[0] < width[4] < width[9]


def test_the_same_seed_gives_the_same_forecast() -> None:
    one = forecast_from(noisy_inputs(), census_at=None, days=10, seed=SEED, sims=300)
    two = forecast_from(noisy_inputs(), census_at=None, days=10, seed=SEED, sims=300)
    assert one == two


@pytest.mark.parametrize(
    "changes",
    [
        [],
        [CapacityChange(kind="home_care_starts", amount=0)],
        [CapacityChange(kind="care_home_vacancies", amount=0, from_date=ORIGIN + timedelta(3))],
    ],
)
def test_a_what_if_of_zero_is_the_baseline(changes: list[CapacityChange]) -> None:
    result = what_if_from(
        noisy_inputs(), WhatIfRequest(changes=changes), census_at=None, seed=SEED, sims=500
    )
    for pathway in result.pathways:
        assert pathway.scenario == pathway.baseline
        assert pathway.bed_days_lost_scenario == pathway.bed_days_lost_baseline
        assert (pathway.bed_days_saved.p10, pathway.bed_days_saved.p90) == (0, 0)


def test_home_care_starts_shorten_the_queue_by_hand() -> None:
    # queue 20, 5 in and 5 out a day; +2 starts a day from D+3: the queue falls 2 a day from
    # D+3: 20, 20, 18, 16, 14, 12, 10, 8, 6, 4 — bed days lost 128 instead of 200, 72 saved
    request = WhatIfRequest(
        changes=[CapacityChange(kind="home_care_starts", amount=2, from_date=ORIGIN + timedelta(3))]
    )
    result = what_if_from(constant_inputs(), request, census_at=None, seed=SEED, sims=100)
    p1 = next(p for p in result.pathways if p.pathway == 1 and p.local_authority is None)
    assert p50s(p1.scenario, "nctr_in_hospital") == [20, 20, 18, 16, 14, 12, 10, 8, 6, 4]
    assert p50s(p1.baseline, "nctr_in_hospital") == [20] * 10
    assert p1.bed_days_lost_scenario.p50 == 128 and p1.bed_days_lost_baseline.p50 == 200
    assert p1.bed_days_saved.p50 == 72
    # the council's own series is the same (it is the only council)
    council = next(p for p in result.pathways if p.pathway == 1 and p.local_authority == COUNCIL)
    assert council.bed_days_saved.p50 == 72


def test_care_home_vacancies_are_taken_once_by_hand() -> None:
    # P3 queue 2, 1 in and 1 out a day; 3 more vacancies on D+2: D+1 2; D+2: 3 there, 1 goes
    # as usual and 2 take vacancies (1 left over); D+3 on: the 1 new each day goes as usual
    # → 2, 0, 0, …; bed days lost 2 instead of 20
    request = WhatIfRequest(
        changes=[
            CapacityChange(kind="care_home_vacancies", amount=3, from_date=ORIGIN + timedelta(2))
        ]
    )
    inputs = constant_inputs(waiting=2, per_day=1, pathway=3)
    result = what_if_from(inputs, request, census_at=None, seed=SEED, sims=100)
    p3 = next(p for p in result.pathways if p.pathway == 3 and p.local_authority is None)
    assert p50s(p3.scenario, "nctr_in_hospital") == [2, 0, 0, 0, 0, 0, 0, 0, 0, 0]
    assert p3.bed_days_lost_scenario.p50 == 2 and p3.bed_days_saved.p50 == 18


@pytest.mark.parametrize("share", [0.0, 0.3, 1.0])
def test_more_capacity_never_lengthens_the_queue(share: float) -> None:
    # discharges: ``share`` of the patients there are plus a random number a day (with share 0,
    # a pure capacity of about 6 a day)
    rng = np.random.default_rng(11)
    sims, k, h = 400, 3, 10
    arrivals = rng.poisson(6, (sims, k, h)).astype(float)
    scatter = rng.normal(6 * (1 - share), 3, (sims, k, h))
    start = np.array([5.0, 0.0, 30.0])
    hazard = np.full((k, h), share)
    base = run_queue(start, start * 2, arrivals, hazard, scatter)
    for per_day, once in [(1.0, 0.0), (0.0, 4.0), (0.5, 2.0), (3.0, 10.0)]:
        more = CapacityChanges(np.full((k, h), per_day), np.full((k, h), once))
        scenario = run_queue(start, start * 2, arrivals, hazard, scatter, more)
        assert (scenario.waiting <= base.waiting + 1e-9).all()
        assert (scenario.bed_days_lost <= base.bed_days_lost + 1e-9).all()
    # and less capacity never shortens it
    less = CapacityChanges(np.full((k, h), -1.0), np.full((k, h), -3.0))
    fewer = run_queue(start, start * 2, arrivals, hazard, scatter, less)
    assert (fewer.waiting >= base.waiting - 1e-9).all()


def test_backtest_seasonal_naive_is_exact_on_a_weekly_series() -> None:
    # NCtR in hospital 10, 12, 14, 16, 18, 11, 9 week after week; 20 discharged a day (so new
    # NCtR = change + 20 ≥ 0): the same weekday last week is always right → naive MAE 0
    key = (COUNCIL, 1)
    rows = backtest_history(
        history({key: ([10, 12, 14, 16, 18, 11, 9], [20])}, 49), seed=SEED, sims=200
    )
    p1 = [r for r in rows if r.pathway == 1]
    assert [r.horizon for r in p1] == list(range(1, 11))
    assert all(r.naive_mae == 0 for r in p1)
    # origins from day 28 to day 47; horizon h is scored on origins with day o + h ≤ 48
    assert [r.origins for r in p1] == [20 - h + 1 for h in range(1, 11)]


def test_backtest_on_a_rising_queue_beats_naive_by_a_known_margin() -> None:
    # NCtR in hospital rises by 1 a day (t on day t), 5 discharged a day (6 new): the model
    # continues the line exactly (MAE 0, truth inside P10–P90 always); the same weekday last
    # week is 7 behind for horizons 1–7 and 14 behind for 8–10
    key = (COUNCIL, 3)
    hist = history({key: ([float(i) for i in range(60)], [5])}, 60)
    rows = {r.horizon: r for r in backtest_history(hist, seed=SEED, sims=100) if r.pathway == 3}
    for h in range(1, 11):
        assert rows[h].mae == 0 and rows[h].coverage_pct == 100 and rows[h].beats_naive
        assert rows[h].naive_mae == (7 if h <= 7 else 14)


# --- the blend with seasonal-naive ---------------------------------------------------------


def test_the_blend_weight_is_the_one_with_the_smallest_error_by_hand() -> None:
    # 8 pseudo-origins; D+1: the model says 10, naive 20, the truth 18 → |10 + 10w − 18| is
    # least at w = 0.8; D+2: the model is right (truth 10) → w = 0; D+3: naive is right → 1
    j = BLEND_MIN_ORIGINS + 1
    model = np.tile([10.0, 10.0, 10.0], (j, 1))
    naive = np.tile([20.0, 20.0, 20.0], (j, 1))
    truth = np.tile([18.0, 10.0, 20.0], (j, 1))
    assert choose_weight(model, naive, truth).tolist() == [0.8, 0.0, 1.0]
    # too few pseudo-origins scored at a horizon: the model alone there
    truth[1:, 2] = np.nan  # D+3 scored once
    assert choose_weight(model, naive, truth).tolist() == [0.8, 0.0, 0.0]
    # the truth 14: exactly 0.4 of the way from the model to naive
    assert choose_weight(model, naive, np.tile([14.0, 10.0, 20.0], (j, 1)))[0] == 0.4
    # a tie: the truth 10 on half the origins and 20 on the others — every weight errs by
    # 10 per pair of origins — so the model alone (the smallest weight)
    tie = np.tile([10.0, 10.0, 20.0], (j, 1))
    tie[::2, 0] = 20.0
    assert choose_weight(model, naive, tie)[0] == 0.0


def test_seasonal_naive_path_by_hand() -> None:
    # 15 days 0…14: D+1…D+7 repeat days 8…14, D+8…D+10 the week before (days 8…10)
    values = np.arange(15, dtype=float)[None, :]
    assert naive_path(values, 10)[0].tolist() == [8, 9, 10, 11, 12, 13, 14, 8, 9, 10]
    assert naive_path(values[:, :6], 3) is None  # less than a week: no naive


def test_the_blend_never_sees_the_days_after_the_origin() -> None:
    # the same history to the origin, then two different futures: the forecast (weights,
    # offsets, bands) is the same — it learns only from the days up to the origin
    inputs = noisy_inputs()
    hist = inputs.history
    days = hist.days + [ORIGIN + timedelta(days=i) for i in range(1, 11)]
    futures = []
    for level in (0.0, 500.0):
        remaining = np.concatenate([hist.remaining, np.full((1, 10), level)], axis=1)
        discharged = np.concatenate([hist.discharged, np.full((1, 10), level)], axis=1)
        longer = History(days, hist.keys, remaining, discharged)
        futures.append(
            simulate(Inputs(ORIGIN, longer, inputs.census), 10, seed=SEED, sims=200).baseline
        )
    alone = simulate(inputs, 10, seed=SEED, sims=200).baseline
    for run in futures:
        assert np.array_equal(run.waiting, alone.waiting)


def test_the_blend_moves_the_queue_and_keeps_the_what_if_properties() -> None:
    # a weekly queue 30, 34, 38, 42, 46, 36, 32 with scatter: the blend's weights, chosen on
    # the history, move the P50 off the model's own; a scenario of 0 is still the baseline
    # and more capacity still never lengthens the queue, with the blend applied to both
    rng = np.random.default_rng(11)
    pattern = np.array([30, 34, 38, 42, 46, 36, 32], dtype=float)
    remaining = np.tile(pattern, 10)[:70] + rng.integers(-3, 4, 70)
    discharged = rng.poisson(8, 70).astype(float)
    key = (COUNCIL, 1)
    days = [ORIGIN - timedelta(days=69 - i) for i in range(70)]
    inputs = Inputs(
        ORIGIN,
        History(days, [key], remaining[None, :], discharged[None, :]),
        {key: Census(waiting_days={1: int(remaining[-1])})},
    )
    weights = blend_weights(inputs.history.upto(ORIGIN - timedelta(days=1)), [key], 10).weights[1]
    assert weights.shape == (10,) and ((weights >= 0) & (weights <= 1)).all()
    blended = simulate(inputs, 10, seed=SEED, sims=300)
    alone = simulate(inputs, 10, seed=SEED, sims=300, blend=False)
    assert weights.any()
    assert not np.array_equal(blended.baseline.waiting, alone.baseline.waiting)
    zero = what_if_from(
        inputs,
        WhatIfRequest(changes=[CapacityChange(kind="home_care_starts", amount=0)]),
        census_at=None,
        seed=SEED,
        sims=300,
    )
    more = what_if_from(
        inputs,
        WhatIfRequest(changes=[CapacityChange(kind="home_care_starts", amount=3)]),
        census_at=None,
        seed=SEED,
        sims=300,
    )
    for z, m in zip(zero.pathways, more.pathways, strict=True):
        assert z.scenario == z.baseline
        assert m.baseline == z.baseline
        for base_day, more_day in zip(m.baseline, m.scenario, strict=True):
            assert more_day.nctr_in_hospital.p50 <= base_day.nctr_in_hospital.p50
            assert more_day.nctr_in_hospital.p90 <= base_day.nctr_in_hospital.p90
