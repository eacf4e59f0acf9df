"""The delay reason catalogue (DESIGN.md §5), as shipped in its versioned file: codes, labels,
categories, the historic DTOC code, the default agency."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CATALOGUE_FILE = Path(__file__).parent / "data" / "delay_reasons.csv"

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
    catalogue_version: str


@lru_cache
def reason_catalogue() -> dict[str, Reason]:
    """The catalogue as shipped, keyed by code (codes are matched case-insensitively upstream)."""
    with CATALOGUE_FILE.open(newline="", encoding="utf-8") as fh:
        return {row["code"]: Reason(**row) for row in csv.DictReader(fh)}
