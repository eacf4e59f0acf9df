"""OPEL-style escalation levels from configured parameters (DESIGN.md §4.8).

The thresholds and the combination rule live in ``escalation.toml`` next to this file; the
``escalation_config_file`` setting names a local file merged over it. Every parameter is a
ratio (a percentage of the beds or of the demand) or a count that does not grow with size
(feeds), so one set of thresholds serves a 300-bed site, a 1,200-bed site and the system.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.core.config import get_settings
from app.core.config_files import read_with_override
from app.metrics.schemas import Escalation, EscalationParameter

DEFAULT_FILE = Path(__file__).with_name("escalation.toml")
PARAMETERS = (
    "occupancy_pct",
    "nctr_pct_of_occupied",
    "super_stranded_pct_of_occupied",
    "p1_gap_pct_of_demand",
    "p3_gap_pct_of_demand",
    "stale_feeds",
)
Scope = Literal["system", "site"]


class ParameterConfig(BaseModel):
    # an unknown key (e.g. the absolute-count ``system_thresholds`` of older files) is refused
    model_config = ConfigDict(extra="forbid")

    label: str
    #: the few words the wall's one sentence uses (the label when not given)
    short_label: str | None = None
    scope: Literal["all", "system"] = "all"
    thresholds: list[float] = Field(min_length=3, max_length=3)
    enabled: bool = True

    @field_validator("thresholds")
    @classmethod
    def _ascending(cls, value: list[float]) -> list[float]:
        if sorted(value) != value:
            raise ValueError("thresholds must be in ascending order (scores 2, 3, 4)")
        return value


class EscalationConfig(BaseModel):
    note: str
    combination: Literal["highest", "mean"] = "highest"
    parameters: dict[str, ParameterConfig]

    @field_validator("parameters")
    @classmethod
    def _known(cls, value: dict[str, ParameterConfig]) -> dict[str, ParameterConfig]:
        unknown = sorted(set(value) - set(PARAMETERS))
        if unknown:
            raise ValueError(
                f"unknown parameters {', '.join(unknown)}; known: {', '.join(PARAMETERS)}"
            )
        return value


@lru_cache
def load_config(path: Path | None = None) -> EscalationConfig:
    """The shipped defaults, with the file at ``path`` (if any) merged over them."""
    return EscalationConfig.model_validate(read_with_override(DEFAULT_FILE, path))


def get_config() -> EscalationConfig:
    """The configured escalation settings."""
    return load_config(get_settings().escalation_config_file)


def score(value: float | None, thresholds: list[float]) -> int | None:
    """1 below the first threshold, +1 for each threshold reached; None for an unknown value."""
    if value is None:
        return None
    return 1 + sum(value >= t for t in thresholds)


def escalate(
    values: dict[str, float | None], *, scope: Scope, config: EscalationConfig | None = None
) -> Escalation:
    """Score each configured parameter of ``scope`` and combine the scores into a level."""
    config = config or get_config()
    parameters = []
    for name, setting in config.parameters.items():
        if not setting.enabled or (scope == "site" and setting.scope == "system"):
            continue
        thresholds = setting.thresholds
        value = values.get(name)
        parameters.append(
            EscalationParameter(
                name=name,
                label=setting.label,
                value=value,
                score=score(value, thresholds),
                thresholds=thresholds,
            )
        )
    scores = [p.score for p in parameters if p.score is not None]
    if not scores:
        level = 1
    elif config.combination == "mean":
        level = math.floor(sum(scores) / len(scores) + 0.5)
    else:
        level = max(scores)
    worst = max(scores, default=1)
    driver = next((p.name for p in parameters if p.score == worst), None) if worst > 1 else None
    return Escalation(
        level=level,
        parameters=parameters,
        driver=driver if level > 1 else None,
        combination=config.combination,
        note=config.note,
    )


def drivers(escalation: Escalation) -> list[EscalationParameter]:
    """The parameters that set the level: those scoring it (none at level 1). When the level
    is the mean of the scores and none scores it exactly, those above level 1."""
    if escalation.level <= 1:
        return []
    at_level = [p for p in escalation.parameters if p.score == escalation.level]
    return at_level or [p for p in escalation.parameters if (p.score or 1) > 1]


def value_text(value: float | None) -> str:
    """A parameter's value as the sentences write it: one decimal only when it has one."""
    if value is None:
        return "–"
    return f"{value:,.{1 if value % 1 else 0}f}"


def driver_sentence(escalation: Escalation, *, label_end: str = ":") -> str:
    """What set the level, in words, without a closing full stop: ``G&A bed occupancy (%):
    96.4 (level 3)``, each driver joined by ``; `` (``label_end`` follows each label)."""
    chosen = drivers(escalation)
    if not chosen:
        return "every parameter is at level 1 (normal)"
    return "; ".join(
        f"{p.label}{label_end} {value_text(p.value)} (level {p.score})" for p in chosen
    )


def short_label(name: str, label: str, config: EscalationConfig | None = None) -> str:
    """A parameter's short label from the configuration, else its label."""
    setting = (config or get_config()).parameters.get(name)
    return setting.short_label if setting and setting.short_label else label
