"""Bulk jobs any instance can run: leases, stored uploads, failure reasons.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("bulk_jobs") as table:
        table.add_column(sa.Column("lease_owner", sa.String(200), nullable=True))
        table.add_column(sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True))
        table.add_column(sa.Column("upload_id", sa.String(36), nullable=True))
        table.add_column(sa.Column("rows_total", sa.Integer, nullable=True))
        table.add_column(sa.Column("failure", sa.Text, nullable=True))
    op.create_index("ix_bulk_jobs_upload_id", "bulk_jobs", ["upload_id"])
    op.create_table(
        "bulk_uploads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True),
        sa.Column("upload_id", sa.String(36), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("upload_id", "seq"),
    )


def downgrade() -> None:
    op.drop_table("bulk_uploads")
    op.drop_index("ix_bulk_jobs_upload_id", "bulk_jobs")
    with op.batch_alter_table("bulk_jobs") as table:
        for column in ("failure", "rows_total", "upload_id", "lease_expires_at", "lease_owner"):
            table.drop_column(column)
