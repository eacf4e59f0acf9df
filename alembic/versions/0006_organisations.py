"""organisation_mappings: trusts and councils to a system (ICB) and region, by effective date

Revision ID: 0006_organisations
Revises: 0005
Create Date: 2026-12-04 19:00:00

Self-contained: one new table, filled by the reference loader (``organisations.csv``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0006_organisations"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisation_mappings",
        sa.Column("org_code", sa.String(length=12), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("org_kind", sa.String(length=8), nullable=False),
        sa.Column("icb_code", sa.String(length=12), nullable=False),
        sa.Column("icb_name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=12), nullable=False),
        sa.Column("region_name", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "org_kind IN ('trust','council')", name=op.f("ck_organisation_mappings_org_kind")
        ),
        sa.PrimaryKeyConstraint(
            "org_code", "effective_from", name=op.f("pk_organisation_mappings")
        ),
    )


def downgrade() -> None:
    op.drop_table("organisation_mappings")
