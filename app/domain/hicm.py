"""The High Impact Change Model for managing transfers of care (LGA/ADASS, refreshed 2019 and
after COVID-19): its nine changes and the five levels of its self-assessment matrix, in the
model's own words (``/work/shared/seeds``). Shared by the evidence (``app.metrics.hicm``) and
the maturity self-assessments (``app.hicm``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Change:
    number: int
    name: str


#: the nine changes, numbered as the model numbers them
CHANGES: tuple[Change, ...] = (
    Change(1, "Early discharge planning"),
    Change(2, "Monitoring and responding to system demand and capacity"),
    Change(3, "Multi-disciplinary working"),
    Change(4, "Home first"),
    Change(5, "Flexible working patterns"),
    Change(6, "Trusted assessment"),
    Change(7, "Engagement and choice"),
    Change(8, "Improved discharge to care homes"),
    Change(9, "Housing and related services"),
)
CHANGE_NUMBERS = frozenset(change.number for change in CHANGES)


@dataclass(frozen=True)
class MaturityLevel:
    level: int
    name: str
    description: str


#: the self-assessment matrix levels, lowest first
MATURITY_LEVELS: tuple[MaturityLevel, ...] = (
    MaturityLevel(
        1,
        "Not yet established",
        "Processes are typically undocumented and driven in an ad hoc reactive manner",
    ),
    MaturityLevel(
        2,
        "Plans in place",
        "Developed a strategy and starting to implement, however processes are inconsistent",
    ),
    MaturityLevel(
        3,
        "Established",
        "Defined and standard processes in place, repeatedly used, subject to improvement over "
        "time",
    ),
    MaturityLevel(
        4,
        "Mature",
        "Processes have been tested across variable conditions over a period of time, evidence "
        "of impact beginning to show",
    ),
    MaturityLevel(
        5,
        "Exemplary",
        "Fully embedded within the system and outcomes for people reflect this, continual "
        "improvement driven by incremental and innovative changes",
    ),
)
LEVELS = {level.level: level for level in MATURITY_LEVELS}


def change_name(number: int) -> str:
    """The words of change ``number`` (1–9)."""
    return next(change.name for change in CHANGES if change.number == number)
