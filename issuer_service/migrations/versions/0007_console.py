"""Web console: staff accounts, their sessions and failed sign-ins; searchable name and date of birth.

Existing certificates get their folded name and date of birth from their own HC1 text.

Revision ID: 0007
Revises: 0006
"""

import re
import unicodedata
import zlib

import cbor2
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)
_B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _fold(text: str) -> str:
    # issuer_service.search.fold as of this revision, frozen here: migrations must not change later.
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^0-9a-z]+", " ", bare).strip()[:200]


def _base45(text: str) -> bytes:
    out = bytearray()
    for start in range(0, len(text), 3):
        chunk = [_B45.index(c) for c in text[start : start + 3]]
        value = sum(v * 45**i for i, v in enumerate(chunk))
        out += value.to_bytes(2 if len(chunk) == 3 else 1, "big")
    return bytes(out)


def _indexed(hc1: str) -> tuple[str | None, str | None]:
    """(folded name, date of birth) of one of our own stored HC1 texts (unverified: we signed it)."""
    try:
        cose = cbor2.loads(zlib.decompress(_base45(hc1[4:])))
        message = cose.value if isinstance(cose, cbor2.CBORTag) else cose
        dcc = cbor2.loads(message[2])[-260][1]
        name = dcc.get("nam") or {}
        full = " ".join(str(name.get(p) or name.get(p + "t") or "") for p in ("fn", "gn"))
        dob = dcc.get("dob")
        return _fold(full), (dob[:10] if isinstance(dob, str) and dob else None)
    except Exception:  # a row we cannot read stays unsearchable by name; never stop the migration
        return None, None


def upgrade() -> None:
    name_type = sa.String(200).with_variant(sa.String(200, collation="C"), "postgresql")
    with op.batch_alter_table("certificates") as batch:
        batch.add_column(sa.Column("search_name", name_type, nullable=True))
        batch.add_column(sa.Column("dob", sa.String(10), nullable=True))
    connection = op.get_bind()
    certificates = sa.table(
        "certificates",
        sa.column("uvci", sa.String),
        sa.column("hc1", sa.Text),
        sa.column("search_name", sa.String),
        sa.column("dob", sa.String),
    )
    rows = connection.execute(sa.select(certificates.c.uvci, certificates.c.hc1)).fetchall()
    updates = [{"key": uvci, "n": name, "d": dob} for uvci, hc1 in rows for name, dob in [_indexed(hc1)]]
    if updates:
        connection.execute(
            certificates.update()
            .where(certificates.c.uvci == sa.bindparam("key"))
            .values(search_name=sa.bindparam("n"), dob=sa.bindparam("d")),
            updates,
        )
    op.create_index("ix_certificates_org_search_name", "certificates", ["organisation_id", "search_name"])
    op.create_index("ix_certificates_org_dob", "certificates", ["organisation_id", "dob"])
    op.create_index(
        "ix_certificates_org_issued_type", "certificates", ["organisation_id", "issued_at", "certificate_type"]
    )
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
        sa.Column("username", sa.String(100), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("disabled_at", _TS, nullable=True),
    )
    op.create_index("ix_staff_accounts_organisation_id", "staff_accounts", ["organisation_id"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
    )
    op.create_index("ix_staff_sessions_account_id", "staff_sessions", ["account_id"])
    op.create_table(
        "staff_login_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("at", _TS, nullable=False),
    )
    op.create_index("ix_staff_login_failures_username", "staff_login_failures", ["username"])


def downgrade() -> None:
    op.drop_table("staff_login_failures")
    op.drop_table("staff_sessions")
    op.drop_table("staff_accounts")
    op.drop_index("ix_certificates_org_issued_type", "certificates")
    op.drop_index("ix_certificates_org_dob", "certificates")
    op.drop_index("ix_certificates_org_search_name", "certificates")
    with op.batch_alter_table("certificates") as batch:
        batch.drop_column("dob")
        batch.drop_column("search_name")
