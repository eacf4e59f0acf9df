"""Snapshot facts from the beds, care_homes and domiciliary feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class _Snapshot:
    """What every snapshot fact has: its id, the moment it describes and the run that loaded it."""

    id: Mapped[int] = mapped_column(primary_key=True, sort_order=-10)
    snapshot_at: Mapped[datetime] = mapped_column(sort_order=-1)
    ingest_run_id: Mapped[int] = mapped_column(
        ForeignKey("ingest_runs.id"), index=True, sort_order=10
    )


def _snapshot_args(*key: str, table: str) -> tuple[UniqueConstraint, Index]:
    """The natural key (what the snapshot is of, and when) and the index on the moment."""
    return (UniqueConstraint(*key, "snapshot_at"), Index(f"ix_{table}_snapshot_at", "snapshot_at"))


class BedSnapshot(_Snapshot, Base):
    """A ward's bed state at ``snapshot_at`` (feed: beds)."""

    __tablename__ = "bed_snapshots"
    __table_args__ = _snapshot_args("ward_id", table="bed_snapshots")

    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    core_beds_open: Mapped[int]
    escalation_beds_open: Mapped[int]
    beds_occupied: Mapped[int]
    beds_closed: Mapped[int]


class CareHomeSnapshot(_Snapshot, Base):
    """A care home's capacity for one care type at ``snapshot_at`` (feed: care_homes)."""

    __tablename__ = "care_home_snapshots"
    __table_args__ = _snapshot_args("cqc_location_id", "care_type", table="care_home_snapshots")

    cqc_location_id: Mapped[str] = mapped_column(ForeignKey("care_homes.cqc_location_id"))
    care_type: Mapped[str] = mapped_column(String(24))
    local_authority_code: Mapped[str] = mapped_column(String(9))
    max_capacity: Mapped[int]
    occupied: Mapped[int]
    vacant_reserved: Mapped[int]
    vacant_accepting_admissions: Mapped[int]
    accepting_admissions: Mapped[bool]


class DomiciliarySnapshot(_Snapshot, Base):
    """A home-care provider's capacity in one zone at ``snapshot_at`` (feed: domiciliary)."""

    __tablename__ = "domiciliary_snapshots"
    __table_args__ = _snapshot_args("provider_id", "zone", table="domiciliary_snapshots")

    provider_id: Mapped[str] = mapped_column(ForeignKey("home_care_providers.provider_id"))
    zone: Mapped[str] = mapped_column(String(80))
    local_authority_code: Mapped[str] = mapped_column(String(9))
    hours_available_per_week: Mapped[float]
    packages_startable_next_7_days: Mapped[int]
