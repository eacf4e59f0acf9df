"""The delay reason catalogue (DESIGN.md §5), as shipped in its versioned file: codes, labels,
categories, the historic DTOC code, the default agency, and whether the delay is *internal* —
within the hospital's own control — with why (the ``internal_why`` column).

The catalogue is versioned: every row carries the ``catalogue_version`` of the file it was last
changed in, and a change of a code's ``internal`` flag is a new version (the store refuses a flag
changed under the version it already holds, :func:`ingest.reference.sync_reason_catalogue`).
Version history: ``2024.1`` the first catalogue; ``2025.1`` adds ``internal`` and
``internal_why`` (NHS England's 2025/26 ask on internal delays over 48 hours, §4.11).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).parent / "data" / "delay_reasons.csv"
_FLAGS = {"true": True, "false": False}


class CatalogueError(ValueError):
    """The catalogue file, or a change to it, breaks a rule of DESIGN.md §5."""


#: the catalogue's categories (§5) in the words a person reads; current and historic DTOC codes
#: for the same thing share a category, so a table by category rolls them up
CATEGORY_LABELS = {
    "awaiting_assessment": "Awaiting assessment",
    "awaiting_p1_home_care": "Awaiting home care (pathway 1)",
    "awaiting_p2_bed": "Awaiting a rehabilitation bed (pathway 2)",
    "awaiting_p3_care_home": "Awaiting a care home (pathway 3)",
    "equipment_adaptations": "Equipment or adaptations",
    "housing_homelessness": "Housing or homelessness",
    "patient_family_choice": "Patient or family choice",
    "dispute": "Dispute",
    "medical_diagnostics": "Medical decision or diagnostics",
    "transport": "Transport",
    "medicines": "Medicines",
    "safeguarding_legal": "Safeguarding or legal",
    "infection_control": "Infection control",
    "other": "Other",
}


def category_label(category: str | None) -> str:
    """A category's words (the slug itself, made readable, for one the list does not know)."""
    if not category:
        return "Not recorded"
    return CATEGORY_LABELS.get(category, category.replace("_", " ").capitalize())


@dataclass(frozen=True)
class Reason:
    code: str
    label: str
    category: str
    dtoc_code: str
    default_agency: str
    #: within the hospital's own control (§5): counts towards "internal delay over 48 hours"
    internal: bool
    #: why the code is internal or external, in a sentence
    internal_why: str
    catalogue_version: str


def _reason(row: dict[str, str]) -> Reason:
    flag = row["internal"].strip().lower()
    if flag not in _FLAGS:
        raise CatalogueError(f"{row['code']}: internal must be true or false")
    if not row["internal_why"].strip():
        raise CatalogueError(f"{row['code']}: internal_why must say why")
    return Reason(**{**row, "internal": _FLAGS[flag]})  # type: ignore[arg-type]


@lru_cache
def reason_catalogue() -> dict[str, Reason]:
    """The catalogue as shipped, keyed by code (codes are matched case-insensitively upstream)."""
    with CATALOGUE_FILE.open(newline="", encoding="utf-8") as fh:
        return {row["code"]: _reason(row) for row in csv.DictReader(fh)}


def internal_codes() -> frozenset[str]:
    """The codes of the shipped catalogue whose delays are internal."""
    return frozenset(code for code, reason in reason_catalogue().items() if reason.internal)
