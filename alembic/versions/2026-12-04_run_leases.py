"""ingest_runs leases (lease_expires_at, lease_holder, abandoned_at); one scheduler_job_runs
row per job and scheduled tick

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 04:30:00

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # plain ALTER TABLE on both databases: SQLite adds and drops columns in place (3.35+),
    # where a batch copy of ingest_runs would trip the foreign keys of its quarantined rows
    op.add_column("ingest_runs", sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
    op.add_column("ingest_runs", sa.Column("lease_holder", sa.String(length=200), nullable=True))
    op.add_column("ingest_runs", sa.Column("abandoned_at", sa.DateTime(), nullable=True))
    # a tick recorded twice before this revision (a missed and a run row): keep the first
    op.execute(
        "DELETE FROM scheduler_job_runs WHERE scheduled_at IS NOT NULL AND id NOT IN "
        "(SELECT min(id) FROM scheduler_job_runs WHERE scheduled_at IS NOT NULL "
        "GROUP BY job_id, scheduled_at)"
    )
    op.create_index(
        "uq_scheduler_job_runs_job_tick",
        "scheduler_job_runs",
        ["job_id", "scheduled_at"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_scheduler_job_runs_job_tick", table_name="scheduler_job_runs")
    op.drop_column("ingest_runs", "abandoned_at")
    op.drop_column("ingest_runs", "lease_holder")
    op.drop_column("ingest_runs", "lease_expires_at")
