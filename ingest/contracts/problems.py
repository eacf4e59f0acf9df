"""What is wrong with a row, in words a person can act on, and the values shown with it.

A problem's message comes from :mod:`ingest.reasons`, filled in with the column's
description and example from its contract; a received value is shown shortened, and an NHS
number masked, wherever it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.domain import nhs_number
from ingest.contracts.columns import spec_of
from ingest.contracts.rows import FeedRow
from ingest.contracts.text import escape_unclean
from ingest.reasons import REASONS, reason_message


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong (or worth a warning) with a row, in words a person can act on."""

    code: str
    column: str | None
    value: str | None
    message: str


@dataclass(slots=True)
class RowOutcome:
    row: FeedRow | None
    rejections: list[Problem]
    warnings: list[Problem]


def mask_nhs_number(value: Any) -> str:
    """An NHS number shown without the digits that identify: ``999 *** ****``."""
    text = nhs_number.normalise(str(value or "")).strip()
    return f"{text[:3]} *** ****" if len(text) >= 4 else "***"


def display_value(feed: str, column: str | None, value: Any) -> str | None:
    """A received value as shown in a message or the quarantine list (masked, shortened)."""
    if value is None:
        return None
    if column == "nhs_number":
        return mask_nhs_number(value)
    text = escape_unclean(value if isinstance(value, str) else str(value))
    return text if len(text) <= 80 else text[:77] + "..."


def problem(feed: str, code: str, column: str | None, value: Any, **context: Any) -> Problem:
    """A :class:`Problem` with its message rendered from the reasons list."""
    spec = spec_of(feed, column)
    shown = display_value(feed, column, value)
    message = reason_message(
        code,
        column=column,
        value=shown if shown is not None else "",
        description=spec.description if spec else "a value",
        example=spec.example if spec else "",
        feed=feed,
        **context,
    )
    return Problem(code, column, shown, message)


def problems_of(feed: str, record: Mapping[str, Any], exc: ValidationError) -> list[Problem]:
    """The problems of a row (contract column → value) the model rejected with ``exc``."""
    found: list[Problem] = []
    for error in exc.errors(include_url=False):
        ctx = dict(error.get("ctx") or {})
        code = error["type"]
        column = ctx.pop("column", None) or (str(error["loc"][0]) if error["loc"] else None)
        value = ctx.pop("value", None)
        if value is None and column is not None:
            value = record.get(column)
        if code == "missing":
            code = "required"
        if code not in REASONS:  # a pydantic check of our own types: should not happen
            found.append(Problem(code, column, display_value(feed, column, value), error["msg"]))
            continue
        found.append(problem(feed, code, column, value, **ctx))
    return found
