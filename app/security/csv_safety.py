"""Spreadsheet formula injection (CSV injection): neutralise cells before they are exported.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return may be run
as a formula by Excel or LibreOffice; prefixing a single quote makes it plain text (OWASP).

Decision (docs/security.md): the rule applies to TEXT, whatever follows the first character,
so the text ``"-3"`` becomes ``"'-3"`` (as OWASP advises: a feed can send ``-3+cmd|…``, and a
cheap "looks like a number" test is the kind of check attackers get round). A NUMBER (int,
float, Decimal) is never changed: exporters pass numbers as numbers, and ``-3`` written from a
number cannot carry a formula. Booleans and None pass through (None as an empty cell).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """The cell as a spreadsheet will show it but never run it."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def neutralise_row(values: Iterable[Any]) -> list[Any]:
    return [neutralise(value) for value in values]


def to_csv(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (RFC 4180 quoting, CRLF) with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(neutralise_row(header))
    for row in rows:
        writer.writerow(neutralise_row(row))
    return buffer.getvalue()
