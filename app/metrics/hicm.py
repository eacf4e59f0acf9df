"""The High Impact Change Model tied to the data: which registry measures evidence each of the
nine changes (configuration: ``hicm.toml`` beside this file, reasoning in ``docs/hicm.md``) and
each measure's latest weekly value with its Making Data Count icons. The numbers are the
registry's weekly series through ``app.metrics.trends`` — nothing is computed twice."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from app.core.config import get_settings
from app.core.config_files import read_with_override
from app.domain.hicm import CHANGE_NUMBERS, CHANGES, change_name
from app.metrics import trends
from app.metrics.registry import METRICS
from app.metrics.schemas import Direction
from app.metrics.timebase import week_ends, yesterday

DEFAULT_FILE = Path(__file__).with_name("hicm.toml")


class EvidenceLink(BaseModel):
    label: str = Field(min_length=1, max_length=120)
    href: str = Field(pattern=r"^/[A-Za-z0-9/_\-?=&.]*$")  # a Homeward page, never off-site


class ChangeConfig(BaseModel):
    number: int = Field(ge=1, le=9)
    measures: list[str] = Field(default_factory=list)
    links: list[EvidenceLink] = Field(default_factory=list)

    @field_validator("measures")
    @classmethod
    def _in_registry(cls, value: list[str]) -> list[str]:
        unknown = [slug for slug in value if slug not in METRICS]
        if unknown:
            raise ValueError(f"not in the metric registry: {', '.join(unknown)}")
        return value


class HicmConfig(BaseModel):
    weeks: int = Field(default=26, ge=2, le=104)
    change: list[ChangeConfig]

    @model_validator(mode="after")
    def _each_change_once(self) -> HicmConfig:
        numbers = sorted(c.number for c in self.change)
        if numbers != sorted(CHANGE_NUMBERS):
            raise ValueError(f"every change 1–9 exactly once; got {numbers}")
        return self

    def measures_of(self, number: int) -> list[str]:
        return next(c.measures for c in self.change if c.number == number)


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    if "weeks" in override:
        merged["weeks"] = override["weeks"]
    local = {c["number"]: c for c in override.get("change", [])}
    shipped = {c["number"] for c in base["change"]}
    # a change the model does not have is kept, so that validation refuses it by name
    merged["change"] = [local.get(c["number"], c) for c in base["change"]] + [
        c for number, c in local.items() if number not in shipped
    ]
    return merged


@lru_cache
def load_config(path: Path | None = None) -> HicmConfig:
    """The shipped mapping, with the changes of the file at ``path`` (if any) replacing theirs."""
    return HicmConfig.model_validate(read_with_override(DEFAULT_FILE, path, _merge))


def get_config() -> HicmConfig:
    """The configured mapping."""
    return load_config(get_settings().hicm_config_file)


class Evidence(BaseModel):
    """One measure's latest weekly value and its icons, as shown beside a change."""

    slug: str
    label: str
    unit: str
    direction: Direction
    week_ending: date | None  # the latest week with a value
    value: float | None
    mean: float | None
    variation_icon: str
    assurance_icon: str
    provisional: bool


class ChangeEvidence(BaseModel):
    number: int
    name: str
    measures: list[Evidence]
    links: list[EvidenceLink]


class HicmEvidence(BaseModel):
    end: date  # the last week's Sunday
    weeks: int
    changes: list[ChangeEvidence]


def measure_evidence(
    session: Session, slug: str, *, weeks: int, end: date | None = None
) -> Evidence:
    """A registry measure's latest weekly value, with the variation and assurance icons of its
    XmR chart over ``weeks`` weeks (DESIGN.md §4.10)."""
    trend = trends.weekly(session, metric=slug, weeks=weeks, end=end)
    latest = next((p for p in reversed(trend.points) if p.value is not None), None)
    return Evidence(
        slug=slug,
        label=trend.metric.label,
        unit=trend.metric.unit,
        direction=trend.metric.direction,
        week_ending=latest.week_ending if latest else None,
        value=latest.value if latest else None,
        mean=trend.mean,
        variation_icon=trend.variation_icon,
        assurance_icon=trend.assurance_icon,
        provisional=trend.provisional,
    )


def evidence(
    session: Session, *, end: date | None = None, config: HicmConfig | None = None
) -> HicmEvidence:
    """Every change with its measures' latest values and icons (each measure computed once,
    however many changes it evidences)."""
    config = config or get_config()
    found: dict[str, Evidence] = {}
    changes = []
    for change in CHANGES:
        entry = next(c for c in config.change if c.number == change.number)
        for slug in entry.measures:
            if slug not in found:
                found[slug] = measure_evidence(session, slug, weeks=config.weeks, end=end)
        changes.append(
            ChangeEvidence(
                number=change.number,
                name=change_name(change.number),
                measures=[found[slug] for slug in entry.measures],
                links=entry.links,
            )
        )
    return HicmEvidence(
        end=week_ends(1, end or yesterday())[-1], weeks=config.weeks, changes=changes
    )
