"""The forecast's response models (DESIGN.md §4.12): the next days per pathway and council with
P10 / P50 / P90 bands, today's census they start from, the back-test, and the what-if.

The field names are a contract (the API, the pages and the reports read them). Every forecast
carries ``label="Forecast"`` and its bands: a page shows both, never a forecast drawn as a fact.
Dates are Europe/London days; timestamps are aware UTC.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

#: the discharge pathways forecast (DESIGN.md §2)
Pathway = Literal[0, 1, 2, 3]
#: the capacity a what-if changes: P1 home-care starts a day, P2 community beds, P3 care-home
#: vacancies accepting admissions
CapacityKind = Literal["home_care_starts", "community_beds", "care_home_vacancies"]
#: the furthest day ahead a forecast reaches
MAX_DAYS = 10
FORECAST_LABEL: Literal["Forecast"] = "Forecast"


class Band(BaseModel):
    """A forecast quantity as quantiles of the simulated days: 80 % of them fall in P10–P90."""

    p10: float
    p50: float
    p90: float


class ForecastDay(BaseModel):
    """One day ahead (D+``horizon``) for one pathway and council (or all of them)."""

    day: date
    horizon: int = Field(description="days after the origin: 1 is tomorrow")
    new_nctr: Band = Field(description="patients who become NCtR (no criteria to reside) that day")
    discharges: Band = Field(description="NCtR patients discharged that day")
    nctr_in_hospital: Band = Field(
        description="NCtR patients still in hospital at the end of the day: the queue waiting"
    )
    capacity_expected: Band | None = Field(
        description="capacity out of hospital expected that day, from the capacity feeds' "
        "history (P1 home-care packages startable in the next 7 days, P2 community beds free, "
        "P3 care-home vacancies accepting admissions); None for pathway 0 or where the feeds "
        "do not give it (P2 by council)"
    )
    gap: Band | None = Field(
        description="NCtR in hospital minus the capacity expected (§4.7): positive means "
        "more patients waiting than places; None where there is no capacity"
    )
    days_beyond_drd: Band = Field(
        description="mean days beyond the discharge ready date of those waiting at day's end"
    )
    bed_days_lost: Band = Field(
        description="delayed days (bed days lost) from D+1 to this day, cumulative"
    )


class CensusToday(BaseModel):
    """What the forecast starts from: today's census of one pathway and council."""

    nctr_in_hospital: int = Field(description="patients NCtR and in hospital now")
    days_waiting: dict[str, int] = Field(
        description="those patients by days beyond DRD, in the delay bands of §4.4"
    )
    mean_days_waiting: float | None = Field(description="their mean days beyond DRD")
    not_yet_ready: int = Field(description="patients in hospital on this pathway, not yet NCtR")
    expected_discharge_dates: dict[date, int] = Field(
        description="patients not yet ready by expected discharge date, within the forecast "
        "days (earlier dates are counted on the origin)"
    )


class RecordedDay(BaseModel):
    """A day already over, as the store recorded it: not a forecast."""

    day: date
    nctr_in_hospital: int = Field(description="NCtR patients in hospital at the day's end")


class PathwayForecast(BaseModel):
    """The next days of one pathway, for one council or (``local_authority`` None) all of the
    scope's councils together."""

    pathway: Pathway
    local_authority: str | None = Field(description="ONS council code; None: all councils")
    council_name: str | None = None
    today: CensusToday
    history: list[RecordedDay] = Field(
        default_factory=list,
        description="the recorded days before the origin (the newest "
        "28 at most), NCtR in hospital at each day's end for this pathway and council: what "
        "the forecast learned from, to draw beside it",
    )
    days: list[ForecastDay]
    worst_gap_day: date | None = Field(
        description="the day whose P50 gap is the largest (None without capacity)"
    )
    worst_gap: Band | None = Field(description="the gap on that day")


