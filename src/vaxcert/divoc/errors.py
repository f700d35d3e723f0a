"""One exception class per DIVOC verification stage, all under :class:`vaxcert.errors.VaxcertError`.

Codes are ``<stage>.<reason>`` with the stage names the report shows: ``envelope``
(the ZIP), ``credential`` (the JSON and its proof's shape), ``trust`` (the DID in the
registry), ``canonical`` (JSON-LD to URDNA2015 N-Quads), ``signature``, ``expiry``
and ``content`` (holder and events).
"""

from __future__ import annotations

from ..errors import VaxcertError


class DivocError(VaxcertError):
    """Base of every DIVOC stage error."""

    stage = "divoc"


class EnvelopeError(DivocError):
    """The QR bytes are no readable ZIP holding one bounded ``certificate.json``."""

    stage = "envelope"


class CredentialError(DivocError):
    """``certificate.json`` is not a JSON credential with a usable proof (type, verificationMethod, jws)."""

    stage = "credential"


class DivocTrustError(DivocError):
    """No trusted key for the proof's DID, or the key's registry status forbids its use."""

    stage = "trust"


class CanonicalError(DivocError):
    """The credential cannot be canonicalised offline (unknown context, bad JSON-LD, over the work bounds)."""

    stage = "canonical"


class DivocSignatureError(DivocError):
    """The proof's signature does not verify with the issuer's key."""

    stage = "signature"


class DivocExpiryError(DivocError):
    """The credential's own ``expirationDate`` lies before the verification time."""

    stage = "expiry"


class ContentError(DivocError):
    """The credential names no holder or vaccination that can be read."""

    stage = "content"


STAGE_ERRORS: tuple[type[DivocError], ...] = (
    EnvelopeError,
    CredentialError,
    ContentError,
    DivocTrustError,
    CanonicalError,
    DivocSignatureError,
    DivocExpiryError,
)
