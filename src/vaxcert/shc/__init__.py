"""SMART Health Cards (``shc:/``): verify offline into the multi-format report, and issue.

``verify_shc(qr, registry, at=...)`` reads one QR text or the chunks of a chunked
card in any order; the stages are one module each (numeric, jws, jose, inflate,
payload, content, trust, signature, revocation, expiry).
"""

from __future__ import annotations

from .errors import (
    ContentError,
    InflateError,
    IssuerTrustError,
    JoseError,
    JwsError,
    KeyStatusError,
    NumericError,
    PayloadError,
    ShcError,
    ShcExpiryError,
    ShcIssuanceError,
    ShcRevocationError,
    ShcSignatureError,
)
from .pipeline import ShcDetail
from .pipeline import verify as verify_shc

__all__ = [
    "ContentError",
    "InflateError",
    "IssuerTrustError",
    "JoseError",
    "JwsError",
    "KeyStatusError",
    "NumericError",
    "PayloadError",
    "ShcDetail",
    "ShcError",
    "ShcExpiryError",
    "ShcIssuanceError",
    "ShcRevocationError",
    "ShcSignatureError",
    "verify_shc",
]
