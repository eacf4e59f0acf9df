"""meetings, meeting_attendees, meeting_decisions, meeting_actions: the meeting page's minutes

Revision ID: 0008_meetings
Revises: 0007_actions
Create Date: 2026-12-04 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008_meetings"
down_revision: str | Sequence[str] | None = "0007_actions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meetings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("chair", sa.String(length=150), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.CheckConstraint("kind IN ('daily','weekly')", name=op.f("ck_meetings_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meetings")),
        sa.UniqueConstraint("meeting_date", "kind", name=op.f("uq_meetings_meeting_date_kind")),
    )
    op.create_table(
        "meeting_attendees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=150), nullable=False),
        sa.Column("organisation", sa.String(length=150), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_attendees_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendees")),
    )
    op.create_index(
        "ix_meeting_attendees_meeting", "meeting_attendees", ["meeting_id"], unique=False
    )
    op.create_table(
        "meeting_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("agenda_item", sa.String(length=300), nullable=True),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_decisions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_decisions")),
    )
    op.create_index(
        "ix_meeting_decisions_meeting",
        "meeting_decisions",
        ["meeting_id", "recorded_at"],
        unique=False,
    )
    op.create_table(
        "meeting_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("by", sa.String(length=150), nullable=False),
        sa.CheckConstraint(
            "kind IN ('raised','updated','closed')", name=op.f("ck_meeting_actions_kind")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meetings.id"],
            name=op.f("fk_meeting_actions_meeting_id_meetings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_actions")),
    )
    op.create_index(
        "ix_meeting_actions_meeting", "meeting_actions", ["meeting_id", "at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_meeting_actions_meeting", table_name="meeting_actions")
    op.drop_table("meeting_actions")
    op.drop_index("ix_meeting_decisions_meeting", table_name="meeting_decisions")
    op.drop_table("meeting_decisions")
    op.drop_index("ix_meeting_attendees_meeting", table_name="meeting_attendees")
    op.drop_table("meeting_attendees")
    op.drop_table("meetings")
