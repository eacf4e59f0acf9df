"""Actions (DESIGN.md §4.13): what a meeting decided someone will do, its update log and every
change made to it (who, when, which field, old and new value).

An action never holds a patient identifier: ``app.actions`` refuses text that looks like an NHS
number or a spell id before anything is written.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

ACTION_STATUSES = ("open", "done", "dropped")
ORGANISATION_KINDS = ("trust", "council", "provider")
#: made by migration 0006 (so the script that regenerates 0001 leaves them out)
REVISION_0006 = {"revision": "0006"}


class Action(Base):
    """One action: its owner, due date, status and what it is about (a metric and its scope)."""

    __tablename__ = "actions"
    __table_args__ = (
        CheckConstraint("status IN ('open','done','dropped')", name="status"),
        CheckConstraint("organisation_kind IN ('trust','council','provider')", name="org_kind"),
        CheckConstraint(
            "scope_hicm_change IS NULL OR scope_hicm_change BETWEEN 1 AND 9", name="hicm_change"
        ),
        Index("ix_actions_status_due", "status", "due_date"),
        Index("ix_actions_organisation", "organisation_code"),
        Index("ix_actions_metric", "metric_slug"),
        Index("ix_actions_meeting", "meeting_id"),
        {"info": REVISION_0006},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    # the owning organisation of the reference data: a trust (sites.trust_code), a council
    # (councils.local_authority_code) or a provider (home_care_providers.provider_id or
    # care_homes.cqc_location_id)
    organisation_kind: Mapped[str] = mapped_column(String(12))
    organisation_code: Mapped[str] = mapped_column(String(40))
    owner: Mapped[str] = mapped_column(String(150))  # the person responsible
    due_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), default="open")
    # what it is about: a metric of the registry and its scope (each part optional)
    metric_slug: Mapped[str | None] = mapped_column(String(64))
    scope_site: Mapped[str | None] = mapped_column(String(12))
    scope_council: Mapped[str | None] = mapped_column(String(9))
    scope_pathway: Mapped[str | None] = mapped_column(String(1))
    scope_reason: Mapped[str | None] = mapped_column(String(32))
    scope_hicm_change: Mapped[int | None]  # a High Impact Change, 1–9
    coordinator_view: Mapped[str | None] = mapped_column(String(500))  # the page's URL query
    # the meeting the action was raised in (the meetings table is the meeting page's; no
    # foreign key here so that this revision stands on its own)
    meeting_id: Mapped[int | None]
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(150))
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]  # when it became done or dropped


class ActionUpdate(Base):
    """One entry of an action's free-text update log."""

    __tablename__ = "action_updates"
    __table_args__ = (Index("ix_action_updates_action", "action_id", "at"), {"info": REVISION_0006})

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    author: Mapped[str] = mapped_column(String(150))
    text: Mapped[str] = mapped_column(Text)


class ActionChange(Base):
    """One change to an action: who, when, which field, the old and the new value."""

    __tablename__ = "action_changes"
    __table_args__ = (Index("ix_action_changes_action", "action_id", "at"), {"info": REVISION_0006})

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(150))
    role: Mapped[str | None] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(32))  # "created", a field name, or "update"
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