class Forecast(BaseModel):
    """The next ``days`` days per pathway and council, from the store's history only."""

    label: Literal["Forecast"] = FORECAST_LABEL
    as_of: datetime | None = Field(description="the newest patients census the forecast uses")
    origin: date = Field(description="the day the forecast starts from (D); D+1 is the first")
    days: int = Field(description="days forecast, 1–10")
    site: str | None = Field(description="the site forecast; None: the whole system")
    local_authority: str | None = Field(description="the council asked for; None: all")
    history_days: int = Field(description="days of stored history the model learned from")
    simulations: int = Field(description="Monte Carlo runs behind each band")
    seed: int
    method: str = Field(description="how the numbers were made, in words")
    pathways: list[PathwayForecast] = Field(
        description="every pathway 0–3 for all councils together (local_authority None) "
        "and, council by council, each pathway of each council"
    )


# --- the back-test -------------------------------------------------------------------------


class BacktestRow(BaseModel):
    """How the forecast of NCtR in hospital did at one horizon, for one pathway (the scope's
    councils together), over every rolling origin."""

    pathway: Pathway
    horizon: int
    origins: int = Field(description="forecasts scored")
    mean_actual: float = Field(description="the mean of the true values scored")
    mae: float = Field(description="mean absolute error of the P50")
    mae_pct_of_mean: float | None = Field(description="mae ÷ mean_actual × 100")
    naive_mae: float = Field(description="MAE of seasonal-naive: the same weekday last week")
    beats_naive: bool = Field(description="mae < naive_mae")
    coverage_pct: float = Field(description="share of true values within P10–P90, %")


class Backtest(BaseModel):
    """The rolling-origin back-test of the forecast over the stored history."""

    label: Literal["Forecast back-test"] = "Forecast back-test"
    site: str | None
    first_origin: date | None
    last_origin: date | None
    history_start: date | None
    history_end: date | None
    simulations: int
    seed: int
    rows: list[BacktestRow]


# --- the what-if ---------------------------------------------------------------------------


class CapacityChange(BaseModel):
    """One change to capacity out of hospital, from ``from_date`` on."""

    kind: CapacityKind = Field(
        description="home_care_starts: N more P1 home-care starts every day; community_beds: "
        "N more P2 community beds free (each takes one patient); care_home_vacancies: N more "
        "P3 care-home vacancies accepting admissions (each takes one patient)"
    )
    amount: int = Field(ge=-1000, le=1000, description="N (negative: less capacity)")
    from_date: date | None = Field(None, description="first day it applies; default D+1")
    local_authority: str | None = Field(
        None, max_length=9, description="the council whose capacity changes; None: every one"
    )


class WhatIfRequest(BaseModel):
    """A scenario: capacity changes, for the scope and days asked."""

    days: int = Field(MAX_DAYS, ge=1, le=MAX_DAYS, description="days ahead, 1–10")
    site: str | None = Field(None, max_length=12, description="ODS site code; None: system")
    local_authority: str | None = Field(None, max_length=9, description="ONS council code")
    as_of: datetime | None = Field(None, description="forecast from this moment; default now")
    changes: list[CapacityChange] = Field(default_factory=list, max_length=20)


class WhatIfDay(BaseModel):
    """One day of a queue under the baseline or the scenario."""

    day: date
    horizon: int
    discharges: Band
    nctr_in_hospital: Band = Field(description="the queue waiting at the day's end")
    days_beyond_drd: Band
    bed_days_lost: Band = Field(description="cumulative delayed days from D+1 to this day")


class WhatIfPathway(BaseModel):
    """Baseline and scenario side by side for one pathway and council (None: all)."""

    pathway: Pathway
    local_authority: str | None
    council_name: str | None = None
    baseline: list[WhatIfDay]
    scenario: list[WhatIfDay]
    bed_days_lost_baseline: Band = Field(description="over all the days forecast")
    bed_days_lost_scenario: Band
    bed_days_saved: Band = Field(
        description="baseline minus scenario, run by run (the same random draws for both)"
    )


class WhatIfResult(BaseModel):
    """The queue a capacity change gives, beside the baseline, with bands."""

    label: Literal["Forecast"] = FORECAST_LABEL
    as_of: datetime | None
    origin: date
    days: int
    request: WhatIfRequest
    simulations: int
    seed: int
    method: str
    pathways: list[WhatIfPathway]
