"""users.scope: whose patients a coordinator may see (system, a council, a trust, sites)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 04:30:00

Every existing account keeps the whole system ("system"), as before this revision.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("scope", sa.String(length=400), server_default="system", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("scope")
