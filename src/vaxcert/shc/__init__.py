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
from .issue import IssuedShc, issue_shc, minimise_bundle
from .pipeline import ShcDetail
from .pipeline import verify as verify_shc
from .signer import CoseSignerAdapter, JwsSigner, PemJwsSigner, jwks_for, public_jwk, thumbprint

__all__ = [
    "ContentError",
    "CoseSignerAdapter",
    "InflateError",
    "IssuedShc",
    "IssuerTrustError",
    "JoseError",
    "JwsError",
    "JwsSigner",
    "KeyStatusError",
    "NumericError",
    "PayloadError",
    "PemJwsSigner",
    "ShcDetail",
    "ShcError",
    "ShcExpiryError",
    "ShcIssuanceError",
    "ShcRevocationError",
    "ShcSignatureError",
    "issue_shc",
    "jwks_for",
    "minimise_bundle",
    "public_jwk",
    "thumbprint",
    "verify_shc",
]
