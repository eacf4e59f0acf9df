"""Local targets by discharge pathway (DESIGN.md §4.11): each target's weekly series among the
week's discharges on its pathway, as an XmR chart judged against the target (the Making Data
Count assurance icon: pass, fail or hit and miss).

The targets live in ``pathway_targets.toml`` next to this file; the
``pathway_targets_file`` setting names a local file whose targets replace them.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.metrics import spc, trends
from app.metrics import weekly as weekly_series
from app.metrics.errors import InvalidParameter
from app.metrics.queries import require_site
from app.metrics.ratios import pct
from app.metrics.schemas import MetricInfo, WeeklyTrend
from app.metrics.timebase import week_ends, yesterday
from models import Spell

DEFAULT_FILE = Path(__file__).with_name("pathway_targets.toml")
Measure = Literal["mean_delay_days", "pct_within_1_day"]
Comparison = Literal["at_most", "at_least"]
PATHWAY_WORDS = {
    0: "home, no new support",
    1: "home with support",
    2: "rehabilitation or community bed",
    3: "care home",
}

_MEASURE_WORDS: dict[str, tuple[str, str, str]] = {  # label, unit, definition
    "mean_delay_days": (
        "mean delay from discharge ready to discharge",
        "days",
        "Mean days from the discharge ready date in force at discharge to the discharge date, "
        "over the week's discharges on pathway {p} (a discharge on its DRD or without one "
        "counts 0).",
    ),
    "pct_within_1_day": (
        "discharged within one day of being ready",
        "%",
        "Of the week's discharges on pathway {p}, the percentage discharged on the discharge "
        "ready date in force at discharge or the day after (without a DRD: on the day).",
    ),
}


class PathwayTarget(BaseModel):
    slug: str = Field(pattern=r"^[a-z0-9_]{1,40}$")
    measure: Measure
    pathway: int = Field(ge=0, le=3)
    comparison: Comparison
    value: float

    @model_validator(mode="after")
    def _percent_in_range(self) -> PathwayTarget:
        if self.measure == "pct_within_1_day" and not 0 <= self.value <= 100:
            raise ValueError(f"{self.slug}: a percentage target must be within 0–100")
        if self.measure == "mean_delay_days" and self.value < 0:
            raise ValueError(f"{self.slug}: a mean delay target cannot be negative")
        return self

    def info(self) -> MetricInfo:
        label, unit, definition = _MEASURE_WORDS[self.measure]
        sign = "≤" if self.comparison == "at_most" else "≥"
        shown = f"{self.value:g}{'%' if unit == '%' else ' ' + unit}"
        return MetricInfo(
            slug=f"pathway_target_{self.slug}",
            label=f"Pathway {self.pathway} ({PATHWAY_WORDS[self.pathway]}): {label}",
            unit=unit,
            direction="decrease" if self.comparison == "at_most" else "increase",
            definition=definition.format(p=self.pathway)
            + f" Local target: {sign} {shown} (set by the system, not a national standard).",
            target=self.value,
        )


class PathwayTargets(BaseModel):
    targets: list[PathwayTarget] = []

    @model_validator(mode="after")
    def _unique(self) -> PathwayTargets:
        slugs = [t.slug for t in self.targets]
        if len(set(slugs)) != len(slugs):
            raise ValueError("each target needs its own slug")
        return self


@lru_cache
def load_targets(path: Path | None = None) -> PathwayTargets:
    """The targets of the file at ``path``, or the shipped defaults."""
    with (path or DEFAULT_FILE).open("rb") as fh:
        return PathwayTargets.model_validate(tomllib.load(fh))


def configured_targets() -> PathwayTargets:
    return load_targets(get_settings().pathway_targets_file)


def discharge_delays(
    session: Session, start: date, end: date, site: str | None
) -> list[tuple[date, int | None, int]]:
    """(discharge date, pathway at discharge, days from the DRD in force at discharge — 0
    without one) of each discharge from ``start`` to ``end``."""
    query = select(Spell.discharge_date, Spell.pathway_at_discharge, Spell.drd_at_discharge).where(
        Spell.discharge_date.is_not(None), Spell.discharge_date.between(start, end)
    )
    if site is not None:
        query = query.where(Spell.site_code == site)
    return [
        (discharged, pathway, max((discharged - drd).days, 0) if drd else 0)
        for discharged, pathway, drd in session.execute(query)
        if discharged is not None
    ]


def weekly_values(
    target: PathwayTarget, delays: Sequence[tuple[date, int | None, int]], sundays: list[date]
) -> list[float | None]:
    """The target's measure per week; a week without a discharge on the pathway has none."""
    by_week: dict[date, list[int]] = {sunday: [] for sunday in sundays}
    for discharged, pathway, delay in delays:
        sunday = discharged + timedelta(days=6 - discharged.weekday())
        if pathway == target.pathway and sunday in by_week:
            by_week[sunday].append(delay)
    values: list[float | None] = []
    for week in by_week.values():
        if not week:
            values.append(None)
        elif target.measure == "mean_delay_days":
            values.append(math.fsum(week) / len(week))
        else:
            values.append(pct(sum(1 for d in week if d <= 1), len(week)))
    return values


def weekly(
    session: Session, *, weeks: int = 26, site: str | None = None, end: date | None = None
) -> list[WeeklyTrend]:
    """Each configured target's ``weeks`` weekly points up to the week ending on the Sunday on
    or before ``end``, as an XmR chart with its variation and assurance icons."""
    if not 1 <= weeks <= trends.MAX_WEEKS:
        raise InvalidParameter("weeks", f"must be between 1 and {trends.MAX_WEEKS}")
    site_row = require_site(session, site)
    code = site_row.site_code if site_row else None
    sundays = week_ends(weeks, end or yesterday())
    delays = discharge_delays(session, sundays[0] - timedelta(days=6), sundays[-1], code)
    result = []
    for target in configured_targets().targets:
        info = target.info()
        value_range: spc.ValueRange = (0.0, 100.0) if info.unit == "%" else (0.0, None)
        result.append(
            trends.chart_trend(
                info,
                sundays,
                weekly_series.mask_before_patients(
                    session, weekly_values(target, delays, sundays), sundays
                ),
                site=code,
                value_range=value_range,
            )
        )
    return result
