"""spell_day_counts, spell_day_ward_totals, spell_day_delay_counts: spell_days rolled up for
the period metrics; a covering index for discharge counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:40:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = (
    "day, site_code, ward_code, local_authority_code, nctr, pathway, delay_reason_code, "
    "delay_attributable_to, r2g_status, r2g_reason_code"
)


DELAY_DIMENSIONS = {
    "reason": "delay_reason_code",
    "agency": "delay_attributable_to",
    "local_authority": "local_authority_code",
    "pathway": "pathway",
    "ward": "ward_code",
}


def upgrade() -> None:
    op.create_table(
        "spell_day_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=12), nullable=False),
        sa.Column("ward_code", sa.String(length=32), nullable=False),
        sa.Column("local_authority_code", sa.String(length=9), nullable=True),
        sa.Column("nctr", sa.Boolean(), nullable=False),
        sa.Column("pathway", sa.Integer(), nullable=True),
        sa.Column("delay_reason_code", sa.String(length=32), nullable=True),
        sa.Column("delay_attributable_to", sa.String(length=12), nullable=True),
        sa.Column("r2g_status", sa.String(length=12), nullable=False),
        sa.Column("r2g_reason_code", sa.String(length=32), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spell_day_counts")),
    )
    op.create_index(
        "ix_spell_day_counts_day_site", "spell_day_counts", ["day", "site_code"], unique=False
    )
    op.create_table(
        "spell_day_ward_totals",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=12), nullable=False),
        sa.Column("ward_code", sa.String(length=32), nullable=False),
        sa.Column("bed_days", sa.Integer(), nullable=False),
        sa.Column("nctr_days", sa.Integer(), nullable=False),
        sa.Column("red_days", sa.Integer(), nullable=False),
        sa.Column("green_days", sa.Integer(), nullable=False),
        sa.Column("not_recorded_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "day", "site_code", "ward_code", name=op.f("pk_spell_day_ward_totals")
        ),
    )
    op.create_table(
        "spell_day_delay_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=12), nullable=False),
        sa.Column("value", sa.String(length=32), nullable=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spell_day_delay_counts")),
    )
    op.create_index(
        "ix_spell_day_delay_counts_dimension_day",
        "spell_day_delay_counts",
        ["dimension", "day", "site_code"],
        unique=False,
    )
    op.create_index(
        "ix_spells_discharge_cover",
        "spells",
        ["discharge_date", "site_code", "drd_at_discharge", "discharged_at"],
        unique=False,
    )
    # an existing store: count its history once
    op.execute(
        f"INSERT INTO spell_day_counts ({KEY}, n) "
        f"SELECT {KEY}, count(*) FROM spell_days GROUP BY {KEY}"
    )
    op.execute(
        "INSERT INTO spell_day_ward_totals (day, site_code, ward_code, bed_days, nctr_days, "
        "red_days, green_days, not_recorded_days) "
        "SELECT day, site_code, ward_code, sum(n), "
        "sum(CASE WHEN nctr THEN n ELSE 0 END), "
        "sum(CASE WHEN r2g_status = 'red' THEN n ELSE 0 END), "
        "sum(CASE WHEN r2g_status = 'green' THEN n ELSE 0 END), "
        "sum(CASE WHEN r2g_status = 'not_recorded' THEN n ELSE 0 END) "
        "FROM spell_day_counts GROUP BY day, site_code, ward_code"
    )
    for dimension, column in DELAY_DIMENSIONS.items():
        value = f"CAST({column} AS VARCHAR(32))" if column == "pathway" else column
        op.execute(
            "INSERT INTO spell_day_delay_counts (dimension, day, site_code, value, n) "
            f"SELECT '{dimension}', day, site_code, {value}, sum(n) FROM spell_day_counts "
            f"WHERE nctr GROUP BY day, site_code, {column}"
        )


def downgrade() -> None:
    op.drop_index("ix_spell_day_delay_counts_dimension_day", table_name="spell_day_delay_counts")
    op.drop_table("spell_day_delay_counts")
    op.drop_index("ix_spells_discharge_cover", table_name="spells")
    op.drop_table("spell_day_ward_totals")
    op.drop_index("ix_spell_day_counts_day_site", table_name="spell_day_counts")
    op.drop_table("spell_day_counts")
