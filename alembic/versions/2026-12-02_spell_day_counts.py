"""spell_day_counts, spell_day_ward_totals, spell_day_delay_counts, spell_discharge_counts:
spell_days and the discharges of spells rolled up for the period metrics; a covering index
for discharge counts

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 17:40:00

"""

from collections.abc import Sequence
from datetime import UTC, datetime, time

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


# as ingest/day_counts.py had it when this revision was written (a migration stays as written)
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
    op.create_table(
        "spell_discharge_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=False),
        sa.Column("site_code", sa.String(length=12), nullable=False),
        sa.Column("band", sa.String(length=8), nullable=False),
        sa.Column("nctr", sa.Boolean(), nullable=False),
        sa.Column("by_cutoff", sa.Boolean(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("delay_days", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_spell_discharge_counts")),
    )
    op.create_index(
        "ix_spell_discharge_counts_day_site",
        "spell_discharge_counts",
        ["discharge_date", "site_code"],
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
    _count_discharges()


def _count_discharges() -> None:
    """The discharges of an existing store, per day, site, delay band, NCtR and cut-off (the
    sitrep's 17:01 local time, in the configured time zone)."""
    from app.core.config import get_settings

    bind = op.get_bind()
    tz = get_settings().tz
    days = [
        row[0]
        for row in bind.execute(
            sa.text("SELECT DISTINCT discharge_date FROM spells WHERE discharge_date IS NOT NULL")
        )
    ]
    if bind.dialect.name == "postgresql":
        delay = "(s.discharge_date - s.drd_at_discharge)"
        instant = "CAST(c.instant AS TIMESTAMP)"
        day = "CAST(c.day AS DATE)"
    else:
        delay = "CAST(julianday(s.discharge_date) - julianday(s.drd_at_discharge) AS INTEGER)"
        instant, day = "c.instant", "c.day"
    delay = (
        "CASE WHEN s.drd_at_discharge IS NULL OR s.drd_at_discharge >= s.discharge_date "
        f"THEN 0 ELSE {delay} END"
    )
    band = (
        f"CASE WHEN {delay} <= 0 THEN '0' WHEN {delay} = 1 THEN '1' WHEN {delay} <= 3 THEN '2-3' "
        f"WHEN {delay} <= 6 THEN '4-6' WHEN {delay} <= 13 THEN '7-13' "
        f"WHEN {delay} <= 20 THEN '14-20' ELSE '21+' END"
    )
    nctr = "CASE WHEN s.drd_at_discharge IS NOT NULL THEN TRUE ELSE FALSE END"
    by_cutoff = (
        f"CASE WHEN s.drd_at_discharge IS NOT NULL AND s.discharged_at < {instant} "
        "THEN TRUE ELSE FALSE END"
    )
    for start in range(0, len(days), 400):
        chunk = days[start : start + 400]
        values, params = [], {}
        for i, d in enumerate(chunk):
            if isinstance(d, str):
                d = datetime.strptime(d, "%Y-%m-%d").date()
            cutoff = datetime.combine(d, time(17, 1), tzinfo=tz).astimezone(UTC)
            values.append(f"(:d{i}, :t{i})")
            params[f"d{i}"] = d.isoformat()
            params[f"t{i}"] = cutoff.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        bind.execute(
            sa.text(
                f"WITH c (day, instant) AS (VALUES {', '.join(values)}) "
                "INSERT INTO spell_discharge_counts "
                "(discharge_date, site_code, band, nctr, by_cutoff, n, delay_days) "
                f"SELECT s.discharge_date, s.site_code, {band}, {nctr}, {by_cutoff}, count(*), "
                f"sum({delay}) FROM spells s JOIN c ON {day} = s.discharge_date "
                f"GROUP BY s.discharge_date, s.site_code, {band}, {nctr}, {by_cutoff}"
            ),
            params,
        )


def downgrade() -> None:
    op.drop_index("ix_spell_discharge_counts_day_site", table_name="spell_discharge_counts")
    op.drop_table("spell_discharge_counts")
    op.drop_index("ix_spell_day_delay_counts_dimension_day", table_name="spell_day_delay_counts")
    op.drop_table("spell_day_delay_counts")
    op.drop_index("ix_spells_discharge_cover", table_name="spells")
    op.drop_table("spell_day_ward_totals")
    op.drop_index("ix_spell_day_counts_day_site", table_name="spell_day_counts")
    op.drop_table("spell_day_counts")
