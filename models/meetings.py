"""Meetings (DESIGN.md §4.13): the daily escalation call and the weekly system meeting, who
attended for which organisation, the decisions recorded and the actions raised, updated or
closed in each.

Decision and attendee text never holds a patient identifier: ``app.actions.meetings`` refuses
it with the rule the actions use before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

MEETING_KINDS = ("daily", "weekly")
ACTION_LINK_KINDS = ("raised", "updated", "closed")
#: made by migration 0007 (so the script that regenerates 0001 leaves them out)
REVISION_0007 = {"revision": "0007"}


class Meeting(Base):
    """One meeting: its day (Europe/London), kind and chair; one of each kind per day."""

    __tablename__ = "meetings"
    __table_args__ = (
        CheckConstraint("kind IN ('daily','weekly')", name="kind"),
        UniqueConstraint("meeting_date", "kind"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(8))  # daily escalation call / weekly system meeting
    chair: Mapped[str | None] = mapped_column(String(150))
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(150))


class MeetingAttendee(Base):
    """Who attended, for which organisation (a trust, council or provider, in words)."""

    __tablename__ = "meeting_attendees"
    __table_args__ = (Index("ix_meeting_attendees_meeting", "meeting_id"), {"info": REVISION_0007})

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(150))
    organisation: Mapped[str] = mapped_column(String(150))
    added_at: Mapped[datetime]


class MeetingDecision(Base):
    """A decision of the meeting: its words, who recorded it and when."""

    __tablename__ = "meeting_decisions"
    __table_args__ = (
        Index("ix_meeting_decisions_meeting", "meeting_id", "recorded_at"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    # what the decision is about, when recorded from an agenda line (its words)
    agenda_item: Mapped[str | None] = mapped_column(String(300))
    recorded_by: Mapped[str] = mapped_column(String(150))
    recorded_at: Mapped[datetime]


class MeetingAction(Base):
    """An action raised, updated or closed in a meeting (the action itself is in ``actions``;
    no foreign key to it, so that this revision stands on its own)."""

    __tablename__ = "meeting_actions"
    __table_args__ = (
        CheckConstraint("kind IN ('raised','updated','closed')", name="kind"),
        Index("ix_meeting_actions_meeting", "meeting_id", "at"),
        {"info": REVISION_0007},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    action_id: Mapped[int]
    kind: Mapped[str] = mapped_column(String(8))
    at: Mapped[datetime]
    by: Mapped[str] = mapped_column(String(150))
