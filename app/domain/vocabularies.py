"""The vocabularies of the feeds and the metrics (DESIGN.md §2, §3): bed bases, care types,
admission methods, pathways, agencies, Red2Green statuses, discharge destinations.

Bed bases and agencies are also CHECK constraints of the schema, so ``models`` holds them."""

from models.reference import AGENCIES, BED_BASES

__all__ = [
    "ADMISSION_METHODS",
    "AGENCIES",
    "BED_BASES",
    "CARE_TYPES",
    "DAY_STATUSES",
    "DISCHARGE_DESTINATIONS",
    "PATHWAYS",
]

CARE_TYPES = ("residential", "nursing", "residential_dementia", "nursing_dementia")
ADMISSION_METHODS = ("emergency", "elective")
PATHWAYS = ("0", "1", "2", "3")
DAY_STATUSES = ("red", "green")
DISCHARGE_DESTINATIONS = (
    "usual_residence",
    "care_home",
    "community_bed",
    "hospice",
    "other_hospital",
    "died",
    "other",
)
