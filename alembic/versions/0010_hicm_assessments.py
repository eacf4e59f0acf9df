"""hicm_assessments: the High Impact Change Model's maturity self-assessments

Revision ID: 0010_hicm_assessments
Revises: 0009_trigger_notices
Create Date: 2026-12-04 19:15:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010_hicm_assessments"
down_revision: str | Sequence[str] | None = "0009_trigger_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "hicm_assessments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("change_number", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=False),
        sa.Column("assessed_by", sa.String(length=150), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=150), nullable=False),
        sa.Column("recorded_role", sa.String(length=16), nullable=False),
        sa.CheckConstraint(
            "change_number BETWEEN 1 AND 9", name=op.f("ck_hicm_assessments_change_number")
        ),
        sa.CheckConstraint("level BETWEEN 1 AND 5", name=op.f("ck_hicm_assessments_level")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hicm_assessments")),
    )
    op.create_index(
        "ix_hicm_assessments_change",
        "hicm_assessments",
        ["change_number", "assessed_on"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_hicm_assessments_change", table_name="hicm_assessments")
    op.drop_table("hicm_assessments")
