"""Feed configuration: expected intervals and HTTP pull sources (``app/core/data/feeds.toml``)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, HttpUrl

from app.core.config import get_settings

DEFAULT_FILE = Path(__file__).parent / "data" / "feeds.toml"
FeedName = Literal["beds", "care_homes", "domiciliary", "patients"]


class FeedSettings(BaseModel):
    label: str
    expected_interval_minutes: int = Field(gt=0)


class HttpSource(BaseModel):
    name: str
    feed: FeedName
    url: HttpUrl
    format: Literal["csv", "json"] = "csv"
    layout: str | None = None
    interval_minutes: float = Field(default=60, gt=0)
    expected_interval_minutes: int | None = Field(default=None, gt=0)
    timeout_seconds: float = Field(default=30, gt=0)
    retries: int = Field(default=3, ge=0, le=10)
    backoff_seconds: float = Field(default=2.0, ge=0)
    headers: dict[str, str] = {}


class FolderSettings(BaseModel):
    scan_interval_seconds: float = Field(default=15, gt=0)


class FeedConfig(BaseModel):
    feeds: dict[FeedName, FeedSettings]
    folders: FolderSettings = FolderSettings()
    http_sources: list[HttpSource] = []


def read_feed_config(path: Path) -> FeedConfig:
    with path.open("rb") as fh:
        return FeedConfig.model_validate(tomllib.load(fh))


@lru_cache
def get_feed_config() -> FeedConfig:
    """The configured feed settings (the shipped defaults unless a file is configured)."""
    path = get_settings().feed_config_file or DEFAULT_FILE
    return read_feed_config(path)
