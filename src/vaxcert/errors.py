"""One exception type per pipeline stage, all under :class:`VaxcertError`.

Every error carries a stable machine-readable ``code`` (``"<stage>.<reason>"``)
that callers, logs and the JSON report can rely on across releases; the
message is for humans and may change.  The base class subclasses
:class:`ValueError` so code that only knows the builtin still catches it.
"""

from __future__ import annotations


class VaxcertError(ValueError):
    """Base of every error vaxcert raises for bad input or a failed check."""

    stage: str = "vaxcert"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"


class PictureError(VaxcertError):
    """The image could not be read, or holds no QR code."""

    stage = "picture"


class PrefixError(VaxcertError):
    """The text does not start with a supported context identifier (``HC1:``)."""

    stage = "unprefix"


class Base45Error(VaxcertError):
    """The text is not valid Base45 (RFC 9285)."""

    stage = "base45"


class CompressionError(VaxcertError):
    """The zlib stream is broken, missing, or inflates beyond the size cap."""

    stage = "decompress"


class CoseError(VaxcertError):
    """The bytes are not a well-formed COSE_Sign1 message."""

    stage = "cose"


class CwtError(VaxcertError):
    """The COSE payload is not a well-formed CWT claim set with an hcert claim."""

    stage = "cwt"


class SchemaError(VaxcertError):
    """The health certificate does not conform to the DCC schema."""

    stage = "schema"


class SignatureError(VaxcertError):
    """The signature does not verify against any trusted key for the kid."""

    stage = "signature"


class TrustError(SignatureError):
    """No trusted Document Signer Certificate is known for the kid.

    A subclass of :class:`SignatureError` because, to a caller, an unknown
    signer and a bad signature both mean "not authentic".
    """

    stage = "signature"


class ExpiryError(VaxcertError):
    """The validation clock lies outside the certificate's iat..exp window."""

    stage = "expiry"


class KeyUsageError(VaxcertError):
    """The signing DSC is not allowed to sign this certificate type."""

    stage = "key_usage"


class RevocationError(VaxcertError):
    """The certificate is revoked, or revocation data could not be used as the policy requires."""

    stage = "revocation"


class RulesError(VaxcertError):
    """The certificate fails the destination's business rules, or a rule set is unusable."""

    stage = "rules"


class IssuanceError(VaxcertError):
    """An issuer-side request that vaxcert refuses to sign."""

    stage = "issue"


class KeyProviderError(VaxcertError):
    """A signing key could not be loaded or used."""

    stage = "keys"
