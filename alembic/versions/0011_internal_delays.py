"""delay_reasons.internal and internal_why: which delays are within the hospital's control

Revision ID: 0011_internal_delays
Revises: 0010_hicm_assessments
Create Date: 2026-12-04 19:00:00

DESIGN.md §5: every code of the reason catalogue says whether its delay is internal (within the
hospital's own control) and why. Existing rows start external (false); ``homeward migrate`` then
syncs the catalogue file (version 2025.1), which sets the flag of every code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011_internal_delays"
down_revision: str | Sequence[str] | None = "0010_hicm_assessments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delay_reasons") as batch:
        batch.add_column(
            sa.Column("internal", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch.add_column(sa.Column("internal_why", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delay_reasons") as batch:
        batch.drop_column("internal_why")
        batch.drop_column("internal")
