"""API keys: ``vx_<prefix>_<secret>``, shown once, stored as SHA-256 of the secret.

The secret has 256 bits of entropy, so a plain SHA-256 digest (not a slow
password hash) is enough to make a stolen table useless, and lookups by the
non-secret prefix keep checking a key O(1).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .models import ApiKey, Organisation

SCOPES = ("issue", "read", "revoke", "admin")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the organisation and what its key may do."""

    organisation_id: int
    organisation_name: str
    key_prefix: str
    scopes: frozenset[str]

    def may(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def create_organisation(session: Session, name: str) -> Organisation:
    organisation = Organisation(name=name, created_at=datetime.now(UTC))
    session.add(organisation)
    session.flush()
    return organisation


def create_key(session: Session, organisation: Organisation, scopes: set[str]) -> str:
    """A new key for ``organisation``; the returned string is the only copy of the secret."""
    unknown = scopes - set(SCOPES)
    if unknown or not scopes:
        raise ValueError(f"scopes must be among {', '.join(SCOPES)} (got {', '.join(sorted(scopes)) or 'none'})")
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            organisation_id=organisation.id,
            prefix=prefix,
            secret_sha256=_digest(secret),
            scopes=",".join(sorted(scopes)),
            created_at=datetime.now(UTC),
        )
    )
    session.flush()
    return f"vx_{prefix}_{secret}"


def revoke_key(session: Session, prefix: str) -> bool:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None:
        return False
    key.revoked_at = datetime.now(UTC)
    return True


def authenticate(session: Session, presented: str) -> Caller | None:
    """The caller for a presented key, or None (unknown, malformed, revoked)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "vx" or not parts[1] or not parts[2]:
        return None
    row = session.execute(select(ApiKey, Organisation).join(Organisation).where(ApiKey.prefix == parts[1])).first()
    if row is None:
        return None
    key, organisation = row
    if key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_sha256, _digest(parts[2])):
        return None
    return Caller(organisation.id, organisation.name, key.prefix, frozenset(key.scopes.split(",")))
