"""vaxcert: issue and verify EU-DCC-format (HCERT, ``HC1:``) vaccination certificates.

The 30-second tour::

    from vaxcert import PemSigner, TrustStore, issue, verify

    signer = PemSigner.from_files("dsc-key.pem", "dsc.pem")
    issued = issue(payload, signer)                  # payload: dict or DigitalCovidCertificate
    report = verify(issued.text, TrustStore.of([signer.certificate]))
    report.valid, report.checks                      # every stage's outcome
    report.certificate.dcc                           # raises unless every check passed
"""

from typing import TYPE_CHECKING, Any

from .errors import (
    Base45Error,
    CompressionError,
    CoseError,
    CwtError,
    ExpiryError,
    IssuanceError,
    KeyProviderError,
    KeyUsageError,
    PictureError,
    PrefixError,
    RevocationError,
    RulesError,
    SchemaError,
    SignatureError,
    TrustError,
    VaxcertError,
)
from .keys import PemSigner, Signer
from .pipeline import IssuedCertificate, Policy, decode_unverified, issue, verify, verify_image
from .report import StageOutcome, VerificationReport, VerifiedCertificate
from .trust import DocumentSignerCertificate, TrustStore
from .valuesets import ValueSets

if TYPE_CHECKING:
    from .dcc import DigitalCovidCertificate, PersonName, Recovery, Test, Vaccination

__version__ = "0.1.0"

_LAZY_FROM_DCC = {"DigitalCovidCertificate", "PersonName", "Recovery", "Test", "Vaccination"}


def __getattr__(name: str) -> Any:
    # The pydantic models are for issuers; importing them lazily keeps the
    # verifier's cold start (one process per scan in some integrations) short.
    if name in _LAZY_FROM_DCC:
        from . import dcc

        return getattr(dcc, name)
    raise AttributeError(f"module 'vaxcert' has no attribute {name!r}")


__all__ = [
    "Base45Error",
    "CompressionError",
    "CoseError",
    "CwtError",
    "DigitalCovidCertificate",
    "DocumentSignerCertificate",
    "ExpiryError",
    "IssuanceError",
    "IssuedCertificate",
    "KeyProviderError",
    "KeyUsageError",
    "PemSigner",
    "PersonName",
    "PictureError",
    "Policy",
    "PrefixError",
    "Recovery",
    "RevocationError",
    "RulesError",
    "SchemaError",
    "SignatureError",
    "Signer",
    "StageOutcome",
    "Test",
    "TrustError",
    "TrustStore",
    "Vaccination",
    "ValueSets",
    "VaxcertError",
    "VerificationReport",
    "VerifiedCertificate",
    "decode_unverified",
    "issue",
    "verify",
    "verify_image",
]
