"""DIVOC (India's CoWIN and the countries on the DIVOC platform): W3C Verifiable Credentials in a ZIP QR.

``verify_divoc(payload, registry, at=...)`` checks the binary QR payload offline: the
ZIP envelope (bounded), the credential's Linked Data proof (RsaSignature2018 with
PS256, or Ed25519Signature2018) over its URDNA2015 canonical form with JSON-LD
contexts shipped in this package, and the issuer's DID in the trust registry.
"""

from __future__ import annotations

from .canonical import Canonical, canonicalize
from .content import Content
from .contexts import UnknownContextError, shipped_contexts
from .credential import Credential, Proof
from .envelope import decode as decode_envelope
from .envelope import encode as encode_envelope
from .errors import (
    CanonicalError,
    ContentError,
    CredentialError,
    DivocError,
    DivocExpiryError,
    DivocSignatureError,
    DivocTrustError,
    EnvelopeError,
)
from .pipeline import STAGES, DivocDetail
from .pipeline import verify as verify_divoc
from .signature import sign as sign_divoc

__all__ = [
    "STAGES",
    "Canonical",
    "CanonicalError",
    "Content",
    "ContentError",
    "Credential",
    "CredentialError",
    "DivocDetail",
    "DivocError",
    "DivocExpiryError",
    "DivocSignatureError",
    "DivocTrustError",
    "EnvelopeError",
    "Proof",
    "UnknownContextError",
    "canonicalize",
    "decode_envelope",
    "encode_envelope",
    "shipped_contexts",
    "sign_divoc",
    "verify_divoc",
]
