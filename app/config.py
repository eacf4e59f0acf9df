"""Settings, read from the environment (prefix ``HOMEWARD_``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_SECRET = "homeward-demo-secret-change-me"
DEMO_PSEUDONYM_KEY = "homeward-demo-pseudonym-key-change-me"


class Settings(BaseSettings):
    """Everything Homeward can be configured with."""

    model_config = SettingsConfigDict(env_prefix="HOMEWARD_", env_file=".env", extra="ignore")

    environment: Literal["demo", "production"] = "demo"
    database_url: str = "sqlite:///./homeward.db"
    timezone: str = "Europe/London"
    feeds_dir: Path = Path("var/feeds")
    demo_dir: Path = Path("var/demo")
    run_scheduler: bool = False
    simulator: bool = False
    simulator_interval_seconds: int = Field(default=60, ge=5)
    scheduler_lock_dir: Path = Path("var/locks")
    pseudonym_key: str = DEMO_PSEUDONYM_KEY
    secret_key: str = DEMO_SECRET
    future_tolerance_minutes: int = Field(default=15, ge=0)
    feed_config_file: Path | None = None
    escalation_config_file: Path | None = None
    enable_docs: bool = True
    host: str = "127.0.0.1"
    port: int = 8050

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment == "production":
            weak = [
                name
                for name, value, default in (
                    ("HOMEWARD_SECRET_KEY", self.secret_key, DEMO_SECRET),
                    ("HOMEWARD_PSEUDONYM_KEY", self.pseudonym_key, DEMO_PSEUDONYM_KEY),
                )
                if value == default or len(value) < 32
            ]
            if weak:
                raise ValueError(
                    "production refuses default or short (<32 characters) secrets: set "
                    + ", ".join(weak)
                )
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (cached; tests call ``get_settings.cache_clear()``)."""
    return Settings()
