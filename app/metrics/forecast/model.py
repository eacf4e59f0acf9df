"""The forecast's maths, pure numpy over arrays (no store, no clock): the day-of-week pattern
and trend of a daily series, the random draws around it, and the queue they make.

Shapes: a batch of ``K`` series (one per council and pathway) over ``T`` history days; the
simulation runs ``S`` times over ``H`` days ahead, arrays ``(S, K, H)``.

The queue of one series: the NCtR patients in hospital at the end of day ``t`` are
``Q[t] = Q[t-1] + A[t] - D[t]``, where ``A`` is the day's new NCtR and ``D`` its discharges:
the weekday's share of the patients there are (learned from the pathway's history) plus
scatter, plus whatever capacity a what-if adds. More capacity on any day never lengthens the
queue on any day, and the baseline and a scenario share every draw.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import numpy.typing as npt

Array = npt.NDArray[np.float64]

#: days of history the pattern and trend are learned from (the newest ones)
WINDOW_DAYS = 56
#: the weight of a day of history halves every this many days back (a level drifts)
HALF_LIFE_DAYS = 14.0
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


def recency_weights(t: int) -> Array:
    """(T,) the weight of each of ``t`` days of history, the newest 1 (half-life HALF_LIFE_DAYS)."""
    return np.asarray(0.5 ** ((t - 1 - np.arange(t)) / HALF_LIFE_DAYS), dtype=float)


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
    weight = recency_weights(t)
    means = (values * weight) @ onehot / (weight @ onehot)  # (K, weekdays present)
    per_weekday = means
    slope = np.zeros(k)
    if t >= 14:
        x = np.arange(t, dtype=float) - (t - 1)  # 0 on the last day
        design = np.column_stack([x, onehot])
        root = np.sqrt(weight)[:, None]
        coef, *_ = np.linalg.lstsq(design * root, values.T * root, rcond=None)
        residual = (values.T - design @ coef) * root
        dof = max(float(weight.sum()) - design.shape[1], 1.0)
        sigma2 = (residual**2).sum(axis=0) / dof
        se = np.sqrt(sigma2 * np.linalg.pinv(design.T @ (design * weight[:, None]))[0, 0])
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


def draw_counts(
    rng: np.random.Generator,
    mean: Array,
    variance: Array,
    sims: int,
    *,
    level_sd: Array | None = None,
) -> Array:
    """(S, K, H) counts around ``mean`` (K, H) with the series' ``variance`` (K,): a gamma-Poisson
    (negative binomial) where the scatter exceeds the mean, as daily counts of people mostly
    do; otherwise a rounded normal. ``level_sd`` (K,): each run first moves the whole mean by a
    normal of that spread — the uncertainty of the mean itself, which makes a run's days err
    together (the bands widen with the horizon as they should). A series with no scatter
    gives its mean every time."""
    k, h = mean.shape
    shape = (sims, k, h)
    var = np.broadcast_to(variance[:, None], (k, h))
    means = np.broadcast_to(mean, shape)
    if level_sd is not None:
        shift = rng.standard_normal((sims, k, 1)) * level_sd[None, :, None]
        means = np.clip(means + shift, 0.0, None)
    over = (var > means) & (means > 0)
    # gamma-Poisson: rate ~ Gamma(shape r, scale mean / r) with r = mean² / (variance − mean)
    r = np.where(over, means**2 / np.where(over, var - means, 1.0), 1.0)
    scale = np.where(over, means / r, 0.0)
    rate = rng.gamma(r, scale)
    poisson = rng.poisson(rate).astype(float)
    rounded = np.clip(np.rint(means + np.sqrt(var) * rng.standard_normal(shape)), 0.0, None)
    return np.asarray(np.where(over, poisson, rounded), dtype=float)


def level_sd(variance: Array, days: int) -> Array:
    """(K,) the standard error of a recency-weighted mean of ``days`` days with that scatter."""
    if days == 0:
        return np.zeros_like(variance)
    weight = recency_weights(days)
    effective = float(weight.sum() ** 2 / (weight**2).sum())
    return np.asarray(np.sqrt(variance / effective), dtype=float)


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
    hazard: Array,
    scatter: Array,
    changes: CapacityChanges | None = None,
) -> QueueRun:
    """The queue from ``start_waiting`` (K,) patients whose days beyond DRD sum to
    ``start_days_sum`` (K,), with ``arrivals`` (S, K, H) and any capacity ``changes``.

    Each day's discharges are ``hazard`` (K, H) of the patients there are (yesterday's queue
    and the day's new NCtR) plus ``scatter`` (S, K, H), rounded and kept within 0 and all of
    them; then the change adds its capacity (or takes it away). The queue left is then
    monotone: more capacity never lengthens it, on any day.

    Days beyond DRD: everyone still waiting ages one day a night; a day's discharges leave the
    patients there were that day in proportion (no queue order is assumed), and the day's
    new NCtR start at 0 (their DRD is that day)."""
    sims, k, h = arrivals.shape
    changes = changes or CapacityChanges.none(k, h)
    hazard = np.broadcast_to(hazard, (k, h))
    waiting = np.broadcast_to(np.asarray(start_waiting, float), (sims, k)).copy()
    days_sum = np.broadcast_to(np.asarray(start_days_sum, float), (sims, k)).copy()
    stock = np.zeros((sims, k))  # places added once, not yet taken (negative: owed)
    out_waiting = np.empty((sims, k, h))
    out_discharges = np.empty((sims, k, h))
    out_days = np.empty((sims, k, h))
    for day in range(h):
        available = waiting + arrivals[:, :, day]
        usual = np.rint(hazard[:, day] * available + scatter[:, :, day])
        served = np.clip(usual + changes.per_day[:, day], 0.0, available)
        stock = stock + changes.once[:, day]
        # places owed (stock < 0) come out of the day's discharges first
        owed = np.minimum(np.clip(-stock, 0.0, None), served)
        served = served - owed
        stock = stock + owed
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


@dataclass(frozen=True)
class DischargeModel:
    """Discharges of ``K`` series: ``base`` (K, 7) a day by weekday plus ``share`` (K,) of the
    patients there are (the day's end queue and its discharges), with residual ``variance``."""

    base: Array
    share: Array
    variance: Array

    def base_on(self, horizon_days: list[date]) -> Array:
        return self.base[:, [d.weekday() for d in horizon_days]]


def fit_discharges(remaining: Array, discharged: Array, days: list[date]) -> DischargeModel:
    """Least squares, series by series: discharges = a weekday's own number + a share (kept
    within 0–1) of the patients there were. A share of 0 is a pathway whose discharges are
    the capacity it has, whatever the queue; 1 lets everyone go who is there."""
    available = remaining + discharged
    k, t = remaining.shape
    base, share, variance = np.zeros((k, 7)), np.zeros(k), np.zeros(k)
    if t == 0:
        return DischargeModel(base, share, variance)
    weekdays = np.array([d.weekday() for d in days])
    present = np.array([(weekdays == w).any() for w in range(7)])
    onehot = (weekdays[:, None] == np.arange(7)[None, :]).astype(float)[:, present]
    weight = recency_weights(t)
    counts = weight @ onehot
    root = np.sqrt(weight)
    for row in range(k):
        beta = 0.0
        if t >= 14 and np.ptp(available[row]) > 0:
            design = np.column_stack([available[row], onehot])
            coef, *_ = np.linalg.lstsq(design * root[:, None], discharged[row] * root, rcond=None)
            beta = float(np.clip(coef[0], 0.0, 1.0))
        base[row, present] = ((discharged[row] - beta * available[row]) * weight) @ onehot / counts
        share[row] = beta
        residual = discharged[row] - beta * available[row] - base[row, weekdays]
        variance[row] = float((residual**2).sum()) / max(t - 1, 1)
    return DischargeModel(base, share, variance)


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


# --- the blend with seasonal-naive ---------------------------------------------------------

#: the blend weights tried, 0 (the model alone) to 1 (seasonal-naive alone)
BLEND_GRID = tuple(i / 10 for i in range(11))
#: the newest days of history used as pseudo-origins to choose the blend weights
BLEND_ORIGINS = 28
#: fewest pseudo-origins a horizon's weight is chosen from (else the model alone)
BLEND_MIN_ORIGINS = 7


def mean_path(
    start_waiting: Array, arrivals: Array, model: DischargeModel, horizon_days: list[date]
) -> Array:
    """(K, H) the queue with every draw at its mean: ``Q = Q + A − D``, the discharges the
    model's base plus its share of the patients there are, kept within 0 and all of them."""
    base = model.base_on(horizon_days)
    waiting = np.asarray(start_waiting, dtype=float).copy()
    out = np.empty_like(arrivals)
    for day in range(arrivals.shape[1]):
        available = np.clip(waiting + arrivals[:, day], 0.0, None)
        served = np.clip(base[:, day] + model.share * available, 0.0, available)
        waiting = available - served
        out[:, day] = waiting
    return out


def naive_path(remaining: Array, horizon: int) -> Array | None:
    """(K, H) seasonal-naive from the last day of ``remaining`` (K, T): for D+h the value on
    the same weekday in the last week known (D+8…D+10: the week before); None when the
    history is too short."""
    t = remaining.shape[1]
    back = [7 * ((h - 1) // 7 + 1) for h in range(1, horizon + 1)]
    index = [t - 1 + h - b for h, b in zip(range(1, horizon + 1), back, strict=True)]
    if not index or min(index) < 0:
        return None
    return np.asarray(remaining[:, index], dtype=float)


def choose_weight(model_path: Array, naive: Array, truth: Array) -> Array:
    """(H,) per horizon, the weight ``w`` of :data:`BLEND_GRID` whose blend
    ``(1 − w)·model + w·naive`` has the smallest absolute error over the pseudo-origins
    (arrays (J, H), NaN where a horizon was not scored); 0 (the model) with too few of them
    or on a tie."""
    h = truth.shape[1]
    weights = np.zeros(h)
    for step in range(h):
        scored = ~np.isnan(truth[:, step])
        if scored.sum() < BLEND_MIN_ORIGINS:
            continue
        m, n, y = model_path[scored, step], naive[scored, step], truth[scored, step]
        errors = [float(np.abs((1 - w) * m + w * n - y).sum()) for w in BLEND_GRID]
        weights[step] = BLEND_GRID[int(np.argmin(errors))]  # the first (smallest w) on a tie
    return weights


def shift_run(run: QueueRun, offset: Array) -> QueueRun:
    """``run`` with its queue moved by ``offset`` (S or 1, K, H) (kept ≥ 0): the days
    beyond DRD keep their mean; the day's flows (new NCtR, discharges) are the drawn ones.
    The same offset on a baseline and a scenario keeps their difference, so a scenario of 0
    stays the baseline and more capacity still never lengthens the queue."""
    if not np.any(offset):
        return run
    waiting = np.clip(run.waiting + offset, 0.0, None)
    mean = mean_days(run.days_waiting_sum, run.waiting)
    return QueueRun(run.new_nctr, run.discharges, waiting, mean * waiting)
