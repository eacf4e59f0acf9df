"""The census's cross-row checks: rows set aside (quarantined, with the reason) or noted.

**Cross-row problems** are quarantined with a reason: the same spell twice in one census with
different values (the first is kept; an identical repeat is ignored with a warning), a spell
whose site_code differs from its known site, a spell listed after its reported discharge.
"""

from __future__ import annotations

from datetime import datetime

from ingest.census.batch import Batch
from ingest.census.records import SpellRecord
from ingest.contracts import PatientRecord

Lined = tuple[int, PatientRecord]


def one_row_per_spell(batch: Batch, at: datetime, rows: list[Lined]) -> list[Lined]:
    """The first row of each spell in the census at ``at``; a repeat is noted or quarantined."""
    first: dict[str, Lined] = {}
    kept: list[Lined] = []
    when = batch.when(at)
    for line, row in rows:
        seen = first.get(row.spell_id)
        if seen is None:
            first[row.spell_id] = (line, row)
            kept.append((line, row))
            continue
        first_line, first_row = seen
        if first_row == row:
            batch.notices.warning(
                line,
                f"spell {row.spell_id} appears twice in the census of {when} with the same "
                f"values (first on line {first_line}); the repeat was ignored",
            )
        else:
            batch.quarantine(
                line,
                "spell_id",
                row.spell_id,
                f"spell {row.spell_id} appears twice in the census of {when} (first on line "
                f"{first_line}) — send one row per spell per census",
            )
    return kept


def check_against_store(
    batch: Batch, at: datetime, kept: list[Lined], known: dict[str, SpellRecord]
) -> list[Lined]:
    """The rows that agree with the spells stored: the others are quarantined."""
    valid: list[Lined] = []
    for line, row in kept:
        spell = known.get(row.spell_id)
        if spell is not None and spell.site_code != row.site_code:
            batch.quarantine(
                line,
                "site_code",
                row.site_code,
                f"spell {row.spell_id} is a spell of site {spell.site_code}, not "
                f"{row.site_code} — a spell stays at its site: send a transfer as a "
                "discharge and a new spell_id, or correct site_code",
            )
        elif (
            spell is not None
            and row.discharged_at is None
            and spell.discharged_at is not None
            and not spell.discharge_inferred
            and spell.discharged_at <= at
        ):
            batch.quarantine(
                line,
                "spell_id",
                row.spell_id,
                f"spell {row.spell_id} was discharged at {batch.when(spell.discharged_at)}"
                f" (a discharge row said so) but the census of {batch.when(at)} "
                "lists it in hospital — a readmission needs a new spell_id",
            )
        else:
            valid.append((line, row))
    return valid
