"""The record of the service's keys (table ``signing_keys``): what signs now, what is still published.

The record pins each key to the provider, token and label it was created
with, so a changed configuration cannot silently swap keys.  Rotation and
retirement change it explicitly (``vaxcert-issuer keys``), with an audit entry.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from vaxcert import DocumentSignerCertificate, KeyProviderError

from . import audit
from .models import Certificate, SigningKey

TYPES = "vtr"
DSC, LIST = "dsc", "list"
ACTIVE, RETIRED = "active", "retired"


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


@dataclass(frozen=True)
class KeyRecord:
    kid: str
    role: str
    provider: str
    token: str | None
    label: str
    types: str
    status: str
    certificate: DocumentSignerCertificate
    created_at: datetime
    retired_at: datetime | None

    @classmethod
    def of(cls, row: SigningKey) -> KeyRecord:
        return cls(
            row.kid,
            row.role,
            row.provider,
            row.token,
            row.label,
            row.types,
            row.status,
            DocumentSignerCertificate.from_der(bytes(row.certificate)),
            _utc(row.created_at) or datetime.now(UTC),
            _utc(row.retired_at),
        )

    def where(self) -> str:
        """Where the key lives, for messages."""
        if self.provider == "pem-dev":
            return f"PEM file dev-pki/{self.label} (development)"
        token = f"token {self.token!r}" if self.token else "a token"
        return f"{self.provider} {token}, label {self.label!r}"


def records(session: Session, *, role: str | None = None, active_only: bool = False) -> list[KeyRecord]:
    query = select(SigningKey).order_by(SigningKey.id)
    if role is not None:
        query = query.where(SigningKey.role == role)
    if active_only:
        query = query.where(SigningKey.status == ACTIVE)
    return [KeyRecord.of(row) for row in session.scalars(query)]


def _certificate_types(certificate: DocumentSignerCertificate) -> str:
    allowed = certificate.allowed_types
    return TYPES if allowed is None else "".join(t for t in TYPES if t in allowed)


def register(
    session: Session,
    *,
    role: str,
    provider: str,
    token: str | None,
    label: str,
    certificate: DocumentSignerCertificate,
    types: str = "",
    replace: bool = True,
    actor: str = "service",
) -> KeyRecord:
    """Record a key as active (a DSC for ``types``); older keys lose those types, and retire when left with none.

    ``replace`` False adds the key without taking types from others (first start, adopting old keys).
    """
    now = datetime.now(UTC)
    kid = certificate.kid.hex()
    if role == DSC:
        missing = [t for t in types if t not in _certificate_types(certificate)]
        if missing:
            raise KeyProviderError(
                "keys.wrong_types",
                f"the DSC {kid} may not sign type(s) {''.join(missing)} (its certificate allows "
                f"{_certificate_types(certificate) or 'none'})",
            )
    row = session.scalar(select(SigningKey).where(SigningKey.kid == kid))
    if row is None:
        row = SigningKey(
            kid=kid,
            role=role,
            provider=provider,
            token=token,
            label=label,
            types="",
            status=ACTIVE,
            certificate=certificate.der,
            created_at=now,
            changed_at=now,
        )
        session.add(row)
    elif row.role != role:
        raise KeyProviderError("keys.role", f"key {kid} is already recorded as a {row.role} key")
    row.types = "".join(t for t in TYPES if t in set(row.types) | set(types))
    if role == DSC and not row.types:  # adopted from an earlier run: published, never signs again
        row.status, row.retired_at, row.changed_at = RETIRED, row.retired_at or now, now
    else:
        row.status, row.retired_at, row.changed_at = ACTIVE, None, now
    replaced: list[str] = []
    if replace:
        others = session.scalars(
            select(SigningKey).where(SigningKey.role == role, SigningKey.status == ACTIVE, SigningKey.kid != kid)
        )
        for other in others:
            remaining = "".join(t for t in other.types if t not in types) if role == DSC else ""
            if remaining != other.types or role == LIST:
                replaced.append(other.kid)
                other.types, other.changed_at = remaining, now
                if not remaining:
                    other.status, other.retired_at = RETIRED, now
    session.flush()
    detail = f"role={role} provider={provider} label={label} types={row.types or '-'}"
    if replaced:
        detail += f" replaces={','.join(replaced)}"
    audit.append(session, None, "key_activate", kid, f"{detail} by={actor}")
    return KeyRecord.of(row)


def retire(session: Session, kid: str, *, actor: str = "cli") -> KeyRecord:
    """Stop signing with a DSC; refuses when a certificate type would be left without a signer."""
    row = session.scalar(select(SigningKey).where(SigningKey.kid == kid.lower()))
    if row is None:
        raise KeyProviderError("keys.unknown_kid", f"no recorded key with kid {kid}")
    if row.role != DSC:
        raise KeyProviderError("keys.role", "the list signer is replaced by rotating it, not retired")
    if row.status == RETIRED:
        return KeyRecord.of(row)
    covered = {
        t
        for other in session.scalars(
            select(SigningKey).where(SigningKey.role == DSC, SigningKey.status == ACTIVE, SigningKey.kid != row.kid)
        )
        for t in other.types
    }
    orphaned = [t for t in row.types if t not in covered]
    if orphaned:
        raise KeyProviderError(
            "keys.last_signer",
            f"key {row.kid} is the only signer of type(s) {''.join(orphaned)}: rotate to a new key first",
        )
    now = datetime.now(UTC)
    row.status, row.types, row.retired_at, row.changed_at = RETIRED, "", now, now
    audit.append(session, None, "key_retire", row.kid, f"label={row.label} by={actor}")
    return KeyRecord.of(row)


def last_expiry(session: Session, kids: Iterable[str]) -> dict[str, datetime]:
    """When the last certificate signed by each key expires (keys that signed nothing are absent)."""
    wanted = list(kids)
    if not wanted:
        return {}
    query = (
        select(Certificate.kid, func.max(Certificate.expires_at))
        .where(Certificate.kid.in_(wanted))
        .group_by(Certificate.kid)
    )
    found: dict[str, datetime] = {}
    for kid, moment in session.execute(query):
        utc = _utc(moment)
        if utc is not None:
            found[kid] = utc
    return found


@dataclass(frozen=True)
class Published:
    """The DSCs a trust list must carry now, and when that set next changes by itself."""

    records: list[KeyRecord]
    until: dict[str, datetime]  # retired DSCs: published until their last certificate expires
    next_change: datetime | None


def published(session: Session, at: datetime | None = None) -> Published:
    """Every active DSC, and every retired one that signed a certificate not yet expired."""
    now = at or datetime.now(UTC)
    dscs = records(session, role=DSC)
    retired = [r for r in dscs if r.status == RETIRED]
    expiry = last_expiry(session, [r.kid for r in retired])
    listed = [r for r in dscs if r.status == ACTIVE or expiry.get(r.kid, now) > now]
    until = {r.kid: expiry[r.kid] for r in listed if r.status == RETIRED}
    return Published(listed, until, min(until.values(), default=None))


def change_marker(session: Session) -> tuple[int, datetime | None]:
    """Cheap: changes whenever a key is recorded, rotated or retired (by any process)."""
    count, changed = session.execute(select(func.count(), func.max(SigningKey.changed_at))).one()
    return int(count or 0), _utc(changed)
