"""One error type per VDS-NC verification stage, all :class:`vaxcert.errors.VaxcertError` (so ``ValueError``).

Codes are ``<stage>.<reason>``; the pipeline maps each code to the multi-format
status it stands for (``seal.*`` is ``not_supported``, a malformed ``sig`` is
``invalid_signing_format``, and so on; see :mod:`vaxcert.vds.pipeline`).
"""

from __future__ import annotations

from ..errors import VaxcertError


class VdsError(VaxcertError):
    """Base of the VDS-NC stage errors."""

    stage = "vds"


class SealError(VdsError):
    """The text is not a VDS-NC seal: not bounded JSON, or no ``data``/``sig`` objects."""

    stage = "seal"


class ContentError(VdsError):
    """``data`` is no health proof vaxcert reads: unknown ``hdr.t``, or a malformed ``msg``."""

    stage = "content"


class CertificateError(VdsError):
    """``sig.cer`` is not a usable barcode signer certificate."""

    stage = "certificate"


class SealSignatureError(VdsError):
    """``sig.alg``/``sig.sigvl`` are malformed, or the signature does not verify over the JCS form of ``data``."""

    stage = "signature"


class SignerTrustError(VdsError):
    """The barcode signer does not chain to a trusted CSCA, or the CSCA's key is not usable now."""

    stage = "trust"


class SignerValidityError(VdsError):
    """The barcode signer certificate is not valid at the verification time."""

    stage = "validity"


class SignerRevocationError(VdsError):
    """The barcode signer certificate is listed on its CSCA's CRL."""

    stage = "revocation"


STAGE_ERRORS: tuple[type[VdsError], ...] = (
    SealError,
    ContentError,
    CertificateError,
    SealSignatureError,
    SignerTrustError,
    SignerValidityError,
    SignerRevocationError,
)
STAGES: tuple[str, ...] = tuple(error.stage for error in STAGE_ERRORS)
