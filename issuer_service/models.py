"""Database tables (SQLAlchemy 2).  Migrations in ``migrations/`` mirror these."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Organisation(Base):
    """A vaccination site, hospital, province system or ministry office."""

    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    # Issuing-entity prefix: every UVCI of this organisation starts URN:UVCI:01:<country>:<prefix>/
    uvci_prefix: Mapped[str] = mapped_column(String(8), unique=True)


class ApiKey(Base):
    """An API key: shown once, stored as a SHA-256 digest of its secret part."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_sha256: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class Certificate(Base):
    """An issued certificate.  The UVCI is the primary key, so it is unique by construction.

    The HC1 text is kept so the holder's QR and PDF can be produced again; no
    other personal data is stored outside it.
    """

    __tablename__ = "certificates"
    uvci: Mapped[str] = mapped_column(String(80), primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    certificate_type: Mapped[str] = mapped_column(String(1))
    hc1: Mapped[str] = mapped_column(Text)
    kid: Mapped[str] = mapped_column(String(16))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    revocation_reason: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # Folded "family given" name and the date of birth, for the console's search (issuer_service.search);
    # "C" collation on PostgreSQL so a prefix is a byte-order range of the index.
    search_name: Mapped[str | None] = mapped_column(
        String(200).with_variant(String(200, collation="C"), "postgresql"), nullable=True
    )
    dob: Mapped[str | None] = mapped_column(String(10), nullable=True)


class IdempotencyRecord(Base):
    """Maps an organisation's Idempotency-Key (or a bulk row) to the certificate it produced."""

    __tablename__ = "idempotency"
    __table_args__ = (UniqueConstraint("organisation_id", "key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    key: Mapped[str] = mapped_column(String(200))
    request_sha256: Mapped[str] = mapped_column(String(64))
    uvci: Mapped[str] = mapped_column(ForeignKey("certificates.uvci"))


class BulkJob(Base):
    __tablename__ = "bulk_jobs"
    __table_args__ = (UniqueConstraint("organisation_id", "file_sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    file_name: Mapped[str] = mapped_column(String(300))
    file_sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20))
    rows_done: Mapped[int] = mapped_column(Integer, default=0)
    rows_issued: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # Who runs the job and until when (any instance may take it over once the lease expires).
    lease_owner: Mapped[str | None] = mapped_column(String(200), nullable=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # The stored upload (bulk_uploads.upload_id) of a job sent over HTTP; none for CLI jobs.
    upload_id: Mapped[str | None] = mapped_column(String(36), nullable=True, index=True)
    rows_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    failure: Mapped[str | None] = mapped_column(Text, nullable=True)


class BulkUpload(Base):
    """One chunk of an uploaded bulk file, so every service instance can run the job.

    Kept until the job finishes or fails; chunks of an upload that never became
    a job (client gone) are swept at startup.
    """

    __tablename__ = "bulk_uploads"
    __table_args__ = (UniqueConstraint("upload_id", "seq"),)
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    upload_id: Mapped[str] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class BulkRow(Base):
    """The result of one bulk row, written in the same transaction as its certificate."""

    __tablename__ = "bulk_rows"
    __table_args__ = (UniqueConstraint("job_id", "row_number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("bulk_jobs.id"), index=True)
    row_number: Mapped[int] = mapped_column(Integer)
    uvci: Mapped[str | None] = mapped_column(String(80), nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)


class StaffAccount(Base):
    """A person who signs in to the web console: one organisation, some roles, a scrypt password hash."""

    __tablename__ = "staff_accounts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    roles: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    disabled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class StaffSession(Base):
    """A signed-in browser: the cookie's SHA-256 (never the cookie), its CSRF token and expiry."""

    __tablename__ = "staff_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class LoginFailure(Base):
    """A failed sign-in, counted per user name for rate limiting across every service instance."""

    __tablename__ = "staff_login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AuditEntry(Base):
    """Append-only, hash-chained: each entry's digest covers the previous digest."""

    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    organisation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")
    previous_sha256: Mapped[str] = mapped_column(String(64), unique=True)  # one successor per entry
    sha256: Mapped[str] = mapped_column(String(64), unique=True)


class AuditOutboxEntry(Base):
    """An audited event not yet chained into the log (PostgreSQL; see ``audit.seal``)."""

    __tablename__ = "audit_outbox"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    organisation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    action: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    detail: Mapped[str] = mapped_column(Text, default="")


class SigningKey(Base):
    """A key the service signs with (role ``dsc``) or signs its lists with (role ``list``).

    Recorded at first start and changed only by ``vaxcert-issuer keys``: a
    later start that would take keys from another provider, token or label
    refuses instead of switching.  A retired DSC stays in the published trust
    list until the last certificate it signed expires.
    """

    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)  # hex, as in certificates.kid
    role: Mapped[str] = mapped_column(String(10))  # "dsc" or "list"
    provider: Mapped[str] = mapped_column(String(20))  # "pkcs11", "softhsm-dev" or "pem-dev"
    token: Mapped[str | None] = mapped_column(String(100), nullable=True)
    label: Mapped[str] = mapped_column(String(200))
    types: Mapped[str] = mapped_column(String(3), default="")  # the types it signs now; "" once retired
    status: Mapped[str] = mapped_column(String(10))  # "active" or "retired"
    certificate: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


# The list caches ask "did anything change?" on every fetch, and the trust list asks which
# DSCs still have unexpired certificates: both must stay index lookups with millions of rows.
Index("ix_certificates_revoked_at", Certificate.revoked_at)
Index("ix_certificates_kid_expires_at", Certificate.kid, Certificate.expires_at)
# The console's search: a prefix range of folded names or one date of birth, within an organisation.
Index("ix_certificates_org_search_name", Certificate.organisation_id, Certificate.search_name)
Index("ix_certificates_org_dob", Certificate.organisation_id, Certificate.dob)
# The dashboard's counts per day and per type, read from the index alone.
Index(
    "ix_certificates_org_issued_type", Certificate.organisation_id, Certificate.issued_at, Certificate.certificate_type
)
