"""The four feed contracts (DESIGN.md §3) and the checks of a row against them.

``parsers`` the value parsers and the batch's :class:`ValidationContext`; ``rows`` the row
models and their rules; ``columns`` the column tables read off the models (docs/feeds.md);
``problems`` the messages a person acts on; ``fast_path`` :func:`validate_row`.
"""

from ingest.contracts.columns import FEED_COLUMNS, FEED_SPECS, HEADER_COLUMNS, ColumnSpec
from ingest.contracts.fast_path import validate_row
from ingest.contracts.parsers import ValidationContext
from ingest.contracts.problems import Problem, RowOutcome, display_value, mask_nhs_number, problem
from ingest.contracts.rows import (
    FEED_MODELS,
    BedRow,
    CareHomeRow,
    DomiciliaryRow,
    FeedRow,
    PatientRecord,
    PatientRow,
    PatientValues,
)

__all__ = [
    "FEED_COLUMNS",
    "FEED_MODELS",
    "FEED_SPECS",
    "HEADER_COLUMNS",
    "BedRow",
    "CareHomeRow",
    "ColumnSpec",
    "DomiciliaryRow",
    "FeedRow",
    "PatientRecord",
    "PatientRow",
    "PatientValues",
    "Problem",
    "RowOutcome",
    "ValidationContext",
    "display_value",
    "mask_nhs_number",
    "problem",
    "validate_row",
]
