"""The High Impact Change Model's maturity self-assessments: one dated record per assessment of a
change (the level agreed, who assessed it, notes, and the evidence Homeward showed at the time,
kept as it was shown so a later reader sees what the level was agreed against)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, UTCDateTime

#: made by migration 0007 (so the script that regenerates 0001 leaves it out)
REVISION_0007 = {"revision": "0007"}


class HicmAssessment(Base):
    """One self-assessment of one change: never edited, a new one supersedes it."""

    __tablename__ = "hicm_assessments"
    __table_args__ = (
        CheckConstraint("change_number BETWEEN 1 AND 9", name="change_number"),
        CheckConstraint("level BETWEEN 1 AND 5", name="level"),
        Index("ix_hicm_assessments_change", "change_number", "assessed_on"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    change_number: Mapped[int]  # 1–9, as the model numbers its changes
    level: Mapped[int]  # 1 not yet established … 5 exemplary
    assessed_on: Mapped[date]  # the day the partners agreed the level
    assessed_by: Mapped[str] = mapped_column(String(150))  # who assessed it (the people)
    notes: Mapped[str | None] = mapped_column(Text)
    # the evidence shown at the time: JSON text (portable: no JSONB), written once
    evidence: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by: Mapped[str] = mapped_column(String(150))  # the signed-in account
    recorded_role: Mapped[str] = mapped_column(String(16))
