"""SMART Health Card revocation: the issuer's per-key list of revoked ``rid`` values.

An entry ``rid.timestamp`` revokes only cards issued (``nbf``) before the timestamp.
A list older than the key's ``crlVersion`` still revokes what it lists; the
verifier is told it may be missing newer entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ..registry import TrustedKey, TrustRegistry
from .errors import ShcRevocationError


@dataclass(frozen=True, slots=True)
class RevocationCheck:
    """What the revocation stage could check: whether a list was there and whether it is current."""

    list_found: bool
    stale: bool = False  # the list's ctr is below the key's crlVersion


def check(registry: TrustRegistry, kid: str, rid: str | None, nbf: datetime | None, key: TrustedKey) -> RevocationCheck:
    """Raise :class:`ShcRevocationError` when the card is listed; otherwise say what was checked."""
    crl = registry.shc_revocation(kid)
    if crl is None:
        return RevocationCheck(list_found=False, stale=key.crl_version is not None)
    if rid is not None and crl.revokes(rid, nbf):
        raise ShcRevocationError("revocation.revoked", "the issuer has revoked this card")
    return RevocationCheck(list_found=True, stale=key.crl_version is not None and crl.ctr < key.crl_version)
