"""Revoking certificates, and what the revocation list publishes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from . import audit
from .auth import Caller
from .errors import NotFound
from .models import Certificate
from .store import IssuedRecord, Store, as_utc


class Revocations:
    """Revoke an organisation's certificates (audited); list what is revoked."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def revoke(self, caller: Caller, uvci: str, reason: str) -> IssuedRecord:
        with self.store.transaction() as session:
            row = session.get(Certificate, uvci)
            if row is None or row.organisation_id != caller.organisation_id:
                raise NotFound("not_found", "no such certificate for this organisation")
            if row.revoked_at is None:
                row.revoked_at = datetime.now(UTC)
                row.revocation_reason = reason
                audit.append(session, caller.organisation_id, "revoke", uvci, reason)
            return IssuedRecord.of(row)

    def revoked_since(self, since: datetime | None = None) -> list[tuple[str, str, datetime]]:
        """(uvci, hc1, revoked_at) of revoked certificates, for the revocation-list publisher."""
        with self.store.sessions() as session:
            query = select(Certificate.uvci, Certificate.hc1, Certificate.revoked_at).where(
                Certificate.revoked_at.is_not(None)
            )
            if since is not None:
                query = query.where(Certificate.revoked_at > since)
            # The query already excludes NULL revoked_at; the filter only narrows the type.
            return [(u, h, as_utc(r)) for u, h, r in session.execute(query) if r is not None]
