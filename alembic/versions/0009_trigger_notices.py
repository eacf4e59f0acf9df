"""trigger_events, trigger_notices: the rules' firings and each notice sent for them

Revision ID: 0009_trigger_notices
Revises: 0008_meetings
Create Date: 2026-12-04 19:10:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009_trigger_notices"
down_revision: str | Sequence[str] | None = "0008_meetings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "trigger_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_events")),
        sa.UniqueConstraint("event_key", name=op.f("uq_trigger_events_event_key")),
    )
    op.create_index(
        "ix_trigger_events_rule_fired", "trigger_events", ["rule", "fired_at"], unique=False
    )
    op.create_table(
        "trigger_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_key", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.String(length=80), nullable=False),
        sa.Column("channel", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=14), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','sent','failed','undeliverable')",
            name=op.f("ck_trigger_notices_notice_status"),
        ),
        sa.ForeignKeyConstraint(
            ["event_key"],
            ["trigger_events.event_key"],
            name=op.f("fk_trigger_notices_event_key_trigger_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trigger_notices")),
        sa.UniqueConstraint("event_key", "channel", name=op.f("uq_trigger_notices_event_key_channel")),
    )
    op.create_index(
        "ix_trigger_notices_status",
        "trigger_notices",
        ["status", "next_attempt_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_trigger_notices_status", table_name="trigger_notices")
    op.drop_table("trigger_notices")
    op.drop_index("ix_trigger_events_rule_fired", table_name="trigger_events")
    op.drop_table("trigger_events")
