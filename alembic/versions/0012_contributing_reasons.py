"""contributing reasons: spells, spell_states and spell_days.contributing_reason_codes

Revision ID: 0012_contributing_reasons
Revises: 0011_internal_delays
Create Date: 2026-12-04 19:20:00

The optional patients column ``contributing_reason_codes`` (DESIGN §3, §4.3): the state of
the latest census (spells), of each census that changed it (spell_states), and on each
delayed day the codes of the census row in force (spell_days). Existing rows have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012_contributing_reasons"
down_revision: str | Sequence[str] | None = "0011_internal_delays"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("spells", "spell_states", "spell_days")


# Plain ALTER TABLE on both databases (SQLite ≥ 3.35 drops a column in place): a batch copy
# of spells would drop the old table, and its ON DELETE CASCADE would empty the spell tables.


def upgrade() -> None:
    for table in TABLES:
        op.add_column(
            table, sa.Column("contributing_reason_codes", sa.String(length=400), nullable=True)
        )


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_column(table, "contributing_reason_codes")
