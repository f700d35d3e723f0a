"""One exception type per pipeline stage, all under :class:`VaxcertError`.

Every error carries a stable machine-readable ``code`` (``"<stage>.<reason>"``)
that callers, logs and the JSON report can rely on across releases; the
message is for humans and may change.  The base class subclasses
:class:`ValueError` so code that only knows the builtin still catches it.

A verification check's codes start with the check's name as the report shows
it (``decompress.corrupt`` in the ``decompress`` check).  Errors raised while
loading inputs rather than checking a code (a DSC file, a value set, a signed
trust or revocation list) or while issuing keep the name of what they load:
``trust.*``, ``valueset.*``, ``trustlist.*``, ``revocationlist.*``,
``issue.*``, ``name.*``, ``uvci.*``, ``keys.*``.

Codes renamed to follow that rule still answer to their old name through
:attr:`VaxcertError.legacy_code` (and ``legacy_code`` in the JSON report);
:data:`LEGACY_CODES` lists them.
"""

from __future__ import annotations

from collections.abc import Mapping


class VaxcertError(ValueError):
    """Base of every error vaxcert raises for bad input or a failed check."""

    stage: str = "vaxcert"

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r})"

    @property
    def legacy_code(self) -> str | None:
        """The code's name before it followed ``<stage>.<reason>``, or None if it never changed."""
        return LEGACY_CODES.get(self.code)


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


# The verification checks in the order the pipeline runs them, each with the
# type its failures are raised as: the one list the report, the JSON contract
# and the pipeline read the stage names from.
STAGE_ERRORS: tuple[type[VaxcertError], ...] = (
    PictureError,
    PrefixError,
    Base45Error,
    CompressionError,
    CoseError,
    SignatureError,
    CwtError,
    SchemaError,
    ExpiryError,
    KeyUsageError,
    RevocationError,
    RulesError,
)
STAGES: tuple[str, ...] = tuple(error.stage for error in STAGE_ERRORS)

# new code -> the name it had before codes followed "<stage>.<reason>" (release 1.x
# reports carried the old names; integrators matching them can read legacy_code).
LEGACY_CODES: Mapping[str, str] = {
    **{
        f"picture.{reason}": f"qr.{reason}"
        for reason in (
            "empty",
            "too_long",
            "unreadable_file",
            "empty_image",
            "image_too_large",
            "not_an_image",
            "decode_failed",
            "not_found",
            "several_codes",
            "unsupported_format",  # raised on main since the apps split (an SVG or PDF given as a picture)
        )
    },
    **{
        f"unprefix.{reason}": f"prefix.{reason}"
        for reason in ("not_text", "unsupported_version", "empty", "missing", "too_long")
    },
    **{
        f"decompress.{reason}": f"zlib.{reason}"
        for reason in ("empty", "corrupt", "too_large", "truncated", "trailing_data", "not_compressed")
    },
    **{f"signature.{reason}": f"trust.{reason}" for reason in ("no_kid", "kid_not_found", "list_stale")},
}
