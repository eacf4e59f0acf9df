"""From a history to simulated days ahead: learn each series, draw ``S`` futures with one seed,
run the queue for the baseline and (with the same draws) a scenario. Pure: no store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from app.metrics.forecast.history import Census, History, Key
from app.metrics.forecast.model import (
    BLEND_MIN_ORIGINS,
    BLEND_ORIGINS,
    WINDOW_DAYS,
    Array,
    CapacityChanges,
    DischargeModel,
    QueueRun,
    SeriesModel,
    choose_weight,
    draw_counts,
    fit_discharges,
    fit_series,
    horizon_days,
    level_sd,
    mean_path,
    naive_path,
    run_queue,
    shift_run,
)

#: Monte Carlo runs behind each band
SIMULATIONS = 1000
#: days of the capacity feeds' history the capacity expected is learned from
CAPACITY_WINDOW_DAYS = 21


@dataclass
class Inputs:
    """What a forecast starts from: the history up to the origin, the census at its end and
    the capacity feeds' history (per (council, pathway); P2 under council ``SYSTEM``)."""

    origin: date
    history: History  # days up to the origin (the origin's own end is the census)
    census: dict[Key, Census] = field(default_factory=dict)
    capacity_days: list[date] = field(default_factory=list)
    capacity: dict[Key, Array] = field(default_factory=dict)
    #: the back-test's store of pseudo-origin paths (see :func:`blend_weights`)
    blend_cache: dict[object, object] | None = None

    def keys(self) -> list[Key]:
        """Every council and pathway with history or patients now, in a stable order."""
        found = set(self.history.keys) | set(self.census)
        return sorted(found, key=lambda k: (k[0] is None, k[0] or "", k[1]))


@dataclass
class Simulation:
    """``S`` futures of ``keys`` over ``days``; capacity expected per capacity key."""

    keys: list[Key]
    days: list[date]
    baseline: QueueRun
    scenario: QueueRun | None
    capacity_keys: list[Key]
    capacity_expected: Array  # (S, K_c, H)


def _rows(history: History, keys: list[Key]) -> tuple[Array, Array]:
    """History's remaining and discharged arrays in the order of ``keys`` (zeros if absent)."""
    position = {k: i for i, k in enumerate(history.keys)}
    t = len(history.days)
    remaining, discharged = np.zeros((len(keys), t)), np.zeros((len(keys), t))
    for row, key in enumerate(keys):
        if key in position:
            remaining[row] = history.remaining[position[key]]
            discharged[row] = history.discharged[position[key]]
    return remaining, discharged


def simulate(
    inputs: Inputs,
    horizon: int,
    *,
    seed: int,
    sims: int = SIMULATIONS,
    changes: CapacityChanges | None = None,
    keys: list[Key] | None = None,
    blend: bool = True,
) -> Simulation:
    """Draw ``sims`` futures of D+1…D+``horizon`` and run the queue (and the scenario of
    ``changes``, with the same draws); with ``blend``, each pathway's queue is moved towards
    seasonal-naive by the weights :func:`blend_weights` chose on the history before the
    origin (the same move for the baseline and the scenario)."""
    keys = keys if keys is not None else inputs.keys()
    learned = inputs.history.upto(inputs.origin - timedelta(days=1))
    learned_days = learned.days[-WINDOW_DAYS - 1 :]
    remaining, discharged = _rows(learned, keys)
    remaining, discharged = remaining[:, -len(learned_days) :], discharged[:, -len(learned_days) :]
    ahead = horizon_days(inputs.origin, horizon)
    rng = np.random.default_rng(seed)
    arrivals_model, discharge_model, window = _fit(remaining, discharged, learned_days)
    arrivals = draw_counts(
        rng,
        arrivals_model.mean(ahead),
        arrivals_model.variance,
        sims,
        level_sd=level_sd(arrivals_model.variance, window),
    )
    hazard = np.repeat(discharge_model.share[:, None], len(ahead), axis=1)
    base_shift = (
        rng.standard_normal((sims, len(keys), 1))
        * level_sd(discharge_model.variance, window)[None, :, None]
    )
    scatter = (
        discharge_model.base_on(ahead)[None, :, :]
        + base_shift
        + rng.standard_normal(arrivals.shape) * np.sqrt(discharge_model.variance)[None, :, None]
    )
    start_waiting = np.array([_census(inputs, k).waiting for k in keys], dtype=float)
    start_days = np.array([_census(inputs, k).days_sum for k in keys], dtype=float)
    baseline = run_queue(start_waiting, start_days, arrivals, hazard, scatter)
    scenario = None
    if changes is not None:
        scenario = run_queue(start_waiting, start_days, arrivals, hazard, scatter, changes)
    capacity_keys = sorted(inputs.capacity, key=lambda k: (k[1], k[0] or ""))
    if capacity_keys:
        values = np.stack([inputs.capacity[k] for k in capacity_keys])
        cap_days = inputs.capacity_days[-CAPACITY_WINDOW_DAYS:]
        values = values[:, -len(cap_days) :]
        capacity_model = fit_series(values, cap_days)
        expected = draw_counts(rng, capacity_model.mean(ahead), capacity_model.variance, sims)
    else:
        expected = np.zeros((sims, 0, horizon))
    if blend:
        model = mean_path(start_waiting, arrivals_model.mean(ahead), discharge_model, ahead)
        offset = blend_offset(inputs, keys, model, baseline.waiting, rng)
        baseline = shift_run(baseline, offset)
        scenario = shift_run(scenario, offset) if scenario is not None else None
    return Simulation(keys, ahead, baseline, scenario, capacity_keys, expected)


