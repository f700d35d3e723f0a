"""ICAO Visible Digital Seals for non-constrained environments (VDS-NC): Australia's and Japan's QR codes.

``verify_vds(text, registry, at=...)`` gives the shared
:class:`~vaxcert.summary.CredentialReport` (format ``icao-vds-nc``).  One module per
stage: :mod:`.seal` (JSON envelope), :mod:`.content` (holder and events),
:mod:`.certificate` (the barcode signer certificate, read tolerantly), :mod:`.signature`
(ECDSA over the RFC 8785 form, :mod:`.jcs`), :mod:`.trust` (chain to the country's
CSCA), :mod:`.validity`, :mod:`.revocation` (the CSCA's CRL).
"""

from __future__ import annotations

from .certificate import ParsedCertificate, ParsedCrl, decode_cer, parse_certificate, parse_crl
from .content import SealContent
from .errors import (
    STAGES,
    CertificateError,
    ContentError,
    SealError,
    SealSignatureError,
    SignerRevocationError,
    SignerTrustError,
    SignerValidityError,
    VdsError,
)
from .jcs import CanonicalizationError, canonicalize
from .pipeline import FORMAT, VdsDetail
from .pipeline import verify as verify_vds
from .seal import Seal, decode, encode, looks_like_seal
from .signature import ALGORITHMS, sign, sign_seal
from .trust import TrustPath

__all__ = [
    "ALGORITHMS",
    "FORMAT",
    "STAGES",
    "CanonicalizationError",
    "CertificateError",
    "ContentError",
    "ParsedCertificate",
    "ParsedCrl",
    "Seal",
    "SealContent",
    "SealError",
    "SealSignatureError",
    "SignerRevocationError",
    "SignerTrustError",
    "SignerValidityError",
    "TrustPath",
    "VdsDetail",
    "VdsError",
    "canonicalize",
    "decode",
    "decode_cer",
    "encode",
    "looks_like_seal",
    "parse_certificate",
    "parse_crl",
    "sign",
    "sign_seal",
    "verify_vds",
]
