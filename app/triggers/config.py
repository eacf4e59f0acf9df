"""The triggers' configuration: ``triggers.toml`` beside this file, with the file named by the
``triggers_config_file`` setting merged over it (as ``app/metrics/escalation.toml`` is)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from app.core.config import get_settings
from app.core.config_files import read_with_override

DEFAULT_FILE = Path(__file__).with_name("triggers.toml")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Channel(_Strict):
    """Where a notice goes: e-mail addresses (through the SMTP settings) and apprise URLs."""

    email: list[str] = []
    urls: list[str] = []


class RaisedAction(_Strict):
    """The action a rule raises for an owning organisation when it fires."""

    organisation_kind: Literal["trust", "council", "provider"]
    organisation_code: str = Field(min_length=1, max_length=40)
    owner: str = Field(min_length=1, max_length=150)
    due_in_days: int = Field(default=1, ge=0, le=365)


class Rule(BaseModel):
    """A rule: its kind, the channels it notifies, the action it raises; the kind's own
    options (``level``, ``metrics``, ``states`` …) are the other keys, checked by the kind."""

    model_config = ConfigDict(extra="allow")

    name: str = ""
    kind: str
    enabled: bool = True
    channels: list[str] = []
    action: RaisedAction | None = None

    @property
    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class TriggersConfig(_Strict):
    enabled: bool = True
    evaluate_every_minutes: int = Field(default=5, ge=1, le=24 * 60)
    chase_from_hour: int = Field(default=8, ge=0, le=23)
    retry_minutes: int = Field(default=10, ge=1, le=24 * 60)
    max_attempts: int = Field(default=6, ge=1, le=100)
    rules: dict[str, Rule] = {}
    channels: dict[str, Channel] = {}
    contacts: dict[str, Channel] = {}

    @model_validator(mode="after")
    def _check(self) -> TriggersConfig:
        from app.triggers.kinds import check_options  # the kinds validate their own options

        for name, rule in self.rules.items():
            rule.name = name
            check_options(rule)
            unknown = sorted(set(rule.channels) - set(self.channels))
            if unknown:
                raise ValueError(
                    f"rule {name!r} notifies unknown channels {', '.join(unknown)}; "
                    f"configured: {', '.join(self.channels) or 'none'}"
                )
        return self


@lru_cache
def load_config(path: Path | None = None) -> TriggersConfig:
    """The shipped defaults, with the file at ``path`` (if any) merged over them."""
    return TriggersConfig.model_validate(read_with_override(DEFAULT_FILE, path))


def get_config() -> TriggersConfig:
    """The configured triggers."""
    return load_config(get_settings().triggers_config_file)
