"""Whose patients a coordinator may see: the whole system, a council's residents or a trust's
(or a set of sites') own patients (DESIGN §7). Aggregates are never scoped.

A scope is written ``system``, ``council:E06000015``, ``trust:RXX`` or ``sites:RXX01,RXX02``
(several codes separated by commas), as the admin API, ``homeward users create --scope`` and
the ``users.scope`` column hold it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, cast

ScopeKind = Literal["system", "council", "trust", "sites"]
SCOPE_KINDS: tuple[ScopeKind, ...] = ("system", "council", "trust", "sites")
_CODE = re.compile(r"^[A-Z0-9]{1,12}$")
MAX_SCOPE_LENGTH = 400


class ScopeError(ValueError):
    """A scope that cannot be read; the message says what a valid one looks like."""


@dataclass(frozen=True)
class Scope:
    """The patients a principal may see at patient level."""

    kind: ScopeKind = "system"
    codes: tuple[str, ...] = ()

    @property
    def is_system(self) -> bool:
        return self.kind == "system"

    def __str__(self) -> str:
        return self.kind if self.is_system else f"{self.kind}:{','.join(self.codes)}"


SYSTEM = Scope()
NOBODY = Scope("sites", ())  # no principal: patient-level reads find nobody (fail closed)


def parse_scope(text: str | None) -> Scope:
    """``system`` (or empty), ``council:CODE``, ``trust:CODE`` or ``sites:CODE,CODE``."""
    raw = (text or "").strip()
    if raw in ("", "system"):
        return SYSTEM
    kind, sep, rest = raw.partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in SCOPE_KINDS or kind == "system":
        raise ScopeError(
            f"the scope {raw[:40]!r} is not one of: system, council:CODE, trust:CODE, "
            "sites:CODE,CODE (for example council:E06000015)"
        )
    codes = tuple(sorted({c.strip().upper() for c in rest.split(",") if c.strip()}))
    bad = [c for c in codes if not _CODE.match(c)]
    if not codes or bad:
        raise ScopeError(
            f"the scope {kind} needs one or more codes of letters and digits (up to 12), "
            "separated by commas"
        )
    scope = Scope(cast(ScopeKind, kind), codes)
    if len(str(scope)) > MAX_SCOPE_LENGTH:
        raise ScopeError(f"a scope is at most {MAX_SCOPE_LENGTH} characters")
    return scope
