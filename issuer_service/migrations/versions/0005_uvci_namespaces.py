"""UVCI namespaces: each organisation gets an issuing-entity prefix (back-filled for existing rows).

Revision ID: 0005
Revises: 0003
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0003"
branch_labels = None
depends_on = None


def _prefix() -> str:
    # The same form as issuer_service.auth.new_uvci_prefix, frozen here as migrations must not change later.
    return "".join(secrets.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") for _ in range(4))


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("uvci_prefix", sa.String(8), nullable=True))
    connection = op.get_bind()
    organisations = sa.table("organisations", sa.column("id", sa.Integer), sa.column("uvci_prefix", sa.String))
    taken: set[str] = set()
    for (organisation_id,) in connection.execute(sa.select(organisations.c.id).order_by(organisations.c.id)):
        prefix = _prefix()
        while prefix in taken:
            prefix = _prefix()
        taken.add(prefix)
        connection.execute(
            organisations.update().where(organisations.c.id == organisation_id).values(uvci_prefix=prefix)
        )
    with op.batch_alter_table("organisations") as batch:
        batch.alter_column("uvci_prefix", existing_type=sa.String(8), nullable=False)
        batch.create_unique_constraint("uq_organisations_uvci_prefix", ["uvci_prefix"])


def downgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("uq_organisations_uvci_prefix", type_="unique")
        batch.drop_column("uvci_prefix")
