"""One exception class per SMART Health Card stage, each naming the status its failure stands for.

Codes are ``<stage>.<reason>``.  The status is what the multi-format contract reports
when this stage is the deciding fault (see :data:`vaxcert.summary.STATUS_PRECEDENCE`);
only the key stage's status depends on the key (terminated, revoked or expired).
"""

from __future__ import annotations

from ..errors import IssuanceError, VaxcertError
from ..summary import Status


class ShcError(VaxcertError):
    """Base of the SMART Health Card stage errors."""

    stage = "shc"
    status: Status = Status.INVALID_ENCODING


class NumericError(ShcError):
    """The ``shc:/`` text is not numeric-mode digits, or its chunks do not reassemble."""

    stage = "numeric"
    status = Status.INVALID_ENCODING


class JwsError(ShcError):
    """The JWS is not three strict base64url parts."""

    stage = "jws"
    status = Status.INVALID_ENCODING


class JoseError(ShcError):
    """The JOSE header or the signature's shape is not what SMART Health Cards require (ES256, kid, raw r||s)."""

    stage = "jose"
    status = Status.INVALID_SIGNING_FORMAT


class InflateError(ShcError):
    """The header does not announce raw DEFLATE, or the payload does not inflate within the cap."""

    stage = "inflate"
    status = Status.INVALID_COMPRESSION


class PayloadError(ShcError):
    """The inflated payload is not a JWT claim set with ``iss`` and ``vc``."""

    stage = "payload"
    status = Status.INVALID_SIGNING_FORMAT


class ContentError(ShcError):
    """The credential is not a health card (no health-card type, no FHIR bundle)."""

    stage = "content"
    status = Status.NOT_SUPPORTED


class IssuerTrustError(ShcError):
    """No trusted key is known for the card's ``iss`` and ``kid``."""

    stage = "trust"
    status = Status.ISSUER_NOT_TRUSTED


class KeyStatusError(ShcError):
    """The issuer key is known but not usable at the verification time."""

    stage = "key"

    def __init__(self, code: str, message: str, status: Status) -> None:
        super().__init__(code, message)
        self.status = status


class ShcSignatureError(ShcError):
    """The ES256 signature does not verify with the issuer's key."""

    stage = "signature"
    status = Status.INVALID_SIGNATURE


class ShcRevocationError(ShcError):
    """The card's ``vc.rid`` is on the issuer's revocation list for the key."""

    stage = "revocation"
    status = Status.REVOKED


class ShcExpiryError(ShcError):
    """The card is past its ``exp`` (or not yet valid by its ``nbf``)."""

    stage = "expiry"
    status = Status.EXPIRED


class ShcIssuanceError(IssuanceError):
    """A SMART Health Card vaxcert refuses to issue (``issue.*``)."""


STAGES: tuple[type[ShcError], ...] = (
    NumericError,
    JwsError,
    JoseError,
    InflateError,
    PayloadError,
    ContentError,
    IssuerTrustError,
    KeyStatusError,
    ShcSignatureError,
    ShcRevocationError,
    ShcExpiryError,
)
"""The verification stages in the order :func:`vaxcert.shc.verify_shc` runs them."""
