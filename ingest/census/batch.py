"""What one batch of the patients feed carries through its censuses: the session and run, the
settings it reads once, what it found (the result) and what it touched (for the roll-ups)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import NamedTuple, TypeVar

from sqlalchemy.orm import Session

from app.domain.nhs_number import pseudonymise
from ingest.bulk import chunked
from ingest.day_counts import DayTouches
from ingest.notices import NoticeSink

T = TypeVar("T")


class Quarantined(NamedTuple):
    """A row the census set aside: its line, the column and value at fault, and why."""

    line: int
    column: str | None
    value: str | None
    reason: str


@dataclass
class PatientBatchResult:
    """What a batch did: rows in = ``loaded`` + ``len(quarantined)``."""

    loaded: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    spells_touched: int = 0
    days_written: int = 0
    discharges_inferred: int = 0


@dataclass
class Batch:
    session: Session
    run_id: int
    notices: NoticeSink
    tz: tzinfo
    pseudonym_key: str
    #: spell ids of rows the contract rejected: never inferred discharged by this batch
    protected: frozenset[str]
    #: how many values one ``IN (...)`` carries
    chunk: int
    result: PatientBatchResult
    # the (site, day) pairs of spell_days written, recounted into spell_day_counts at the end
    touches: DayTouches = field(default_factory=DayTouches)
    # NHS number → pseudonym: the HMAC once per number and batch
    pseudonyms: dict[str, str] = field(default_factory=dict)

    def chunks(self, items: Sequence[T]) -> Iterator[Sequence[T]]:
        return chunked(items, self.chunk)

    def when(self, moment: datetime) -> str:
        """A moment as the messages show it (local time, to the minute)."""
        return moment.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def quarantine(self, line: int, column: str | None, value: str | None, reason: str) -> None:
        self.result.quarantined.append(Quarantined(line, column, value, reason))

    def pseudonym(self, number: str | None) -> str | None:
        """The pseudonym of an NHS number (None for none)."""
        if number is None:
            return None
        pseudonym = self.pseudonyms.get(number)
        if pseudonym is None:
            pseudonym = self.pseudonyms[number] = pseudonymise(number, self.pseudonym_key)
        return pseudonym
