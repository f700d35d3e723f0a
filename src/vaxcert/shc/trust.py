"""Which key may have signed a card: the issuer's own ``iss#kid`` first, then a key trusted for any issuer.

A kid alone never finds a key of another issuer: a JWK Set is bound to the ``iss``
it was published under, so a card naming issuer A cannot borrow issuer B's key by
copying its kid.  The key's status (registry ``status``, validity window, the x5c
leaf certificate's validity) decides whether a matching key may be used.
"""

from __future__ import annotations

import functools
from datetime import datetime

from cryptography import x509

from ..registry import TrustedKey, TrustRegistry
from ..summary import Status
from .errors import IssuerTrustError, KeyStatusError


def find_keys(registry: TrustRegistry, iss: str, kid: str) -> tuple[TrustedKey, ...]:
    """Candidate keys, most specific first; raises :class:`IssuerTrustError` when there are none."""
    keys = registry.shc_keys(iss, kid)
    if not keys:
        raise IssuerTrustError("trust.unknown_key", "no trusted key for this issuer and kid")
    return keys


def check_key(key: TrustedKey, at: datetime) -> None:
    """Raise :class:`KeyStatusError` when ``key`` may not be used at ``at``."""
    failure = key.failure_at(at)
    if failure is not None:
        reason = {
            Status.TERMINATED_KEYS: "terminated",
            Status.REVOKED_KEYS: "revoked",
            Status.EXPIRED_KEYS: "expired",
        }[failure]
        raise KeyStatusError(f"key.{reason}", f"the issuer key is {reason} at the verification time", failure)
    if key.certificate_chain:
        window = _validity(key.certificate_chain[0])
        if window is None:
            raise KeyStatusError("key.bad_certificate", "the key's x5c certificate is unreadable", Status.EXPIRED_KEYS)
        not_before, not_after = window
        if not not_before <= at <= not_after:
            raise KeyStatusError(
                "key.certificate_expired",
                "the verification time is outside the key's x5c certificate validity",
                Status.EXPIRED_KEYS,
            )


@functools.lru_cache(maxsize=1024)
def _validity(der: bytes) -> tuple[datetime, datetime] | None:
    try:
        certificate = x509.load_der_x509_certificate(der)
        return certificate.not_valid_before_utc, certificate.not_valid_after_utc
    except ValueError:
        return None
