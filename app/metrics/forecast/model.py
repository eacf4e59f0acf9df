"""The forecast's maths, pure numpy over arrays (no store, no clock): the day-of-week pattern
and trend of a daily series, the random draws around it, and the queue they make.

Shapes: a batch of ``K`` series (one per council and pathway) over ``T`` history days; the
simulation runs ``S`` times over ``H`` days ahead, arrays ``(S, K, H)``.

The queue of one series is a Lindley recursion: the NCtR patients in hospital at the end of
day ``t`` are ``Q[t] = max(0, Q[t-1] + A[t] - C[t])``, where ``A`` is the day's new NCtR and
``C`` the discharges the day can make (its capacity, learned from the discharges the pathway
made in its history); the discharges are ``Q[t-1] + A[t] - Q[t]``. More capacity on any day
never lengthens the queue on any day, and the baseline and a scenario share every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: days of history the pattern and trend are learned from (the newest ones)
WINDOW_DAYS = 56
#: a trend is used only when its slope is this many standard errors from zero
TREND_T = 2.0
#: the quantiles of every band
QUANTILES = (0.1, 0.5, 0.9)


@dataclass(frozen=True)
class SeriesModel:
    """Day-of-week means, trend and scatter of ``K`` daily series, learned up to ``end``."""

    end: date  # the last day learned from
    level: Array  # (K,) the deseasonalised mean, at ``end``
    weekday: Array  # (K, 7) the weekday's difference from the mean (Monday = 0)
    slope: Array  # (K,) per day; 0 where the trend is not significant
    variance: Array  # (K,) of the residuals around the fitted values

    def mean(self, horizon_days: list[date]) -> Array:
        """(K, H): the expected value on each of ``horizon_days`` (never below 0)."""
        ahead = np.array([(d - self.end).days for d in horizon_days], dtype=float)
        weekdays = [d.weekday() for d in horizon_days]
        fitted = self.level[:, None] + self.slope[:, None] * ahead[None, :]
        return np.asarray(np.clip(fitted + self.weekday[:, weekdays], 0.0, None), dtype=float)


def fit_series(values: Array, days: list[date]) -> SeriesModel:
    """Learn the pattern of ``values`` (K, T) on ``days`` (T consecutive days): a mean for each
    weekday and a straight line, fitted together by least squares; the line is kept only when
    its slope is significant (else the weekday means alone), with the scatter that is left."""
    values = np.asarray(values, dtype=float)
    k, t = values.shape
    if t == 0:
        zero = np.zeros(k)
        return SeriesModel(date.min, zero, np.zeros((k, 7)), zero, zero)
    weekdays = np.array([d.weekday() for d in days])
    present = np.array([(weekdays == w).any() for w in range(7)])
    onehot = (weekdays[:, None] == np.arange(7)[None, :]).astype(float)[:, present]
    means = (values @ onehot) / onehot.sum(axis=0)  # (K, weekdays present)
    per_weekday = means
    slope = np.zeros(k)
    if t >= 14:
        x = np.arange(t, dtype=float) - (t - 1)  # 0 on the last day
        design = np.column_stack([x, onehot])
        coef, *_ = np.linalg.lstsq(design, values.T, rcond=None)
        residual = values.T - design @ coef
        dof = max(t - design.shape[1], 1)
        sigma2 = (residual**2).sum(axis=0) / dof
        se = np.sqrt(sigma2 * np.linalg.pinv(design.T @ design)[0, 0])
        significant = np.abs(coef[0]) > np.maximum(TREND_T * se, 1e-9)
        slope = np.where(significant, coef[0], 0.0)
        per_weekday = np.where(significant[:, None], coef[1:].T, means)
    level = per_weekday.mean(axis=1)
    weekday = np.zeros((k, 7))
    weekday[:, present] = per_weekday - level[:, None]
    x_all = np.arange(t, dtype=float) - (t - 1)
    fitted = level[:, None] + slope[:, None] * x_all + weekday[:, weekdays]
    variance = ((values - fitted) ** 2).sum(axis=1) / max(t - 1, 1)
    return SeriesModel(days[-1], level, weekday, slope, variance)


def draw_counts(rng: np.random.Generator, mean: Array, variance: Array, sims: int) -> Array:
    """(S, K, H) counts around ``mean`` (K, H) with the series' ``variance`` (K,): a gamma-Poisson
    (negative binomial) where the scatter exceeds the mean, as daily counts of people mostly
    do; otherwise a rounded normal. A series with no scatter gives its mean every time."""
    k, h = mean.shape
    shape = (sims, k, h)
    var = np.broadcast_to(variance[:, None], (k, h))
    over = (var > mean) & (mean > 0)
    # gamma-Poisson: rate ~ Gamma(shape r, scale mean / r) with r = mean² / (variance − mean)
    r = np.where(over, mean**2 / np.where(over, var - mean, 1.0), 1.0)
    scale = np.where(over, mean / r, 0.0)
    rate = rng.gamma(np.broadcast_to(r, shape), np.broadcast_to(scale, shape))
    poisson = rng.poisson(rate).astype(float)
    rounded = np.clip(np.rint(mean + np.sqrt(var) * rng.standard_normal(shape)), 0.0, None)
    return np.where(over, poisson, rounded)


@dataclass(frozen=True)
class CapacityChanges:
    """Capacity added to each series' daily discharges: ``per_day`` (K, H) every day (home-care
    starts), ``once`` (K, H) places that become free on a day and stay until a patient takes
    them (a community bed, a care-home vacancy); negative values take capacity away."""

    per_day: Array
    once: Array

    @staticmethod
    def none(k: int, h: int) -> CapacityChanges:
        return CapacityChanges(np.zeros((k, h)), np.zeros((k, h)))


@dataclass(frozen=True)
class QueueRun:
    """The simulated days ahead, each (S, K, H)."""

    new_nctr: Array
    discharges: Array
    waiting: Array  # NCtR in hospital at the day's end
    days_waiting_sum: Array  # their days beyond DRD, summed

    @property
    def bed_days_lost(self) -> Array:
        """Delayed days from D+1 to each day, cumulative (each day's end counts its queue)."""
        return np.cumsum(self.waiting, axis=2)


def run_queue(
    start_waiting: Array,
    start_days_sum: Array,
    arrivals: Array,
    capacity: Array,
    changes: CapacityChanges | None = None,
) -> QueueRun:
    """The queue from ``start_waiting`` (K,) patients whose days beyond DRD sum to
    ``start_days_sum`` (K,), with ``arrivals`` and ``capacity`` (S, K, H) and any ``changes``.

    Days beyond DRD: everyone still waiting ages one day a night; a day's discharges leave the
    patients there were that day in proportion (no queue order is assumed), and the day's
    new NCtR start at 0 (their DRD is that day)."""
    sims, k, h = arrivals.shape
    changes = changes or CapacityChanges.none(k, h)
    waiting = np.broadcast_to(np.asarray(start_waiting, float), (sims, k)).copy()
    days_sum = np.broadcast_to(np.asarray(start_days_sum, float), (sims, k)).copy()
    stock = np.zeros((sims, k))  # places added once, not yet taken (negative: owed)
    out_waiting = np.empty((sims, k, h))
    out_discharges = np.empty((sims, k, h))
    out_days = np.empty((sims, k, h))
    for day in range(h):
        stock = stock + changes.once[:, day]
        daily = np.clip(capacity[:, :, day] + changes.per_day[:, day], 0.0, None)
        # places owed (stock < 0) come out of the day's own capacity first
        owed = np.minimum(np.clip(-stock, 0.0, None), daily)
        daily = daily - owed
        stock = stock + owed
        available = waiting + arrivals[:, :, day]
        served = np.minimum(available, daily)
        from_stock = np.minimum(np.clip(stock, 0.0, None), available - served)
        stock = stock - from_stock
        discharged = served + from_stock
        left = available - discharged
        aged = days_sum + waiting  # the waiting patients of yesterday, a day older tonight
        share = np.divide(left, available, out=np.zeros_like(left), where=available > 0)
        days_sum = aged * share
        waiting = left
        out_waiting[:, :, day] = waiting
        out_discharges[:, :, day] = discharged
        out_days[:, :, day] = days_sum
    return QueueRun(arrivals, out_discharges, out_waiting, out_days)


def quantiles(values: Array) -> Array:
    """(3, …) the P10, P50 and P90 over the first axis (the simulations)."""
    return np.quantile(values, QUANTILES, axis=0)


def mean_days(days_sum: Array, waiting: Array) -> Array:
    """Mean days beyond DRD of those waiting (0 when nobody is)."""
    return np.divide(days_sum, waiting, out=np.zeros_like(days_sum), where=waiting > 0)


def horizon_days(origin: date, days: int) -> list[date]:
    """D+1 … D+``days``."""
    return [origin + timedelta(days=i) for i in range(1, days + 1)]


def seasonal_naive(values: Array, origin_index: int, horizon: int) -> Array:
    """(K,) the value on the same weekday in the last week known at the origin."""
    back = 7 * ((horizon - 1) // 7 + 1)
    return values[:, origin_index + horizon - back]
