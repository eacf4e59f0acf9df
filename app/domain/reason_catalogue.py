"""The delay reason catalogue (DESIGN.md §5), as shipped in its versioned file: codes, labels,
categories, the historic DTOC code, the default agency."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).parent / "data" / "delay_reasons.csv"


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    category: str
    dtoc_code: str
    default_agency: str
    catalogue_version: str


@lru_cache
def reason_catalogue() -> dict[str, Reason]:
    """The catalogue as shipped, keyed by code (codes are matched case-insensitively upstream)."""
    with CATALOGUE_FILE.open(newline="", encoding="utf-8") as fh:
        return {row["code"]: Reason(**row) for row in csv.DictReader(fh)}
