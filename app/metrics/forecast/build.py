"""The forecast, the what-if and the back-test as response models: the store read once
(:func:`gather`), simulated (``simulate.py``), summed to each council and to all councils
together run by run, and reduced to P10 / P50 / P90."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.domain.delay_bands import DELAY_BANDS, delay_band
from app.metrics.errors import InvalidParameter
from app.metrics.forecast.history import (
    PATHWAYS,
    SYSTEM,
    Census,
    History,
    Key,
    first_census,
    latest_census,
    read_capacity,
    read_census,
    read_history,
)
from app.metrics.forecast.model import (
    BLEND_ORIGINS,
    WINDOW_DAYS,
    Array,
    CapacityChanges,
    QueueRun,
    mean_days,
    quantiles,
    seasonal_naive,
)
from app.metrics.forecast.schemas import (
    MAX_DAYS,
    Backtest,
    BacktestRow,
    Band,
    CensusToday,
    Forecast,
    ForecastDay,
    PathwayForecast,
    RecordedDay,
    WhatIfDay,
    WhatIfPathway,
    WhatIfRequest,
    WhatIfResult,
)
from app.metrics.forecast.simulate import (
    CAPACITY_WINDOW_DAYS,
    SIMULATIONS,
    Inputs,
    Simulation,
    simulate,
)
from app.metrics.queries import council_names, require_site
from app.metrics.rollups import in_site
from app.metrics.timebase import local_date, resolve_at
from models import Council
from models.spells import PatientCensus

METHOD = (
    "Monte Carlo queue per council and pathway ({sims} runs, seed {seed}) from the store's "
    "own history: each day's new NCtR patients and the discharges the pathway can make, "
    "learned from the last {window} days (day-of-week means and, where significant, a "
    "linear trend; negative binomial scatter), from today's census; capacity expected from "
    "the capacity feeds' last {cap_window} days. Each pathway's queue is then moved towards "
    "seasonal-naive (the same weekday last week) by a weight per day ahead chosen on the "
    "last {blend} days before the origin, and its band widened to the errors made there. "
    "Bands are P10–P90: 8 runs in 10 fall inside."
)
#: the pathways a what-if change acts on
CHANGE_PATHWAY = {"home_care_starts": 1, "community_beds": 2, "care_home_vacancies": 3}
#: the recorded days before the origin each pathway's result carries
HISTORY_SHOWN_DAYS = 28
#: fewest days of history a back-test origin learns from
BACKTEST_MIN_DAYS = 28


def _method(seed: int, sims: int) -> str:
    return METHOD.format(
        sims=sims,
        seed=seed,
        window=WINDOW_DAYS,
        cap_window=CAPACITY_WINDOW_DAYS,
        blend=BLEND_ORIGINS,
    )


def gather(
    session: Session, *, at: datetime | None, site: str | None
) -> tuple[Inputs, datetime | None]:
    """Read what a forecast needs from the store: the history to the origin (the day of the
    newest patients census at or before ``at``), its census and the capacity history."""
    require_site(session, site)
    moment = resolve_at(at)
    as_of = latest_census(session, moment, site)
    origin = local_date(as_of) if as_of is not None else local_date(moment)
    # from the first census on: bed days before it hold only the patients it found
    first = first_census(session, site)
    start = origin - timedelta(days=WINDOW_DAYS + 1)
    if first is not None:
        start = min(max(start, local_date(first)), origin)
    history = read_history(session, start, origin, site)
    census = read_census(session, origin, site)
    cap_days = [origin - timedelta(days=i) for i in range(CAPACITY_WINDOW_DAYS, -1, -1)]
    capacity = read_capacity(session, cap_days, as_of or moment)
    return Inputs(origin, history, census, cap_days, capacity), as_of


def require_council(session: Session, local_authority: str | None) -> None:
    """Refuse a council code the store does not know (422 naming the parameter)."""
    if local_authority is not None and session.get(Council, local_authority) is None:
        raise InvalidParameter("local_authority", f"unknown council code '{local_authority}'")


def _band(values: Array) -> Band:
    p10, p50, p90 = (round(float(v), 1) for v in quantiles(values))
    return Band(p10=p10, p50=p50, p90=p90)


def _bands(values: Array) -> list[Band]:
    """One band per day from (S, H)."""
    q = np.round(quantiles(values), 1)
    return [Band(p10=float(a), p50=float(b), p90=float(c)) for a, b, c in q.T]


def _bands_of(named: dict[str, Array]) -> dict[str, list[Band]]:
    """:func:`_bands` of several (S, H) arrays, with one quantile computation for them all."""
    names = list(named)
    q = np.round(quantiles(np.stack([named[n] for n in names], axis=1)), 1)  # (3, N, H)
    return {
        name: [Band(p10=float(a), p50=float(b), p90=float(c)) for a, b, c in q[:, i, :].T]
        for i, name in enumerate(names)
    }


def _groups(
    keys: list[Key], local_authority: str | None
) -> list[tuple[int, str | None, list[int]]]:
    """(pathway, council or None for all, the rows of ``keys`` it sums), all councils first."""
    groups: list[tuple[int, str | None, list[int]]] = []
    for pathway in PATHWAYS:
        rows = [i for i, k in enumerate(keys) if k[1] == pathway]
        groups.append((pathway, None, rows))
    councils = sorted({k[0] for k in keys if k[0] is not None})
    for council in councils:
        if local_authority is not None and council != local_authority:
            continue
        for pathway in PATHWAYS:
            rows = [i for i, k in enumerate(keys) if k == (council, pathway)]
            groups.append((pathway, council, rows))
    return groups


def _summed(values: Array, rows: list[int]) -> Array:
    """(S, H): the runs of ``rows`` added up, run by run."""
    return np.asarray(values[:, rows, :].sum(axis=1), dtype=float)


def _capacity(sim: Simulation, pathway: int, council: str | None) -> Array | None:
    """(S, H) capacity expected for a pathway and council (None: all), or None."""
    if pathway == 0:
        return None
    if pathway == 2:
        key: Key = (SYSTEM, 2)
        if council is not None or key not in sim.capacity_keys:
            return None
        return sim.capacity_expected[:, sim.capacity_keys.index(key), :]
    rows = [
        i
        for i, k in enumerate(sim.capacity_keys)
        if k[1] == pathway and (council is None or k[0] == council)
    ]
    if not rows:
        return None
    return _summed(sim.capacity_expected, rows)


def _census_today(censuses: list[Census], ahead: list[date]) -> CensusToday:
    bands = dict.fromkeys(DELAY_BANDS, 0)
    expected: dict[date, int] = defaultdict(int)
    waiting = days_sum = not_ready = 0
    for census in censuses:
        for waited, n in census.waiting_days.items():
            bands[delay_band(waited)] += n
        waiting += census.waiting
        days_sum += census.days_sum
        not_ready += census.not_yet_ready
        for day, n in census.expected_discharge.items():
            if day <= ahead[-1]:
                expected[day] += n
    return CensusToday(
        nctr_in_hospital=waiting,
        days_waiting=bands,
        mean_days_waiting=round(days_sum / waiting, 1) if waiting else None,
        not_yet_ready=not_ready,
        expected_discharge_dates=dict(sorted(expected.items())),
    )


def _recorded(inputs: Inputs, keys: list[Key]) -> list[RecordedDay]:
    """NCtR in hospital at the end of each recorded day before the origin, ``keys`` summed."""
    history = inputs.history.upto(inputs.origin - timedelta(days=1))
    position = {k: i for i, k in enumerate(history.keys)}
    rows = [position[k] for k in keys if k in position]
    shown = history.days[-HISTORY_SHOWN_DAYS:]
    if not shown:
        return []
    totals = history.remaining[rows, -len(shown) :].sum(axis=0)
    return [
        RecordedDay(day=day, nctr_in_hospital=round(float(n)))
        for day, n in zip(shown, totals, strict=True)
    ]


def _pathway_forecast(
    inputs: Inputs,
    sim: Simulation,
    pathway: int,
    council: str | None,
    rows: list[int],
    names: dict[str, str],
) -> PathwayForecast:
    run = sim.baseline
    waiting = _summed(run.waiting, rows)
    days_sum = _summed(run.days_waiting_sum, rows)
    capacity = _capacity(sim, pathway, council)
    gap = waiting - capacity if capacity is not None else None
    named = {
        "new_nctr": _summed(run.new_nctr, rows),
        "discharges": _summed(run.discharges, rows),
        "nctr_in_hospital": waiting,
        "days_beyond_drd": mean_days(days_sum, waiting),
        "bed_days_lost": np.cumsum(waiting, axis=1),
    }
    if capacity is not None and gap is not None:
        named |= {"capacity": capacity, "gap": gap}
    columns = _bands_of(named)
    capacity_bands = columns.pop("capacity", None)
    gap_bands = columns.pop("gap", None)
    days = [
        ForecastDay(
            day=day,
            horizon=h + 1,
            capacity_expected=capacity_bands[h] if capacity_bands else None,
            gap=gap_bands[h] if gap_bands else None,
            **{name: bands[h] for name, bands in columns.items()},
        )
        for h, day in enumerate(sim.days)
    ]
    worst = None
    if gap_bands:
        worst = max(range(len(gap_bands)), key=lambda h: (gap_bands[h].p50, -h))
    censuses = [inputs.census[sim.keys[i]] for i in rows if sim.keys[i] in inputs.census]
    return PathwayForecast(
        pathway=pathway,
        local_authority=council,
        council_name=names.get(council, council) if council else None,
        today=_census_today(censuses, sim.days),
        history=_recorded(inputs, [sim.keys[i] for i in rows]),
        days=days,
        worst_gap_day=sim.days[worst] if worst is not None else None,
        worst_gap=gap_bands[worst] if gap_bands and worst is not None else None,
    )


def _check_days(days: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidParameter("days", f"{days} is not between 1 and {MAX_DAYS}")


def _keys_for(inputs: Inputs, local_authority: str | None) -> list[Key]:
    keys = inputs.keys()
    if local_authority is None:
        return keys
    return [k for k in keys if k[0] == local_authority]


def build_forecast(
    session: Session,
    *,
    days: int,
    site: str | None,
    local_authority: str | None,
    as_of: datetime | None,
    seed: int,
    sims: int = SIMULATIONS,
) -> Forecast:
    """:func:`app.metrics.forecast.pathway_forecast`."""
    _check_days(days)
    require_council(session, local_authority)
    inputs, census_at = gather(session, at=as_of, site=site)
    return forecast_from(
        inputs,
        census_at=census_at,
        days=days,
        site=site,
        local_authority=local_authority,
        seed=seed,
        sims=sims,
        names=council_names(session),
    )


def forecast_from(
    inputs: Inputs,
    *,
    census_at: datetime | None,
    days: int,
    site: str | None = None,
    local_authority: str | None = None,
    seed: int,
    sims: int = SIMULATIONS,
    names: dict[str, str] | None = None,
) -> Forecast:
    """The forecast of ``inputs`` (pure: the tests give hand-made inputs)."""
    _check_days(days)
    keys = _keys_for(inputs, local_authority)
    if local_authority is not None:
        inputs = Inputs(
            inputs.origin,
            inputs.history,
            inputs.census,
            inputs.capacity_days,
            {k: v for k, v in inputs.capacity.items() if k[0] in (local_authority, SYSTEM)},
        )
    sim = simulate(inputs, days, seed=seed, sims=sims, keys=keys)
    names = names or {}
    return Forecast(
        as_of=census_at,
        origin=inputs.origin,
        days=days,
        site=site,
        local_authority=local_authority,
        history_days=len(inputs.history.days) - 1,
        simulations=sims,
        seed=seed,
        method=_method(seed, sims),
        pathways=[
            _pathway_forecast(inputs, sim, pathway, council, rows, names)
            for pathway, council, rows in _groups(keys, local_authority)
        ],
    )


# --- the what-if -------------------------------------------------------------------------


def capacity_changes(
    request: WhatIfRequest, inputs: Inputs, keys: list[Key], ahead: list[date]
) -> CapacityChanges:
    """The request's changes as arrays over ``keys`` and the days ahead. A change for every
    council is shared among the councils of its pathway in proportion to the discharges each
    made in the history learned from (equally when none did)."""
    k, h = len(keys), len(ahead)
    per_day, once = np.zeros((k, h)), np.zeros((k, h))
    learned = inputs.history.upto(inputs.origin - timedelta(days=1))
    made = {
        key: float(learned.discharged[i, -WINDOW_DAYS:].sum()) for i, key in enumerate(learned.keys)
    }
    for change in request.changes:
        pathway = CHANGE_PATHWAY[change.kind]
        rows = [
            i
            for i, key in enumerate(keys)
            if key[1] == pathway
            and (change.local_authority is None or key[0] == change.local_authority)
        ]
        if not rows:
            continue
        weights = np.array([made.get(keys[i], 0.0) for i in rows])
        weights = (
            weights / weights.sum() if weights.sum() > 0 else np.full(len(rows), 1 / len(rows))
        )
        start = change.from_date or ahead[0]
        first = next((j for j, day in enumerate(ahead) if day >= start), None)
        if first is None:
            continue
        if change.kind == "home_care_starts":
            per_day[rows, first:] += change.amount * weights[:, None]
        else:
            once[rows, first] += change.amount * weights
    return CapacityChanges(per_day, once)


def _what_if_days(run: QueueRun, rows: list[int], ahead: list[date]) -> list[WhatIfDay]:
    waiting = _summed(run.waiting, rows)
    discharges = _bands(_summed(run.discharges, rows))
    waiting_bands = _bands(waiting)
    drd = _bands(mean_days(_summed(run.days_waiting_sum, rows), waiting))
    lost = _bands(np.cumsum(waiting, axis=1))
    return [
        WhatIfDay(
            day=day,
            horizon=h + 1,
            discharges=discharges[h],
            nctr_in_hospital=waiting_bands[h],
            days_beyond_drd=drd[h],
            bed_days_lost=lost[h],
        )
        for h, day in enumerate(ahead)
    ]


def build_what_if(
    session: Session, request: WhatIfRequest, *, seed: int, sims: int = SIMULATIONS
) -> WhatIfResult:
    """:func:`app.metrics.forecast.what_if`."""
    require_council(session, request.local_authority)
    for change in request.changes:
        require_council(session, change.local_authority)
    inputs, census_at = gather(session, at=request.as_of, site=request.site)
    return what_if_from(
        inputs, request, census_at=census_at, seed=seed, sims=sims, names=council_names(session)
    )


def what_if_from(
    inputs: Inputs,
    request: WhatIfRequest,
    *,
    census_at: datetime | None,
    seed: int,
    sims: int = SIMULATIONS,
    names: dict[str, str] | None = None,
) -> WhatIfResult:
    """The what-if of ``inputs`` (pure)."""
    _check_days(request.days)
    keys = _keys_for(inputs, request.local_authority)
    ahead = [inputs.origin + timedelta(days=i) for i in range(1, request.days + 1)]
    changes = capacity_changes(request, inputs, keys, ahead)
    sim = simulate(inputs, request.days, seed=seed, sims=sims, changes=changes, keys=keys)
    assert sim.scenario is not None
    names = names or {}
    pathways = []
    for pathway, council, rows in _groups(keys, request.local_authority):
        lost_base = _summed(sim.baseline.waiting, rows).sum(axis=1)
        lost_scenario = _summed(sim.scenario.waiting, rows).sum(axis=1)
        pathways.append(
            WhatIfPathway(
                pathway=pathway,
                local_authority=council,
                council_name=names.get(council, council) if council else None,
                baseline=_what_if_days(sim.baseline, rows, ahead),
                scenario=_what_if_days(sim.scenario, rows, ahead),
                bed_days_lost_baseline=_band(lost_base),
                bed_days_lost_scenario=_band(lost_scenario),
                bed_days_saved=_band(lost_base - lost_scenario),
            )
        )
    return WhatIfResult(
        as_of=census_at,
        origin=inputs.origin,
        days=request.days,
        request=request,
        simulations=sims,
        seed=seed,
        method=_method(seed, sims)
        + " The scenario adds its capacity to the same runs: a change of 0 is the baseline.",
        pathways=pathways,
    )


# --- the back-test -----------------------------------------------------------------------


def backtest_history(
    history: History,
    *,
    seed: int,
    sims: int = SIMULATIONS,
    horizon: int = MAX_DAYS,
    min_days: int = BACKTEST_MIN_DAYS,
    blend: bool = True,
) -> list[BacktestRow]:
    """Rolling origin over ``history``: from each day with ``min_days`` of history before it,
    forecast NCtR in hospital for each horizon the history can score, per pathway (all
    councils together), against seasonal-naive (the same weekday last week)."""
    keys = history.keys
    totals = (
        np.stack(
            [
                history.remaining[[i for i, k in enumerate(keys) if k[1] == p]].sum(axis=0)
                for p in PATHWAYS
            ]
        )
        if keys
        else np.zeros((len(PATHWAYS), len(history.days)))
    )
    errors: dict[tuple[int, int], list[tuple[float, float, bool, float]]] = defaultdict(list)
    t = len(history.days)
    cache: dict[object, object] = {}  # pseudo-origins' paths: the same for every origin
    for origin_index in range(min_days, t - 1):
        origin = history.days[origin_index]
        steps = min(horizon, t - 1 - origin_index)
        census = {
            key: Census(waiting_days={0: int(history.remaining[i, origin_index])})
            for i, key in enumerate(keys)
        }
        inputs = Inputs(origin, history.upto(origin), census, blend_cache=cache)
        sim = simulate(inputs, steps, seed=seed + origin_index, sims=sims, keys=keys, blend=blend)
        for p_index, pathway in enumerate(PATHWAYS):
            rows = [i for i, k in enumerate(keys) if k[1] == pathway]
            q = quantiles(_summed(sim.baseline.waiting, rows))
            for h in range(1, steps + 1):
                truth = float(totals[p_index, origin_index + h])
                naive = float(seasonal_naive(totals, origin_index, h)[p_index])
                p10, p50, p90 = (float(q[i, h - 1]) for i in range(3))
                errors[(pathway, h)].append(
                    (abs(p50 - truth), abs(naive - truth), p10 <= truth <= p90, truth)
                )
    rows_out = []
    for (pathway, h), scored in sorted(errors.items()):
        n = len(scored)
        mae = sum(s[0] for s in scored) / n
        naive_mae = sum(s[1] for s in scored) / n
        mean_actual = sum(s[3] for s in scored) / n
        rows_out.append(
            BacktestRow(
                pathway=pathway,
                horizon=h,
                origins=n,
                mean_actual=round(mean_actual, 2),
                mae=round(mae, 3),
                mae_pct_of_mean=round(100 * mae / mean_actual, 1) if mean_actual else None,
                naive_mae=round(naive_mae, 3),
                beats_naive=mae < naive_mae,
                coverage_pct=round(100 * sum(s[2] for s in scored) / n, 1),
            )
        )
    return rows_out


def build_backtest(
    session: Session, *, site: str | None, seed: int, sims: int = SIMULATIONS
) -> Backtest:
    """:func:`app.metrics.forecast.backtest`: every complete day of the stored history."""
    require_site(session, site)
    # the history starts with the first census: bed days before it hold only the patients
    # that census found (those admitted earlier), not the days as they were
    first_at, last_at = session.execute(
        select(func.min(PatientCensus.snapshot_at), func.max(PatientCensus.snapshot_at)).where(
            in_site(PatientCensus.site_code, site)
        )
    ).one()
    first = local_date(first_at) if first_at is not None else None
    last = local_date(last_at) if last_at is not None else None
    if first is None or last is None or (last - first).days < BACKTEST_MIN_DAYS + 1:
        return Backtest(
            site=site,
            first_origin=None,
            last_origin=None,
            history_start=first,
            history_end=last,
            simulations=sims,
            seed=seed,
            rows=[],
        )
    end = last - timedelta(days=1)  # the newest day is not over
    history = read_history(session, first, end, site)
    rows = backtest_history(history, seed=seed, sims=sims)
    return Backtest(
        site=site,
        first_origin=first + timedelta(days=BACKTEST_MIN_DAYS),
        last_origin=end - timedelta(days=1),
        history_start=first,
        history_end=end,
        simulations=sims,
        seed=seed,
        rows=rows,
    )
