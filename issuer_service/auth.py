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

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from .models import ApiKey, Organisation

SCOPES = ("issue", "read", "revoke", "admin")
UVCI_PREFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# 36**4 = 1.7 million organisations; one fixed length, so no prefix is the start of another.
UVCI_PREFIX_LENGTH = 4


@dataclass(frozen=True)
class Caller:
    """Who is calling: the organisation and what its key may do."""

    organisation_id: int
    organisation_name: str
    key_prefix: str
    scopes: frozenset[str]
    uvci_prefix: str = ""  # the organisation's UVCI namespace; empty: look it up (see IssuerService)

    def may(self, scope: str) -> bool:
        return scope in self.scopes or "admin" in self.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def new_uvci_prefix() -> str:
    """A random issuing-entity prefix (random, so prefixes reveal neither order nor count of organisations)."""
    return "".join(secrets.choice(UVCI_PREFIX_ALPHABET) for _ in range(UVCI_PREFIX_LENGTH))


def create_organisation(session: Session, name: str) -> Organisation:
    """A new organisation with its own UVCI namespace (the unique constraint settles a race)."""
    prefix = new_uvci_prefix()
    while session.scalar(select(Organisation.id).where(Organisation.uvci_prefix == prefix)) is not None:
        prefix = new_uvci_prefix()
    organisation = Organisation(name=name, created_at=datetime.now(UTC), uvci_prefix=prefix)
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
    return Caller(
        organisation.id, organisation.name, key.prefix, frozenset(key.scopes.split(",")), organisation.uvci_prefix
    )


_REVOKED_AT = select(ApiKey.revoked_at).where(ApiKey.prefix == bindparam("prefix"))


def key_is_active(connection: Connection, key_prefix: str) -> bool:
    """Whether the key exists and is not revoked: one indexed read, made on every request.

    Checked per request, not remembered, so a revocation (from any process)
    takes effect with the very next request in every worker.  A Core query on
    a bare connection: the ORM would cost more than the read itself.
    """
    row = connection.execute(_REVOKED_AT, {"prefix": key_prefix}).first()
    return row is not None and row[0] is None
