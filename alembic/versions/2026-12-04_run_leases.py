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
    with op.batch_alter_table("ingest_runs") as batch:
        batch.add_column(sa.Column("lease_expires_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("lease_holder", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("abandoned_at", sa.DateTime(), nullable=True))
    # a tick recorded twice before this revision (a missed and a run row): keep the first
    op.execute(
        "DELETE FROM scheduler_job_runs WHERE scheduled_at IS NOT NULL AND id NOT IN "
        "(SELECT min(id) FROM scheduler_job_runs WHERE scheduled_at IS NOT NULL "
        "GROUP BY job_id, scheduled_at)"
    )
    with op.batch_alter_table("scheduler_job_runs") as batch:
        batch.create_unique_constraint("uq_scheduler_job_runs_job_tick", ["job_id", "scheduled_at"])


def downgrade() -> None:
    with op.batch_alter_table("scheduler_job_runs") as batch:
        batch.drop_constraint("uq_scheduler_job_runs_job_tick", type_="unique")
    with op.batch_alter_table("ingest_runs") as batch:
        batch.drop_column("abandoned_at")
        batch.drop_column("lease_holder")
        batch.drop_column("lease_expires_at")
