"""From a history to simulated days ahead: learn each series, draw ``S`` futures with one seed,
run the queue for the baseline and (with the same draws) a scenario. Pure: no store."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

from app.metrics.forecast.history import Census, History, Key
from app.metrics.forecast.model import (
    WINDOW_DAYS,
    Array,
    CapacityChanges,
    QueueRun,
    draw_counts,
    fit_discharges,
    fit_series,
    horizon_days,
    level_sd,
    run_queue,
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
) -> Simulation:
    """Draw ``sims`` futures of D+1…D+``horizon`` and run the queue (and the scenario of
    ``changes``, with the same draws)."""
    keys = keys if keys is not None else inputs.keys()
    learned = inputs.history.upto(inputs.origin - timedelta(days=1))
    learned_days = learned.days[-WINDOW_DAYS - 1 :]
    remaining, discharged = _rows(learned, keys)
    remaining, discharged = remaining[:, -len(learned_days) :], discharged[:, -len(learned_days) :]
    # the first day of the window has no yesterday: arrivals start on its second day
    if len(learned_days) >= 2:
        arrivals_hist = np.diff(remaining, axis=1) + discharged[:, 1:]
        arrivals_days, discharged_hist = learned_days[1:], discharged[:, 1:]
    else:
        arrivals_hist = np.zeros((len(keys), 0))
        arrivals_days, discharged_hist = [], np.zeros((len(keys), 0))
    ahead = horizon_days(inputs.origin, horizon)
    rng = np.random.default_rng(seed)
    arrivals_model = fit_series(arrivals_hist, arrivals_days)
    window = len(arrivals_days)
    arrivals = draw_counts(
        rng,
        arrivals_model.mean(ahead),
        arrivals_model.variance,
        sims,
        level_sd=level_sd(arrivals_model.variance, window),
    )
    discharge_model = fit_discharges(remaining[:, 1:], discharged_hist, arrivals_days)
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
    return Simulation(keys, ahead, baseline, scenario, capacity_keys, expected)


def _census(inputs: Inputs, key: Key) -> Census:
    return inputs.census.get(key) or Census()
