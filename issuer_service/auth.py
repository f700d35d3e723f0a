"""API keys: ``vx_<prefix>_<secret>``, shown once, stored as SHA-256 of the secret.

The secret has 256 bits of entropy, so a plain SHA-256 digest (not a slow
password hash) is enough to make a stolen table useless, and lookups by the
non-secret prefix keep checking a key O(1).  Whether a key is revoked is read
on every request (:class:`KeyStates`), so revoking takes effect at once.

Each organisation owns a UVCI namespace: a random 4-character issuing-entity
prefix, so its UVCIs start ``URN:UVCI:01:VN:<PREFIX>/``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import DBAPIError
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
    """Whether the key exists and is not revoked."""
    row = connection.execute(_REVOKED_AT, {"prefix": key_prefix}).first()
    return row is not None and row[0] is None


class KeyStates:
    """Whether a key is still active, read on every request so a revocation counts at once in every worker.

    The read goes straight to a pooled DB-API connection: through a
    SQLAlchemy Connection (autobegin, BEGIN, ROLLBACK) it cost 210 us on
    SQLite, raw 26 us, which is what lets every request pay for it.  On a
    driver error it repeats the read through SQLAlchemy, which then raises
    the wrapped error the service maps to 503.
    """

    def __init__(self, engine: Engine) -> None:
        markers = {"qmark": "?", "format": "%s", "pyformat": "%s"}
        marker = markers.get(engine.dialect.paramstyle)
        self._engine = engine
        self._sql = None if marker is None else f"SELECT revoked_at FROM api_keys WHERE prefix = {marker}"

    def active(self, key_prefix: str) -> bool:
        if self._sql is not None:
            try:
                raw = self._engine.raw_connection()
                try:
                    cursor = raw.cursor()
                    try:
                        cursor.execute(self._sql, (key_prefix,))
                        row = cursor.fetchone()
                    finally:
                        cursor.close()
                finally:
                    raw.close()
                return row is not None and row[0] is None
            except (self._engine.dialect.loaded_dbapi.Error, DBAPIError):
                pass
        with self._engine.connect() as connection:
            return key_is_active(connection, key_prefix)
