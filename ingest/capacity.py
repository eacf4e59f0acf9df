"""Writers of the three capacity feeds: beds, care_homes and domiciliary.

Each writer registers what a chunk of valid rows names (wards, care homes, providers,
councils) and upserts the snapshots on their natural key, so a row sent again — in another
file, with different bytes — replaces the earlier one instead of adding a second.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from ingest.bulk import upsert
from ingest.contracts import BedRow, CareHomeRow, DomiciliaryRow
from ingest.notices import NoticeSink
from ingest.registry import ensure_care_homes, ensure_councils, ensure_providers, ensure_wards
from models import BedSnapshot, CareHomeSnapshot, DomiciliarySnapshot

Rows = Sequence[tuple[int, Any]]  # (line number, validated row)


def write_beds(
    session: Session, run_id: int, rows: Sequence[tuple[int, BedRow]], notices: NoticeSink
) -> int:
    """Register the wards and upsert the bed snapshots on (ward, snapshot_at)."""
    ward_ids = ensure_wards(
        session,
        [(r.site_code, r.ward_code, r.ward_name, r.bed_base) for _, r in rows],
        run_id,
        notices,
    )
    return upsert(
        session,
        BedSnapshot,
        [
            {
                "ward_id": ward_ids[(r.site_code, r.ward_code)],
                "snapshot_at": r.snapshot_at,
                "core_beds_open": r.core_beds_open,
                "escalation_beds_open": r.escalation_beds_open,
                "beds_occupied": r.beds_occupied,
                "beds_closed": r.beds_closed,
                "ingest_run_id": run_id,
            }
            for _, r in rows
        ],
        key=["ward_id", "snapshot_at"],
    )


def write_care_homes(
    session: Session, run_id: int, rows: Sequence[tuple[int, CareHomeRow]], notices: NoticeSink
) -> int:
    """Register the homes (and councils) and upsert on (home, care type, snapshot_at)."""
    ensure_care_homes(
        session,
        [(r.cqc_location_id, r.home_name, r.local_authority_code) for _, r in rows],
        run_id,
        notices,
    )
    return upsert(
        session,
        CareHomeSnapshot,
        [
            {
                "cqc_location_id": r.cqc_location_id,
                "care_type": r.care_type,
                "snapshot_at": r.snapshot_at,
                "local_authority_code": r.local_authority_code,
                "max_capacity": r.max_capacity,
                "occupied": r.occupied,
                "vacant_reserved": r.vacant_reserved,
                "vacant_accepting_admissions": r.vacant_accepting_admissions,
                "accepting_admissions": r.accepting_admissions,
                "ingest_run_id": run_id,
            }
            for _, r in rows
        ],
        key=["cqc_location_id", "care_type", "snapshot_at"],
    )


def write_domiciliary(
    session: Session, run_id: int, rows: Sequence[tuple[int, DomiciliaryRow]], notices: NoticeSink
) -> int:
    """Register the providers (and councils) and upsert on (provider, zone, snapshot_at)."""
    ensure_providers(session, [(r.provider_id, r.provider_name) for _, r in rows], run_id, notices)
    ensure_councils(session, {r.local_authority_code for _, r in rows}, run_id, notices)
    return upsert(
        session,
        DomiciliarySnapshot,
        [
            {
                "provider_id": r.provider_id,
                "zone": r.zone,
                "snapshot_at": r.snapshot_at,
                "local_authority_code": r.local_authority_code,
                "hours_available_per_week": r.hours_available_per_week,
                "packages_startable_next_7_days": r.packages_startable_next_7_days,
                "ingest_run_id": run_id,
            }
            for _, r in rows
        ],
        key=["provider_id", "zone", "snapshot_at"],
    )


@dataclass(frozen=True)
class NaturalKey:
    """What makes two rows of a feed the same row, for duplicates inside one batch."""

    label: str
    of: Callable[[Any], Hashable]


NATURAL_KEYS: dict[str, NaturalKey] = {
    "beds": NaturalKey("ward and snapshot_at", lambda r: (r.site_code, r.ward_code, r.snapshot_at)),
    "care_homes": NaturalKey(
        "cqc_location_id, care_type and snapshot_at",
        lambda r: (r.cqc_location_id, r.care_type, r.snapshot_at),
    ),
    "domiciliary": NaturalKey(
        "provider_id, zone and snapshot_at", lambda r: (r.provider_id, r.zone, r.snapshot_at)
    ),
    "patients": NaturalKey("spell_id and snapshot_at", lambda r: (r.spell_id, r.snapshot_at)),
}

WRITERS: dict[str, Callable[[Session, int, Any, NoticeSink], int]] = {
    "beds": write_beds,
    "care_homes": write_care_homes,
    "domiciliary": write_domiciliary,
}
