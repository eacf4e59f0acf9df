"""Shipped TOML settings files with a local file merged over them (escalation thresholds,
trigger rules, the HICM mapping): one reader, so every such file behaves the same way."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

Merge = Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """``override`` over ``base``: tables merge key by key, any other value replaces."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def read_with_override(
    shipped: Path, local: Path | None, merge: Merge = deep_merge
) -> dict[str, Any]:
    """The shipped file's data, with the local file's (if any) merged over it by ``merge``."""
    with shipped.open("rb") as fh:
        data = tomllib.load(fh)
    if local is not None:
        with local.open("rb") as fh:
            data = merge(data, tomllib.load(fh))
    return data
