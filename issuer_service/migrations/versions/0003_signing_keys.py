"""Signing keys: which provider, token and label every key lives under; list-cache indexes.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_keys",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kid", sa.String(16), nullable=False, unique=True),
        sa.Column("role", sa.String(10), nullable=False),
        sa.Column("provider", sa.String(20), nullable=False),
        sa.Column("token", sa.String(100), nullable=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("types", sa.String(3), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("certificate", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_certificates_revoked_at", "certificates", ["revoked_at"])
    op.create_index("ix_certificates_kid_expires_at", "certificates", ["kid", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_certificates_kid_expires_at", "certificates")
    op.drop_index("ix_certificates_revoked_at", "certificates")
    op.drop_table("signing_keys")
