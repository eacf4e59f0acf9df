"""Snapshot facts from the beds, care_homes and domiciliary feeds."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class BedSnapshot(Base):
    """A ward's bed state at ``snapshot_at`` (feed: beds)."""

    __tablename__ = "bed_snapshots"
    __table_args__ = (
        UniqueConstraint("ward_id", "snapshot_at"),
        Index("ix_bed_snapshots_snapshot_at", "snapshot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ward_id: Mapped[int] = mapped_column(ForeignKey("wards.id"))
    snapshot_at: Mapped[datetime]
    core_beds_open: Mapped[int]
    escalation_beds_open: Mapped[int]
    beds_occupied: Mapped[int]
    beds_closed: Mapped[int]
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class CareHomeSnapshot(Base):
    """A care home's capacity for one care type at ``snapshot_at`` (feed: care_homes)."""

    __tablename__ = "care_home_snapshots"
    __table_args__ = (
        UniqueConstraint("cqc_location_id", "care_type", "snapshot_at"),
        Index("ix_care_home_snapshots_snapshot_at", "snapshot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cqc_location_id: Mapped[str] = mapped_column(ForeignKey("care_homes.cqc_location_id"))
    care_type: Mapped[str] = mapped_column(String(24))
    snapshot_at: Mapped[datetime]
    local_authority_code: Mapped[str] = mapped_column(String(9))
    max_capacity: Mapped[int]
    occupied: Mapped[int]
    vacant_reserved: Mapped[int]
    vacant_accepting_admissions: Mapped[int]
    accepting_admissions: Mapped[bool]
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)


class DomiciliarySnapshot(Base):
    """A home-care provider's capacity in one zone at ``snapshot_at`` (feed: domiciliary)."""

    __tablename__ = "domiciliary_snapshots"
    __table_args__ = (
        UniqueConstraint("provider_id", "zone", "snapshot_at"),
        Index("ix_domiciliary_snapshots_snapshot_at", "snapshot_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[str] = mapped_column(ForeignKey("home_care_providers.provider_id"))
    zone: Mapped[str] = mapped_column(String(80))
    snapshot_at: Mapped[datetime]
    local_authority_code: Mapped[str] = mapped_column(String(9))
    hours_available_per_week: Mapped[float]
    packages_startable_next_7_days: Mapped[int]
    ingest_run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id"), index=True)
