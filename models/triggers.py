"""Triggers and their notices (docs/meetings.md "Triggers and notices").

A **trigger event** is one firing of a configured rule, named by its event key (unique: an
event already recorded never fires again); a **trigger notice** is that event sent on one
channel, with every attempt's outcome (unique per event and channel: nothing is sent twice).
Neither holds a patient identifier: the rules speak of levels, metrics, feeds and actions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

NOTICE_STATUSES = ("pending", "sent", "failed", "undeliverable")
#: made by migration 0007 (so the script that regenerates 0001 leaves them out)
REVISION_0007 = {"revision": "0007"}


class TriggerEvent(Base):
    """One firing of a rule: what fired, the words and link sent, the action it raised."""

    __tablename__ = "trigger_events"
    __table_args__ = (
        Index("ix_trigger_events_rule_fired", "rule", "fired_at"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # e.g. "system-level-4:2026-12-04", "chase:17:2026-12-04": the same event, the same key
    event_key: Mapped[str] = mapped_column(String(200), unique=True)
    rule: Mapped[str] = mapped_column(String(80))  # the rule's name, or "chase"
    kind: Mapped[str] = mapped_column(String(40))  # escalation_level, spc_concern, …
    fired_at: Mapped[datetime]
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str] = mapped_column(String(500))
    # the action raised for the owning organisation (no foreign key: this revision stands on
    # its own beside the actions' one)
    action_id: Mapped[int | None]


class TriggerNotice(Base):
    """An event sent on one channel: pending, sent, failed (retried later) or undeliverable."""

    __tablename__ = "trigger_notices"
    __table_args__ = (
        UniqueConstraint("event_key", "channel"),
        CheckConstraint(
            "status IN ('pending','sent','failed','undeliverable')", name="notice_status"
        ),
        Index("ix_trigger_notices_status", "status", "next_attempt_at"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(
        String(200), ForeignKey("trigger_events.event_key", ondelete="CASCADE")
    )
    rule: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(80))  # a configured channel or contact's name
    status: Mapped[str] = mapped_column(String(14), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime]
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]  # a failed notice is tried again from then
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)  # the last failure, in our words
