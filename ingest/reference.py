"""Reference data kept in versioned files: the delay reason catalogue (DESIGN.md §5)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import DelayReason

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


def sync_reason_catalogue(session: Session) -> int:
    """Make the ``delay_reasons`` table equal the catalogue file; returns rows written."""
    existing = {r.code: r for r in session.scalars(select(DelayReason))}
    written = 0
    for reason in reason_catalogue().values():
        row = existing.get(reason.code)
        if row is None:
            session.add(DelayReason(**reason.__dict__))
            written += 1
        elif any(getattr(row, k) != v for k, v in reason.__dict__.items()):
            for k, v in reason.__dict__.items():
                setattr(row, k, v)
            written += 1
    session.flush()
    return written
