"""Clean text (DESIGN §3 "Plausible values"): no control characters, NUL included, and no
unpaired surrogates — neither database stores them (PostgreSQL refuses NUL; an unpaired
surrogate is not encodable as UTF-8), and neither belongs in a feed value."""

from __future__ import annotations

import re

#: C0 and C1 control characters (NUL included), DEL, and the surrogate code points
UNCLEAN = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
#: what neither database can store: NUL (PostgreSQL) and surrogates (not UTF-8)
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def escape_unclean(text: str) -> str:
    """``text`` with each unclean character written as ``\\uXXXX`` (safe to store and show)."""
    return UNCLEAN.sub(_escaped, text)


def first_unclean(text: str) -> str | None:
    """The first unclean character of ``text`` as ``U+XXXX``, or None for clean text."""
    found = UNCLEAN.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


class UncleanText(str):
    """A received value that held characters no database stores (or other unclean ones),
    kept escaped (``\\u0000``) so it can be stored and shown; the contract's parsers reject
    it (``bad_characters``). The readers make one of a value :data:`UNSTORABLE` matches."""

    __slots__ = ("found",)
    found: str  # the first unclean character, as U+XXXX

    def __new__(cls, original: str) -> UncleanText:
        value = super().__new__(cls, escape_unclean(original))
        value.found = first_unclean(original) or ""
        return value
