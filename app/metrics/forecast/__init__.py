"""The next ten days (DESIGN.md §4.12): per pathway 0–3 and council, new NCtR patients,
discharges and NCtR in hospital at each day's end as P10 / P50 / P90, the capacity expected
and the queue that results — from the store's history only — with its back-test and what-if.

The public functions (the pages and the API call these, through ``app.metrics.cache``):

- :func:`pathway_forecast` — the forecast of D+1…D+``days``;
- :func:`what_if` — a capacity change beside the baseline, with the same random draws;
- :func:`backtest` — the rolling-origin back-test against seasonal-naive.

How: see ``docs/forecast.md``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.metrics.forecast import build
from app.metrics.forecast.schemas import (
    MAX_DAYS,
    Backtest,
    Forecast,
    WhatIfRequest,
    WhatIfResult,
)

__all__ = ["DEFAULT_SEED", "MAX_DAYS", "backtest", "pathway_forecast", "what_if"]

#: the seed of the Monte Carlo runs: the same store gives the same bands
DEFAULT_SEED = 20261204


def pathway_forecast(
    session: Session,
    *,
    days: int = MAX_DAYS,
    site: str | None = None,
    local_authority: str | None = None,
    as_of: datetime | None = None,
    seed: int = DEFAULT_SEED,
) -> Forecast:
    """The next ``days`` days (1–10) per pathway and council, from the census in force at
    ``as_of`` (default: now)."""
    return build.build_forecast(
        session, days=days, site=site, local_authority=local_authority, as_of=as_of, seed=seed
    )


def what_if(
    session: Session,
    request: WhatIfRequest | Mapping[str, Any],
    *,
    seed: int = DEFAULT_SEED,
) -> WhatIfResult:
    """The queue and bed days lost under ``request``'s capacity changes, beside the baseline
    (``request`` may be its JSON form: the cache keys on that)."""
    if not isinstance(request, WhatIfRequest):
        request = WhatIfRequest.model_validate(request)
    return build.build_what_if(session, request, seed=seed)


def backtest(session: Session, *, site: str | None = None, seed: int = DEFAULT_SEED) -> Backtest:
    """Rolling-origin back-test of NCtR in hospital per pathway and horizon 1–10."""
    return build.build_backtest(session, site=site, seed=seed)
