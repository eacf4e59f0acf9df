"""The rules of an action that need no store: no patient identifiers in its text, and overdue.

What is refused (DESIGN §4.13: actions never hold patient identifiers):

- **an NHS number**: ten digits in a row, or written 3-3-4 with spaces or dashes
  (``999 123 4567``, ``999-123-4567``), with or without a valid check digit — a mistyped NHS
  number is still somebody's, and a valid one is checked only to say so in the reason. Longer
  runs of digits (a phone number has 11) are not NHS numbers and pass.
- **a spell id**, in the shapes the feeds use: the site code, a dash and six or more digits
  (``RXA01-00001234``, as the demo feeds write them) and ``SP`` followed by four or more digits
  (``SP000123``, the feed documentation's example).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from app.domain import nhs_number

_NHS = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d])")
_SPELL_SITE = re.compile(r"\b[A-Z][A-Z0-9]{2,5}-\d{6,}\b", re.IGNORECASE)
_SPELL_SP = re.compile(r"\bSP\d{4,}\b", re.IGNORECASE)


@dataclass(frozen=True)
class Refusal:
    field: str
    message: str


def identifier_problem(field: str, text: str | None) -> Refusal | None:
    """Why ``text`` may not be stored in ``field`` (it looks like a patient identifier), or None."""
    if not text:
        return None
    for match in _NHS.finditer(text):
        digits = "".join(match.groups())
        valid = nhs_number.is_valid(digits)
        kind = "a valid NHS number" if valid else "an NHS number (ten digits)"
        return Refusal(
            field,
            f"{field} contains what looks like {kind} at character {match.start() + 1}; "
            "actions never hold patient identifiers: describe the group of patients instead "
            "(site, ward, pathway, reason) and leave the number out",
        )
    for pattern in (_SPELL_SITE, _SPELL_SP):
        found = pattern.search(text)
        if found:
            return Refusal(
                field,
                f"{field} contains what looks like a spell id at character {found.start() + 1}; "
                "actions never hold patient identifiers: describe the group of patients "
                "instead and leave the id out",
            )
    return None


def is_overdue(status: str, due: date, today: date) -> bool:
    """Overdue: still open after its due date (not on the due day itself)."""
    return status == "open" and today > due
