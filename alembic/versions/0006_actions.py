"""actions, action_updates, action_changes: meeting actions, their update log and every change

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("organisation_kind", sa.String(length=12), nullable=False),
        sa.Column("organisation_code", sa.String(length=40), nullable=False),
        sa.Column("owner", sa.String(length=150), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("metric_slug", sa.String(length=64), nullable=True),
        sa.Column("scope_site", sa.String(length=12), nullable=True),
        sa.Column("scope_council", sa.String(length=9), nullable=True),
        sa.Column("scope_pathway", sa.String(length=1), nullable=True),
        sa.Column("scope_reason", sa.String(length=32), nullable=True),
        sa.Column("scope_hicm_change", sa.Integer(), nullable=True),
        sa.Column("coordinator_view", sa.String(length=500), nullable=True),
        sa.Column("meeting_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=150), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "organisation_kind IN ('trust','council','provider')", name=op.f("ck_actions_org_kind")
        ),
        sa.CheckConstraint(
            "scope_hicm_change IS NULL OR scope_hicm_change BETWEEN 1 AND 9",
            name=op.f("ck_actions_hicm_change"),
        ),
        sa.CheckConstraint("status IN ('open','done','dropped')", name=op.f("ck_actions_status")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_actions")),
    )
    op.create_index("ix_actions_meeting", "actions", ["meeting_id"], unique=False)
    op.create_index("ix_actions_metric", "actions", ["metric_slug"], unique=False)
    op.create_index("ix_actions_organisation", "actions", ["organisation_code"], unique=False)
    op.create_index("ix_actions_status_due", "actions", ["status", "due_date"], unique=False)
    op.create_table(
        "action_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=150), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old", sa.Text(), nullable=True),
        sa.Column("new", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_changes_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_changes")),
    )
    op.create_index("ix_action_changes_action", "action_changes", ["action_id", "at"], unique=False)
    op.create_table(
        "action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("author", sa.String(length=150), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["action_id"],
            ["actions.id"],
            name=op.f("fk_action_updates_action_id_actions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_updates")),
    )
    op.create_index("ix_action_updates_action", "action_updates", ["action_id", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_action_updates_action", table_name="action_updates")
    op.drop_table("action_updates")
    op.drop_index("ix_action_changes_action", table_name="action_changes")
    op.drop_table("action_changes")
    op.drop_index("ix_actions_status_due", table_name="actions")
    op.drop_index("ix_actions_organisation", table_name="actions")
    op.drop_index("ix_actions_metric", table_name="actions")
    op.drop_index("ix_actions_meeting", table_name="actions")
    op.drop_table("actions")