def _census(inputs: Inputs, key: Key) -> Census:
    return inputs.census.get(key) or Census()


def _fit(
    remaining: Array, discharged: Array, days: list[date]
) -> tuple[SeriesModel, DischargeModel, int]:
    """New NCtR and discharges learned from ``remaining`` and ``discharged`` (K, T) on
    ``days``; the first day has no yesterday, so the new NCtR start on the second."""
    if len(days) >= 2:
        arrivals_hist = np.diff(remaining, axis=1) + discharged[:, 1:]
        arrivals_days, discharged_hist = days[1:], discharged[:, 1:]
    else:
        arrivals_hist = np.zeros((len(remaining), 0))
        arrivals_days, discharged_hist = [], np.zeros((len(remaining), 0))
    arrivals_model = fit_series(arrivals_hist, arrivals_days)
    discharge_model = fit_discharges(remaining[:, 1:], discharged_hist, arrivals_days)
    return arrivals_model, discharge_model, len(arrivals_days)


#: P90 of the standard normal: a band P10–P90 is ± this many standard deviations
Z90 = 1.2816
#: a normal error's standard deviation per unit of its mean absolute value (√(π/2))
MAE_TO_SD = 1.2533
#: fewest days a pseudo-origin's model learns from
BLEND_MIN_LEARNED = 14


@dataclass
class Blend:
    """Per pathway, (H,) the weight of seasonal-naive at each horizon and the mean absolute
    error the blend so weighted made on the pseudo-origins (0 where none was scored)."""

    weights: dict[int, Array]
    mae: dict[int, Array]


def blend_weights(
    history: History, keys: list[Key], horizon: int, cache: dict[object, object] | None = None
) -> Blend:
    """Per pathway, the weight of seasonal-naive at each horizon, chosen on ``history`` alone
    (its complete days): from each of its newest :data:`BLEND_ORIGINS` days as a
    pseudo-origin, the model learned from the days before it (as :func:`simulate` learns)
    and seasonal-naive forecast the pathway's queue (all its councils together), and the
    weight whose blend had the smallest absolute error on the days the history holds wins.
    ``cache`` (the back-test's) keeps each pseudo-origin's paths: they depend only on the
    history to that day."""
    remaining, discharged = _rows(history, keys)
    t = remaining.shape[1]
    pathways = sorted({k[1] for k in keys})
    rows = {p: [i for i, k in enumerate(keys) if k[1] == p] for p in pathways}
    first = max(BLEND_MIN_LEARNED + 1, t - 1 - BLEND_ORIGINS)
    models, naives, truths = [], [], []
    for j in range(first, t - 1):
        key = (history.days[j], horizon, tuple(keys))
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = _pseudo_origin(history, remaining, discharged, j, horizon)
            if cache is not None:
                cache[key] = found
        if not isinstance(found, tuple):
            continue
        path, naive = found
        truth = np.full((len(keys), horizon), np.nan)
        scored = min(horizon, t - 1 - j)
        truth[:, :scored] = remaining[:, j + 1 : j + 1 + scored]
        models.append(path)
        naives.append(naive)
        truths.append(truth)
    weights = {p: np.zeros(horizon) for p in pathways}
    mae = {p: np.zeros(horizon) for p in pathways}
    if not models:
        return Blend(weights, mae)
    model_a, naive_a, truth_a = np.stack(models), np.stack(naives), np.stack(truths)
    for p in pathways:
        m, n, y = (a[:, rows[p]].sum(axis=1) for a in (model_a, naive_a, truth_a))
        w = weights[p] = choose_weight(m, n, y)
        error = np.abs((1 - w) * m + w * n - y)
        scored = ~np.isnan(error)
        count = scored.sum(axis=0)
        mae[p] = np.divide(
            np.where(scored, error, 0.0).sum(axis=0),
            count,
            out=np.zeros(horizon),
            where=count >= BLEND_MIN_ORIGINS,
        )
    return Blend(weights, mae)


