"""vaxcert: issue and verify EU-DCC-format (HCERT, ``HC1:``) vaccination certificates.

The 30-second tour::

    from vaxcert import PemSigner, TrustStore, issue, verify

    signer = PemSigner.from_files("dsc-key.pem", "dsc.pem")
    issued = issue(payload, signer)                  # payload: dict or DigitalCovidCertificate
    report = verify(issued.text, TrustStore.of([signer.certificate]))
    report.valid, report.checks                      # every stage's outcome
    report.certificate.dcc                           # raises unless every check passed
"""

from .dcc import DigitalCovidCertificate, PersonName, Recovery, Test, Vaccination
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
    SchemaError,
    SignatureError,
    TrustError,
    VaxcertError,
)
from .keys import PemSigner, Signer
from .pipeline import IssuedCertificate, decode_unverified, issue, verify, verify_image
from .report import StageOutcome, VerificationReport, VerifiedCertificate
from .trust import DocumentSignerCertificate, TrustStore
from .valuesets import ValueSets

__version__ = "0.1.0"

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
    "PrefixError",
    "Recovery",
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