def _pseudo_origin(
    history: History, remaining: Array, discharged: Array, j: int, horizon: int
) -> tuple[Array, Array] | bool:
    """From day ``j`` of ``history``: the model's path (learned from the days before it) and
    seasonal-naive's, (K, H) each; False when the history before it is too short."""
    naive = naive_path(remaining[:, : j + 1], horizon)
    if naive is None:
        return False
    lo = max(0, j - WINDOW_DAYS - 1)
    arrivals_model, discharge_model, _ = _fit(
        remaining[:, lo:j], discharged[:, lo:j], history.days[lo:j]
    )
    ahead = horizon_days(history.days[j], horizon)
    return mean_path(remaining[:, j], arrivals_model.mean(ahead), discharge_model, ahead), naive


def blend_offset(
    inputs: Inputs, keys: list[Key], model: Array, waiting: Array, rng: np.random.Generator
) -> Array:
    """(S, K, H) how far to move each run of each series' queue. Per pathway: its weight
    times the gap between seasonal-naive (from the history to the origin) and the P50 of
    the runs of ``waiting`` (S, K, H), all its councils together, so that the pathway's P50
    becomes the blend; then, where the blend erred more on the pseudo-origins than the runs
    spread, a shock common to the pathway's councils (one draw a run) that makes up the
    difference, so that the bands are as wide as the errors the history shows (councils
    are otherwise simulated independently). Both are shared out among the councils by the
    model's ``model`` path (K, H)."""
    sims, k, horizon = waiting.shape
    history = inputs.history.upto(inputs.origin)
    if not history.days or history.days[-1] != inputs.origin:
        return np.zeros((1, k, horizon))
    remaining, _ = _rows(history, keys)
    naive = naive_path(remaining, horizon)
    if naive is None:
        return np.zeros((1, k, horizon))
    learned = inputs.history.upto(inputs.origin - timedelta(days=1))
    blend = blend_weights(learned, keys, horizon, inputs.blend_cache)
    offset = np.zeros((sims, k, horizon))
    for pathway, mae in blend.mae.items():
        rows = [i for i, key in enumerate(keys) if key[1] == pathway]
        queue = model[rows]
        summed = queue.sum(axis=0)
        # the pathway's move is shared out among its councils by their queues
        share = np.where(summed > 0, queue / np.where(summed > 0, summed, 1.0), 1 / len(rows))
        total = waiting[:, rows, :].sum(axis=1)  # (S, H)
        p10, p50, p90 = np.quantile(total, [0.1, 0.5, 0.9], axis=0)
        move = blend.weights[pathway] * (naive[rows].sum(axis=0) - p50)  # (H,)
        spread = (p90 - p10) / (2 * Z90)  # the runs' standard deviation, from their band
        extra = np.sqrt(np.clip((MAE_TO_SD * mae) ** 2 - spread**2, 0.0, None))  # (H,)
        z = rng.standard_normal((sims, 1, 1)) if extra.any() else np.zeros((sims, 1, 1))
        offset[:, rows, :] = (move[None, None, :] + z * extra[None, None, :]) * share[None]
    return offset
